"""The synthetic demo hub: a fictional area, clearly labelled synthetic, generated from a seed.

``build(engine, size="hub")`` writes one Careers Hub of 36 schools and colleges over one
generated LA of 180 small areas; ``"region"`` writes nine LAs (about 300 schools) and
``"england"`` 150 LAs (4,500 schools, 33,000 small areas, about two million encounters) for
performance work. The same seed and size always give the same database.

The pupil records hold open cases in every state a worklist shows (:mod:`hubcore.demo.pupils`),
held by user names of the LA's NCS advisers and tracking officers
(:func:`hubcore.demo.pupils.case_holders`), with a short history of suite edits. The demo
writes no users file: sign-in stays off on loopback, and ``hubcore users add`` with one of
those names (role ``ncs_adviser`` or ``la_tracking``, area = the LA's code) shows that
person's worklist.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, bindparam, func, select, text, update
from tqdm.auto import tqdm

from hubcore import data_version, rollups
from hubcore.demo import careers, pupils
from hubcore.demo.geography import Geography, make_geography
from hubcore.demo.names import place_names
from hubcore.demo.schools import make_schools, schools_from_real
from hubcore.errors import HubcoreError
from hubcore.ingest.upsert import bulk_insert
from hubcore.models import (
    ENCOUNTER_KEY,
    Area,
    BenchmarkAssessment,
    BenchmarkScore,
    CaseEvent,
    DestinationRecord,
    Employer,
    EmployerLink,
    EmployerOffer,
    Encounter,
    Handover,
    Hub,
    HubMembership,
    Leaver,
    School,
)

DEFAULT_SEED = 2026
AS_OF = pupils.AS_OF


@dataclass(frozen=True)
class DemoSize:
    """How big a synthetic build is."""

    las: int
    schools_per_la: int
    areas_per_la: int
    employers_per_la: int
    encounter_intensity: float = 1.0


SIZES: dict[str, DemoSize] = {
    "hub": DemoSize(1, 36, 180, 150),
    "region": DemoSize(9, 33, 200, 150),
    "england": DemoSize(150, 30, 220, 150),
}


def _reset_sequences(conn, models) -> None:
    # Explicit ids leave PostgreSQL's sequences behind; later inserts would collide.
    if conn.dialect.name != "postgresql":
        return
    for model in models:
        table = model.__table__.name
        id_column = model.__table__.c.get("id")
        # Only integer keys have a sequence (hub ids are text).
        if id_column is not None and id_column.type.python_type is int:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
            )


def _real_geography(areas: gpd.GeoDataFrame, schools: pd.DataFrame) -> Geography:
    """Geography from real boundaries: LAs are the union of their small areas."""
    areas = areas.to_crs(27700).copy()
    if "imd_decile" not in areas or areas["imd_decile"].isna().all():
        areas["imd_decile"] = 5
    areas["imd_decile"] = areas["imd_decile"].fillna(5).astype(int)
    if "parent_code" not in areas or areas["parent_code"].isna().all():
        areas["parent_code"] = schools["la_gss"].mode().iat[0]
    areas["density"] = 1.0
    las = areas.dissolve("parent_code").reset_index()[["parent_code", "geometry"]]
    las = las.rename(columns={"parent_code": "code"})
    names = schools.drop_duplicates("la_gss").set_index("la_gss")["la_name"]
    las["name"] = las["code"].map(names).fillna(las["code"])
    return Geography(las=las, areas=areas)


def build(
    engine: Engine,
    size: str = "hub",
    seed: int = DEFAULT_SEED,
    schools: pd.DataFrame | None = None,
    areas: gpd.GeoDataFrame | None = None,
    progress: bool = True,
) -> dict[str, int]:
    """Generate the synthetic demo and write it to ``engine`` (schema already current, no hubs
    yet). Returns the number of rows written per table.

    ``schools`` and ``areas``: real schools (rows shaped like the ``school`` table) and real
    small-area boundaries (EPSG:27700 or any CRS; columns code, name, parent_code, imd_decile)
    over which the synthetic careers records are laid instead of the generated ones.
    """
    if size not in SIZES:
        raise HubcoreError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(Hub.__table__)).scalar():
            raise HubcoreError(
                "the database already holds hubs; the demo is built only into an empty "
                "database (use `hubcore demo --rebuild` for the embedded demo)"
            )
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    steps = tqdm(total=9, desc="Building demo", unit="step", disable=not progress, leave=False)

    if (schools is None) != (areas is None):
        raise HubcoreError("give both real schools and real boundaries, or neither")
    if schools is None:
        la_names = ["Eastmere"] + place_names(rng, spec.las - 1) if spec.las > 1 else ["Eastmere"]
        geography = make_geography(rng, spec.las, spec.areas_per_la, la_names)
        steps.update()
        school_frame = make_schools(rng, geography, spec.schools_per_la)
    else:
        geography = _real_geography(areas, schools)
        steps.update()
        school_frame = schools_from_real(schools, geography.areas)
    hub_size = size == "hub"
    hubs, members = careers.make_hubs(
        rng, school_frame, geography.las, hub_size or schools is not None
    )
    school_frame["hub_member"] = school_frame["urn"].isin(members["urn"])
    quality = careers.school_quality(rng, school_frame)
    steps.update()
    assessments, scores = careers.make_assessments(rng, school_frame, quality)
    steps.update()
    employers = careers.make_employers(rng, geography.areas, spec.employers_per_la)
    near = careers.nearest_employers(school_frame, employers, k=12)
    links = careers.make_links(rng, school_frame, employers, near)
    offers = careers.make_offers(rng, employers)
    steps.update()
    encounters = careers.make_encounters(
        rng, school_frame, quality, employers, near, spec.encounter_intensity
    )
    # One row per natural key, as the schema requires (migration 0004): the generator can draw
    # the same school, day, kind, year group and partner twice.
    repeated = encounters.duplicated([c for c in ENCOUNTER_KEY if c in encounters.columns])
    encounters = _renumber(encounters.loc[~repeated.to_numpy()]) if repeated.any() else encounters
    steps.update()
    leavers = pupils.make_leavers(rng, school_frame, quality, geography.areas)
    destinations = pupils.make_destinations(rng, leavers, school_frame)
    steps.update()
    handovers = pupils.make_handovers(rng, leavers, destinations, school_frame, quality)
    # Records the autumn check has not made yet are known to the school, not stored.
    destinations = destinations[destinations["made"].to_numpy()]
    leavers = leavers.assign(roni_score=_roni(leavers))
    # Insert in key order: B-tree inserts and foreign-key lookups on random keys are far slower.
    leavers = leavers.sort_values("key", kind="stable")
    destinations = _renumber(destinations.sort_values(["leaver_key", "recorded_on", "kind"]))
    handovers = _renumber(handovers.sort_values("leaver_key", kind="stable"))
    handovers, case_events = pupils.make_case_events(rng, handovers)
    steps.update()

    area_rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "code": geography.las["code"],
                    "kind": "lad",
                    "name": geography.las["name"],
                    "geometry": shapely.to_wkb(geography.las.geometry.to_numpy()),
                }
            ),
            pd.DataFrame(
                {
                    "code": geography.areas["code"],
                    "kind": "lsoa",
                    "name": geography.areas["name"],
                    "parent_code": geography.areas["parent_code"],
                    "vintage": 2021,
                    "imd_rank": geography.areas.get("imd_rank"),
                    "imd_decile": geography.areas["imd_decile"],
                    "idaci_decile": geography.areas.get("idaci_decile"),
                    "imd_vintage": 2025,
                    "population": geography.areas.get("population"),
                    "geometry": shapely.to_wkb(geography.areas.geometry.to_numpy()),
                }
            ),
        ],
        ignore_index=True,
    )
    plan = [
        (Hub, hubs),
        (Area, area_rows if schools is None else area_rows.iloc[0:0]),
        (School, school_frame if schools is None else school_frame.iloc[0:0]),
        (HubMembership, members),
        (BenchmarkAssessment, assessments),
        (BenchmarkScore, scores),
        (Employer, employers),
        (EmployerLink, links),
        (EmployerOffer, offers),
        (Encounter, encounters),
        (Leaver, leavers),
        (DestinationRecord, destinations),
        (Handover, handovers),
    ]
    if schools is not None:
        plan[1] = (Area, _missing_areas(engine, area_rows))
        plan[2] = (School, _missing_schools(engine, school_frame))
    # Times of suite edits go through SQLAlchemy's UTC datetime type (a few hundred rows):
    # the bulk writer binds dates and plain values only.
    stamped = {"edited_at"}
    written: dict[str, int] = {}
    with engine.begin() as conn:
        data_version.bump(conn)  # page caches of a served hub read the new data
        for model, frame in plan:
            table = model.__table__
            columns = [c.name for c in table.columns
                       if c.name in frame.columns and c.name not in stamped]  # fmt: skip
            written[table.name] = bulk_insert(
                conn, table, frame[columns], progress=progress, desc=f"writing {table.name}"
            )
        _write_case_history(conn, handovers, case_events)
        written[CaseEvent.__tablename__] = len(case_events)
        _reset_sequences(conn, [*(m for m, _ in plan), CaseEvent])
        rollups.refresh(conn)  # the summary tables England-wide reads use
    steps.update()
    steps.close()
    return written


def _write_case_history(conn, handovers: pd.DataFrame, events: pd.DataFrame) -> None:
    """The demo's suite edits: who last changed each edited hand-over and when, and the
    ``case_event`` history (:func:`hubcore.demo.pupils.make_case_events`)."""
    edited = handovers[handovers["edited_at"].notna()]
    if len(edited):
        table = Handover.__table__
        conn.execute(
            update(table).where(table.c.id == bindparam("_id")).values(
                edited_at=bindparam("_at")),
            [{"_id": int(i), "_at": at} for i, at in zip(edited["id"], edited["edited_at"],
                                                          strict=True)],
        )  # fmt: skip
    if len(events):
        records = events.astype(object).where(events.notna(), None).to_dict("records")
        conn.execute(CaseEvent.__table__.insert(), records)


def _renumber(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(id=np.arange(1, len(frame) + 1))


def _missing_areas(engine: Engine, area_rows: pd.DataFrame) -> pd.DataFrame:
    """Real boundaries not yet in the database (they may have been imported already)."""
    with engine.connect() as conn:
        have = set(conn.execute(select(Area.__table__.c.code)).scalars())
    return area_rows[~area_rows["code"].isin(have)]


def _missing_schools(engine: Engine, schools: pd.DataFrame) -> pd.DataFrame:
    with engine.connect() as conn:
        have = set(conn.execute(select(School.__table__.c.urn)).scalars())
    return schools[~schools["urn"].isin(have)]


def _roni(leavers: pd.DataFrame) -> pd.Series:
    """RONI scores as a school would record them, with the default weights of
    :func:`hubcore.metrics.roni_scores`."""
    from hubcore.metrics import roni_scores

    return roni_scores(leavers)
