"""Pseudonymous keys for young people: an HMAC-SHA256 of the UPN or ULN under a secret salt.

The salt is kept **outside the database** — ``$HUBCORE_PSEUDONYM_SALT`` (hex or text), or the
file ``$HUBCORE_PSEUDONYM_SALT_FILE`` (default ``pseudonym.salt`` in the data folder, mode 0600,
made by ``hubcore pseudonym init``). Anyone holding the database but not the salt cannot turn a
key back into a pupil number by trying all UPNs; rotating the salt (per data-sharing agreement)
unlinks old keys from new ones.

Identifiers are validated before hashing, so a typo does not silently become a new person:

- **UPN** (DfE unique pupil number): 13 characters, a check letter, the 3-digit LA number, the
  4-digit establishment number, a 2-digit year and a 3-character serial (a final letter marks a
  temporary UPN). The check letter is the sum of characters 2–13 times weights 2–13, modulo 23,
  mapped to ``ABCDEFGHJKLMNPQRTUVWXYZ``.
- **ULN** (unique learner number): 10 digits; the last is a check digit, ``10 - (sum of digits
  1–9 times weights 10..2) mod 11`` (a remainder of 0, giving 10, is never issued).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from hubcore import db
from hubcore.errors import HubcoreError

ENV_SALT = "HUBCORE_PSEUDONYM_SALT"
ENV_SALT_FILE = "HUBCORE_PSEUDONYM_SALT_FILE"
MIN_SALT_BYTES = 16
_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O, S
_UPN = re.compile(r"^[ABCDEFGHJKLMNPQRTUVWXYZ]\d{11}[0-9ABCDEFGHJKLMNPQRTUVWXYZ]$")
_ULN = re.compile(r"^\d{10}$")


def _char_value(char: str) -> int:
    # Digits count as themselves; a temporary UPN's final letter counts as its position in the
    # check-letter alphabet (A=0 … Z=22).
    return int(char) if char.isdigit() else _CHECK_LETTERS.index(char)


def upn_check_letter(body: str) -> str:
    """The check letter for UPN characters 2–13 (``body``, 12 characters)."""
    total = sum(_char_value(c) * weight for c, weight in zip(body, range(2, 14), strict=True))
    return _CHECK_LETTERS[total % 23]


def uln_check_digit(body: str) -> int | None:
    """The ULN check digit for digits 1–9, or ``None`` where no valid ULN exists."""
    total = sum(int(c) * weight for c, weight in zip(body, range(10, 1, -1), strict=True))
    check = 10 - total % 11
    return None if check == 10 else check


def normalise(identifier: str) -> tuple[str, str]:
    """``(kind, value)`` for a UPN or ULN (spaces removed, upper case); a clear error otherwise."""
    value = re.sub(r"\s+", "", str(identifier)).upper()
    if _UPN.match(value):
        if upn_check_letter(value[1:]) != value[0]:
            raise HubcoreError(f"UPN {value!r} fails its check letter (mistyped?)")
        return "upn", value
    if _ULN.match(value):
        if uln_check_digit(value[:9]) != int(value[9]):
            raise HubcoreError(f"ULN {value!r} fails its check digit (mistyped?)")
        return "uln", value
    raise HubcoreError(
        f"{identifier!r} is neither a UPN (letter + 12 characters) nor a ULN (10 digits)"
    )


def pseudonymise(identifier: str, salt: bytes | str) -> str:
    """The pseudonymous key of a UPN or ULN: 64 hex characters of HMAC-SHA256 under ``salt``.

    The kind is part of the message, so a UPN and a ULN never share a key.
    """
    salt_bytes = salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)
    if len(salt_bytes) < MIN_SALT_BYTES:
        raise HubcoreError(f"the pseudonym salt must be at least {MIN_SALT_BYTES} bytes")
    kind, value = normalise(identifier)
    return hmac.new(salt_bytes, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def salt_file() -> Path:
    if os.environ.get(ENV_SALT_FILE):
        return Path(os.environ[ENV_SALT_FILE]).expanduser()
    return db.data_dir() / "pseudonym.salt"


def load_salt() -> bytes:
    """The salt from ``$HUBCORE_PSEUDONYM_SALT`` or the salt file; never from the database."""
    if os.environ.get(ENV_SALT):
        salt = os.environ[ENV_SALT].encode("utf-8")
    else:
        path = salt_file()
        if not path.exists():
            raise HubcoreError(
                f"no pseudonym salt: set {ENV_SALT} or run `hubcore pseudonym init` "
                f"(which writes {path})"
            )
        salt = path.read_bytes().strip()
    if len(salt) < MIN_SALT_BYTES:
        raise HubcoreError(f"the pseudonym salt must be at least {MIN_SALT_BYTES} bytes")
    return salt


def init_salt_file(path: Path | None = None) -> Path:
    """Write a new random salt (32 bytes, hex) with mode 0600; refuse to overwrite one."""
    path = path or salt_file()
    if path.exists():
        raise HubcoreError(f"{path} exists already: replacing it would unlink every existing key")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path
