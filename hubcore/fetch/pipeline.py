"""``hubcore fetch``: download the official open files for some LAs, check them, and import
them through the existing importers in one transaction, with their provenance.

Steps:

1. GIAS establishments first (the national file names every LA and district, so LA names and
   codes are resolved from it: no lookup outside the fetched files is needed);
2. LSOA boundaries for each district of the chosen LAs (an ArcGIS query on the LSOA name, which
   ONS builds from the district name, then clipped again here), the IoD of the same edition,
   NEET by LA, KS4 and 16–18 destination measures, and the national LA → region / combined
   authority / LSIP lookups;
2a. when the schools' GIAS LSOA codes, or the IoD ranks, are of the other census year than the
   boundaries, the ONS LSOA 2011 → 2021 lookup too, through which they are matched
   (:mod:`hubcore.fetch.lsoa`; schools whose code is not in it are listed as warnings);
3. every file's layout is checked (and its SHA-256 when the settings give one) before anything
   is imported;
4. the files are cut down to the LAs (schools of the LAs, their LSOAs, the destination measures
   of their schools; NEET keeps every LA and England for comparison) in a staging folder;
5. all importers run on **one** database connection inside **one** transaction (each importer's
   own ``engine.begin()`` joins it), followed by the provenance rows; a failure anywhere rolls
   back everything, so nothing is half-imported.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from hubcore import data_version, spreadsheet
from hubcore.errors import HubcoreError
from hubcore.fetch import download, lsoa, provenance
from hubcore.fetch.sources import Settings, Source
from hubcore.ingest import gias as gias_mod
from hubcore.ingest import import_file
from hubcore.ingest.dfe import EES_MEASURES, NEET_KEYS, NEET_LAYOUTS, PT_MEASURES
from hubcore.ingest.imd import PATTERNS as IMD_PATTERNS
from hubcore.ingest.imd import find_columns
from hubcore.ingest.reader import read_table
from hubcore.ingest.report import ImportReport

PSEUDO = gias_mod.PSEUDO | {""}
GSS_LA = re.compile(r"E0[6-9]\d{6}|E10\d{6}")


@dataclass
class La:
    """An LA chosen for the fetch: GSS code, name and its districts (code → name)."""

    code: str
    name: str
    districts: dict[str, str] = field(default_factory=dict)


@dataclass
class Obtained:
    """A file ready to import: its source, the file in the cache and its record."""

    source: Source
    record: download.Cached
    edition: str
    la_codes: tuple[str, ...]
    from_cache: bool


@dataclass
class FetchResult:
    """What a fetch did: the LAs, each file obtained, each import's report, and the
    warnings (schools whose LSOA code could not be matched, files left unimported)."""

    las: list[La]
    files: list[Obtained]
    reports: list[ImportReport]
    warnings: list[str] = field(default_factory=list)


# --- obtaining files ----------------------------------------------------------------------

def _obtain(source: Source, address: str, path: Path, *, offline: bool, refresh: bool,
            timeout_s: float, edition: str, la_codes: tuple[str, ...], label: str) -> Obtained:
    have = download.cached(path)
    if offline:
        if have is None:
            raise HubcoreError(
                f"{label}: not in the cache ({path}); --offline uses only the cache, so run "
                "`hubcore fetch` once with a network connection first. Nothing was imported"
            )
        return Obtained(source, _check_sum(have, source, label), edition, la_codes, True)
    if have is not None and not refresh and have.address == address:
        return Obtained(source, _check_sum(have, source, label), edition, la_codes, True)
    got = download.download(address, path, label=label, sha256=source.sha256,
                            timeout_s=timeout_s)
    return Obtained(source, got, edition, la_codes, False)


def _check_sum(have: download.Cached, source: Source, label: str) -> download.Cached:
    actual = download.sha256_of(have.path)
    if actual != have.sha256 or (source.sha256 and actual != source.sha256):
        expected = source.sha256 or have.sha256
        raise HubcoreError(
            f"{label}: checksum mismatch: the cached {have.path.name} has SHA-256 {actual}, "
            f"expected {expected}; nothing was imported (fetch again without --offline, or "
            "correct sha256 in the settings)"
        )
    return have


# --- layout checks ------------------------------------------------------------------------

def _header(path: Path) -> list[str]:
    table = read_table(path, normalise_headers=False)
    return [str(c).strip() for c in table.frame.columns]


def _changed(label: str, address: str, missing: list[str]) -> HubcoreError:
    return HubcoreError(
        f"{label}: the file layout has changed (missing columns: {', '.join(missing)}); "
        f"nothing was imported. The file at {address} may be a new edition or format: check "
        "docs/fetch.md and the address in the fetch settings"
    )


def check_layout(item: Obtained, table_columns: list[str] | None = None) -> None:
    """Refuse a file whose columns are not those its importer reads (HubcoreError)."""
    source, label = item.source, f"{item.source.name} ({item.source.edition})"
    columns = table_columns if table_columns is not None else _header(item.record.path)
    have = set(columns)
    if source.kind == "gias":
        names = have | {gias_mod.ALIASES[c] for c in have if c in gias_mod.ALIASES}
        missing = [c for c in gias_mod.REQUIRED + ["DistrictAdministrative (code)",
                                                   "DistrictAdministrative (name)"]
                   if c not in names]
    elif source.kind == "imd":
        found = find_columns(columns)
        missing = [r for r in ("code", "rank", "decile") if r not in found]
        missing = [IMD_PATTERNS[r].replace("\\", "") for r in missing]
        if not missing:
            year = int(re.fullmatch(IMD_PATTERNS["code"], found["code"]).group(1))
            if source.lsoa and year != source.lsoa:
                missing = [f"LSOA code ({source.lsoa}) (the file has {year} LSOAs)"]
    elif source.kind == "neet":
        layout = NEET_LAYOUTS["dashboard" if "NEET_not_known_percent" in have else "ees"]
        missing = [c for c in NEET_KEYS + list(layout.values()) if c not in have]
    elif source.kind == "area-lookup":
        lad = [c for c in columns if re.fullmatch(r"LAD\d{2}CD", c)]
        area = [c for c in columns if re.fullmatch(r"(RGN|CAUTH|LSIP)\d{2}CD", c)]
        missing = ([] if lad else ["LADyyCD"]) + ([] if area else ["RGNyyCD, CAUTHyyCD or "
                                                                  "LSIPyyCD"])
    elif source.kind == "lsoa-lookup":
        missing = [c for c in lsoa.LOOKUP_COLUMNS if c not in have]
    elif source.kind == "ks4-destinations":
        if "RECTYPE" in have:
            wanted = ["RECTYPE", "URN", "COHORT"] + [f"{s}PER" for s in PT_MEASURES.values()]
        else:
            wanted = ["time_period", "school_urn", "breakdown", "data_type", "cohort",
                      *EES_MEASURES.values()]
        missing = [c for c in wanted if c not in have]
    else:
        missing = []
    if missing:
        raise _changed(label, item.record.address, missing)


def _boundary_features(item: Obtained) -> tuple[list[dict], dict | None]:
    """Features of a boundary download (GeoJSON as ArcGIS returns it), layout checked."""
    source, label = item.source, f"{item.source.name} ({item.source.edition})"
    try:
        data = json.loads(item.record.path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise HubcoreError(f"{label}: the boundary file is not GeoJSON ({exc}); nothing was "
                           "imported") from None
    if isinstance(data, dict) and "error" in data:
        error = data["error"] if isinstance(data["error"], dict) else {}
        raise HubcoreError(f"{label}: the boundary service refused the query "
                           f"({str(error.get('message', data['error']))[:200]}); nothing was "
                           "imported. Check the address in the fetch settings")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
            or not isinstance(data.get("features"), list):
        raise HubcoreError(f"{label}: the boundary file is not a GeoJSON FeatureCollection; "
                           "nothing was imported")
    code_field = f"LSOA{source.lsoa % 100:02d}CD"
    for feature in data["features"]:
        props = feature.get("properties") or {}
        missing = [f for f in (code_field, source.name_field) if f not in props]
        if missing:
            raise _changed(label, item.record.address, missing)
    return data["features"], data.get("crs")


# --- choosing LAs -------------------------------------------------------------------------

def _clean(text: str) -> str:
    return " ".join(str(text).casefold().split())


def resolve(wanted: list[str], schools: pd.DataFrame) -> list[La]:
    """The LAs named by ``wanted`` (GSS codes or names, any case), from the GIAS frame.

    Upper-tier codes come from ``GSSLACode (name)``, districts from ``DistrictAdministrative``;
    a name matches ``LA (name)`` or ``DistrictAdministrative (name)``. Unknown names are refused
    with the nearest known ones.
    """
    gss = schools.get("GSSLACode (name)", pd.Series("", index=schools.index)).str.strip()
    dist = schools["DistrictAdministrative (code)"].str.strip()
    dist_name = schools["DistrictAdministrative (name)"].str.strip()
    la_name = schools["LA (name)"].str.strip() if "LA (name)" in schools \
        else pd.Series("", index=schools.index)
    out: list[La] = []
    for item in wanted:
        text = item.strip()
        code = text.upper()
        if GSS_LA.fullmatch(code):
            if not ((gss == code).any() or (dist == code).any()):
                raise HubcoreError(f"no school in the GIAS file is in {code}; is the code "
                                   "right (an England LA: E06, E07, E08, E09 or E10)?")
        else:
            key = _clean(text)
            by_la = gss[(la_name.map(_clean) == key) & ~gss.isin(PSEUDO)]
            by_dist = dist[(dist_name.map(_clean) == key) & ~dist.isin(PSEUDO)]
            found = by_la if len(by_la) else by_dist
            if not len(found):
                import difflib

                names = sorted(set(la_name) | set(dist_name) - {""})
                near = difflib.get_close_matches(text, names, n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(near)}?" if near else ""
                raise HubcoreError(f"no LA called {text!r} in the GIAS file{hint}")
            code = found.mode().iloc[0]
        mine = (gss == code) | (dist == code)
        pairs = pd.DataFrame({"c": dist[mine], "n": dist_name[mine]})
        pairs = pairs[~pairs["c"].isin(PSEUDO) & (pairs["n"] != "")].drop_duplicates("c")
        districts = dict(zip(pairs["c"], pairs["n"], strict=True))
        if code.startswith("E07"):
            districts = {code: districts.get(code, text)}
        name = (districts.get(code) or la_name[mine].mode().iloc[0] if mine.any() else text)
        if code not in districts and not code.startswith("E10"):
            districts[code] = name
        if code not in {la.code for la in out}:
            out.append(La(code, name, districts))
    return out


def _school_rows(schools: pd.DataFrame, las: list[La]) -> pd.Series:
    """Rows of the GIAS frame in the chosen LAs (a pseudo district falls back to the GSS LA
    code, and both pseudo to the DfE LA number of the LA's other schools)."""
    gss = schools.get("GSSLACode (name)", pd.Series("", index=schools.index)).str.strip()
    dist = schools["DistrictAdministrative (code)"].str.strip()
    keep = pd.Series(False, index=schools.index)
    for la in las:
        mine = dist.isin(list(la.districts))
        if not la.code.startswith("E07"):
            mine |= gss == la.code
            numbers = set(schools.loc[mine, "LA (code)"].str.strip())
            unplaced = dist.isin(PSEUDO) & gss.isin(PSEUDO)
            mine |= unplaced & schools["LA (code)"].str.strip().isin(numbers)
        keep |= mine
    return keep


# --- the fetch ----------------------------------------------------------------------------

def _lsoa_name_base(name: str) -> str:
    """``"Leeds 011A"`` → ``"leeds"``: the district part of an LSOA name."""
    return _clean(re.sub(r"\s+\d{3}[A-Z]$", "", str(name).strip()))


def _district_key(name: str) -> str:
    """District names as LSOA names spell them ("Bristol, City of" → "bristol")."""
    return _clean(re.sub(r",\s*(City|County) of$", "", name.strip(), flags=re.I))


def _where(source: Source, names: list[str]) -> str:
    parts = [f"{source.name_field} LIKE '{n.replace(chr(39), chr(39) * 2)} %'" for n in names]
    return " OR ".join(parts)


def fetch(
    engine: Engine,
    wanted: list[str],
    settings: Settings,
    *,
    iod: str | None = None,
    lsoa_year: int | None = None,
    offline: bool = False,
    refresh: bool = False,
    today: dt.date | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> FetchResult:
    """Fetch, check and import the official files for the LAs in ``wanted`` (see the module
    text). ``iod``: IoD edition (2019 or 2025); ``lsoa_year``: boundaries' LSOA year (default
    the edition's; 2021 with IoD2019 reads its ranks through the ONS lookup). Raises
    :class:`HubcoreError` in words; the database is then unchanged."""
    from hubcore.ingest import KINDS as IMPORT_KINDS

    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="hubcore-fetch-") as work_name:
        las, files, staged = prepare(wanted, settings, Path(work_name), iod=iod,
                                     lsoa_year=lsoa_year, offline=offline, refresh=refresh,
                                     today=today, say=say, warnings=warnings)
        if "area-lookup" not in IMPORT_KINDS:
            # The importer of LA membership lookups comes with the area-lookups work; until
            # then the files are checked and cached, not imported (and so not recorded).
            names = sorted({i.source.name for i in files if i.source.kind == "area-lookup"})
            if names:
                note = (f"{', '.join(names)}: cached but not imported (this hubcore has no "
                        "`area-lookup` importer yet)")
                say(note)
                warnings.append(note)
            staged = [s for s in staged if s[0] != "area-lookup"]
            files = [i for i in files if i.source.kind != "area-lookup"]
        reports = _import_all(engine, staged, files, say)
    return FetchResult(las, files, reports, warnings)


def prepare(
    wanted: list[str],
    settings: Settings,
    work: Path,
    *,
    iod: str | None = None,
    lsoa_year: int | None = None,
    offline: bool = False,
    refresh: bool = False,
    today: dt.date | None = None,
    kinds: tuple[str, ...] | None = None,
    say: Callable[[str], None] = lambda _m: None,
    warnings: list[str] | None = None,
) -> tuple[list[La], list[Obtained], list[tuple[str, Path, dict]]]:
    """Obtain and check the files (only sources of ``kinds`` when given; GIAS always, and the
    LSOA lookup when two LSOA years meet) and stage them in ``work`` cut down to the LAs:
    ``(LAs, files, [(kind, path, options)])`` in import order. Schools whose LSOA code cannot
    be matched to the boundaries' year are appended to ``warnings`` (and said). Nothing is
    written to a database."""
    if not wanted:
        raise HubcoreError("name at least one LA (GSS code such as E08000035, or a name)")
    today = today or dt.date.today()
    chosen = [s for s in settings.chosen(iod, lsoa_year)
              if kinds is None or s.kind in kinds or s.kind == "gias"]
    cache = download.cache_dir()
    timeout = settings.timeout_s
    common = {"offline": offline, "refresh": refresh, "timeout_s": timeout}

    gias_sources = [s for s in chosen if s.kind == "gias"]
    if len(gias_sources) != 1:
        raise HubcoreError("the fetch settings need exactly one gias source (it names the LAs)")
    gsrc = gias_sources[0]
    stamp = today.strftime("%Y%m%d")
    say(f"{gsrc.name}: {'cache' if offline else gsrc.address.format(date=stamp)}")
    gias = _obtain(gsrc, gsrc.address.format(date=stamp), cache / gsrc.name / gsrc.filename,
                   edition=gsrc.edition.format(date=stamp), la_codes=(),
                   label=f"{gsrc.name} ({gsrc.edition.format(date=stamp)})", **common)
    table = read_table(gias.record.path, normalise_headers=False)
    table.frame = table.frame.rename(columns={a: c for a, c in gias_mod.ALIASES.items()
                                              if a in table.frame.columns})
    check_layout(gias, list(table.frame.columns))
    schools = table.frame
    las = resolve(wanted, schools)
    codes = tuple(la.code for la in las)
    gias.la_codes = codes
    say("LAs: " + "; ".join(f"{la.code} {la.name}" for la in las))

    files: list[Obtained] = [gias]
    boundary_parts: list[tuple[Obtained, list[dict], dict | None, str]] = []
    for source in chosen:
        label = f"{source.name} ({source.edition})"
        if source.kind == "gias":
            continue
        if source.kind == "boundaries":
            for la in las:
                for dcode, dname in sorted(la.districts.items()):
                    features: list[dict] = []
                    crs = None
                    offset = 0
                    while True:
                        where = urllib.parse.quote(_where(source, [dname]), safe="")
                        address = source.address.format(where=where, offset=offset)
                        stem = Path(source.filename)
                        path = cache / source.name / f"{stem.stem}_{dcode}_{offset}{stem.suffix}"
                        item = _obtain(source, address, path, edition=source.edition,
                                       la_codes=(dcode,), label=f"{label}, {dname}", **common)
                        page, crs = _boundary_features(item)
                        files.append(item)
                        features += page
                        data = json.loads(item.record.path.read_text(encoding="utf-8"))
                        more = (data.get("exceededTransferLimit")
                                or (data.get("properties") or {}).get("exceededTransferLimit"))
                        if not more or not page:
                            break
                        offset += len(page)
                    boundary_parts.append((item, features, crs, dcode))
            continue
        item = _obtain(source, source.address, cache / source.name / source.filename,
                       edition=source.edition, la_codes=codes, label=label, **common)
        check_layout(item)
        files.append(item)

    # Two LSOA years meet when GIAS gives the schools' codes in the other year than the
    # boundaries (GIAS moved to 2021 codes in 2024), or IoD2019 ranks are read on 2021 areas.
    boundary_year = next((s.lsoa for s in chosen if s.kind == "boundaries"), None)
    blank = pd.Series("", index=schools.index, dtype="string")
    # Both columns are optional in GIAS: no dates reads as 2011 (as the importer does), no
    # codes needs no lookup.
    school_year = gias_mod._lsoa_vintage(schools.get("LastChangedDate", blank))
    in_las = schools.get("LSOA (code)", blank)[_school_rows(schools, las)].str.strip()
    imd_years = {s.lsoa for s in chosen if s.kind == "imd"}
    lookup = None
    if boundary_year and ((school_year != boundary_year and (~in_las.isin(PSEUDO)).any())
                          or imd_years - {boundary_year}):
        source = settings.lsoa_lookup()
        label = f"{source.name} ({source.edition})"
        item = _obtain(source, source.address, cache / source.name / source.filename,
                       edition=source.edition, la_codes=codes, label=label, **common)
        check_layout(item)
        lookup = lsoa.read_lookup(item.record.path)
        files.append(item)
    found: list[str] = []
    staged = _stage(work, files, boundary_parts, schools, las, lookup=lookup,
                    school_year=school_year, warnings=found)
    for line in found:
        say(f"warning: {line}")
    if warnings is not None:
        warnings.extend(found)
    return las, files, staged


def _stage(work: Path, files: list[Obtained], boundary_parts, schools: pd.DataFrame,
           las: list[La], *, lookup: pd.DataFrame | None = None, school_year: int | None = None,
           warnings: list[str] | None = None) -> list[tuple[str, Path, dict]]:
    """The files cut down to the LAs, in import order: ``(kind, path, importer options)``.
    Schools' LSOA codes (``school_year``) and IoD rows of the other LSOA year than the
    boundaries are matched to the boundaries' year through ``lookup``; the schools that could
    not be matched (or only by rule) are appended to ``warnings``."""
    out: list[tuple[str, Path, dict]] = []
    warnings = warnings if warnings is not None else []
    lsoa_year = None
    shapes: dict[str, dict] = {}
    if boundary_parts:
        lsoa_year = boundary_parts[0][0].source.lsoa
        yy = f"{lsoa_year % 100:02d}"
        name_field = boundary_parts[0][0].source.name_field
        keep_features, seen = [], set()
        crs = None
        for _item, features, part_crs, dcode in boundary_parts:
            crs = crs or part_crs
            dname = next(la.districts[dcode] for la in las if dcode in la.districts)
            for f in features:
                props = f.get("properties") or {}
                code = props[f"LSOA{yy}CD"]
                # Clipped here as well: a server that ignores the filter sends too much.
                if _lsoa_name_base(props[name_field]) != _district_key(dname) or code in seen:
                    continue
                seen.add(code)
                shapes[code] = f.get("geometry")
                keep_features.append({"type": "Feature", "geometry": f.get("geometry"),
                                      "properties": {f"LSOA{yy}CD": code,
                                                     f"LSOA{yy}NM": props[name_field],
                                                     f"LAD{yy}CD": dcode}})
        if not keep_features:
            raise HubcoreError("the boundary files hold no LSOA of the chosen LAs; nothing "
                               "was imported")
        collection = {"type": "FeatureCollection", "features": keep_features}
        if crs:
            collection["crs"] = crs
        path = work / f"lsoa{lsoa_year}.geojson"
        path.write_text(json.dumps(collection), encoding="utf-8")
        out.append(("boundaries", path, {"year": lsoa_year}))
        lsoa_codes = seen
    else:
        lsoa_codes = set()
    rows = schools.loc[_school_rows(schools, las)]
    if lsoa_year and school_year and school_year != lsoa_year and lookup is not None:
        rows = _match_schools(rows, school_year, lsoa_year, lookup, shapes, warnings)
    urns = set(rows["URN"].str.strip())
    for item in files:
        source = item.source
        if source.kind == "boundaries":
            continue
        path = work / f"{source.name}.csv"
        options: dict = {}
        if source.kind == "gias":
            spreadsheet.write_staging_csv(rows, path)
            if lsoa_year:
                # The codes are now of the boundaries' year (matched above when they were not).
                options["lsoa_vintage"] = lsoa_year
        elif source.kind == "imd":
            frame = read_table(item.record.path, normalise_headers=False).frame
            found = find_columns(frame.columns)
            if lsoa_year and source.lsoa and source.lsoa != lsoa_year:
                if lookup is None or source.lsoa != 2011:
                    raise HubcoreError(f"{source.name}: IoD on {source.lsoa} LSOAs cannot be "
                                       f"read on {lsoa_year} boundaries")
                frame = lsoa.imd_on_2021(frame, found, lookup, lsoa_codes)
                spreadsheet.write_staging_csv(frame, path)
            else:
                code = found["code"]
                spreadsheet.write_staging_csv(
                    frame.loc[frame[code].str.strip().isin(lsoa_codes)], path)
            options["imd_vintage"] = int(source.iod)
        elif source.kind in ("area-lookup", "lsoa-lookup"):
            if source.kind == "lsoa-lookup":
                continue  # read above, recorded in provenance, never imported
            path = item.record.path  # national: every LA is a member of something
        elif source.kind == "neet":
            path = item.record.path  # every LA and England: the comparators need them
        elif source.kind == "ks4-destinations":
            frame = read_table(item.record.path, normalise_headers=False).frame
            column = "URN" if "RECTYPE" in frame.columns else "school_urn"
            spreadsheet.write_staging_csv(frame.loc[frame[column].str.strip().isin(urns)], path)
            options["stage"] = source.stage or "ks4"
            if source.time_period:
                options["time_period"] = source.time_period
        out.append((source.kind, path, options))
    return out


class _Joined:
    """Stands in for the engine inside one transaction: ``begin()`` and ``connect()`` hand out
    the same open connection and neither commit nor close it, so every importer's writes join
    the fetch's transaction (committed or rolled back once, by :func:`_import_all`)."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self.dialect = conn.dialect
        self.url = conn.engine.url

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        yield self._conn

    connect = begin

    def execute(self, *args, **kwargs):
        return self._conn.execute(*args, **kwargs)


def provenance_records(files: list[Obtained]) -> list[provenance.Record]:
    """What ``source_provenance`` records of each file obtained (also for ``demo --la``,
    whose maps draw the fetched boundaries and so owe their credit)."""
    return [
        provenance.Record(kind=i.source.kind, source=i.source.name, address=i.record.address,
                          edition=i.edition, downloaded_at=i.record.downloaded_at,
                          licence=i.source.licence, attribution=i.source.attribution,
                          sha256=i.record.sha256, la_codes=i.la_codes)
        for i in files
    ]


def _match_schools(rows: pd.DataFrame, school_year: int, lsoa_year: int,
                   lookup: pd.DataFrame, geometries: dict[str, dict],
                   warnings: list[str]) -> pd.DataFrame:
    """GIAS rows with ``LSOA (code)`` restated in ``lsoa_year`` (:func:`lsoa.match_schools`)."""
    codes = rows["LSOA (code)"].str.strip()
    located = rows.assign(**{"LSOA (code)": codes.where(~codes.isin(PSEUDO), "")})
    from shapely.geometry import shape

    shapes = {c: shape(g) for c, g in geometries.items() if g}
    match = lsoa.match_schools(located, school_year, lsoa_year, lookup, shapes)
    warnings.extend(match.unknown + match.by_rule)
    return rows.assign(**{"LSOA (code)": match.codes.fillna("")})


def _import_all(engine: Engine, staged, files: list[Obtained], say) -> list[ImportReport]:
    reports = []
    now = dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        try:
            # SQLite: take the write lock now, for the whole fetch (a no-op on PostgreSQL).
            data_version.begin_write(conn)
            joined = _Joined(conn)
            for kind, path, options in staged:
                report = import_file(joined, kind, path,
                                     rejects_path=path.with_suffix(".rejects.csv"), **options)
                say(report.summary())
                reports.append(report)
            provenance.record(conn, provenance_records(files), now)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    return reports
