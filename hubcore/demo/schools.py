"""Generated schools and colleges for the synthetic demo, of the kinds a real hub holds."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hubcore import geo
from hubcore.demo.geography import Geography
from hubcore.demo.names import place_names

#: One hub's mix of institutions (36): DOMAIN.md §3.1 hubs hold 20–40.
HUB_MIX = {
    "mainstream_11_16": 12,
    "mainstream_11_18": 11,
    "all_through": 1,
    "special": 5,
    "ap": 2,
    "utc": 1,
    "fe_college": 2,
    "sixth_form_college": 2,
}

# kind: (GIAS type codes to draw from, phase code, low age, high age, pupils low/high)
_PROFILE = {
    "mainstream_11_16": ((34, 28, 1, 5, 2), 4, 11, 16, (600, 1300)),
    "mainstream_11_18": ((34, 28, 1, 5, 35), 4, 11, 18, (900, 1800)),
    "all_through": ((34, 35), 7, 4, 18, (1300, 2400)),
    "special": ((7, 44, 33, 36), 0, 11, 19, (70, 260)),
    "ap": ((14, 42, 43, 38), 4, 11, 16, (25, 120)),
    "utc": ((40,), 4, 14, 19, (300, 700)),
    "fe_college": ((18,), 6, 16, 99, (2500, 8000)),
    "sixth_form_college": ((45,), 6, 16, 19, (1200, 2500)),
}
_NAME_STYLE = {
    "mainstream_11_16": ("Academy", "High School", "School", "Community College"),
    "mainstream_11_18": ("Academy", "High School", "Grammar School", "School and Sixth Form"),
    "all_through": ("All-Through School", "Academy"),
    "special": ("Special School", "Specialist Learning Centre", "School"),
    "ap": ("Pupil Referral Unit", "Alternative Provision Academy", "Learning Centre"),
    "utc": ("University Technical College",),
    "fe_college": ("College",),
    "sixth_form_college": ("Sixth Form College",),
}
_KIND_ORDER = list(HUB_MIX)


def _mix_for(rng: np.random.Generator, per_la: int) -> list[str]:
    """Kinds for one LA: the hub mix scaled to ``per_la`` institutions."""
    kinds = [k for k, n in HUB_MIX.items() for _ in range(n)]
    if per_la == len(kinds):
        return kinds
    return list(rng.choice(kinds, per_la, replace=per_la > len(kinds)))


def make_schools(
    rng: np.random.Generator, geography: Geography, per_la: int, first_urn: int = 900001
) -> pd.DataFrame:
    """Schools placed in the generated small areas, weighted towards each town.

    URNs start at ``first_urn`` (900001: far above any real URN); LA codes run from 990 down
    (DfE codes in the 990s are unused).
    """
    areas = geography.areas
    frames = []
    for i, la in enumerate(geography.las.itertuples()):
        la_areas = areas[areas["parent_code"] == la.code]
        kinds = _mix_for(rng, per_la)
        weight = la_areas["density"].to_numpy()
        pick = rng.choice(len(la_areas), len(kinds), replace=False, p=weight / weight.sum())
        chosen = la_areas.iloc[pick]
        # A point inside each chosen area: part-way from its representative point to a vertex.
        inner = shapely.get_coordinates(chosen.geometry.representative_point())
        frac = rng.uniform(0, 0.5, (len(kinds), 1))
        hull = [
            np.asarray(g.exterior.coords)[rng.integers(len(g.exterior.coords))]
            for g in chosen.geometry
        ]
        xy = inner + frac * (np.asarray(hull) - inner)
        frames.append(
            pd.DataFrame(
                {
                    "kind": kinds,
                    "easting": xy[:, 0].round(0),
                    "northing": xy[:, 1].round(0),
                    "lsoa_code": chosen["code"].to_numpy(),
                    "area_decile": chosen["imd_decile"].to_numpy(),
                    "la_gss": la.code,
                    "lad_gss": la.code,
                    "la_code": 990 - (i % 790),
                    "la_name": la.name,
                }
            )
        )
    schools = pd.concat(frames, ignore_index=True)
    schools["kind"] = pd.Categorical(schools["kind"], categories=_KIND_ORDER)
    schools = schools.sort_values(["la_gss", "kind"], kind="stable").reset_index(drop=True)
    schools["kind"] = schools["kind"].astype(str)
    n = len(schools)
    schools["urn"] = np.arange(first_urn, first_urn + n)
    schools["establishment_number"] = 4000 + np.arange(n) % 5000

    places = place_names(rng, n, unique=False)
    profiles = [_PROFILE[k] for k in schools["kind"]]
    schools["type_code"] = [int(rng.choice(p[0])) for p in profiles]
    schools["phase_code"] = [p[1] for p in profiles]
    schools["statutory_low_age"] = [p[2] for p in profiles]
    schools["statutory_high_age"] = [p[3] for p in profiles]
    schools["pupils"] = [int(rng.integers(*p[4])) for p in profiles]
    styles = [_NAME_STYLE[k] for k in schools["kind"]]
    schools["name"] = [
        f"{place} {style[rng.integers(len(style))]}"
        for place, style in zip(places, styles, strict=True)
    ]
    # Free-school-meal share follows the deprivation of the school's area (percent).
    fsm = 42 - 3.4 * schools["area_decile"] + rng.normal(0, 4, n)
    fsm = np.where(schools["kind"].isin(["special", "ap"]), fsm + 12, fsm)
    schools["percentage_fsm"] = np.clip(fsm, 2, 75).round(1)
    schools["is_special"] = schools["kind"] == "special"
    schools["is_ap"] = schools["kind"] == "ap"
    schools["has_careers_leader"] = rng.random(n) < 0.93
    schools["has_employer_link_governor"] = rng.random(n) < 0.55
    schools["status"] = "Open"
    schools["lsoa_vintage"] = 2021
    schools["postcode"] = [f"ZZ{rng.integers(1, 99)} {rng.integers(1, 9)}XX" for _ in range(n)]
    lon, lat = geo.bng_to_lonlat(schools["easting"], schools["northing"])
    schools["lon"], schools["lat"] = lon.round(6), lat.round(6)
    return schools


def schools_from_real(real: pd.DataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Prepare real schools (rows shaped like the ``school`` table, e.g. from a GIAS import) for
    the demo generator: attach each school's small-area deprivation decile (decile 5 where the
    area is unknown)."""
    schools = real.copy().reset_index(drop=True)
    # GIAS leaves some pupil counts blank (colleges, new schools): use the middle of the usual
    # range for the kind, so the demo can still size year groups and cohorts.
    typical = {kind: (low + high) // 2 for kind, (*_, (low, high)) in _PROFILE.items()}
    schools["pupils"] = schools["pupils"].fillna(schools["kind"].map(typical)).astype(int)
    deciles = areas.set_index("code")["imd_decile"] if "imd_decile" in areas else pd.Series()
    schools["area_decile"] = schools["lsoa_code"].map(deciles).fillna(5).astype(int)
    if "la_name" not in schools:
        schools["la_name"] = schools["la_gss"]
    return schools
