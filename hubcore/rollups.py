"""Summary tables ("rollups") kept beside the records they count.

England holds millions of encounter, leaver and destination rows and hundreds of thousands of
benchmark scores; grouping them at read time takes seconds to minutes. Each rollup here is one
``GROUP BY`` over a record table by school (URN) and the keys its metrics need, so every
:mod:`hubcore.store` scope (a school, a hub, an LA, all of England) still filters it by URN.
Nothing here is personal data: rollups hold counts, never pupil keys.

Each school's rows of a rollup are stored packed, as one Arrow record batch in :data:`PACKS`:
England's few hundred thousand rollup rows read as SQL rows cost seconds of Python objects, while
4,500 packed columns unpack in a fraction of that, on SQLite and PostgreSQL alike. Packs are
derived data: imports refresh those of the schools they touched inside their own transaction
(:func:`after_import`), the demo builder and the retention job refresh them too, migration 0002
fills them for existing databases, and ``hubcore db refresh-rollups`` rebuilds them all. A change
to a rollup's definition needs a migration that calls :func:`refresh`. Tests compare every
rollup with a fresh ``GROUP BY`` of the records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    String,
    Table,
    case,
    extract,
    func,
    select,
)
from sqlalchemy.sql import ColumnElement, Select

from hubcore import frames
from hubcore.errors import HubcoreError
from hubcore.models import (
    BenchmarkAssessment,
    BenchmarkScore,
    DestinationRecord,
    Encounter,
    Handover,
    Leaver,
    metadata,
)

T_ASSESS = BenchmarkAssessment.__table__
T_SCORE = BenchmarkScore.__table__
T_ENC = Encounter.__table__
T_LEAVER = Leaver.__table__
T_DEST = DestinationRecord.__table__
T_HANDOVER = Handover.__table__

#: URNs per refresh query when refreshing some schools (well under every driver's limit).
URN_CHUNK = 500

#: One row per rollup and school: that school's rows of the rollup as an Arrow record batch
#: (IPC message, schema left out: it is the rollup's, below).
PACKS = Table(
    "rollup_pack",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("urn", Integer, primary_key=True),
    Column("rows", Integer, nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

_INT, _STR, _BOOL, _DATE = pa.int64(), pa.string(), pa.bool_(), pa.timestamp("s")

#: RONI inputs with identical values collapse to one row: the score is a function of these
#: columns only, so scoring a profile once and weighting by ``leavers`` gives every band count.
PROFILE_FLAGS = (
    "fsm", "eal", "looked_after", "yot", "young_carer", "parent_or_pregnant",
    "alternative_provision", "ever_excluded",
)  # fmt: skip
#: Attendance is kept to the thresholds the RONI indicators test (percent): each leaver's
#: attendance becomes the highest value of its band, so ≤ 85 and ≤ 90 tests give the same answer.
ATTENDANCE_BANDS = (85.0, 90.0, 100.0)


def years_after_leaving() -> ColumnElement:
    """Academic years between leaving and a destination record: the autumn of the leaving year
    is 1, each later academic year adds one."""
    recorded = T_DEST.c.recorded_on
    return (
        extract("year", recorded)
        - T_LEAVER.c.cohort
        + case((extract("month", recorded) >= 9, 1), else_=0)
    )


def _encounters(where: ColumnElement | None) -> Select:
    month = case((T_ENC.c.provider_access, extract("month", T_ENC.c.date)), else_=0)
    keys = [
        T_ENC.c.urn, T_ENC.c.academic_year, T_ENC.c.benchmark, T_ENC.c.kind,
        T_ENC.c.year_from, T_ENC.c.year_to, T_ENC.c.provider_access, month,
    ]  # fmt: skip
    query = select(*keys, func.count(), func.sum(T_ENC.c.participants)).group_by(*keys)
    return query if where is None else query.where(where)


def _destinations(where: ColumnElement | None, by_area: bool) -> Select:
    after = years_after_leaving()
    if by_area:
        keys = [T_LEAVER.c.urn, after, T_LEAVER.c.home_lsoa]
    else:
        keys = [T_LEAVER.c.urn, T_LEAVER.c.cohort, T_LEAVER.c.year_group, after]
    query = (
        select(*keys, T_DEST.c.category, func.count())
        .join(T_DEST, T_DEST.c.leaver_key == T_LEAVER.c.key)
        .where(T_DEST.c.kind == "actual")
        .group_by(*keys, T_DEST.c.category)
    )
    return query if where is None else query.where(where)


#: NEET measurement points kept as a rollup: (years after leaving, month). A point is the end
#: of that month in the ``years_after``-th academic year after leaving (September–December of
#: the calendar year ``cohort + years_after − 1``, January–February of the next). December,
#: January and February give DfE's average (DOMAIN.md §4.2); October to January of the first
#: year give the month-end snapshots used before February has ended.
NEET_POINTS: tuple[tuple[int, int], ...] = (
    *[(1, m) for m in (10, 11, 12, 1, 2)],
    *[(y, m) for y in (2, 3) for m in (12, 1, 2)],
)
#: Names of the points' months.
POINT_NAMES: dict[int, str] = {10: "oct", 11: "nov", 12: "dec", 1: "jan", 2: "feb"}


def _neet_points(where: ColumnElement | None, by_area: bool = False) -> Select:
    """Every leaver once per measurement point, by the category of the latest actual record on
    or before it ("no_record" when there is none), counted by school, cohort, year group,
    years after leaving and point. With ``by_area``: by school, the leaver's home small area
    (``home_lsoa``), cohort and point instead, for the first year after leaving only (the
    small-area NEET map's points).

    "On or before the end of month m of year Y" is ``year × 100 + month ≤ Y × 100 + m``:
    whole months, the same integer test on SQLite and PostgreSQL, no date arithmetic in SQL.
    The record current at a point is the one dated by then whose successor (the leaver's next
    actual record) is not: one window function over the records, then at most one record per
    leaver and point."""
    from sqlalchemy import and_, literal, or_, true, union_all

    chosen = [(y, m) for y, m in NEET_POINTS if y == 1 or not by_area]
    points = union_all(
        *[select(literal(y).label("ya"), literal(m).label("m")) for y, m in chosen]
    ).subquery("points")
    d = T_DEST.c
    month_of = extract("year", d.recorded_on) * 100 + extract("month", d.recorded_on)
    # one record per leaver, date and kind (uq_destination_key): the order has no ties
    following = func.lead(month_of).over(partition_by=d.leaver_key, order_by=d.recorded_on)
    records = select(
        d.leaver_key, d.category, month_of.label("ym"), following.label("next_ym")
    ).where(d.kind == "actual")
    if where is not None:  # refreshing some schools: only their leavers' records
        records = records.where(d.leaver_key.in_(select(T_LEAVER.c.key).where(where)))
    records = records.subquery("records")
    # end of month m: year × 100 + month ≤ (year of the point) × 100 + m
    autumn = case((points.c.m >= 9, 1), else_=0)
    limit = (T_LEAVER.c.cohort + points.c.ya - autumn) * 100 + points.c.m
    current = and_(
        records.c.leaver_key == T_LEAVER.c.key,
        records.c.ym <= limit,
        or_(records.c.next_ym.is_(None), records.c.next_ym > limit),
    )
    category = func.coalesce(records.c.category, "no_record")
    point = case(*[(points.c.m == m, name) for m, name in POINT_NAMES.items()])
    if by_area:
        keys = [T_LEAVER.c.urn, T_LEAVER.c.home_lsoa, T_LEAVER.c.cohort, point, category]
    else:
        keys = [T_LEAVER.c.urn, T_LEAVER.c.cohort, T_LEAVER.c.year_group, points.c.ya, point,
                category]  # fmt: skip
    query = (
        select(*keys, func.count())
        .select_from(T_LEAVER.join(points, true()).outerjoin(records, current))
        .group_by(*keys)
    )
    return query if where is None else query.where(where)


def _sustained(where: ColumnElement | None) -> Select:
    """Leavers by school, cohort, year group and the destination they sustained over the first
    two terms after leaving, 1 October to 31 March (DOMAIN.md §4.5), from the actual records
    current in that window: the latest dated on or before 1 October of the leaving year (if
    any) and every one dated after it up to 31 March. Outcomes as
    :func:`hubcore.store.sustained_counts` describes them. Whole-month and day tests in SQL
    (``year × 100 + month``, day of month), the same on SQLite and PostgreSQL."""
    from sqlalchemy import and_, false, or_

    d, lv = T_DEST.c, T_LEAVER.c
    month_of = extract("year", d.recorded_on) * 100 + extract("month", d.recorded_on)
    october = lv.cohort * 100 + 10
    # on or before 1 October of the leaving year
    before = or_(month_of < october, and_(month_of == october,
                                          extract("day", d.recorded_on) == 1))  # fmt: skip
    ranked = (
        select(
            d.leaver_key,
            d.category,
            before.label("before"),
            func.row_number()
            .over(partition_by=[d.leaver_key, before], order_by=d.recorded_on.desc())
            .label("rn"),
        )
        .join(T_LEAVER, lv.key == d.leaver_key)
        .where(d.kind == "actual", month_of <= (lv.cohort + 1) * 100 + 3)
    )
    if where is not None:
        ranked = ranked.where(where)
    r = ranked.subquery("ranked")

    def has(*cats: str) -> ColumnElement:
        return func.max(case((r.c.category.in_(cats), 1), else_=0))

    others = case((r.c.category.in_(["education", "apprenticeship", "employment"]), 0), else_=1)
    per_leaver = (
        select(r.c.leaver_key, has("education").label("edu"),
               has("apprenticeship").label("app"), has("employment").label("emp"),
               func.max(others).label("other"))
        .where(or_(r.c.before == false(), r.c.rn == 1))
        .group_by(r.c.leaver_key)
        .subquery("per_leaver")
    )  # fmt: skip
    p = per_leaver.c
    outcome = case(
        (p.leaver_key.is_(None), "unknown"),
        (p.other == 1, "not_sustained"),
        (and_(p.emp == 1, or_(p.edu == 1, p.app == 1)), "employment_mix"),
        (p.emp == 1, "employment"),
        (and_(p.edu == 1, p.app == 1), "education_apprenticeship"),
        (p.edu == 1, "education"),
        else_="apprenticeship",
    )
    keys = [lv.urn, lv.cohort, lv.year_group, outcome]
    query = (
        select(*keys, func.count())
        .select_from(T_LEAVER.outerjoin(per_leaver, p.leaver_key == lv.key))
        .group_by(*keys)
    )
    return query if where is None else query.where(where)


def _handovers(where: ColumnElement | None, to_ncs: bool) -> Select:
    h = T_HANDOVER.c
    contacted = case((h.contacted_on.is_not(None), True), else_=False)
    # The receiving organisation stays a key: NCS and LA-tracking hand-overs are reported apart.
    keys = [h.from_urn, T_LEAVER.c.cohort, T_LEAVER.c.year_group, h.to_org_type, h.status,
            h.left_on, h.referred_on, contacted]  # fmt: skip
    if to_ncs:  # NCS advisers read the hand-overs to their area, from any school
        keys.insert(1, h.ncs_area)
    query = (
        select(*keys, func.count())
        .join(T_LEAVER, T_LEAVER.c.key == h.leaver_key)
        .group_by(*keys)
    )
    if to_ncs:
        query = query.where(h.to_org_type == "ncs")
    return query if where is None else query.where(where)


def _profiles(where: ColumnElement | None) -> Select:
    att = T_LEAVER.c.attendance_pct
    low, mid, high = ATTENDANCE_BANDS
    banded = case((att.is_(None), None), (att <= low, low), (att <= mid, mid), else_=high)
    keys = [T_LEAVER.c.urn, T_LEAVER.c.cohort, T_LEAVER.c.year_group, T_LEAVER.c.sen,
            *[T_LEAVER.c[f] for f in PROFILE_FLAGS], banded]  # fmt: skip
    query = select(*keys, func.count()).group_by(*keys)
    return query if where is None else query.where(where)


def _assessments(where: ColumnElement | None) -> Select:
    a, score = T_ASSESS.c, T_SCORE.c
    pivots = [func.max(case((score.benchmark == b, score.percent))) for b in range(1, 9)]
    achieved = func.sum(case((score.percent >= 100, 1), else_=0))
    query = (
        select(a.urn, a.assessed_on, a.id, a.academic_year, a.snapshot, a.evaluation_type,
               a.framework, *pivots, achieved)  # fmt: skip
        .join(T_SCORE, score.assessment_id == a.id)
        .group_by(a.id)
    )
    return query if where is None else query.where(where)


@dataclass(frozen=True)
class Rollup:
    """A rollup: its columns with their Arrow types (fixed, so every school's pack
    concatenates), the query that computes it and the URN column that query filters on."""

    schema: pa.Schema
    query: Callable[[ColumnElement | None], Select]
    urn_column: ColumnElement

    def columns(self) -> list[str]:
        return list(self.schema.names)


def _schema(**types: pa.DataType) -> pa.Schema:
    return pa.schema([("urn", _INT), *types.items()])


ROLLUPS: dict[str, Rollup] = {
    # Compass assessments pivoted to one row each: bm1–bm8 (percent) and benchmarks achieved.
    "assessments": Rollup(
        _schema(
            assessed_on=_DATE, assessment_id=_INT, academic_year=_STR, snapshot=_STR,
            evaluation_type=_STR, framework=_STR,
            **{f"bm{b}": pa.float64() for b in range(1, 9)}, achieved=_INT,
        ),
        _assessments,
        T_ASSESS.c.urn,
    ),
    "encounters": Rollup(
        _schema(
            academic_year=_STR, benchmark=_INT, kind=_STR, year_from=_INT, year_to=_INT,
            provider_access=_BOOL,
            # Calendar month (1–12) of provider-access encounters, whose legal window is by
            # month; 0 for the rest, which no measure needs by month (a third the rows).
            month=_INT, encounters=_INT, participants=_INT,
        ),
        _encounters,
        T_ENC.c.urn,
    ),
    "destinations": Rollup(
        _schema(cohort=_INT, year_group=_INT, years_after=_INT, category=_STR, leavers=_INT),
        lambda where: _destinations(where, by_area=False),
        T_LEAVER.c.urn,
    ),
    # By home area, cohorts and year groups together: per school and area the cells are
    # small and many, and the area maps need neither split.
    "destinations_by_area": Rollup(
        _schema(years_after=_INT, home_lsoa=_STR, category=_STR, leavers=_INT),
        lambda where: _destinations(where, by_area=True),
        T_LEAVER.c.urn,
    ),
    "handovers": Rollup(
        _schema(
            cohort=_INT, year_group=_INT, to_org_type=_STR, status=_STR, left_on=_DATE,
            referred_on=_DATE, contacted=_BOOL, handovers=_INT,
        ),
        lambda where: _handovers(where, to_ncs=False),
        T_HANDOVER.c.from_urn,
    ),
    "ncs_handovers": Rollup(
        _schema(
            ncs_area=_STR, cohort=_INT, year_group=_INT, to_org_type=_STR, status=_STR,
            left_on=_DATE, referred_on=_DATE, contacted=_BOOL, handovers=_INT,
        ),
        lambda where: _handovers(where, to_ncs=True),
        T_HANDOVER.c.from_urn,
    ),
    # Per young person at DfE's measurement points (hubcore.store.neet_status_counts); the
    # "dec" points are also the destination mix's (hubcore.store.destination_status_counts).
    "neet_points": Rollup(
        _schema(cohort=_INT, year_group=_INT, years_after=_INT, point=_STR, category=_STR,
                leavers=_INT),
        _neet_points,
        T_LEAVER.c.urn,
    ),
    # The same by home small area, first year after leaving, cohorts kept (their points differ
    # by the report date) and year groups together: the small-area NEET map
    # (hubcore.store.neet_status_by_area).
    "neet_points_by_area": Rollup(
        _schema(home_lsoa=_STR, cohort=_INT, point=_STR, category=_STR, leavers=_INT),
        lambda where: _neet_points(where, by_area=True),
        T_LEAVER.c.urn,
    ),
    # Sustained destinations over the first two terms (hubcore.store.sustained_counts).
    "sustained": Rollup(
        _schema(cohort=_INT, year_group=_INT, outcome=_STR, leavers=_INT),
        _sustained,
        T_LEAVER.c.urn,
    ),
    "leaver_profiles": Rollup(
        _schema(
            cohort=_INT, year_group=_INT, sen=_STR, **dict.fromkeys(PROFILE_FLAGS, _BOOL),
            attendance_pct=pa.float64(), leavers=_INT,
        ),
        _profiles,
        T_LEAVER.c.urn,
    ),
}

#: Which rollups count each record table.
DEPENDS: dict[str, tuple[str, ...]] = {
    "benchmark_assessment": ("assessments",),
    "benchmark_score": ("assessments",),
    "encounter": ("encounters",),
    "leaver": ("destinations", "destinations_by_area", "handovers", "ncs_handovers",
               "leaver_profiles", "neet_points", "neet_points_by_area", "sustained"),
    "destination_record": ("destinations", "destinations_by_area", "neet_points",
                           "neet_points_by_area", "sustained"),
    "handover": ("handovers", "ncs_handovers"),
}


def _typed(frame: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """``frame`` with the dtypes of ``schema`` (drivers return dates as text or dates, and
    booleans as 0/1 or bools)."""
    out = {}
    for field in schema:
        values = frame[field.name]
        if field.type == _DATE:
            out[field.name] = pd.to_datetime(values).astype("datetime64[s]")
        elif field.type == _BOOL:
            out[field.name] = values.astype(bool)
        elif field.type == _INT:
            out[field.name] = values.astype("int64")
        elif field.type == _STR:
            # Arrow-backed text: packing it is a copy of buffers, not a string per value.
            out[field.name] = values.astype(pd.StringDtype("pyarrow"))
        else:
            out[field.name] = values.astype("float64")
    return pd.DataFrame(out, index=frame.index)


def compute(engine_or_conn: Engine | Connection, name: str,
            where: ColumnElement | None = None) -> pd.DataFrame:  # fmt: skip
    """Rollup ``name`` computed from the records (optionally for ``where`` only), typed."""
    rollup = ROLLUPS[name]
    raw = frames.read(engine_or_conn, rollup.query(where))
    raw.columns = rollup.columns()
    return _typed(raw, rollup.schema)


def unpack(payloads: Iterable[bytes], name: str) -> pd.DataFrame:
    """The rows of rollup ``name`` from packed ``payloads``, as one DataFrame."""
    schema = ROLLUPS[name].schema
    try:
        batches = [pa.ipc.read_record_batch(pa.py_buffer(p), schema) for p in payloads]
        table = pa.Table.from_batches(batches, schema).combine_chunks()
    except (pa.ArrowException, ValueError) as exc:
        # Packs written by another version of hubcore, or damaged: they are derived data.
        raise HubcoreError(
            f"the stored summary of {name} cannot be read ({exc}); rebuild the summary tables "
            "with `hubcore db refresh-rollups --db ...`"
        ) from None
    return table.to_pandas(date_as_object=False)


def read(engine: Engine, name: str, where: ColumnElement | None = None) -> pd.DataFrame:
    """Rollup ``name`` for the schools matching ``where`` (a condition on ``PACKS.c.urn``),
    sorted by all its columns in order."""
    query = select(PACKS.c.payload).where(PACKS.c.name == name)
    if where is not None:
        query = query.where(where)
    with engine.connect() as conn:
        payloads = conn.execute(query.order_by(PACKS.c.urn)).scalars().all()
    return unpack(payloads, name)


def _write_packs(conn: Connection, name: str, frame: pd.DataFrame, presorted: bool = False
                 ) -> None:
    """Store ``frame`` (rows of rollup ``name``) as one pack per school; ``presorted``: the
    rows are already sorted by every column (:func:`_summed`), so the sort is skipped."""
    schema = ROLLUPS[name].schema
    if frame.empty:
        return
    # Sorted by every column: packs read in URN order then need no sort.
    if not presorted:
        frame = frame.sort_values(schema.names, ignore_index=True)
    # Converted to Arrow once, then cut into one record batch per school (zero-copy slices);
    # each is stored as an IPC message without its schema (the schema is the rollup's).
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False).combine_chunks()
    urns = frame["urn"].to_numpy()
    starts = np.flatnonzero(np.r_[True, urns[1:] != urns[:-1]])
    ends = np.r_[starts[1:], len(urns)]
    rows = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        (batch,) = table.slice(start, end - start).to_batches()
        payload = batch.serialize().to_pybytes()
        rows.append({"name": name, "urn": int(urns[start]), "rows": end - start,
                     "payload": payload})  # fmt: skip
    previous = _lz4_toast(conn)
    for start in range(0, len(rows), 1000):
        conn.execute(PACKS.insert(), rows[start : start + 1000])
    if previous is not None:
        conn.exec_driver_sql(
            "SELECT set_config('default_toast_compression', %(v)s, true)", {"v": previous})


def _lz4_toast(conn: Connection) -> str | None:
    """On a PostgreSQL server built with LZ4, compress the packs about to be stored with it
    for this transaction; returns the setting to put back (``None``: nothing changed).

    Why: packs are tens of MB after a big import (a million encounters give about 67 MB),
    and PostgreSQL compresses each stored value; with its default ``pglz`` that took 4–6 s of
    server time for those 67 MB, with ``lz4`` 0.4 s (values about a quarter bigger, read back
    as fast). Only the values written now are affected: each stored value records its own
    method, so older packs stay readable, and no schema change is needed."""
    if conn.dialect.name != "postgresql":
        return None
    row = conn.exec_driver_sql(
        "SELECT setting FROM pg_settings WHERE name = 'default_toast_compression' "
        "AND 'lz4' = ANY(enumvals)").first()  # absent before PostgreSQL 14 or without LZ4
    if row is None or row[0] == "lz4":
        return None
    conn.exec_driver_sql("SELECT set_config('default_toast_compression', 'lz4', true)")
    return row[0]


def fresh(conn: Connection, name: str) -> pd.DataFrame:
    """Rollup ``name`` computed afresh from the records (for tests and checks), sorted."""
    rollup = ROLLUPS[name]
    table = pa.Table.from_pandas(compute(conn, name), schema=rollup.schema, preserve_index=False)
    frame = table.to_pandas(date_as_object=False)  # the dtypes :func:`unpack` gives
    return frame.sort_values(rollup.columns()).reset_index(drop=True)


def stored(conn: Connection, name: str) -> pd.DataFrame:
    """Rollup ``name`` as stored in its packs, sorted like :func:`fresh`."""
    payloads = conn.execute(select(PACKS.c.payload).where(PACKS.c.name == name)).scalars()
    frame = unpack(payloads.all(), name)
    return frame.sort_values(ROLLUPS[name].columns()).reset_index(drop=True)


def refresh(
    conn: Connection, urns: Iterable[int] | None = None, names: Iterable[str] | None = None
) -> None:
    """Recompute rollups ``names`` (default all) for schools ``urns`` (default every school),
    inside the caller's transaction."""
    chosen = list(ROLLUPS) if names is None else list(dict.fromkeys(names))
    for name in chosen:
        rollup = ROLLUPS[name]
        if urns is None:
            conn.execute(PACKS.delete().where(PACKS.c.name == name))
            column = rollup.urn_column
            every = conn.execute(select(column).where(column.is_not(None)).distinct())
            every = sorted(int(u) for u in every.scalars())
            if len(every) <= URN_CHUNK:
                _write_packs(conn, name, compute(conn, name))
                continue
            # England-sized: one GROUP BY over millions of leaver x point rows spills its sort
            # to disk and grows faster than the rows (over 20 min for one rollup); 500 schools
            # at a time keep each sort small, so the whole refresh grows with the rows.
            for start in range(0, len(every), URN_CHUNK):
                batch = every[start : start + URN_CHUNK]
                _write_packs(conn, name, compute(conn, name, column.in_(batch)))
            continue
        wanted = sorted({int(u) for u in urns})
        for start in range(0, len(wanted), URN_CHUNK):
            batch = wanted[start : start + URN_CHUNK]
            conn.execute(PACKS.delete().where(PACKS.c.name == name, PACKS.c.urn.in_(batch)))
            _write_packs(conn, name, compute(conn, name, rollup.urn_column.in_(batch)))


def refresh_for_tables(
    conn: Connection, tables: Iterable[str], urns: Iterable[int] | None = None
) -> None:
    """Recompute every rollup that counts any of the record ``tables`` (names such as
    ``"encounter"``), for schools ``urns`` (default every school)."""
    names = [n for t in tables for n in DEPENDS.get(t, ())]
    if names:
        refresh(conn, urns, names)


def leaver_urns(conn: Connection, keys: Iterable[str]) -> set[int]:
    """Schools of the leavers with pseudonymous ``keys``."""
    keys = list(dict.fromkeys(keys))
    found: set[int] = set()
    for start in range(0, len(keys), 10_000):
        chunk = keys[start : start + 10_000]
        found.update(
            conn.execute(select(T_LEAVER.c.urn).where(T_LEAVER.c.key.in_(chunk)).distinct())
            .scalars()
            .all()
        )
    return found


def _encounter_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """The ``encounters`` rollup of encounter rows held in memory (columns of the
    ``encounter`` table), grouped as :func:`_encounters` groups them in SQL, sorted by every
    column (as :func:`_write_packs` stores packs)."""
    flag = rows["provider_access"] if "provider_access" in rows else pd.Series(False, rows.index)
    flag = flag.fillna(False).astype(bool).to_numpy()
    # A million dates hold a few thousand distinct days: the month is read once per day.
    day_codes, days = pd.factorize(rows["date"], use_na_sentinel=True)
    months = pd.to_datetime(pd.Series(days, dtype=object)).dt.month.to_numpy(dtype=np.int64)
    columns = {
        "urn": rows["urn"], "academic_year": rows["academic_year"],
        "benchmark": rows["benchmark"], "kind": rows["kind"], "year_from": rows["year_from"],
        "year_to": rows["year_to"], "provider_access": flag,
        "month": np.where(flag, months[day_codes], 0),
        "encounters": np.ones(len(rows), dtype=np.int64), "participants": rows["participants"],
    }  # fmt: skip
    return _summed(columns)


def _summed(columns: Mapping[str, pd.Series | np.ndarray] | pd.DataFrame) -> pd.DataFrame:
    """Encounter rollup rows (``columns``: one array per column of the rollup, or a frame of
    them) with equal keys added together, typed and sorted by every column (what
    :func:`_write_packs` would otherwise sort).

    Why not ``DataFrame.groupby``: a million rows grouped on eight columns, two of them text,
    then typed and sorted again for the packs took seconds of an import (the groups are nearly
    as many as the rows). Here each key column is factorised once in sorted order (missing
    values last, as ``sort_values`` puts them) and the codes are folded, most significant
    column first, into one integer per row whose numeric order is the rows' order by all key
    columns; one integer sort then both groups and orders the rows, the counts are added per
    run of equal integers, and each key column is typed once per distinct value."""
    schema = ROLLUPS["encounters"].schema
    sums = ("encounters", "participants")
    keys = [f for f in schema if f.name not in sums]
    n = len(columns[keys[0].name])
    group = np.zeros(n, dtype=np.int64)
    bound = 1
    coded = []
    for field in keys:
        codes, uniques = pd.factorize(columns[field.name], sort=True, use_na_sentinel=True)
        distinct = pd.Series(uniques, dtype=getattr(uniques, "dtype", None))
        if (codes < 0).any():  # missing: after every value, as sort_values puts it
            codes = np.where(codes < 0, len(distinct), codes)
            distinct = pd.concat([distinct.astype(object), pd.Series([None], dtype=object)],
                                 ignore_index=True)
        coded.append((field, codes, distinct))
        radix = len(distinct) + 1
        if bound * radix >= 2**62:  # re-number (order kept) before the next digit overflows
            seen, group = np.unique(group, return_inverse=True)
            bound = len(seen)
        group = group * radix + codes
        bound *= radix
    order = np.argsort(group, kind="stable")
    ordered = group[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if n else order
    first = order[starts]
    out = {}
    for field, codes, distinct in coded:
        typed = _typed(pd.DataFrame({field.name: distinct}), pa.schema([field]))[field.name]
        out[field.name] = typed.take(codes[first]).reset_index(drop=True)
    for name in sums:
        # SQL's COUNT and SUM of a not-null column: exact integer sums per group.
        values = np.asarray(columns[name], dtype=np.int64)[order]
        out[name] = np.add.reduceat(values, starts) if n else values
    return pd.DataFrame(out)


def _add_encounters(conn: Connection, rows: pd.DataFrame) -> None:
    """Add newly inserted encounter ``rows`` to their schools' packs without re-reading the
    schools' stored encounters: an import of a million rows would otherwise group them all
    again in SQL (seconds)."""
    added = _encounter_counts(rows)
    wanted = sorted(int(u) for u in added["urn"].unique())
    for start in range(0, len(wanted), URN_CHUNK):
        batch = wanted[start : start + URN_CHUNK]
        mine = PACKS.c.name == "encounters", PACKS.c.urn.in_(batch)
        stored_rows = unpack(conn.execute(select(PACKS.c.payload).where(*mine)).scalars().all(),
                             "encounters")  # fmt: skip
        new = added[added["urn"].isin(batch)]
        conn.execute(PACKS.delete().where(*mine))
        both = new if stored_rows.empty else _summed(pd.concat([stored_rows, new]))
        _write_packs(conn, "encounters", both, presorted=True)


def after_import(
    conn: Connection, table: str, written: pd.DataFrame, updated: int = 0
) -> None:
    """Refresh the rollups that count ``table`` for the schools of the rows just ``written``
    (inserted or updated by an import; the first ``updated`` of them updates), inside the
    import's transaction. Encounters only inserted are added to the stored counts; anything
    else is counted again from the records for the schools concerned."""
    if table not in DEPENDS or written.empty:
        return
    if table == "encounter":
        changed = set(written["urn"].iloc[:updated].dropna().astype(int))
        inserted = written.iloc[updated:]
        only_added = inserted[~inserted["urn"].isin(list(changed))]
        if len(only_added):
            _add_encounters(conn, only_added)
        refresh_for_tables(conn, [table], changed)
        return
    if "urn" in written.columns:
        urns = set(written["urn"].dropna().astype(int))
    elif "from_urn" in written.columns:
        urns = set(written["from_urn"].dropna().astype(int))
    else:  # destination records name their leaver, whose school is stored
        urns = leaver_urns(conn, written["leaver_key"].dropna().astype(str))
    refresh_for_tables(conn, [table], urns)
