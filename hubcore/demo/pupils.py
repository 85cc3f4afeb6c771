"""Generated pupil-level records for the synthetic demo: pseudonymous leavers, their
destinations up to three years after leaving, and hand-overs to the NCS or LA tracking.

Risk follows what the evidence says (DOMAIN.md §4.3–4.4): deprivation, FSM, SEN, exclusion,
low attendance, care and youth-justice involvement raise the chance of being NEET; stronger
careers programmes lower it; Year 13 leavers fall through the gaps more often than Year 11 and
are referred later.

So that every worklist and report has something to show, the records hold each state a real
hub sees on :data:`AS_OF`: Year 11 and Year 12 leavers with September Guarantee offers (intended
destinations dated before the end of September, a few late or never), records the current
autumn check has not reached yet (leavers with no record, or only last year's, now out of
date), not-known activities, and hand-overs waiting, referred, contacted after several
attempts, and closed with each outcome (engaged, moved area, refused, lost).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hubcore import codes

#: The demo's "today": the last date any record may carry (fixed, so builds are deterministic).
AS_OF = dt.date(2026, 11, 20)
#: Summers in which the demo's leavers left.
COHORTS = (2024, 2025, 2026)
#: Leaver year groups. Year 12 leavers are the young people who leave a sixth form or college
#: after one year (the September Guarantee covers them at age 17, DOMAIN.md §4.1).
YEAR_GROUPS = (11, 12, 13)
#: Share of a Year 12 group who leave after Year 12, by kind of institution: a few in school
#: sixth forms, more at colleges with one-year courses. A stand-in (no published figure in
#: DOMAIN.md), small so Year 12 stays the smallest leaver group.
YEAR12_LEAVING = {"fe_college": 0.12, "sixth_form_college": 0.06, "utc": 0.08}
YEAR12_LEAVING_DEFAULT = 0.05
#: Share of the records of the autumn check under way on :data:`AS_OF` (recorded since 1
#: September of AS_OF's year) not made yet: those young people have no record yet, or only last
#: year's, which is out of date by the chase list's currency rule.
NOT_YET_CHECKED = 0.05
#: NEET-risk intercept and leaving day in June (± 4 days per school) by year group.
_RISK_BASE = {11: -3.8, 12: -3.0, 13: -2.7}
_LEAVING_DAY = {11: 26, 12: 24, 13: 19}

_POSITIVE = {
    11: (("education", 0.9), ("apprenticeship", 0.04), ("employment", 0.02), ("training", 0.04)),
    12: (("education", 0.66), ("apprenticeship", 0.12), ("employment", 0.12), ("training", 0.1)),
    13: (
        ("education", 0.55),
        ("employment", 0.28),
        ("apprenticeship", 0.11),
        ("training", 0.03),
        ("re_engagement", 0.03),
    ),
}
_CODES = {
    "education_11": ((210, 0.4), (230, 0.38), (220, 0.15), (270, 0.04), (280, 0.03)),
    "education_12": ((230, 0.6), (210, 0.12), (220, 0.12), (250, 0.1), (270, 0.06)),
    "education_13": ((240, 0.7), (230, 0.18), (260, 0.06), (250, 0.06)),
    "apprenticeship": ((310, 1.0),),
    "employment": ((320, 0.2), (330, 0.35), (340, 0.25), (360, 0.15), (380, 0.05)),
    "training": ((410, 0.4), (430, 0.2), (450, 0.2), (460, 0.2)),
    "re_engagement": ((530, 1.0),),
    "neet_active": ((619, 0.7), (610, 0.15), (615, 0.1), (616, 0.05)),
    "neet_inactive": ((620, 0.3), (630, 0.2), (640, 0.4), (650, 0.1)),
    "not_known": ((810, 0.8), (820, 0.15), (830, 0.05)),
}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _draw(rng: np.random.Generator, options, n: int) -> np.ndarray:
    values, p = zip(*options, strict=True)
    return rng.choice(np.array(values), n, p=np.array(p) / sum(p))


def _counts(schools: pd.DataFrame) -> dict[int, np.ndarray]:
    """Expected Year 11, 12 and 13 leavers per school per cohort (people)."""
    kinds = schools["kind"].to_numpy()
    size = np.array(
        [codes.year_group_size(k, p) for k, p in zip(kinds, schools["pupils"], strict=True)]
    )
    teaches = {k: set(v) for k, v in codes.YEAR_GROUPS_BY_KIND.items()}
    y11 = np.array([11 in teaches[k] for k in kinds]) * size
    sixth_form = np.where(np.isin(kinds, ["mainstream_11_18", "all_through", "special"]), 0.6, 1)
    y13 = np.array([13 in teaches[k] for k in kinds]) * size * sixth_form
    leaving = np.array([YEAR12_LEAVING.get(k, YEAR12_LEAVING_DEFAULT) for k in kinds])
    y12 = np.array([12 in teaches[k] for k in kinds]) * size * sixth_form * leaving
    return {11: y11, 12: y12, 13: y13}


def make_leavers(
    rng: np.random.Generator,
    schools: pd.DataFrame,
    quality: np.ndarray,
    areas: pd.DataFrame,
) -> pd.DataFrame:
    """Leavers of :data:`COHORTS`, with characteristics and a latent NEET risk (``risk``, not
    stored) that drives their destinations."""
    expected = _counts(schools)
    frames = []
    for cohort in COHORTS:
        for year_group in YEAR_GROUPS:
            size = expected[year_group]
            n = rng.poisson(size * rng.uniform(0.95, 1.05, len(size)))
            idx = np.repeat(np.arange(len(schools)), n)
            frames.append(pd.DataFrame({"s": idx, "cohort": cohort, "year_group": year_group}))
    lv = pd.concat(frames, ignore_index=True)
    n = len(lv)
    s = lv["s"].to_numpy()
    kind = schools["kind"].to_numpy()[s]
    special, ap = kind == "special", kind == "ap"
    school_fsm = schools["percentage_fsm"].to_numpy()[s] / 100

    # Home areas: near the school, so a school's leavers share its neighbourhood's deprivation.
    home = np.empty(n, dtype=object)
    home_decile = np.empty(n, dtype=int)
    cent = areas.geometry.centroid
    ax, ay = cent.x.to_numpy(), cent.y.to_numpy()
    area_la = areas["parent_code"].to_numpy()
    for si, rows in lv.groupby("s").indices.items():
        cand = np.flatnonzero(area_la == schools["la_gss"].iat[si])
        if not len(cand):
            home[rows], home_decile[rows] = None, schools["area_decile"].iat[si]
            continue
        d = np.hypot(ax[cand] - schools["easting"].iat[si], ay[cand] - schools["northing"].iat[si])
        w = np.exp(-d / 2500)
        pick = cand[rng.choice(len(cand), len(rows), p=w / w.sum())]
        home[rows] = areas["code"].to_numpy()[pick]
        home_decile[rows] = areas["imd_decile"].to_numpy()[pick]

    u = rng.random((12, n))
    lv["fsm"] = u[0] < np.clip(school_fsm * (1.25 - home_decile / 20), 0, 0.95)
    lv["sen"] = np.where(
        special,
        np.where(u[1] < 0.92, "E", "K"),
        np.where(
            u[1] < np.where(ap, 0.2, 0.028), "E", np.where(u[1] < np.where(ap, 0.6, 0.15), "K", "N")
        ),
    )
    lv["eal"] = u[2] < 0.16
    lv["looked_after"] = u[3] < np.where(ap, 0.08, 0.008)
    lv["care_leaver"] = lv["looked_after"] | (u[4] < 0.005)
    lv["yot"] = u[5] < np.where(ap, 0.12, 0.008)
    lv["young_carer"] = u[6] < 0.02
    lv["parent_or_pregnant"] = u[7] < np.where(lv["year_group"] == 13, 0.012, 0.004)
    lv["alternative_provision"] = ap | (u[8] < 0.02)
    lv["ever_excluded"] = u[9] < np.where(ap, 0.8, 0.03 + 0.006 * (10 - home_decile))
    attendance = 95 - rng.gamma(1.5, 2.2 + 0.35 * (10 - home_decile) + 6 * ap, n)
    lv["attendance_pct"] = np.clip(attendance, 20, 100).round(1)
    lv["s14_info_optout"] = (lv["year_group"] >= 12) & (u[10] < 0.02)
    lv["ys_restriction"] = u[11] < 0.01
    lv["home_lsoa"] = home
    lv["home_decile"] = home_decile

    risk = (
        lv["year_group"].map(_RISK_BASE)
        + 0.55 * lv["fsm"]
        + 0.6 * ((lv["sen"] == "E") & ~special)
        + 0.35 * (lv["sen"] == "K")
        + 1.0 * lv["looked_after"]
        + 0.9 * lv["yot"]
        + 0.7 * lv["young_carer"]
        + 1.1 * lv["parent_or_pregnant"]
        + 1.1 * ap
        + 0.8 * lv["ever_excluded"]
        + 0.07 * np.clip(95 - lv["attendance_pct"], 0, None)
        + 0.08 * (5.5 - home_decile)
        - 0.3 * quality[s]
    )
    lv["risk"] = risk.to_numpy(float)
    lv["urn"] = schools["urn"].to_numpy()[s]
    jitter = rng.integers(-4, 5, len(schools))[s]
    base = lv["year_group"].map(_LEAVING_DAY).to_numpy()
    lv["left_on"] = [
        dt.date(int(c), 6, int(d)) for c, d in zip(lv["cohort"], base + jitter, strict=True)
    ]
    hi, lo = rng.integers(0, 2**63, n), rng.integers(0, 2**63, n)
    lv["key"] = [f"{a:016x}{b:016x}" for a, b in zip(hi, lo, strict=True)]
    return lv


def _categories_year1(rng: np.random.Generator, lv: pd.DataFrame) -> np.ndarray:
    n = len(lv)
    neet_nk = rng.random(n) < _sigmoid(lv["risk"].to_numpy())
    cat = np.empty(n, dtype=object)
    for yg in YEAR_GROUPS:
        m = (lv["year_group"] == yg).to_numpy()
        cat[m] = _draw(rng, _POSITIVE[yg], m.sum())
    special_training = (lv["sen"] == "E").to_numpy() & (rng.random(n) < 0.2)
    cat[special_training] = "training"
    neg = np.where(
        rng.random(n) < 0.4,
        "not_known",
        np.where(rng.random(n) < 0.8, "neet_active", "neet_inactive"),
    )
    cat[neet_nk] = neg[neet_nk]
    custody = lv["yot"].to_numpy() & (rng.random(n) < 0.03)
    cat[custody] = "custody"
    return cat


def _next_year(rng: np.random.Generator, cat: np.ndarray, lv: pd.DataFrame) -> np.ndarray:
    """Destinations one year on: most stay; some NEET find a place, some drop out."""
    n = len(cat)
    u = rng.random(n)
    out = cat.copy()
    eet = ~np.isin(cat, ["neet_active", "neet_inactive", "not_known", "custody"])
    drop = eet & (u < _sigmoid(lv["risk"].to_numpy() + 0.2) * 0.8)
    out[drop] = np.where(rng.random(drop.sum()) < 0.5, "neet_active", "not_known")
    neet = np.isin(cat, ["neet_active", "neet_inactive"])
    out[neet & (u < 0.45)] = "training"
    out[neet & (u >= 0.45) & (u < 0.6)] = "not_known"
    nk = cat == "not_known"
    out[nk & (u < 0.35)] = "employment"
    out[nk & (u >= 0.35) & (u < 0.5)] = "neet_active"
    return out


def make_destinations(
    rng: np.random.Generator, lv: pd.DataFrame, schools: pd.DataFrame
) -> pd.DataFrame:
    """Destination records of the leavers in ``lv``, up to :data:`AS_OF`:

    - ``actual``: one each November after leaving (years 1–3), NCCIS codes drawn within each
      category;
    - ``intended``: Year 11 and 12 leavers' September Guarantee offer or intended destination
      (:func:`_offers`), dated from March to the end of September of the leaving year, a few
      in October (late offers), none for some.

    ``made`` (not stored): False for the actual records of the autumn check under way on
    :data:`AS_OF` that it has not reached yet (:data:`NOT_YET_CHECKED`); the build leaves them
    out, while :func:`make_handovers` still sees them (the school knows what its leaver did
    before the LA's record says so).
    """
    colleges = schools[schools["kind"].isin(["fe_college", "sixth_form_college"])]
    college_by_la = colleges.groupby("la_gss")["urn"].first().to_dict()
    la_of = dict(zip(schools["urn"], schools["la_gss"], strict=True))
    college = lv["urn"].map(la_of).map(college_by_la).to_numpy()
    year_group = lv["year_group"].to_numpy()
    frames = []
    cat = _categories_year1(rng, lv)
    first_code = np.zeros(len(lv), dtype=int)
    for k in (1, 2, 3):
        if k > 1:
            cat = _next_year(rng, cat, lv)
        recorded = np.array(
            [dt.date(int(c) + k - 1, 11, 1) for c in lv["cohort"]], dtype=object
        ) + np.array([dt.timedelta(days=int(d)) for d in rng.integers(0, 15, len(lv))])
        ok = recorded <= AS_OF
        code = np.zeros(len(lv), dtype=int)
        for name in codes.DESTINATION_CATEGORIES:
            for yg in YEAR_GROUPS:
                m = (cat == name) & (year_group == yg)
                if not m.any():
                    continue
                key = f"{name}_{yg}" if name == "education" else name
                code[m] = 710 if name == "custody" else _draw(rng, _CODES[key], m.sum())
        if k == 1:
            first_code = code
        # Year 11 and 12 leavers going on to a college are placed at the LA's college.
        pre16 = year_group <= 12
        provider = np.where(np.isin(code, [220, 230]) & pre16, college, None)
        frames.append(
            pd.DataFrame(
                {
                    "leaver_key": lv["key"].to_numpy()[ok],
                    "recorded_on": recorded[ok],
                    "kind": "actual",
                    "nccis_code": code[ok],
                    "category": [codes.NCCIS_CATEGORY[c] for c in code[ok]],
                    "source": rng.choice(
                        ["school", "la_ccis", "college"],
                        ok.sum(),
                        p=[0.5, 0.4, 0.1] if k == 1 else [0.1, 0.7, 0.2],
                    ),
                    "provider_urn": pd.Series(provider[ok], dtype="Int64"),
                }
            )
        )
    frames.append(_offers(rng, lv, first_code))
    dest = pd.concat(frames, ignore_index=True)
    # The autumn check under way on AS_OF has not reached everyone yet.
    autumn = dt.date(AS_OF.year if AS_OF.month >= 9 else AS_OF.year - 1, 9, 1)
    this_autumn = dest["kind"].eq("actual").to_numpy() & (dest["recorded_on"].to_numpy() >= autumn)
    dest["made"] = ~(this_autumn & (rng.random(len(dest)) < NOT_YET_CHECKED))
    dest.insert(0, "id", np.arange(1, len(dest) + 1))
    return dest


#: An offer a young person did not take up (a college place or apprenticeship they did not
#: start), for leavers whose first activity was not itself an offer.
_UNTAKEN_OFFER = ((230, 0.55), (210, 0.15), (220, 0.1), (310, 0.2))
#: For each first-year category: chance that an offer was recorded, that only an intended
#: activity that is no offer was (the first activity's own code, e.g. seeking work 619, or not
#: known 810), and otherwise none. Education, training and work leavers nearly all had their
#: place offered by the deadline (England: 94.6 percent of offers made, DOMAIN.md §4.3).
_OFFER_CHANCE = {
    "neet_active": (0.6, 0.25),
    "neet_inactive": (0.5, 0.3),
    "not_known": (0.35, 0.2),
    "custody": (0.0, 0.0),
}
_EET_OFFER_CHANCE = {11: 0.985, 12: 0.97}
#: Share of offers made after the deadline (dated in October).
LATE_OFFERS = 0.015


def _offers(rng: np.random.Generator, lv: pd.DataFrame, first_code: np.ndarray) -> pd.DataFrame:
    """Intended destinations of Year 11 and 12 leavers, as the LA records the September
    Guarantee: a young person whose first activity (``first_code``, 0 = none) is one a valid
    offer would give (:data:`hubcore.metrics.guarantee.VALID_OFFER_CODES`) was offered that
    place; one in a job without training, part-time study or NEET may have had an offer they
    did not take up (:data:`_UNTAKEN_OFFER`), or only their intended activity recorded, or
    nothing. Offers are dated 1 March to 30 September of the leaving year (the spring intended
    destination collection to the guarantee's deadline), :data:`LATE_OFFERS` of them in
    October; intended activities that are not offers in late August and September (after
    results)."""
    from hubcore.metrics.guarantee import VALID_OFFER_CODES

    n = len(lv)
    year_group = lv["year_group"].to_numpy()
    covered = year_group <= 12
    category = np.array([codes.NCCIS_CATEGORY.get(int(c), "none") for c in first_code])
    valid = np.isin(first_code, list(VALID_OFFER_CODES))
    offer_p = np.where(year_group == 11, _EET_OFFER_CHANCE[11], _EET_OFFER_CHANCE[12])
    other_p = np.zeros(n)
    for name, (p_offer, p_other) in _OFFER_CHANCE.items():
        m = category == name
        offer_p[m], other_p[m] = p_offer, p_other
    # EET without a valid code (a job without training, part-time study): most had an offer.
    eet_invalid = ~valid & ~np.isin(category, [*_OFFER_CHANCE, "none"])
    offer_p[eet_invalid], other_p[eet_invalid] = 0.6, 0.35
    u = rng.random(n)
    offered = covered & (u < offer_p)
    other = covered & ~offered & (u < offer_p + other_p)
    code = np.where(valid, first_code, _draw(rng, _UNTAKEN_OFFER, n))
    code = np.where(other, np.where(category == "not_known", 810, first_code), code)
    start = np.array([dt.date(int(c), 3, 1).toordinal() for c in lv["cohort"]])
    late = rng.random(n) < LATE_OFFERS
    day = np.where(
        other,
        start + rng.integers(167, 214, n),  # 16 August to 30 September
        np.where(late, start + rng.integers(214, 245, n), start + rng.integers(0, 214, n)),
    )
    keep = (offered | other) & (day <= AS_OF.toordinal())
    return pd.DataFrame(
        {
            "leaver_key": lv["key"].to_numpy()[keep],
            "recorded_on": np.array([dt.date.fromordinal(int(d)) for d in day[keep]], dtype=object),
            "kind": "intended",
            "nccis_code": code[keep],
            "category": [codes.NCCIS_CATEGORY[int(c)] for c in code[keep]],
            "source": rng.choice(["school", "la_ccis"], keep.sum(), p=[0.6, 0.4]),
            "provider_urn": pd.Series(pd.NA, index=range(keep.sum()), dtype="Int64"),
        }
    )


#: Case holders per receiving organisation in each area.
HOLDERS_PER_AREA = {"ncs": 3, "la_tracking": 2}
#: Receiving organisation: (user name stem, role) of its case holders.
_HOLDER_ROLES = {
    "ncs": ("ncs.adviser", "ncs_adviser"),
    "la_tracking": ("la.tracking", "la_tracking"),
}


def case_holders(area: str, to_org_type: str) -> list[str]:
    """User names of the demo's NCS advisers or LA tracking officers for ``area`` (a GSS code),
    who hold its cases. The demo writes no users file: ``hubcore users add NAME --role
    ncs_adviser --ncs-area AREA`` (or ``--role la_tracking``) signs one in."""
    stem = _HOLDER_ROLES[to_org_type][0]
    return [f"{stem}{i}.{area.lower()}@demo.example"
            for i in range(1, HOLDERS_PER_AREA[to_org_type] + 1)]  # fmt: skip


def hub_lead(area: str) -> str:
    """User name of the demo's hub lead for the hub over ``area`` (reassigns cases)."""
    return f"hub.lead.{area.lower()}@demo.example"


#: Share of the hand-overs of young people NEET or not known at the first check that are
#: referred only after that check.
AFTER_CHECK = 0.3
#: The day the demo's hub started recording contacts and outcomes in the suite's worklists:
#: changes from then on are suite edits with a history (:func:`make_case_events`).
WORKLISTS_FROM = dt.date(2026, 11, 2)


def make_handovers(
    rng: np.random.Generator,
    lv: pd.DataFrame,
    destinations: pd.DataFrame,
    schools: pd.DataFrame,
    quality: np.ndarray,
) -> pd.DataFrame:
    """Hand-overs of leavers who were NEET or not known at their first check, or at high risk
    when leaving Year 13. Referral lags are longer at weaker schools and for Year 13 (the gap
    between LA tracking and the NCS); some are never referred (overdue), some referred young
    people are reached after several attempts, some never (lost).

    Each case is in one state on :data:`AS_OF`: ``pending`` (not referred), ``referred``
    (not contacted: recent referrals not yet tried, older ones tried and not reached),
    ``contacted`` (reached, ``attempts`` ≥ 1, no outcome yet), or closed with an ``outcome``:
    ``engaged``, ``moved_area`` or ``refused`` (status ``closed``), ``lost`` (reached and lost
    again, or never reached after 90 days). Referred cases are held (``held_by``, since
    ``held_since``) by one of the area's NCS advisers or LA tracking officers
    (:func:`case_holders`); some new referrals are not yet allocated and some overdue ones
    were reassigned by the hub lead. Columns starting with ``_`` are not stored: they let
    :func:`make_case_events` write the history of the changes made in the suite."""
    # make_destinations writes the actual records year by year: each leaver's first is the
    # earliest (no sort of dates held as objects, seconds at the region size).
    actual = destinations[destinations["kind"].eq("actual")]
    first = actual.drop_duplicates("leaver_key").set_index("leaver_key")
    cat1 = lv["key"].map(first["category"]).to_numpy()
    neg = np.isin(cat1, ["neet_active", "neet_inactive", "not_known"])
    at_risk = (lv["year_group"].to_numpy() == 13) & (lv["risk"].to_numpy() > -0.5) & ~neg
    take = neg | at_risk
    h = lv[take].reset_index(drop=True)
    n = len(h)
    cat1 = cat1[take]
    reason = np.where(
        cat1 == "not_known",
        "not_known",
        np.where(np.isin(cat1, ["neet_active", "neet_inactive"]), "neet", "at_risk"),
    )
    y13 = h["year_group"].to_numpy() == 13
    q = quality[h["s"].to_numpy()]
    median = 30 * np.exp(-0.5 * q) * np.where(y13, 1.8, 1.0)
    lag = np.round(median * rng.lognormal(0, 0.75, n)).astype(int)
    never = rng.random(n) < (0.05 + 0.1 * (q < -0.5))
    # Dates as day numbers (date.toordinal) until the end.
    today = AS_OF.toordinal()
    left = np.array([d.toordinal() for d in h["left_on"]])
    referred = left + lag
    # Some young people are referred only once the LA's autumn check has recorded them NEET or
    # not known: their school thought them placed (a week or so after the record).
    checked = first.loc[h["key"]]
    check_on = np.array([d.toordinal() for d in checked["recorded_on"]])
    after_check = (np.isin(reason, ["neet", "not_known"]) & checked["made"].to_numpy(dtype=bool)
                   & (rng.random(n) < AFTER_CHECK))  # fmt: skip
    referred = np.where(after_check, check_on + rng.integers(0, 8, n), referred)
    referred_ok = ~never & (referred <= today)
    contacted = referred + rng.integers(2, 45, n)
    contacted_ok = referred_ok & (rng.random(n) < 0.8) & (contacted <= today)
    u = rng.random(n)
    engaged_on = contacted + rng.integers(7, 60, n)
    closed_on = contacted + rng.integers(3, 40, n)  # refused or moved away, once reached
    lost_on = contacted + rng.integers(30, 120, n)
    engaged = contacted_ok & (u < 0.6) & (engaged_on <= today)
    refused = contacted_ok & (u >= 0.6) & (u < 0.65) & (closed_on <= today)
    moved = contacted_ok & (u >= 0.65) & (u < 0.69) & (closed_on <= today)
    lost_after_contact = contacted_ok & (u >= 0.69) & (u < 0.85) & (lost_on <= today)
    unreached = referred_ok & ~contacted_ok & (referred + 90 <= today)
    # Some never reached turn out to have moved away (an address check finds them elsewhere).
    moved_unreached = unreached & (rng.random(n) < 0.15)
    moved_found_on = referred + rng.integers(30, 91, n)
    lost_unreached = unreached & ~moved_unreached
    outcome = np.select(
        [engaged, refused, moved | moved_unreached, lost_after_contact | lost_unreached],
        ["engaged", "refused", "moved_area", "lost"],
        default="",
    )
    status = np.select(
        [~referred_ok, outcome == "engaged", outcome == "lost", outcome != "", contacted_ok],
        ["pending", "engaged", "lost", "closed", "contacted"],
        default="referred",
    )
    outcome_on = np.select(
        [engaged, refused | moved, lost_after_contact, moved_unreached, lost_unreached],
        [engaged_on, closed_on, lost_on, moved_found_on, referred + 90],
        default=0,
    )
    outcome_code = np.select(
        [engaged, outcome == "lost", outcome == "refused"],
        [_draw(rng, ((430, 0.3), (230, 0.3), (310, 0.15), (340, 0.25)), n), 810, 830],
        default=0,
    )
    # Contact attempts: reached on the last of 1–4 tries a week or more apart; not reached yet
    # after up to one try per ten days waited; lost or moved after 3–6 or 1–3 tries.
    tries = 1 + rng.binomial(np.clip((contacted - referred) // 7, 0, 3), 0.5)
    waited = np.maximum(today - referred, 0)
    open_tries = rng.binomial(np.clip(waited // 10, 0, 4), 0.6)
    attempts = np.select(
        [contacted_ok, lost_unreached, moved_unreached, status == "referred"],
        [tries, rng.integers(3, 7, n), rng.integers(1, 4, n), open_tries],
        default=0,
    )
    last_attempt = np.select(
        [contacted_ok, unreached, attempts > 0],
        [contacted, outcome_on - rng.integers(0, 21, n),
         referred + 1 + (rng.random(n) * np.maximum(waited - 1, 0)).astype(int)],
        default=0,
    )
    to_ncs = y13 | (rng.random(n) < 0.4)
    to_org = np.where(to_ncs, "ncs", "la_tracking")
    consent = y13 & (rng.random(n) < 0.7)
    la_of = dict(zip(schools["urn"], schools["la_gss"], strict=True))
    area = h["urn"].map(la_of).to_numpy()
    # Holders: one of the area's advisers or officers from the referral (a few days to
    # allocate); a tenth of the open referrals not allocated yet; a sixth of those waiting
    # over 30 days for a first contact reassigned by the hub lead in the last fortnight.
    pick = rng.integers(0, 6, n)
    teams = {(a, t): case_holders(a, t) for a, t in set(zip(area, to_org, strict=True))}
    holders = [teams[a, t] for a, t in zip(area, to_org, strict=True)]
    holder = np.array([hs[i % len(hs)] for hs, i in zip(holders, pick, strict=True)], dtype=object)
    held_since = np.minimum(referred + rng.integers(0, 4, n), today)
    unallocated = (status == "referred") & (rng.random(n) < 0.1)
    held = referred_ok & ~unallocated
    reassign = held & np.isin(status, ["referred"]) & (waited > 30) & (rng.random(n) < 0.17)
    reassigned_on = today - rng.integers(0, 15, n)
    before_holder = holder.copy()
    new_holder = np.array([hs[(i + 1) % len(hs)] for hs, i in zip(holders, pick, strict=True)],
                          dtype=object)  # fmt: skip
    holder = np.where(reassign, new_holder, holder)
    # The intended destination given at referral: the offer or plan on record for Year 11–12
    # leavers, a plan for half the Year 13 leavers.
    intended = destinations[destinations["kind"].eq("intended")].set_index("leaver_key")
    planned = h["key"].map(intended["nccis_code"]).to_numpy(dtype=float)
    plan13 = _draw(rng, ((230, 0.3), (240, 0.2), (310, 0.2), (330, 0.2), (430, 0.1)), n)
    planned = np.where(y13 & (rng.random(n) < 0.5), plan13, planned)

    def dates(days: np.ndarray, keep: np.ndarray) -> np.ndarray:
        return np.array(
            [dt.date.fromordinal(int(d)) if k else None for d, k in zip(days, keep, strict=True)],
            dtype=object,
        )

    has_outcome = outcome != ""
    out = pd.DataFrame(
        {
            "leaver_key": h["key"],
            "from_urn": h["urn"],
            "to_org_type": to_org,
            "ncs_area": area,
            "reason": reason,
            "left_on": h["left_on"].to_numpy(),
            "referred_on": dates(referred, referred_ok),
            "contacted_on": dates(contacted, contacted_ok),
            "outcome_on": dates(outcome_on, has_outcome),
            "outcome_nccis_code": pd.Series(outcome_code, dtype="Int64").where(outcome_code > 0),
            "status": status,
            "lawful_basis": np.where(consent, "consent", "public_task"),
            "dsa_ref": "DSA-SYNTHETIC-01",
            "consent_recorded": consent,
            "held_by": np.where(held, holder, None),
            "held_since": dates(np.where(reassign, reassigned_on, held_since), held),
            "intended_nccis_code": pd.Series(planned).where(referred_ok).astype("Int64"),
            "attempts": attempts.astype(int),
            "last_attempt_on": dates(last_attempt, attempts > 0),
            "outcome": np.where(has_outcome, outcome, None),
            "_role": [_HOLDER_ROLES[t][1] for t in to_org],
            "_reassigned_from": np.where(reassign, before_holder, None),
            "_held_since_before": dates(held_since, reassign),
            "_hub_lead": pd.Series(area).map({a: hub_lead(a) for a in set(area)}).to_numpy(),
        }
    )
    out.insert(0, "id", np.arange(1, n + 1))
    return out


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


#: Order of a case's suite changes on one day.
_ACTION_ORDER = {"contact": 0, "reassign": 1, "outcome": 2}


def _suite_changes(case: dict) -> list[tuple[dt.date, str, dict, dict]]:
    """The changes to one hand-over made in the suite (on or after :data:`WORKLISTS_FROM`),
    oldest first: (date, action, values before, values after)."""
    start = WORKLISTS_FROM
    found = []
    reached = case["contacted_on"] is not None
    attempts, last = case["attempts"], case["last_attempt_on"]
    if attempts and last is not None and last >= start:
        # The previous attempt a week earlier (never before the referral), if there was one.
        prev = max(last - dt.timedelta(days=7), case["referred_on"]) if attempts > 1 else None
        before = {"attempts": attempts - 1, "last_attempt_on": prev}
        after = {"attempts": attempts, "last_attempt_on": last}
        if reached and case["contacted_on"] == last:
            before |= {"contacted_on": None, "status": "referred"}
            after |= {"contacted_on": last, "status": "contacted"}
        found.append((last, "contact", before, after))
    if case["outcome"] is not None and case["outcome_on"] >= start:
        fields = ("outcome", "outcome_on", "outcome_nccis_code")
        before = dict.fromkeys(fields) | {"status": "contacted" if reached else "referred"}
        after = {f: case[f] for f in (*fields, "status")}
        found.append((case["outcome_on"], "outcome", before, after))
    if case["_reassigned_from"] is not None:
        before = {"held_by": case["_reassigned_from"], "held_since": case["_held_since_before"]}
        after = {"held_by": case["held_by"], "held_since": case["held_since"]}
        found.append((case["held_since"], "reassign", before, after))
    return sorted(found, key=lambda c: (c[0], _ACTION_ORDER[c[1]]))


def make_case_events(
    rng: np.random.Generator, handovers: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history of the changes the area's advisers, tracking officers and hub lead made in
    the suite's worklists since :data:`WORKLISTS_FROM`: contact attempts, outcomes and
    reassignments of held cases, each a ``case_event`` row with the case's values before and
    after (:func:`hubcore.worklists.rules.case_snapshot`, as the suite's own writes store
    them). ``handovers``: :func:`make_handovers`' frame with its final ids. Returns the
    hand-overs with ``version`` (1 + the case's suite changes), ``edited_at`` and
    ``edited_by`` (the last change; None for cases only ever imported), and the events
    (columns of ``case_event``, ``at`` in UTC during working hours)."""
    from hubcore.worklists import rules

    out = handovers.assign(version=1, edited_at=None, edited_by=None)
    held = out["held_by"].notna().to_numpy()
    recent = np.zeros(len(out), dtype=bool)
    for column in ("last_attempt_on", "outcome_on", "held_since"):
        values = out[column].to_numpy()
        recent |= np.array([v is not None and v >= WORKLISTS_FROM for v in values])
    events = []
    edits = {}
    chosen = np.flatnonzero(held & recent)
    for i, row in zip(chosen, out.iloc[chosen].to_dict("records"), strict=True):
        case = {k: None if _missing(v) else v for k, v in row.items()}
        changes = _suite_changes(case)
        if not changes:
            continue
        # Undo the changes, newest first, to get the case as it was imported.
        state = dict(case)
        for _, _, before, _ in reversed(changes):
            state |= before
        state["version"] = 1
        at = None
        for on, action, _, after in changes:
            user, role = state["held_by"], case["_role"]
            if action == "reassign":
                user, role = case["_hub_lead"], "hub_lead"
            start = dt.datetime(on.year, on.month, on.day, 8, 30, tzinfo=dt.UTC)
            stamp = start + dt.timedelta(minutes=int(rng.integers(0, 480)))
            at = stamp if at is None or stamp > at else at + dt.timedelta(minutes=7)
            new = {**state, **after, "version": state["version"] + 1}
            rules.check_case(new)  # the same rules the suite's writes follow
            events.append({
                "at": at, "user": user, "role": role, "action": action,
                "handover_id": int(case["id"]), "leaver_key": case["leaver_key"],
                "urn": int(case["from_urn"]),
                "before": rules.to_json(rules.case_snapshot(state)),
                "after": rules.to_json(rules.case_snapshot(new)),
            })  # fmt: skip
            state = new
        edits[i] = (state["version"], at, events[-1]["user"])
    rows = list(edits)
    out.iloc[rows, out.columns.get_loc("version")] = [edits[i][0] for i in rows]
    out.iloc[rows, out.columns.get_loc("edited_at")] = [edits[i][1] for i in rows]
    out.iloc[rows, out.columns.get_loc("edited_by")] = [edits[i][2] for i in rows]
    frame = pd.DataFrame(events, columns=["at", "user", "role", "action", "handover_id",
                                          "leaver_key", "urn", "before", "after"])
    frame = frame.sort_values(["at", "handover_id"], kind="stable", ignore_index=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return out, frame
