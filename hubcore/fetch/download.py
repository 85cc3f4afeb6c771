"""Downloads into the cache folder, atomically, with a checksum.

A file is written to a temporary name in its cache folder while it arrives, hashed on the way,
checked (length, then the SHA-256 the settings give), and only then renamed into place with
``os.replace``; an interrupted or refused download leaves no file behind. Beside each cached
file a small ``.meta.json`` records its address, download time (UTC) and SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hubcore import db
from hubcore.errors import HubcoreError

CHUNK = 1 << 16
USER_AGENT = "hubcore-fetch (Careers Hub suite)"


def cache_dir() -> Path:
    """``$HUBCORE_HOME/cache/fetch`` (or the default data folder's)."""
    return db.data_dir() / "cache" / "fetch"


@dataclass(frozen=True)
class Cached:
    """A file in the cache with what is known of where it came from."""

    path: Path
    address: str
    downloaded_at: dt.datetime
    sha256: str


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def cached(path: Path) -> Cached | None:
    """The cached file at ``path`` with its record, or ``None`` if either is missing."""
    meta = _meta_path(path)
    if not path.is_file() or not meta.is_file():
        return None
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
        return Cached(path, str(info["address"]),
                      dt.datetime.fromisoformat(info["downloaded_at"]), str(info["sha256"]))
    except (OSError, ValueError, KeyError):
        return None


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(address: str, path: Path, *, label: str, sha256: str = "",
             timeout_s: float = 60) -> Cached:
    """Fetch ``address`` into ``path`` atomically (see the module text) and return its record.

    Raises :class:`HubcoreError` in words on a network failure, an HTTP error, a body cut short
    or a checksum that does not match; the cache is then as it was.
    """
    if urllib.parse.urlsplit(address).scheme not in ("http", "https"):
        raise HubcoreError(f"{label}: only http and https addresses are fetched, not {address}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
                address, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
                expected = response.headers.get("Content-Length")
                received = 0
                while block := response.read(CHUNK):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
            if expected is not None and expected.isdigit() and received != int(expected):
                raise HubcoreError(
                    f"{label}: the download from {_host(address)} stopped after {received:,} "
                    f"of {int(expected):,} bytes; nothing was kept or imported. Try again"
                )
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if sha256 and got != sha256:
            raise HubcoreError(
                f"{label}: checksum mismatch: the file from {address} has SHA-256 {got}, the "
                f"settings expect {sha256}; it was not kept and nothing was imported (the file "
                "has changed or was damaged in transit; check the source and update sha256)"
            )
        os.replace(tmp, path)
    except HubcoreError:
        tmp.unlink(missing_ok=True)
        raise
    except urllib.error.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        raise HubcoreError(
            f"{label}: {_host(address)} answered HTTP {exc.code} ({exc.reason}) for {address}; "
            "nothing was imported (the file may have moved: check the address in the fetch "
            "settings)"
        ) from None
    except (TimeoutError, urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        tmp.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        if isinstance(exc, http.client.IncompleteRead):
            reason = f"the connection closed after {len(exc.partial):,} bytes"
        raise HubcoreError(
            f"{label}: could not download {address} ({_words(reason)}); nothing was kept or "
            "imported. Check the network, or use --offline to import what is in the cache"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    record = Cached(path, address, dt.datetime.now(dt.UTC), got)
    _meta_path(path).write_text(json.dumps({
        "address": address, "downloaded_at": record.downloaded_at.isoformat(), "sha256": got,
    }), encoding="utf-8")
    return record


def _host(address: str) -> str:
    return urllib.parse.urlsplit(address).netloc or address


def _words(reason) -> str:
    text = str(reason).strip() or type(reason).__name__
    return text.splitlines()[0][:200]
