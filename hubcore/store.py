"""Scoped reads: every function takes an engine and a :class:`~hubcore.access.Scope` and
returns a (Geo)DataFrame of what that scope may see.

Aggregates are computed in SQL (grouped and pivoted in the query), never by loading whole tables
into pandas; the largest (assessments, encounters, destinations, hand-overs, risk profiles)
come from the per-school summary tables of :mod:`hubcore.rollups`, which the writers keep
current. Pupil-level reads (:func:`leavers`, :func:`destinations`, :func:`handovers`) raise
:class:`~hubcore.errors.AccessDenied` for a scope that may not see them, and record an
:class:`~hubcore.models.AuditEvent` when they succeed.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, and_, case, extract, func, insert, literal, or_, select
from sqlalchemy.sql import ColumnElement, Select

from hubcore import frames, geo, rollups
from hubcore.access import Role, Scope
from hubcore.errors import AccessDenied, HubcoreError
from hubcore.models import (
    Area,
    AuditEvent,
    BenchmarkAssessment,
    BenchmarkScore,
    DestinationRecord,
    Employer,
    EmployerLink,
    EmployerOffer,
    Encounter,
    Handover,
    Hub,
    HubMembership,
    LaNeetStat,
    Leaver,
    School,
    SchoolDestinationMeasure,
)

T_HUB = Hub.__table__
T_AREA = Area.__table__
T_SCHOOL = School.__table__
T_MEMBER = HubMembership.__table__
T_ASSESS = BenchmarkAssessment.__table__
T_SCORE = BenchmarkScore.__table__
T_EMPLOYER = Employer.__table__
T_LINK = EmployerLink.__table__
T_OFFER = EmployerOffer.__table__
T_ENC = Encounter.__table__
T_LEAVER = Leaver.__table__
T_DEST = DestinationRecord.__table__
T_HANDOVER = Handover.__table__
T_AUDIT = AuditEvent.__table__
T_NEET = LaNeetStat.__table__
T_SDM = SchoolDestinationMeasure.__table__


def _read(engine: Engine, query: Select) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


# --- scope ------------------------------------------------------------------------------------


def _member_urns(hub_id: str) -> Select:
    return select(T_MEMBER.c.urn).where(
        T_MEMBER.c.hub_id == hub_id, T_MEMBER.c.end_date.is_(None)
    )


def school_filter(scope: Scope, urn_column: ColumnElement) -> ColumnElement:
    """SQL condition restricting ``urn_column`` to the schools ``scope`` covers."""
    if scope.role is Role.CAREERS_LEADER:
        return urn_column == scope.urn
    if scope.handover_area_role:  # NCS adviser, LA tracking officer: the schools of their LA
        return urn_column.in_(select(T_SCHOOL.c.urn).where(T_SCHOOL.c.la_gss == scope.ncs_area))
    conditions = []
    if scope.hub_id is not None:
        conditions.append(urn_column.in_(_member_urns(scope.hub_id)))
    if scope.urn is not None:
        conditions.append(urn_column == scope.urn)
    return and_(literal(True), *conditions)


def hubs(engine: Engine) -> pd.DataFrame:
    """All hubs with their current number of member schools."""
    members = (
        select(T_MEMBER.c.hub_id, func.count().label("schools"))
        .where(T_MEMBER.c.end_date.is_(None))
        .group_by(T_MEMBER.c.hub_id)
        .subquery()
    )
    query = select(T_HUB, func.coalesce(members.c.schools, 0).label("schools")).outerjoin(
        members, members.c.hub_id == T_HUB.c.id
    )
    return _read(engine, query.order_by(T_HUB.c.id))


def hub(engine: Engine, hub_id: str) -> dict:
    """One hub's row as a dict; a clear error if it does not exist."""
    with engine.connect() as conn:
        row = conn.execute(select(T_HUB).where(T_HUB.c.id == hub_id)).mappings().first()
    if row is None:
        known = ", ".join(hubs(engine)["id"]) or "none"
        raise HubcoreError(f"no hub {hub_id!r} in the database (hubs: {known})")
    return dict(row)


def default_hub_id(engine: Engine) -> str | None:
    """The first hub by id, for pages opened without choosing one."""
    with engine.connect() as conn:
        return conn.execute(select(T_HUB.c.id).order_by(T_HUB.c.id).limit(1)).scalar()


# --- schools and areas ------------------------------------------------------------------------


def schools(engine: Engine, scope: Scope) -> gpd.GeoDataFrame:
    """Schools and colleges in scope as points (EPSG:27700), one row per URN."""
    query = select(T_SCHOOL).where(school_filter(scope, T_SCHOOL.c.urn)).order_by(T_SCHOOL.c.urn)
    return geo.points_frame(_read(engine, query))


def _scope_la_codes(engine: Engine, scope: Scope) -> list[str]:
    query = select(T_SCHOOL.c.lad_gss, T_SCHOOL.c.la_gss).where(
        school_filter(scope, T_SCHOOL.c.urn)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return sorted({code for row in rows for code in row if code})


def areas(engine: Engine, scope: Scope, kind: str = "lsoa") -> gpd.GeoDataFrame:
    """Boundaries of ``kind`` ("lsoa", "lad", "utla") covering the scope's schools' LAs, with
    deprivation (IMD rank and decile, 1 = most deprived), in EPSG:27700."""
    columns = [c for c in T_AREA.c if c.name != "geometry"] + [T_AREA.c.geometry]
    query = select(*columns).where(T_AREA.c.kind == kind)
    if scope.role is not Role.ADMIN or scope.hub_id is not None:
        las = _scope_la_codes(engine, scope)
        if kind == "lsoa":
            query = query.where(T_AREA.c.parent_code.in_(las))
        else:
            query = query.where(T_AREA.c.code.in_(las))
    frame = _read(engine, query.order_by(T_AREA.c.code))
    return geo.from_wkb(frame)


# --- benchmarks -------------------------------------------------------------------------------


def assessments(
    engine: Engine, scope: Scope, framework: str | None = None, latest_only: bool = False
) -> pd.DataFrame:
    """Compass-style assessments in scope, one row per assessment: ``bm1`` … ``bm8`` (percent)
    and ``achieved`` (benchmarks at 100 percent, 0–8), pivoted in SQL (read from
    :mod:`hubcore.rollups`), ordered by school and date.

    ``framework`` ("2014" or "2024") keeps one framework; ``latest_only`` keeps each school's
    most recent assessment (within that framework, if one is given).
    """
    frame = rollups.read(engine, "assessments", school_filter(scope, rollups.PACKS.c.urn))
    if framework is not None:
        frame = frame[frame["framework"].eq(framework)]
    if latest_only:
        last = frame.groupby("urn")["assessed_on"].transform("max")
        frame = frame[frame["assessed_on"].eq(last)]
    columns = ["assessment_id", "urn", "assessed_on", "academic_year", "snapshot",
               "evaluation_type", "framework", *[f"bm{b}" for b in range(1, 9)], "achieved"]
    return frame[columns].reset_index(drop=True)


# --- employers and encounters -----------------------------------------------------------------


def employers(engine: Engine, scope: Scope) -> gpd.GeoDataFrame:
    """Employers linked to, or delivering encounters in, the scope's schools (all employers for
    an unrestricted admin scope), as points in EPSG:27700."""
    query = select(T_EMPLOYER)
    if scope.role is not Role.ADMIN or scope.hub_id is not None:
        linked = select(T_LINK.c.employer_id).where(school_filter(scope, T_LINK.c.urn))
        delivered = select(T_ENC.c.employer_id).where(
            school_filter(scope, T_ENC.c.urn), T_ENC.c.employer_id.is_not(None)
        )
        query = query.where(or_(T_EMPLOYER.c.id.in_(linked), T_EMPLOYER.c.id.in_(delivered)))
    return geo.points_frame(_read(engine, query.order_by(T_EMPLOYER.c.id)))


def employer_links(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Standing employer–school links in scope."""
    query = select(T_LINK).where(school_filter(scope, T_LINK.c.urn)).order_by(T_LINK.c.id)
    return _read(engine, query)


def employer_offers(engine: Engine, scope: Scope, academic_year: str | None = None) -> pd.DataFrame:
    """Offers of employers linked to the scope's schools, with capacity and take-up."""
    query = select(T_OFFER)
    if scope.role is not Role.ADMIN or scope.hub_id is not None:
        query = query.where(T_OFFER.c.employer_id.in_(employers(engine, scope)["id"].tolist()))
    if academic_year is not None:
        query = query.where(T_OFFER.c.academic_year == academic_year)
    return _read(engine, query.order_by(T_OFFER.c.id))


def encounters(
    engine: Engine,
    scope: Scope,
    academic_year: str | None = None,
    benchmark: int | None = None,
) -> pd.DataFrame:
    """Encounter rows in scope (not personal data: counts of pupils per event)."""
    query = select(T_ENC).where(school_filter(scope, T_ENC.c.urn))
    if academic_year is not None:
        query = query.where(T_ENC.c.academic_year == academic_year)
    if benchmark is not None:
        query = query.where(T_ENC.c.benchmark == benchmark)
    frame = _read(engine, query.order_by(T_ENC.c.id))
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def encounter_totals(
    engine: Engine,
    scope: Scope,
    by: tuple[str, ...] = ("urn", "academic_year", "benchmark"),
) -> pd.DataFrame:
    """Encounters and pupils reached, summed in SQL over the columns ``by``
    (any of urn, academic_year, benchmark, kind, year_from, year_to, provider_access)."""
    keys = [T_ENC.c[name] for name in by]
    query = (
        select(
            *keys,
            func.count().label("encounters"),
            func.sum(T_ENC.c.participants).label("participants"),
        )
        .where(school_filter(scope, T_ENC.c.urn))
        .group_by(*keys)
        .order_by(*keys)
    )
    return _read(engine, query)


# --- transitions (aggregates) -----------------------------------------------------------------


def destination_counts(
    engine: Engine, scope: Scope, by_home_area: bool = False
) -> pd.DataFrame:
    """Actual destination *records* (not people: a leaver with two records in a year counts
    twice, one with none not at all) by school, cohort, year group, years after leaving (1–3;
    the autumn after leaving is year 1) and destination category, in column ``leavers`` (read
    from :mod:`hubcore.rollups`; unsuppressed: apply :mod:`hubcore.disclosure` before showing
    them to an aggregates-only role). Published figures count people instead: the destination
    mix from :func:`destination_status_counts`, NEET rates from :func:`neet_status_counts` and
    :func:`neet_status_by_area`.

    With ``by_home_area``: by school, years after leaving, the leaver's home small area
    (``home_lsoa``) and category instead, all cohorts and year groups together."""
    name = "destinations_by_area" if by_home_area else "destinations"
    return rollups.read(engine, name, school_filter(scope, rollups.PACKS.c.urn))


def destination_flows(engine: Engine, scope: Scope, years_after: int = 1) -> pd.DataFrame:
    """Where each school's leavers went ``years_after`` leaving (1 = the first autumn): counts
    by school, year group, category and provider (``provider_urn``, empty when not recorded),
    plus hand-overs by school, year group and receiving organisation, counted in SQL
    (unsuppressed)."""
    recorded = T_DEST.c.recorded_on
    after = (
        extract("year", recorded)
        - T_LEAVER.c.cohort
        + case((extract("month", recorded) >= 9, 1), else_=0)
    )
    keys = [T_LEAVER.c.urn, T_LEAVER.c.year_group, T_DEST.c.category, T_DEST.c.provider_urn]
    dest = (
        select(*keys, func.count().label("leavers"))
        .join(T_DEST, T_DEST.c.leaver_key == T_LEAVER.c.key)
        .where(school_filter(scope, T_LEAVER.c.urn), T_DEST.c.kind == "actual",
               after == years_after)
        .group_by(*keys)
    )
    hand_keys = [T_HANDOVER.c.from_urn, T_LEAVER.c.year_group, T_HANDOVER.c.to_org_type]
    hand = (
        select(*hand_keys, func.count().label("leavers"))
        .join(T_LEAVER, T_LEAVER.c.key == T_HANDOVER.c.leaver_key)
        .where(school_filter(scope, T_HANDOVER.c.from_urn))
        .group_by(*hand_keys)
    )
    flows = _read(engine, dest)
    handed = _read(engine, hand).rename(columns={"from_urn": "urn", "to_org_type": "category"})
    handed["category"] = "handed over: " + handed["category"]
    return pd.concat([flows, handed], ignore_index=True)


def leaver_counts(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Leavers (people, one per pseudonymous key) by school, cohort and year group: the base of
    the hand-over funnel. Summed from the ``leaver_profiles`` rollup (aggregate, unsuppressed)."""
    frame = rollups.read(engine, "leaver_profiles", school_filter(scope, rollups.PACKS.c.urn))
    keys = ["urn", "cohort", "year_group"]
    if frame.empty:
        return pd.DataFrame({k: pd.Series(dtype="int64") for k in [*keys, "leavers"]})
    return frame.groupby(keys, as_index=False, sort=True)["leavers"].sum()


def _scoped_leavers(scope: Scope, cohort: int) -> ColumnElement:
    return and_(school_filter(scope, T_LEAVER.c.urn), T_LEAVER.c.cohort == cohort)


def _cohorts(engine: Engine, scope: Scope) -> list[int]:
    """Cohorts with leavers in scope (from the leaver summary: no scan of the leaver table)."""
    return sorted(int(c) for c in leaver_counts(engine, scope)["cohort"].unique())


def _status_on(scope: Scope, cohort: int, on: dt.date) -> Select:
    """Leavers of ``cohort`` in scope counted by school, year group and the category of their
    latest actual destination record on or before ``on`` ("no_record" when they have none)."""
    d = T_DEST.c
    ranked = (
        select(
            d.leaver_key,
            d.category,
            # One record per leaver and date (uq_destination_key): no ties to break.
            func.row_number()
            .over(partition_by=d.leaver_key, order_by=d.recorded_on.desc())
            .label("rn"),
        )
        .join(T_LEAVER, T_LEAVER.c.key == d.leaver_key)
        .where(_scoped_leavers(scope, cohort), d.kind == "actual", d.recorded_on <= on)
        .subquery()
    )
    category = func.coalesce(ranked.c.category, "no_record").label("category")
    keys = [T_LEAVER.c.urn, T_LEAVER.c.cohort, T_LEAVER.c.year_group]
    return (
        select(*keys, category, func.count().label("leavers"))
        .select_from(
            T_LEAVER.outerjoin(
                ranked, and_(ranked.c.leaver_key == T_LEAVER.c.key, ranked.c.rn == 1)
            )
        )
        .where(_scoped_leavers(scope, cohort))
        .group_by(*keys, category)
    )


def neet_status_counts(
    engine: Engine,
    scope: Scope,
    years_after: int = 1,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Leavers (people, each counted once per measurement point) by school, cohort, year group,
    measurement point and the category of the destination record current then: the input of
    :func:`hubcore.metrics.transitions.neet_rates` for rates per young person.

    Points follow :func:`hubcore.metrics.transitions.measurement_points` (the ends of December,
    January and February of the ``years_after``-th academic year after leaving, else a snapshot
    at a month end or on ``as_of``; default today). A leaver with no actual record on or before a
    point is counted under category ``"no_record"``. Month-end points come from the
    ``neet_points`` rollup (:mod:`hubcore.rollups`); other points are counted in SQL for their
    cohort. No pupil
    row leaves the store; unsuppressed, like :func:`destination_counts`.

    Columns: ``urn``, ``cohort``, ``year_group``, ``years_after``, ``point`` ("dec", "jan",
    "feb" or "snapshot"), ``measured_on`` (date), ``measurement`` (label), ``category``,
    ``leavers``.
    """
    from hubcore.metrics.transitions import measurement_points

    cols = ["urn", "cohort", "year_group", "years_after", "point", "measured_on", "measurement",
            "category", "leavers"]  # fmt: skip
    # Month-end points kept in the rollup, by name ("dec", ...), for these years after leaving.
    kept = {rollups.POINT_NAMES[m] for y, m in rollups.NEET_POINTS if y == years_after}
    stored = None
    frames = []
    for cohort in _cohorts(engine, scope):
        label, points = measurement_points(cohort, years_after, as_of)
        if not points:
            continue
        dates = dict(points)
        if set(dates) <= kept:
            if stored is None:
                stored = rollups.read(engine, "neet_points",
                                      school_filter(scope, rollups.PACKS.c.urn))  # fmt: skip
                stored = stored[stored["years_after"].eq(years_after)]
            part = stored[stored["cohort"].eq(cohort) & stored["point"].isin(list(dates))]
            frames.append(part.assign(measured_on=part["point"].map(dates), measurement=label))
            continue
        for point, on in points:
            part = _read(engine, _status_on(scope, cohort, on))
            frames.append(part.assign(years_after=years_after, point=point, measured_on=on,
                                      measurement=label))  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)[cols]
    out = out.astype({"urn": "int64", "cohort": "int64", "year_group": "int64",
                      "years_after": "int64", "leavers": "int64"})  # fmt: skip
    return out.sort_values(cols[:5] + ["category"], ignore_index=True)


def destination_status_counts(
    engine: Engine, scope: Scope, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Leavers (people, each counted once per cohort and year after leaving) by school,
    cohort, year group, years after leaving (1–3) and the category of their actual destination
    record current at the destination mix's measurement point
    (:func:`hubcore.metrics.transitions.mix_point`: the end of December of that academic year,
    else in the first year the latest month end passed from October; ``as_of`` default today).
    A leaver with no actual record by then is counted under ``"no_record"``; years not yet
    measured are left out. The input of :func:`hubcore.metrics.transitions.destination_mix`.

    Read from the ``neet_points`` rollup (:mod:`hubcore.rollups`): its month-end points are
    the mix's, so no per-cohort scan. Aggregate; unsuppressed, like :func:`destination_counts`
    (which counts destination *records*, kept for checks).

    Columns: ``urn``, ``cohort``, ``year_group``, ``years_after``, ``point``, ``measured_on``,
    ``measurement``, ``category``, ``leavers``.
    """
    from hubcore.metrics.transitions import mix_point

    cols = ["urn", "cohort", "year_group", "years_after", "point", "measured_on", "measurement",
            "category", "leavers"]  # fmt: skip
    frame = rollups.read(engine, "neet_points", school_filter(scope, rollups.PACKS.c.urn))
    wanted = []
    for cohort in sorted(frame["cohort"].unique().tolist()):
        for years_after in (1, 2, 3):
            chosen = mix_point(int(cohort), years_after, as_of)
            if chosen is not None:
                wanted.append((int(cohort), years_after, *chosen))
    if not wanted:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("urn", "cohort",
                             "year_group", "years_after", "leavers") else object)
                             for c in cols})  # fmt: skip
    points = pd.DataFrame(wanted, columns=["cohort", "years_after", "point", "measured_on",
                                           "measurement"])  # fmt: skip
    out = frame.merge(points, on=["cohort", "years_after", "point"], how="inner")[cols]
    return out.sort_values(cols[:4] + ["category"], ignore_index=True)


def neet_status_by_area(
    engine: Engine, scope: Scope, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Leavers (people) of the scope's schools by home small area (``home_lsoa``), cohort and
    measurement point in the first year after leaving, by the category of the destination
    record current then (``"no_record"`` without one): the input of
    :func:`hubcore.metrics.transitions.neet_rates` for the small-area NEET map, with the same
    per-person rule and points as :func:`neet_status_counts` (DfE's December–February average,
    else the latest month end passed from October; ``as_of`` default today). Cohorts whose
    first month end (31 October) has not passed are left out. Read from the
    ``neet_points_by_area`` rollup; aggregate, unsuppressed.

    The scope's schools are added together (the map pools them): columns ``home_lsoa``,
    ``cohort``, ``years_after`` (1), ``point``, ``measured_on``, ``measurement``, ``category``,
    ``leavers``.
    """
    from hubcore.metrics.transitions import measurement_points

    keys = ["home_lsoa", "cohort", "years_after", "point", "measured_on", "measurement",
            "category"]  # fmt: skip
    frame = rollups.read(engine, "neet_points_by_area",
                         school_filter(scope, rollups.PACKS.c.urn))  # fmt: skip
    kept = {rollups.POINT_NAMES[m] for y, m in rollups.NEET_POINTS if y == 1}
    wanted = []
    for cohort in sorted(frame["cohort"].unique().tolist()):
        label, points = measurement_points(int(cohort), 1, as_of)
        if points and {p for p, _ in points} <= kept:
            wanted += [(int(cohort), p, on, label) for p, on in points]
    points = pd.DataFrame(wanted, columns=["cohort", "point", "measured_on", "measurement"])
    points = points.astype({"cohort": "int64"})
    # Summed over schools first: several schools' leavers share an area, and the rates'
    # per-group work then runs on a third of the rows.
    frame = frame.groupby(["home_lsoa", "cohort", "point", "category"], as_index=False,
                          sort=True)["leavers"].sum()  # fmt: skip
    out = frame.merge(points, on=["cohort", "point"], how="inner").assign(years_after=1)
    return out[[*keys, "leavers"]]


def sustained_counts(
    engine: Engine, scope: Scope, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Leavers by school, cohort, year group and the kind of destination they sustained over
    the first two terms after leaving (1 October to 31 March, DOMAIN.md §4.5), classified from
    the actual destination records current in that window: the record current on 1 October
    (if any) and every record dated from then to 31 March. Read from the ``sustained`` rollup
    (:mod:`hubcore.rollups`); cohorts whose window has not ended by ``as_of`` (default today)
    are left out.

    ``outcome`` is one of ``education``, ``apprenticeship`` (every such record in that
    category), ``education_apprenticeship`` (a mix of the two), ``employment``,
    ``employment_mix`` (employment mixed with education or apprenticeship), ``not_sustained``
    (some record outside these categories) or ``unknown`` (no record current in the window).
    Aggregate; unsuppressed.
    """
    today = as_of or dt.date.today()
    frame = rollups.read(engine, "sustained", school_filter(scope, rollups.PACKS.c.urn))
    # the window ends on 31 March of the year after leaving
    ended = frame["cohort"].map(lambda c: dt.date(int(c) + 1, 3, 31) <= today)
    return frame[ended.astype(bool)].reset_index(drop=True)


def school_destination_measures(engine: Engine, scope: Scope) -> pd.DataFrame:
    """DfE's published destination measures (``hubcore import ks4-destinations``) for the
    scope's schools, all breakdowns: ``time_period``, ``urn``, ``stage`` ("ks4", "16-18"),
    ``breakdown``, ``cohort`` (pupils), ``overall`` … ``unknown`` (percent, None where DfE
    suppressed them, with the symbols in ``suppressed``). Published figures (already
    disclosure-controlled by DfE)."""
    query = (
        select(T_SDM)
        .where(school_filter(scope, T_SDM.c.urn))
        .order_by(T_SDM.c.urn, T_SDM.c.stage, T_SDM.c.time_period, T_SDM.c.breakdown)
    )
    return _read(engine, query)


def la_neet_stats(engine: Engine, la_codes: list[str] | None = None) -> pd.DataFrame:
    """Published NEET / not-known rates by LA (percent), optionally for some LAs only."""
    query = select(T_NEET)
    if la_codes is not None:
        query = query.where(T_NEET.c.la_gss.in_(la_codes))
    return _read(engine, query.order_by(T_NEET.c.la_gss, T_NEET.c.time_period))


# --- pupil level (guarded and audited) --------------------------------------------------------


def _hub_shares_pupil_data(engine: Engine, scope: Scope) -> bool:
    if scope.hub_id is None:
        return False
    return bool(hub(engine, scope.hub_id)["pupil_data_sharing"])


def _guard_pupil_rows(engine: Engine, scope: Scope, what: str) -> None:
    if not scope.pupil_rows_allowed(_hub_shares_pupil_data(engine, scope)):
        raise AccessDenied(
            f"role {scope.role.value!r} may not see pupil-level {what}"
            + (
                " (the hub's data-sharing agreement does not allow it)"
                if scope.role is Role.HUB_LEAD
                else ""
            )
            + "; use the aggregate reports instead"
        )


def record_audit(
    engine: Engine, scope: Scope, action: str, subject: str, rows: int | None = None,
    detail: str | None = None,
) -> None:
    """Write one audit event (who, what, when) for a pupil-level view or export."""
    with engine.begin() as conn:
        conn.execute(
            insert(T_AUDIT).values(
                at=dt.datetime.now(dt.UTC),
                user=scope.user,
                role=scope.role.value,
                action=action,
                subject=subject,
                rows=rows,
                detail=detail,
            )
        )


#: The receiving organisation (``handover.to_org_type``) whose hand-overs each area role sees.
AREA_ROLE_TARGET = {Role.NCS_ADVISER: "ncs", Role.LA_TRACKING: "la_tracking"}


def _handover_filter(scope: Scope) -> ColumnElement:
    """SQL condition on ``handover`` for the hand-overs ``scope`` sees: an NCS adviser those to
    the NCS in their area, an LA tracking officer those to LA tracking in their LA (from any
    school); every other role those from the schools it covers."""
    target = AREA_ROLE_TARGET.get(scope.role)
    if target is not None:
        return and_(T_HANDOVER.c.to_org_type == target, T_HANDOVER.c.ncs_area == scope.ncs_area)
    return school_filter(scope, T_HANDOVER.c.from_urn)


#: Leaver fields that are "other information" under the statutory gateways (DOMAIN.md §7): a
#: young person (16+) or parent who opts out under ESA 2008 s14, or restricts youth-support
#: sharing, keeps these within the school. Basic fields (key, school, cohort, year group, leaving
#: date) still reach the LA's tracking and the NCS, which the LA's tracking duty needs.
OTHER_INFORMATION = (
    "home_lsoa", "fsm", "sen", "eal", "looked_after", "care_leaver", "yot", "young_carer",
    "parent_or_pregnant", "alternative_provision", "ever_excluded", "attendance_pct",
    "roni_score",
)  # fmt: skip
#: Hand-over fields withheld beyond the school for the same young people.
HANDOVER_OTHER_INFORMATION = ("reason",)


def beyond_school(scope: Scope) -> bool:
    """Whether ``scope`` reads pupil rows from outside the young person's school (hub lead, NCS
    adviser, LA tracking officer): statutory opt-outs then apply. Careers leaders see their own
    pupils in full; admins (system administration, retention, audit) see everything."""
    return scope.role in (Role.HUB_LEAD, Role.NCS_ADVISER, Role.LA_TRACKING)


def _withhold(frame: pd.DataFrame, columns, opted_out: pd.Series) -> pd.DataFrame:
    """Blank ``columns`` (``None``) on the rows where ``opted_out`` is true."""
    opted_out = opted_out.fillna(False).astype(bool).to_numpy()
    if not opted_out.any():
        return frame
    for col in columns:
        if col in frame:
            frame[col] = frame[col].astype(object)
            frame.loc[opted_out, col] = None
    return frame


def leavers(engine: Engine, scope: Scope, cohort: int | None = None) -> pd.DataFrame:
    """Pseudonymous leaver rows in scope (pupil level: guarded and audited).

    An NCS adviser sees only the leavers handed over to the NCS in their area, an LA tracking
    officer only those handed over to LA tracking in their LA. Beyond the school
    (:func:`beyond_school`), the :data:`OTHER_INFORMATION` of leavers with an s14 opt-out or a
    youth-support restriction is withheld (``None``).
    """
    _guard_pupil_rows(engine, scope, "leavers")
    if scope.handover_area_role:
        where = T_LEAVER.c.key.in_(select(T_HANDOVER.c.leaver_key).where(_handover_filter(scope)))
    else:
        where = school_filter(scope, T_LEAVER.c.urn)
    query = select(T_LEAVER).where(where)
    if cohort is not None:
        query = query.where(T_LEAVER.c.cohort == cohort)
    frame = frames.read(engine, query.order_by(T_LEAVER.c.urn, T_LEAVER.c.key))
    frame["left_on"] = pd.to_datetime(frame["left_on"])
    if beyond_school(scope):
        opted_out = frame["s14_info_optout"].astype(bool) | frame["ys_restriction"].astype(bool)
        frame = _withhold(frame, OTHER_INFORMATION, opted_out)
    record_audit(engine, scope, "view", "leavers", len(frame))
    return frame


def destinations(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Destination records of the leavers in scope, with the leaver's school, cohort and year
    group (pupil level: guarded and audited). Beyond the school (:func:`beyond_school`), the
    records of leavers with a youth-support restriction are withheld."""
    _guard_pupil_rows(engine, scope, "destinations")
    if scope.handover_area_role:
        where = T_LEAVER.c.key.in_(select(T_HANDOVER.c.leaver_key).where(_handover_filter(scope)))
    else:
        where = school_filter(scope, T_LEAVER.c.urn)
    if beyond_school(scope):
        where = and_(where, T_LEAVER.c.ys_restriction.is_(False))
    query = (
        select(T_DEST, T_LEAVER.c.urn, T_LEAVER.c.cohort, T_LEAVER.c.year_group, T_LEAVER.c.left_on)
        .join(T_LEAVER, T_LEAVER.c.key == T_DEST.c.leaver_key)
        .where(where)
        .order_by(T_DEST.c.leaver_key, T_DEST.c.recorded_on)
    )
    frame = _read(engine, query)
    for col in ("recorded_on", "left_on"):
        frame[col] = pd.to_datetime(frame[col])
    record_audit(engine, scope, "view", "destinations", len(frame))
    return frame


HANDOVER_DATES = ("left_on", "referred_on", "contacted_on", "outcome_on")


def handovers(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Hand-overs in scope with the leaver's cohort and year group (pupil level: guarded and
    audited). Dates are pandas timestamps; missing dates are ``NaT``. Beyond the school
    (:func:`beyond_school`), the :data:`HANDOVER_OTHER_INFORMATION` of leavers with an s14
    opt-out or a youth-support restriction is withheld (``None``)."""
    _guard_pupil_rows(engine, scope, "hand-overs")
    opted_out = or_(T_LEAVER.c.s14_info_optout, T_LEAVER.c.ys_restriction).label("_opted_out")
    query = (
        select(T_HANDOVER, T_LEAVER.c.cohort, T_LEAVER.c.year_group, opted_out)
        .join(T_LEAVER, T_LEAVER.c.key == T_HANDOVER.c.leaver_key)
        .where(_handover_filter(scope))
        .order_by(T_HANDOVER.c.id)
    )
    frame = _read(engine, query)
    if beyond_school(scope):
        frame = _withhold(frame, HANDOVER_OTHER_INFORMATION, frame["_opted_out"])
    frame = frame.drop(columns="_opted_out")
    for col in HANDOVER_DATES:
        frame[col] = pd.to_datetime(frame[col])
    record_audit(engine, scope, "view", "handovers", len(frame))
    return frame


def handover_summary(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Hand-over counts by school, cohort, year group and status, counted in SQL (for roles
    that see aggregates only: for them, counts under 6 are suppressed to "c" here)."""
    query = (
        select(
            T_HANDOVER.c.from_urn.label("urn"),
            T_LEAVER.c.cohort,
            T_LEAVER.c.year_group,
            T_HANDOVER.c.status,
            func.count().label("handovers"),
        )
        .join(T_LEAVER, T_LEAVER.c.key == T_HANDOVER.c.leaver_key)
        .where(_handover_filter(scope))
        .group_by(
            T_HANDOVER.c.from_urn, T_LEAVER.c.cohort, T_LEAVER.c.year_group, T_HANDOVER.c.status
        )
        .order_by(T_HANDOVER.c.from_urn, T_LEAVER.c.cohort)
    )
    frame = _read(engine, query)
    if scope.aggregates_only:
        from hubcore import disclosure

        frame["handovers"] = frame["handovers"].map(disclosure.suppress_count).astype(object)
    return frame


# --- reads for hubcore.metrics ---


def handover_dates(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Hand-overs counted by school, cohort, year group, status and dates (left, referred,
    whether contacted): the input :mod:`hubcore.metrics.transitions` needs for the funnel, the
    referral lags and overdue counts, without pupil keys (read from :mod:`hubcore.rollups`).
    Rows can still be single hand-overs, so this is an intermediate for metrics, not a table
    to display; no audit event (no pupil row leaves the store).

    An NCS adviser's rows come from the ``ncs_handovers`` summary (hand-overs to the NCS, by
    area); that summary holds no LA-tracking hand-overs, so an LA tracking officer's are counted
    in SQL from the hand-overs to LA tracking in their LA (same columns and types)."""
    if scope.role is Role.LA_TRACKING:
        counted = rollups.compute(engine, "handovers", _handover_filter(scope))
        schema = rollups.ROLLUPS["handovers"].schema
        table = pa.Table.from_pandas(counted, schema=schema, preserve_index=False)
        # Without pandas' metadata, as the packs are stored: the same dtypes they give.
        frame = table.replace_schema_metadata(None).to_pandas(date_as_object=False)
        return frame.sort_values(schema.names, ignore_index=True)
    if scope.role is not Role.NCS_ADVISER:
        return rollups.read(engine, "handovers", school_filter(scope, rollups.PACKS.c.urn))
    # Hand-overs to this NCS area come from any school.
    frame = rollups.read(engine, "ncs_handovers")
    # Packs are sorted by school, then area, then the rest: one area's rows stay in order.
    frame = frame[frame["ncs_area"].eq(scope.ncs_area)]
    return frame.drop(columns="ncs_area").reset_index(drop=True)


def leaver_profiles(engine: Engine, scope: Scope, cohort: int | None = None) -> pd.DataFrame:
    """Leavers counted by school, cohort, year group and every input of the RONI score (SEN
    status, the :data:`hubcore.rollups.PROFILE_FLAGS`, attendance to its band's upper value in
    percent): ``leavers`` per profile. Scoring each profile with
    :func:`hubcore.metrics.risk.roni_scores` and weighting by ``leavers`` gives the same band
    counts as scoring every leaver, from far fewer rows. Aggregate (no pupil key), so no audit
    event; unsuppressed, like :func:`destination_counts`."""
    frame = rollups.read(engine, "leaver_profiles", school_filter(scope, rollups.PACKS.c.urn))
    if cohort is not None:
        frame = frame[frame["cohort"].eq(cohort)].reset_index(drop=True)
    return frame


def encounter_summary(
    engine: Engine, scope: Scope, academic_years: list[str] | None = None
) -> pd.DataFrame:
    """Encounters summed by school, academic year, benchmark, kind, year range,
    provider-access flag and, for provider-access encounters, calendar ``month`` (1–12; 0 for
    other encounters): ``encounters`` (events) and ``participants`` (pupils reached). Read from
    :mod:`hubcore.rollups`: everything :mod:`hubcore.metrics.coverage` needs, at a fraction of
    the rows of :func:`encounters`."""
    frame = rollups.read(engine, "encounters", school_filter(scope, rollups.PACKS.c.urn))
    if academic_years is not None:
        frame = frame[frame["academic_year"].isin(academic_years)].reset_index(drop=True)
    return frame


def encounter_years(engine: Engine, scope: Scope) -> list[str]:
    """Academic years present in the scope's encounter log, oldest first."""
    # One index seek per year ("the smallest year after the last one found") rather than a
    # DISTINCT over every encounter: a handful of years among millions of rows.
    years: list[str] = []
    with engine.connect() as conn:
        while True:
            query = select(func.min(T_ENC.c.academic_year)).where(
                school_filter(scope, T_ENC.c.urn)
            )
            if years:
                query = query.where(T_ENC.c.academic_year > years[-1])
            following = conn.execute(query).scalar()
            if following is None:
                return years
            years.append(following)
