"""The LA tracking officer role (issue 15): an officer of an upper-tier LA sees the hand-overs
referred to LA tracking in their LA, from any school, and those young people; never the
hand-overs to the NCS, never another LA's; statutory opt-outs apply as for any reader beyond
the school; and the users file names their LA with ``area`` (alias of ``ncs_area``).

The hub below is hand-made and small, so each expected set is read off the table by hand.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hubcore import codes, rollups, store, users
from hubcore.access import Role, Scope
from hubcore.errors import HubcoreError
from hubcore.models import DestinationRecord, Handover, Leaver, School

LEEDS, WAKEFIELD = "E08000035", "E08000036"
#: School A is in Leeds, school B in Wakefield.
A, B = 100001, 100002


def _key(name: str) -> str:
    return f"{name:z<20}"  # the key_length check wants at least 16 characters


# (leaver, school, s14 opt-out, youth-support restriction)
LEAVERS = [
    ("K1", A, False, False),
    ("K2", A, False, False),
    ("K3", B, False, False),
    ("K4", B, False, False),
    ("K5", A, True, False),
    ("K6", A, False, True),
    ("K7", A, False, False),  # never handed over
]
# (id, leaver, from school, to, area, referred, contacted, status)
HANDOVERS = [
    (1, "K1", A, "la_tracking", LEEDS, "2024-08-01", "2024-08-06", "contacted"),
    (2, "K2", A, "ncs", LEEDS, "2024-08-02", None, "referred"),  # NCS: not the officer's
    # A Wakefield school hands a Leeds resident to Leeds's tracking: the Leeds officer's.
    (3, "K3", B, "la_tracking", LEEDS, "2024-08-03", None, "referred"),
    (4, "K4", B, "la_tracking", WAKEFIELD, "2024-08-04", None, "referred"),  # another LA
    (5, "K5", A, "la_tracking", LEEDS, "2024-08-05", None, "referred"),
    (6, "K6", A, "la_tracking", LEEDS, None, None, "pending"),
]
# (leaver, recorded on, NCCIS code)
RECORDS = [("K1", "2024-10-01", 230), ("K2", "2024-10-01", 230), ("K4", "2024-10-01", 330),
           ("K6", "2024-10-01", 619)]  # fmt: skip

OFFICER = Scope(Role.LA_TRACKING, ncs_area=LEEDS, user="tracker@leeds.test")


@pytest.fixture
def two_las(engine):
    schools = [
        {"urn": urn, "name": f"School {urn}", "la_code": code, "type_code": 1, "phase_code": 4,
         "kind": "mainstream_11_18", "status": "Open", "la_gss": gss}
        for urn, code, gss in ((A, 383, LEEDS), (B, 384, WAKEFIELD))
    ]  # fmt: skip
    leavers = [
        {"key": _key(k), "urn": urn, "cohort": 2024, "year_group": 11,
         "left_on": dt.date(2024, 7, 19), "sen": "K", "home_lsoa": "E01011229",
         "roni_score": 7, "s14_info_optout": s14, "ys_restriction": ys}
        for k, urn, s14, ys in LEAVERS
    ]  # fmt: skip
    hand = [
        {"id": i, "leaver_key": _key(k), "from_urn": urn, "to_org_type": to, "ncs_area": area,
         "reason": "neet", "left_on": dt.date(2024, 7, 19),
         "referred_on": dt.date.fromisoformat(ref) if ref else None,
         "contacted_on": dt.date.fromisoformat(con) if con else None, "status": status}
        for i, k, urn, to, area, ref, con, status in HANDOVERS
    ]  # fmt: skip
    records = [
        {"leaver_key": _key(k), "recorded_on": dt.date.fromisoformat(on), "kind": "actual",
         "nccis_code": code, "category": codes.NCCIS_CATEGORY[code]}
        for k, on, code in RECORDS
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(School.__table__.insert(), schools)
        conn.execute(Leaver.__table__.insert(), leavers)
        conn.execute(Handover.__table__.insert(), hand)
        conn.execute(DestinationRecord.__table__.insert(), records)
        rollups.refresh(conn)
    return engine


def test_scope_needs_the_area():
    with pytest.raises(HubcoreError, match="LA tracking officer.*upper-tier LA"):
        Scope(Role.LA_TRACKING)
    assert Role("la_tracking") is Role.LA_TRACKING
    assert OFFICER.pupil_rows_allowed() and store.beyond_school(OFFICER)


def test_officer_sees_only_la_tracking_hand_overs_of_their_la(two_las):
    hand = store.handovers(two_las, OFFICER)
    # 1, 3, 5, 6 go to LA tracking in Leeds (3 from a Wakefield school); 2 is the NCS's and 4
    # Wakefield's.
    assert sorted(hand["id"]) == [1, 3, 5, 6]
    assert set(hand["to_org_type"]) == {"la_tracking"} and set(hand["ncs_area"]) == {LEEDS}
    # The same area's NCS adviser sees the other hand-over, and only that one.
    ncs = store.handovers(two_las, Scope(Role.NCS_ADVISER, ncs_area=LEEDS))
    assert sorted(ncs["id"]) == [2]
    wakefield = store.handovers(two_las, Scope(Role.LA_TRACKING, ncs_area=WAKEFIELD))
    assert sorted(wakefield["id"]) == [4]


def test_officer_sees_the_young_people_of_their_hand_overs_only(two_las):
    leavers = store.leavers(two_las, OFFICER)
    assert sorted(leavers["key"]) == sorted(_key(k) for k in ("K1", "K3", "K5", "K6"))
    # Destinations: K1's and K6's records are the officer's young people's, but K6 restricted
    # youth-support sharing, so only K1's is shown (K2 is the NCS's, K4 Wakefield's).
    dest = store.destinations(two_las, OFFICER)
    assert list(dest["leaver_key"]) == [_key("K1")]


def test_opt_outs_withhold_other_information_from_the_officer(two_las):
    leavers = store.leavers(two_las, OFFICER).set_index("key")
    # K5 opted out (s14), K6 restricted youth-support sharing: other information withheld.
    for k in ("K5", "K6"):
        row = leavers.loc[_key(k)]
        for col in ("sen", "home_lsoa", "roni_score"):
            assert row[col] is None or row[col] != row[col], f"{k}.{col} shown"  # None / NaN
        assert row["cohort"] == 2024 and row["urn"] == A  # basic fields stay
    assert leavers.loc[_key("K1"), "sen"] == "K"
    assert leavers.loc[_key("K3"), "roni_score"] == 7
    hand = store.handovers(two_las, OFFICER).set_index("id")
    assert hand.loc[5, "reason"] is None and hand.loc[6, "reason"] is None
    assert hand.loc[1, "reason"] == "neet" and hand.loc[3, "reason"] == "neet"


def test_officer_schools_are_those_of_their_la(two_las):
    assert list(store.schools(two_las, OFFICER)["urn"]) == [A]


def test_handover_dates_count_the_officer_hand_overs_without_keys(two_las):
    frame = store.handover_dates(two_las, OFFICER)
    assert not {"key", "leaver_key"} & set(frame.columns)
    # Hand-overs 1, 3, 5, 6: from A (1 contacted, 5 referred, 6 pending, not referred) and
    # from B (3 referred): four, one contacted, one without a referral date.
    assert frame["handovers"].sum() == 4
    assert frame.groupby("urn")["handovers"].sum().to_dict() == {A: 3, B: 1}
    assert set(frame["to_org_type"]) == {"la_tracking"}
    assert int(frame.loc[frame["contacted"], "handovers"].sum()) == 1
    assert int(frame.loc[frame["referred_on"].isna(), "handovers"].sum()) == 1
    # Same columns and types as the summary the other roles read.
    packed = store.handover_dates(two_las, Scope.admin())
    assert list(frame.columns) == list(packed.columns)
    assert frame.dtypes.astype(str).to_dict() == packed.dtypes.astype(str).to_dict()


def test_handover_summary_and_no_aggregate_leak(two_las):
    summary = store.handover_summary(two_las, OFFICER)
    assert summary["handovers"].sum() == 4
    assert summary.groupby("status")["handovers"].sum().to_dict() == {
        "contacted": 1, "pending": 1, "referred": 2}


# --- the users file ------------------------------------------------------------------------


def _write(path, entries: dict) -> None:
    path.write_text(json.dumps({"version": 1, "users": entries}), encoding="utf-8")


def test_users_file_area_alias(tmp_path):
    path = tmp_path / "users.json"
    _write(path, {
        "t@leeds.test": {"role": "la_tracking", "area": LEEDS},
        "n@ncs.test": {"role": "ncs_adviser", "ncs_area": WAKEFIELD},
        "both@leeds.test": {"role": "la_tracking", "area": LEEDS, "ncs_area": LEEDS},
    })
    loaded = users.load_users(path)
    scope = loaded["t@leeds.test"].scope()
    assert (scope.role, scope.ncs_area, scope.user) == (Role.LA_TRACKING, LEEDS, "t@leeds.test")
    assert loaded["n@ncs.test"].scope().ncs_area == WAKEFIELD
    assert loaded["both@leeds.test"].ncs_area == LEEDS


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"role": "la_tracking"}, "user 't@x.test'.*needs the upper-tier LA"),
        ({"role": "la_tracking", "area": ""}, "needs the upper-tier LA"),
        ({"role": "la_tracking", "area": "E07000001"}, "not an upper-tier LA GSS code"),
        ({"role": "la_tracking", "area": "leeds"}, "not an upper-tier LA GSS code"),
        ({"role": "la_tracking", "area": LEEDS, "ncs_area": WAKEFIELD}, "keep one"),
    ],
)
def test_users_file_bad_area_is_a_clear_error(tmp_path, entry, message):
    path = tmp_path / "users.json"
    _write(path, {"t@x.test": entry})
    with pytest.raises(HubcoreError, match=message):
        users.load_users(path)


def test_add_user_checks_the_area(tmp_path, monkeypatch):
    monkeypatch.setattr(users, "SCRYPT_N", 2**10)
    path = tmp_path / "users.json"
    with pytest.raises(HubcoreError, match="needs the upper-tier LA"):
        users.add_user("t@x.test", "la_tracking", None, path=path)
    with pytest.raises(HubcoreError, match="not an upper-tier LA GSS code"):
        users.add_user("t@x.test", "la_tracking", None, ncs_area="E07000001", path=path)
    assert not path.exists()  # nothing written for a refused user
    users.add_user("t@x.test", "la_tracking", None, ncs_area=LEEDS, path=path)
    assert users.user_scope("t@x.test", path) == Scope(Role.LA_TRACKING, ncs_area=LEEDS,
                                                       user="t@x.test")  # fmt: skip


def test_users_cli_takes_area(tmp_path, monkeypatch, capsys):
    from hubcore import cli

    path = tmp_path / "users.json"
    monkeypatch.setenv(users.ENV_USERS_FILE, str(path))
    assert cli.main(["users", "add", "t@x.test", "--role", "la_tracking", "--area", LEEDS,
                     "--oidc"]) == 0  # fmt: skip
    assert users.load_users(path)["t@x.test"].ncs_area == LEEDS
    assert cli.main(["users", "add", "u@x.test", "--role", "la_tracking", "--oidc"]) == 1
    assert "needs the upper-tier LA" in capsys.readouterr().err



def test_briefing_of_an_officer_keeps_la_tracking_only(demo_engine):
    from hubcore import briefing
    from hubcore.display import briefing as shown

    area = store.schools(demo_engine, Scope.admin())["la_gss"].iat[0]
    scope = Scope(Role.LA_TRACKING, ncs_area=area, user="t@test")
    frames = shown.briefing_frames(demo_engine, scope, dt.date(2026, 11, 30))
    assert len(frames.funnel) and set(frames.funnel["handed_to"]) == {"la_tracking"}
    gathered = briefing.gather(demo_engine, scope, dt.date(2026, 11, 30))
    assert f"hand-overs to LA tracking in {area} only" in gathered.funnel.note
    assert gathered.scope_label == f"Local authority {area}"
