"""The fetch settings: every address, edition and licence in one TOML file.

The defaults ship as ``hubcore/fetch/sources.toml`` (documented there and in docs/fetch.md). A
user's file, named by ``--sources FILE`` or ``$HUBCORE_FETCH_SOURCES``, is laid over them key by
key; ``skip = true`` leaves a source out.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from hubcore.errors import HubcoreError

DEFAULTS = Path(__file__).with_name("sources.toml")
ENV_SOURCES = "HUBCORE_FETCH_SOURCES"
KINDS = ("gias", "boundaries", "imd", "neet", "ks4-destinations", "lsoa-lookup", "area-lookup")
IOD_EDITIONS = ("2019", "2025")
#: The LSOA year each IoD edition is published on (DOMAIN.md §5.3).
LSOA_FOR_IOD = {"2019": 2011, "2025": 2021}


@dataclass(frozen=True)
class Source:
    """One official file: its settings name and the values of its ``[source.NAME]`` table."""

    name: str
    kind: str
    address: str
    edition: str
    licence: str
    filename: str
    attribution: str = ""
    sha256: str = ""
    iod: str | None = None
    lsoa: int | None = None
    name_field: str | None = None
    stage: str | None = None
    time_period: int | None = None


@dataclass(frozen=True)
class Settings:
    """All sources, the default IoD edition and the network timeout (seconds)."""

    sources: dict[str, Source]
    iod: str
    timeout_s: float
    files: tuple[Path, ...]

    def chosen(self, iod: str | None = None, lsoa: int | str | None = None) -> list[Source]:
        """The sources for one fetch: every source without an IoD edition, plus the IoD of
        edition ``iod`` (default: the settings') and the boundaries of LSOA year ``lsoa``
        (default: the year that IoD edition is published on), in import order (boundaries
        before IoD, GIAS before destination measures). The LSOA lookup is not among them: the
        fetch asks for it only when two LSOA years meet (:meth:`lsoa_lookup`).

        IoD2019 can be read on 2021 LSOAs (through the ONS lookup); IoD2025 exists only on
        2021 LSOAs, so ``iod="2025", lsoa=2011`` is refused."""
        edition = str(iod or self.iod)
        if edition not in IOD_EDITIONS:
            raise HubcoreError(f"unknown IoD edition {edition}; choose 2019 or 2025")
        year = int(lsoa) if lsoa else LSOA_FOR_IOD[edition]
        if year not in (2011, 2021):
            raise HubcoreError(f"unknown LSOA year {lsoa}; choose 2011 or 2021")
        if year < LSOA_FOR_IOD[edition]:
            raise HubcoreError(f"IoD{edition} is published on {LSOA_FOR_IOD[edition]} LSOAs "
                               f"only; it is not offered on {year} LSOAs (choose --iod 2019 "
                               "for 2011 boundaries)")
        picked = [s for s in self.sources.values()
                  if s.kind != "lsoa-lookup"
                  and (s.kind != "boundaries" or s.lsoa == year)
                  and (s.kind != "imd" or s.iod == edition)
                  and (s.kind in ("boundaries", "imd") or s.iod in (None, edition))]
        for kind, what in (("boundaries", f"LSOA {year}"), ("imd", f"IoD{edition}")):
            if not any(s.kind == kind for s in picked):
                raise HubcoreError(
                    f"the fetch settings have no {kind} source for {what} "
                    f"({', '.join(str(f) for f in self.files)})"
                )
        order = {k: i for i, k in enumerate(("boundaries", "gias", "area-lookup", "imd",
                                               "neet", "ks4-destinations"))}
        return sorted(picked, key=lambda s: order[s.kind])

    def lsoa_lookup(self) -> Source:
        """The ONS LSOA 2011 → LSOA 2021 → LAD lookup source (HubcoreError if the settings
        have none, e.g. after ``skip = true``)."""
        found = [s for s in self.sources.values() if s.kind == "lsoa-lookup"]
        if not found:
            raise HubcoreError(
                "the fetch settings have no lsoa-lookup source, needed to match schools or "
                "IoD ranks of one LSOA year to boundaries of the other "
                f"({', '.join(str(f) for f in self.files)})")
        return found[0]


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise HubcoreError(f"cannot read the fetch settings {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise HubcoreError(f"the fetch settings {path} are not valid TOML: {exc}") from None


def load(path: str | Path | None = None) -> Settings:
    """The settings: the packaged defaults overlaid by ``path`` (else
    ``$HUBCORE_FETCH_SOURCES`` when set)."""
    raw = _read(DEFAULTS)
    files = [DEFAULTS]
    override = path or os.environ.get(ENV_SOURCES) or None
    if override:
        files.append(Path(override))
        raw = _merge(raw, _read(Path(override)))
    fetch = raw.get("fetch", {})
    sources = {}
    for name, table in raw.get("source", {}).items():
        if table.get("skip"):
            continue
        missing = [k for k in ("kind", "address", "edition", "licence") if not table.get(k)]
        if missing:
            raise HubcoreError(f"fetch settings: [source.{name}] lacks {', '.join(missing)}")
        if table["kind"] not in KINDS:
            raise HubcoreError(f"fetch settings: [source.{name}] kind must be one of "
                               f"{', '.join(KINDS)}, not {table['kind']!r}")
        sha = str(table.get("sha256", "")).strip().lower()
        if sha and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
            raise HubcoreError(f"fetch settings: [source.{name}] sha256 is not 64 hex digits")
        if table["kind"] in ("boundaries", "imd") and str(table.get("iod")) not in IOD_EDITIONS:
            raise HubcoreError(f"fetch settings: [source.{name}] needs iod = \"2019\" or "
                               "\"2025\"")
        sources[name] = Source(
            name=name, kind=table["kind"], address=str(table["address"]),
            edition=str(table["edition"]), licence=str(table["licence"]),
            filename=str(table.get("filename") or f"{name}.dat"),
            attribution=str(table.get("attribution", "")), sha256=sha,
            iod=str(table["iod"]) if "iod" in table else None,
            lsoa=int(table["lsoa"]) if "lsoa" in table else None,
            name_field=table.get("name_field"), stage=table.get("stage"),
            time_period=int(table["time_period"]) if "time_period" in table else None,
        )
    return Settings(sources=sources, iod=str(fetch.get("iod", "2025")),
                    timeout_s=float(fetch.get("timeout_s", 60)), files=tuple(files))
