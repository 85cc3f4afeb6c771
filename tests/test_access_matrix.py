"""Role × read × report matrix over the demo hub: no pupil-level leak, every row within the
role's scope, statutory opt-outs honoured beyond the school, and aggregates-only roles get
suppressed exports.

The roles and what each may see are in :mod:`hubcore.access`; the rules are enforced in
:mod:`hubcore.store`, so this matrix calls the store (and the report layer on top of it)
directly, as any page, notebook or export would.
"""

from __future__ import annotations

import inspect

import pandas as pd
import pytest
from sqlalchemy import select

from hubcore import disclosure, store
from hubcore.access import Role, Scope
from hubcore.errors import AccessDenied
from hubcore.models import Handover, Leaver

PUPIL_READS = {"leavers", "destinations", "handovers"}
#: Every scoped read of the store (functions taking ``engine, scope``), found by inspection so
#: that a read added later is in the matrix automatically.
SCOPED_READS = sorted(
    name
    for name, fn in inspect.getmembers(store, inspect.isfunction)
    if fn.__module__ == "hubcore.store"
    and not name.startswith("_")
    and list(inspect.signature(fn).parameters)[:2] == ["engine", "scope"]
    and name != "record_audit"
)
URN_COLUMNS = ("urn", "from_urn")


@pytest.fixture(scope="module")
def world(demo_engine):
    """The demo hub's facts each role is checked against."""
    admin = Scope.admin()
    schools = store.schools(demo_engine, admin)
    hub_urns = set(store.schools(demo_engine, Scope.admin(hub_id="DEMO"))["urn"])
    urn = int(schools["urn"].iloc[5])
    area = schools["la_gss"].iat[0]
    with demo_engine.connect() as conn:
        ncs_keys = {
            r[0]
            for r in conn.execute(
                select(Handover.leaver_key).where(
                    Handover.to_org_type == "ncs", Handover.ncs_area == area
                )
            )
        }
        la_keys = set(conn.execute(select(Handover.leaver_key).where(
            Handover.to_org_type == "la_tracking", Handover.ncs_area == area)).scalars())
    return {"hub_urns": hub_urns, "urn": urn, "area": area, "ncs_keys": ncs_keys,
            "la_keys": la_keys}


def _scopes(world) -> dict[str, Scope]:
    return {
        "admin": Scope.admin(hub_id="DEMO", user="admin@test"),
        "hub_lead": Scope(Role.HUB_LEAD, hub_id="DEMO", user="lead@test"),
        "careers_leader": Scope(Role.CAREERS_LEADER, urn=world["urn"], user="cl@test"),
        "ncs_adviser": Scope(Role.NCS_ADVISER, ncs_area=world["area"], user="ncs@test"),
        "la_tracking": Scope(Role.LA_TRACKING, ncs_area=world["area"], user="la@test"),
        "analyst": Scope(Role.ANALYST, hub_id="DEMO", user="analyst@test"),
    }


def _allowed_urns(role: str, world) -> set[int] | None:
    return {"careers_leader": {world["urn"]}, "hub_lead": world["hub_urns"],
            "analyst": world["hub_urns"], "admin": world["hub_urns"]}.get(role)  # fmt: skip


def test_matrix_covers_every_scoped_read():
    assert PUPIL_READS <= set(SCOPED_READS)
    assert {"schools", "assessments", "destination_counts", "handover_summary"} <= set(
        SCOPED_READS
    )


@pytest.mark.parametrize(
    "role", ["admin", "hub_lead", "careers_leader", "ncs_adviser", "la_tracking", "analyst"]
)
@pytest.mark.parametrize("read", SCOPED_READS)
def test_role_by_read(demo_engine, world, role, read):
    scope = _scopes(world)[role]
    fn = getattr(store, read)
    if read in PUPIL_READS and role == "analyst":
        with pytest.raises(AccessDenied):
            fn(demo_engine, scope)
        return
    frame = fn(demo_engine, scope)
    if not isinstance(frame, pd.DataFrame):
        return  # encounter_years: a list of years, nothing personal
    # No pupil keys for anyone but the pupil-level reads.
    if read not in PUPIL_READS:
        assert not {"key", "leaver_key"} & set(frame.columns), f"{read} leaks pupil keys"
    # Every row within the role's schools.
    allowed = _allowed_urns(role, world)
    for col in URN_COLUMNS:
        if col in frame.columns and allowed is not None and len(frame):
            assert set(frame[col].dropna().astype(int)) <= allowed, f"{read}.{col} out of scope"
    if role == "ncs_adviser" and read in PUPIL_READS:
        keys = frame["key"] if "key" in frame else frame["leaver_key"]
        assert set(keys) <= world["ncs_keys"], f"{read}: NCS adviser sees non-NCS young people"
        if read == "handovers":
            assert set(frame["to_org_type"]) <= {"ncs"}
            assert set(frame["ncs_area"]) <= {world["area"]}
    if role == "la_tracking" and read in PUPIL_READS:
        keys = frame["key"] if "key" in frame else frame["leaver_key"]
        assert set(keys) <= world["la_keys"], f"{read}: LA tracking sees other young people"
        if read == "handovers":
            assert len(frame) and set(frame["to_org_type"]) == {"la_tracking"}
            assert set(frame["ncs_area"]) == {world["area"]}
    if role == "analyst" and read == "handover_summary":
        small = pd.to_numeric(frame["handovers"], errors="coerce").between(1, 5)
        assert not small.any(), "analyst sees unsuppressed small hand-over counts"


def test_hub_lead_without_data_sharing_gets_no_pupil_rows(demo_engine, monkeypatch, world):
    real = store.hub

    def no_sharing(engine, hub_id):
        return {**real(engine, hub_id), "pupil_data_sharing": False}

    monkeypatch.setattr(store, "hub", no_sharing)
    lead = _scopes(world)["hub_lead"]
    for read in sorted(PUPIL_READS):
        with pytest.raises(AccessDenied, match="data-sharing"):
            getattr(store, read)(demo_engine, lead)
    # Aggregates still work.
    assert store.handover_summary(demo_engine, lead)["handovers"].sum() > 0


def _opted_out_keys(engine) -> tuple[set[str], set[str]]:
    with engine.connect() as conn:
        s14 = {r[0] for r in conn.execute(select(Leaver.key).where(Leaver.s14_info_optout))}
        ys = {r[0] for r in conn.execute(select(Leaver.key).where(Leaver.ys_restriction))}
    return s14, ys


def test_opt_outs_withhold_other_information_beyond_the_school(demo_engine, world):
    s14, ys = _opted_out_keys(demo_engine)
    assert s14 and ys, "the demo should have some opted-out leavers"
    lead = _scopes(world)["hub_lead"]
    frame = store.leavers(demo_engine, lead).set_index("key")
    out = frame.loc[sorted((s14 | ys) & set(frame.index))]
    assert len(out)
    for col in store.OTHER_INFORMATION:
        assert out[col].isna().all(), f"{col} shown to a hub lead despite an opt-out"
    # Basic fields remain (the LA's tracking duty needs them).
    assert out[["urn", "cohort", "year_group", "left_on"]].notna().all().all()
    # Others keep their information.
    rest = frame.drop(index=out.index)
    assert rest["sen"].notna().all()

    # The school itself sees its own opted-out pupils in full.
    urn = int(out["urn"].iloc[0])
    own = store.leavers(demo_engine, Scope(Role.CAREERS_LEADER, urn=urn)).set_index("key")
    mine = own.loc[sorted((s14 | ys) & set(own.index))]
    assert mine["sen"].notna().all()


def test_youth_support_restriction_withholds_destinations_and_reasons(demo_engine, world):
    s14, ys = _opted_out_keys(demo_engine)
    lead = _scopes(world)["hub_lead"]
    dest = store.destinations(demo_engine, lead)
    assert not set(dest["leaver_key"]) & ys
    assert set(store.destinations(demo_engine, Scope.admin())["leaver_key"]) & ys
    hand = store.handovers(demo_engine, lead)
    restricted = hand[hand["leaver_key"].isin(s14 | ys)]
    assert len(restricted) and restricted["reason"].isna().all()
    assert hand.loc[~hand["leaver_key"].isin(s14 | ys), "reason"].notna().all()


def test_every_pupil_read_is_audited_with_who_and_what(demo_engine, world):
    from hubcore import audit

    for role, scope in _scopes(world).items():
        if role == "analyst":
            continue
        before = len(audit.events(demo_engine, user=scope.user))
        rows = store.handovers(demo_engine, scope)
        events = audit.events(demo_engine, user=scope.user)
        assert len(events) == before + 1
        latest = events.iloc[0]
        assert (latest["role"], latest["action"], latest["subject"], latest["rows"]) == (
            scope.role.value, "view", "handovers", len(rows)
        )


def _report_module():
    return pytest.importorskip("hubcore.metrics.report")


@pytest.mark.parametrize("role", ["analyst", "hub_lead", "careers_leader"])
def test_report_exports_are_suppressed_and_keyless(demo_engine, world, role):
    report = _report_module()
    scope = _scopes(world)[role]
    for kind in report.KINDS:
        table = report.export_table(demo_engine, kind, scope)
        # Report tables use "key" for the row's group (a URN, a hub); no pupil key anywhere.
        assert "leaver_key" not in table.columns
        for col in table.columns:
            text = table[col].astype(str)
            assert not text.str.fullmatch(r"[0-9a-f]{32,64}").any(), f"{kind}.{col}: pupil keys"
        spec = report.SPECS[kind]
        for col in spec.counts:
            if col in table.columns:
                numeric = pd.to_numeric(table[col], errors="coerce")
                assert not numeric.between(1, disclosure.THRESHOLD - 1).any(), (
                    f"{role}: {kind}.{col} has an unsuppressed small count"
                )
        allowed = _allowed_urns(role, world)
        if "urn" in table.columns and allowed is not None:
            urns = pd.to_numeric(table["urn"], errors="coerce").dropna().astype(int)
            assert set(urns) <= allowed, f"{role}: {kind} reports schools out of scope"
