"""Users of a served hub: the users file, hashed passwords, and each user's :class:`Scope`.

Small hubs keep their users in a JSON file (``$HUBCORE_USERS_FILE``, else ``users.json`` in
:func:`hubcore.db.data_dir`), managed with ``hubcore users add|remove|list``::

    {"version": 1,
     "users": {"lead@hub.example": {"role": "hub_lead", "hub_id": "DEMO",
                                    "password": "scrypt$16384$8$1$<salt>$<hash>"},
                "la@council.example": {"role": "la_tracking", "area": "E08000035"}}}

An NCS adviser's and an LA tracking officer's entry names their upper-tier LA (GSS code) with
the key ``ncs_area`` or, the same thing, ``area``.

Passwords are stored only as scrypt hashes (stdlib :func:`hashlib.scrypt`, a memory-hard KDF,
random 16-byte salt per user) and compared in constant time. A user without a password signs in
through the council's identity provider (OAuth/OIDC); the file then only maps their identity to
a role and scope. The file is written atomically with mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from hubcore import db
from hubcore.access import Role, Scope
from hubcore.errors import AccessDenied, HubcoreError

ENV_USERS_FILE = "HUBCORE_USERS_FILE"
#: scrypt cost: N=2**15, r=8, p=1 (32 MiB per check). OWASP suggests N=2**17 where memory
#: allows; set ``HUBCORE_SCRYPT_N`` to raise it (each stored hash records its own N).
SCRYPT_N = int(os.environ.get("HUBCORE_SCRYPT_N", 2**15))
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSWORD = 10
_NAME = re.compile(r"^[A-Za-z0-9._@+\-]{1,100}$")
#: Upper-tier LA GSS codes (unitary, metropolitan, London borough, county; X for Wales/Scotland
#: test codes as in the ``handover.ncs_area`` check).
_UPPER_TIER_LA = re.compile(r"^(E06|E08|E09|E10|X06|X10)\d{6}$")
#: Roles whose scope is an upper-tier LA's hand-overs (their entry needs ``area``).
AREA_ROLES = (Role.NCS_ADVISER.value, Role.LA_TRACKING.value)


def users_file() -> Path:
    """Where the users file is: ``$HUBCORE_USERS_FILE`` or ``users.json`` in the data folder."""
    if os.environ.get(ENV_USERS_FILE):
        return Path(os.environ[ENV_USERS_FILE]).expanduser()
    return db.data_dir() / "users.json"


# --- passwords --------------------------------------------------------------------------------


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=32
    )


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) for ``password``."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches the ``stored`` hash (constant-time comparison)."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH


# --- the file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """One user: name, role and the part of the hub they cover (no password here)."""

    name: str
    role: str
    hub_id: str | None = None
    urn: int | None = None
    ncs_area: str | None = None
    sign_in: str = "password"  # or "oidc": signs in through the identity provider

    def scope(self) -> Scope:
        """The :class:`Scope` every read for this user takes."""
        return Scope(
            Role(self.role), hub_id=self.hub_id, urn=self.urn, ncs_area=self.ncs_area,
            user=self.name,
        )


def _read(path: Path) -> dict:
    if not path.exists():
        return {"version": 1, "users": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HubcoreError(f"cannot read the users file {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
        raise HubcoreError(f"{path} is not a hubcore users file (no 'users' object)")
    return data


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".users-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
            out.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_area(role: str, area: str | None, who: str = "") -> None:
    """A clear :class:`~hubcore.errors.HubcoreError` unless ``area`` suits ``role``: an NCS
    adviser or LA tracking officer needs an upper-tier LA GSS code (E06, E08, E09 or E10 and six
    digits); other roles take none."""
    label = {"ncs_adviser": "an NCS adviser", "la_tracking": "an LA tracking officer"}
    if role not in AREA_ROLES:
        if area is not None:
            raise HubcoreError(f"{who}an area is only for NCS advisers and LA tracking officers "
                               f"(role {role!r} has none)")  # fmt: skip
        return
    if area is None or str(area).strip() == "":
        raise HubcoreError(f"{who}{label[role]} needs the upper-tier LA they work for: give "
                           "its GSS code as area (e.g. E08000035)")  # fmt: skip
    if not isinstance(area, str) or not _UPPER_TIER_LA.match(area):
        raise HubcoreError(f"{who}area {area!r} is not an upper-tier LA GSS code (E06, E08, E09 "
                           "or E10 and six digits, e.g. E08000035)")  # fmt: skip


def _entry_area(name: str, entry: dict, path: Path) -> str | None:
    """The entry's LA: key ``ncs_area`` or its alias ``area`` (both only if they agree)."""
    given = {k: entry[k] for k in ("ncs_area", "area") if entry.get(k) is not None}
    if len(set(given.values())) > 1:
        raise HubcoreError(f"users file {path}: user {name!r} has area {given['area']!r} and "
                           f"ncs_area {given['ncs_area']!r}; keep one")  # fmt: skip
    return next(iter(given.values()), None)


def load_users(path: Path | None = None) -> dict[str, User]:
    """Every user in the file (none if the file does not exist). An NCS adviser's or LA
    tracking officer's area is checked (:func:`check_area`): a missing or malformed one is a
    clear error naming the user, not a scope that silently matches nothing."""
    path = path or users_file()
    users = {}
    for name, entry in _read(path)["users"].items():
        area = _entry_area(name, entry, path)
        if entry.get("role") in AREA_ROLES:
            check_area(entry["role"], area, who=f"users file {path}: user {name!r}: ")
        users[name] = User(
            name=name,
            role=entry["role"],
            hub_id=entry.get("hub_id"),
            urn=entry.get("urn"),
            ncs_area=area,
            sign_in="password" if entry.get("password") else "oidc",
        )
    return users


def has_users(path: Path | None = None) -> bool:
    """Whether sign-in is required: the users file exists and names at least one user."""
    path = path or users_file()
    return path.exists() and bool(_read(path)["users"])


def add_user(
    name: str,
    role: str,
    password: str | None = None,
    hub_id: str | None = None,
    urn: int | None = None,
    ncs_area: str | None = None,
    path: Path | None = None,
    replace: bool = False,
) -> User:
    """Add (or with ``replace`` update) a user; ``password=None`` for an OIDC-only user."""
    path = path or users_file()
    if not _NAME.match(name):
        raise HubcoreError(
            f"user name {name!r}: use 1–100 letters, digits and . _ @ + - (e.g. an email address)"
        )
    try:
        role = Role(role).value
    except ValueError:
        raise HubcoreError(
            f"unknown role {role!r} (roles: {', '.join(r.value for r in Role)})"
        ) from None
    check_area(role, ncs_area)
    user = User(name=name, role=role, hub_id=hub_id, urn=urn, ncs_area=ncs_area,
                sign_in="password" if password else "oidc")
    user.scope()  # raises a clear error if the role lacks its hub / URN
    if password is not None and len(password) < MIN_PASSWORD:
        raise HubcoreError(f"password too short: use at least {MIN_PASSWORD} characters")
    data = _read(path)
    if name in data["users"] and not replace:
        raise HubcoreError(f"user {name!r} exists already (remove them first, or use --replace)")
    entry = {
        k: v for k, v in asdict(user).items() if k not in ("name", "sign_in") and v is not None
    }
    if password is not None:
        entry["password"] = hash_password(password)
    data["users"][name] = entry
    _write(path, data)
    return user


def remove_user(name: str, path: Path | None = None) -> None:
    path = path or users_file()
    data = _read(path)
    if name not in data["users"]:
        raise HubcoreError(f"no user {name!r} in {path}")
    del data["users"][name]
    _write(path, data)


def authenticate(name: str, password: str, path: Path | None = None) -> User | None:
    """The user if ``password`` is theirs, else ``None`` (same work for unknown names)."""
    path = path or users_file()
    entry = _read(path)["users"].get(name)
    stored = entry.get("password") if isinstance(entry, dict) else None
    if stored is None:
        verify_password(password, _dummy_hash())  # don't reveal which names exist by timing
        return None
    if not verify_password(password, stored):
        return None
    return load_users(path)[name]


def user_scope(name: str | None, path: Path | None = None) -> Scope:
    """The scope of a signed-in user; :class:`~hubcore.errors.AccessDenied` if unknown."""
    user = load_users(path).get(name or "")
    if user is None:
        raise AccessDenied(f"user {name!r} is not in the users file")
    return user.scope()


# --- the cookie secret ------------------------------------------------------------------------

#: Estimated bits a cookie secret needs (an HMAC-SHA256 key should carry at least 128).
MIN_SECRET_BITS = 128


def _shannon_bits(symbols: list) -> float:
    """Shannon entropy of the symbols' frequencies, in bits per symbol."""
    import math
    from collections import Counter

    if not symbols:
        return 0.0
    total = len(symbols)
    return -sum(n / total * math.log2(n / total) for n in Counter(symbols).values())


def secret_bits(secret: str) -> float:
    """A cautious estimate of the entropy of ``secret``, in bits: the smaller of (a) its
    characters' Shannon entropy times the number of characters that are not repeats of earlier
    ones and (b) the Shannon entropy of the steps between neighbouring characters times their
    number. ``"a" * 32`` scores 0, ``"ab" * 16`` 7, ``"0123456789abcdef" * 2`` 17, a password
    written four times 60; a random 64-character URL-safe token about 330 and 64 random hex
    digits about 250. It judges the text alone: it cannot see that a varied secret was copied
    from somewhere public."""
    chars = list(secret)
    steps = [ord(b) - ord(a) for a, b in zip(secret, secret[1:], strict=False)]
    return max(0.0, min(_shannon_bits(chars) * len(chars) * _unrepeated(secret),
                        _shannon_bits(steps) * len(steps)))


def _unrepeated(text: str) -> float:
    """The share of ``text`` that is not a repeat of an earlier part: deflate's size with
    repeats found (LZ77) over its size coding characters alone (Huffman only), less the empty
    stream's size. About 1 for random text, ¼ for a block written four times."""
    import zlib

    def size(data: bytes, strategy: int) -> int:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, strategy)
        return len(packer.compress(data) + packer.flush())

    data = text.encode("utf-8")
    alone = size(data, zlib.Z_HUFFMAN_ONLY) - size(b"", zlib.Z_HUFFMAN_ONLY)
    if alone <= 0:
        return 0.0
    return min(1.0, max(0.0, size(data, zlib.Z_DEFAULT_STRATEGY) - size(b"", 0)) / alone)


def make_secret() -> str:
    """A new cookie secret: 48 random bytes, URL-safe base64 (64 characters, 384 bits)."""
    return secrets.token_urlsafe(48)
