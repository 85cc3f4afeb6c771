"""Matching LSOA codes of one census year to the other through the ONS lookup.

The ONS "LSOA (2011) to LSOA (2021) to Local Authority District (2022)" exact-fit lookup has
one row per overlapping 2011/2021 pair, with ``CHGIND``:

* ``U`` unchanged (the same code in both years), one row;
* ``S`` a 2011 area split into several 2021 areas, one row per 2021 part;
* ``M`` several 2011 areas merged into one 2021 area, one row per 2011 part;
* ``X`` irregular: several 2011 and several 2021 areas overlap.

Rules used by ``hubcore fetch`` (docs/fetch.md, *LSOA years*):

* **A school** whose GIAS code is of the other year takes the code it leads to in the lookup.
  One candidate (U; S read 2021 → 2011; M read 2011 → 2021): that one. Several (M read
  2021 → 2011, S read 2011 → 2021, X): the candidate whose fetched boundary contains the
  school's location (GIAS easting/northing); when none does, or the school has no location,
  the candidate with the lowest code, and the school is listed as matched by rule. A code not
  in the lookup is listed and the school imported without a small area.
* **IoD2019 ranks on 2021 areas**: a 2021 area takes the rank and deciles of the most deprived
  (lowest rank) 2011 area it overlaps: its only one for U and S, the worst of the merged ones
  for M and X, so a merged area is never shown as less deprived than any part of it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hubcore import geo
from hubcore.errors import HubcoreError
from hubcore.ingest.reader import read_table

#: Columns the fetch reads from the lookup (the real file has names, LAD22NMW and ObjectId too).
LOOKUP_COLUMNS = ["LSOA11CD", "LSOA21CD", "CHGIND"]
CHANGE_CODES = {"U", "S", "M", "X"}


def read_lookup(path: Path) -> pd.DataFrame:
    """The lookup's rows: ``LSOA11CD``, ``LSOA21CD``, ``CHGIND`` and, when present,
    ``LSOA21NM`` and ``LAD22CD`` (text, stripped). Raises :class:`HubcoreError` naming the
    missing columns when the layout has changed, or an unknown change code."""
    frame = read_table(path, normalise_headers=False).frame
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in LOOKUP_COLUMNS if c not in frame.columns]
    if missing:
        raise HubcoreError(f"the LSOA lookup's layout has changed (missing columns: "
                           f"{', '.join(missing)}); nothing was imported")
    keep = [c for c in ("LSOA11CD", "LSOA21CD", "CHGIND", "LSOA21NM", "LAD22CD")
            if c in frame.columns]
    out = frame[keep].astype("string").apply(lambda s: s.str.strip())
    out["CHGIND"] = out["CHGIND"].str.upper()
    odd = sorted(set(out["CHGIND"].dropna()) - CHANGE_CODES)
    if odd:
        raise HubcoreError(f"the LSOA lookup has change codes {', '.join(odd[:5])} besides U, "
                           "S, M and X; its layout may have changed. Nothing was imported")
    return out.dropna(subset=["LSOA11CD", "LSOA21CD"])


@dataclass
class SchoolMatch:
    """Schools' codes in the boundary year (``codes``, aligned with the input; ``<NA>`` when
    unmatched) and the schools to list: ``unknown`` (code not in the lookup) and ``by_rule``
    (several candidates and no boundary holding the school), as lines of text."""

    codes: pd.Series
    unknown: list[str]
    by_rule: list[str]


def match_schools(schools: pd.DataFrame, from_year: int, to_year: int, lookup: pd.DataFrame,
                  shapes: dict[str, object]) -> SchoolMatch:
    """Each school's LSOA code of ``from_year`` matched to ``to_year`` (module rules).

    ``schools``: GIAS columns ``URN``, ``EstablishmentName``, ``LSOA (code)`` (pseudo codes
    already blank) and ``Easting``/``Northing`` (metres, British National Grid; blank when not
    located). ``shapes``: the fetched ``to_year`` boundaries, code → shapely geometry in
    longitude/latitude degrees.
    """
    codes = schools["LSOA (code)"].astype("string").str.strip().replace("", pd.NA)
    if from_year == to_year:
        return SchoolMatch(codes, [], [])
    src, dst = (f"LSOA{from_year % 100:02d}CD", f"LSOA{to_year % 100:02d}CD")
    candidates = lookup.groupby(src)[dst].agg(lambda s: sorted(set(s)))
    east = pd.to_numeric(schools.get("Easting"), errors="coerce")
    north = pd.to_numeric(schools.get("Northing"), errors="coerce")
    out = pd.Series(pd.NA, index=schools.index, dtype="string")
    unknown: list[str] = []
    by_rule: list[str] = []
    from shapely.geometry import Point

    for idx in schools.index:
        code = codes[idx]
        if pd.isna(code):
            continue
        label = f"URN {schools.at[idx, 'URN']} {schools.at[idx, 'EstablishmentName']!s:.60}"
        options = candidates.get(code)
        if options is None:
            unknown.append(f"{label}: LSOA {from_year} code {code} is not in the ONS lookup; "
                           "imported without a small area")
            continue
        if len(options) == 1:
            out[idx] = options[0]
            continue
        inside = []
        if pd.notna(east[idx]) and pd.notna(north[idx]):
            lon, lat = geo.bng_to_lonlat(np.array([float(east[idx])]),
                                         np.array([float(north[idx])]))
            point = Point(float(lon[0]), float(lat[0]))
            inside = [c for c in options if c in shapes and shapes[c].covers(point)]
        out[idx] = inside[0] if inside else options[0]
        if not inside:
            by_rule.append(f"{label}: LSOA {from_year} code {code} became "
                           f"{', '.join(options)} in {to_year}; no fetched boundary holds the "
                           f"school, so {options[0]} (the lowest code) was taken")
    return SchoolMatch(out, unknown, by_rule)


def imd_on_2021(frame: pd.DataFrame, columns: dict[str, str], lookup: pd.DataFrame,
                areas: set[str]) -> pd.DataFrame:
    """IoD rows on 2011 LSOAs (``frame``; ``columns`` from :func:`hubcore.ingest.imd.
    find_columns`) restated on the 2021 ``areas``: each takes the row of the most deprived
    (lowest rank) 2011 area the lookup overlaps it with. The result has the IoD File 7 names
    ``LSOA code (2021)``, ``LSOA name (2021)`` and ``Local Authority District code (2022)``
    (from the lookup) and the file's own rank, decile and IDACI columns."""
    rank = pd.to_numeric(frame[columns["rank"]], errors="coerce")
    values = frame.assign(_code=frame[columns["code"]].str.strip(), _rank=rank)
    values = values.dropna(subset=["_rank"])
    pairs = lookup[lookup["LSOA21CD"].isin(list(areas))]
    joined = pairs.merge(values, left_on="LSOA11CD", right_on="_code", how="inner")
    joined = joined.sort_values(["LSOA21CD", "_rank", "LSOA11CD"], kind="stable")
    best = joined.drop_duplicates("LSOA21CD").reset_index(drop=True)
    out = pd.DataFrame({"LSOA code (2021)": best["LSOA21CD"]})
    if "LSOA21NM" in best:
        out["LSOA name (2021)"] = best["LSOA21NM"]
    if "LAD22CD" in best:
        out["Local Authority District code (2022)"] = best["LAD22CD"]
    for role in ("rank", "decile", "idaci"):
        if role in columns:
            out[columns[role]] = best[columns[role]]
    return out
