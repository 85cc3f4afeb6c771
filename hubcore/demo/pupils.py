"""Generated pupil-level records for the synthetic demo: pseudonymous leavers, their
destinations up to three years after leaving, and hand-overs to the NCS or LA tracking.

Risk follows what the evidence says (DOMAIN.md §4.3–4.4): deprivation, FSM, SEN, exclusion,
low attendance, care and youth-justice involvement raise the chance of being NEET; stronger
careers programmes lower it; Year 13 leavers fall through the gaps more often than Year 11 and
are referred later.
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

_POSITIVE = {
    11: (("education", 0.9), ("apprenticeship", 0.04), ("employment", 0.02), ("training", 0.04)),
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


def _counts(schools: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Year 11 and Year 13 leavers per school per cohort."""
    kinds = schools["kind"].to_numpy()
    size = np.array(
        [codes.year_group_size(k, p) for k, p in zip(kinds, schools["pupils"], strict=True)]
    )
    teaches = {k: set(v) for k, v in codes.YEAR_GROUPS_BY_KIND.items()}
    y11 = np.array([11 in teaches[k] for k in kinds]) * size
    sixth_form = np.where(np.isin(kinds, ["mainstream_11_18", "all_through", "special"]), 0.6, 1)
    y13 = np.array([13 in teaches[k] for k in kinds]) * size * sixth_form
    return y11, y13


def make_leavers(
    rng: np.random.Generator,
    schools: pd.DataFrame,
    quality: np.ndarray,
    areas: pd.DataFrame,
) -> pd.DataFrame:
    """Leavers of :data:`COHORTS`, with characteristics and a latent NEET risk (``risk``, not
    stored) that drives their destinations."""
    y11, y13 = _counts(schools)
    frames = []
    for cohort in COHORTS:
        for year_group, size in ((11, y11), (13, y13)):
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
    lv["s14_info_optout"] = (lv["year_group"] == 13) & (u[10] < 0.02)
    lv["ys_restriction"] = u[11] < 0.01
    lv["home_lsoa"] = home
    lv["home_decile"] = home_decile

    risk = (
        np.where(lv["year_group"] == 11, -3.8, -2.7)
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
    base = np.where(lv["year_group"] == 11, 26, 19)
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
    for yg in (11, 13):
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
    """Actual destinations recorded each November after leaving (years 1–3, up to
    :data:`AS_OF`), with NCCIS codes drawn within each category."""
    colleges = schools[schools["kind"].isin(["fe_college", "sixth_form_college"])]
    college_by_la = colleges.groupby("la_gss")["urn"].first().to_dict()
    la_of = dict(zip(schools["urn"], schools["la_gss"], strict=True))
    college = lv["urn"].map(la_of).map(college_by_la).to_numpy()
    frames = []
    cat = _categories_year1(rng, lv)
    for k in (1, 2, 3):
        if k > 1:
            cat = _next_year(rng, cat, lv)
        recorded = np.array(
            [dt.date(int(c) + k - 1, 11, 1) for c in lv["cohort"]], dtype=object
        ) + np.array([dt.timedelta(days=int(d)) for d in rng.integers(0, 15, len(lv))])
        ok = recorded <= AS_OF
        code = np.zeros(len(lv), dtype=int)
        for name in codes.DESTINATION_CATEGORIES:
            for yg in (11, 13):
                m = (cat == name) & (lv["year_group"].to_numpy() == yg)
                if not m.any():
                    continue
                key = f"{name}_{yg}" if name == "education" else name
                code[m] = 710 if name == "custody" else _draw(rng, _CODES[key], m.sum())
        # Year 11 leavers going on to a college are placed at the LA's college.
        year11 = lv["year_group"].to_numpy() == 11
        provider = np.where(np.isin(code, [220, 230]) & year11, college, None)
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
    dest = pd.concat(frames, ignore_index=True)
    dest.insert(0, "id", np.arange(1, len(dest) + 1))
    return dest


def make_handovers(
    rng: np.random.Generator,
    lv: pd.DataFrame,
    destinations: pd.DataFrame,
    schools: pd.DataFrame,
    quality: np.ndarray,
) -> pd.DataFrame:
    """Hand-overs of leavers who were NEET or not known at their first check, or at high risk
    when leaving Year 13. Referral lags are longer at weaker schools and for Year 13 (the gap
    between LA tracking and the NCS); some are never referred (overdue), and some referred young
    people are never reached (lost)."""
    first = destinations.sort_values("recorded_on").drop_duplicates("leaver_key")
    cat1 = lv["key"].map(first.set_index("leaver_key")["category"]).to_numpy()
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
    left = h["left_on"].to_numpy()
    day = dt.timedelta(days=1)
    referred = left + lag * day
    referred_ok = ~never & (referred <= AS_OF)
    contacted = referred + rng.integers(2, 45, n) * day
    contacted_ok = referred_ok & (rng.random(n) < 0.8) & (contacted <= AS_OF)
    u = rng.random(n)
    engaged_on = contacted + rng.integers(7, 60, n) * day
    lost_on = contacted + rng.integers(30, 120, n) * day
    engaged = contacted_ok & (u < 0.65) & (engaged_on <= AS_OF)
    lost_after_contact = contacted_ok & (u >= 0.65) & (u < 0.85) & (lost_on <= AS_OF)
    unreached = referred_ok & ~contacted_ok & (referred + 90 * day <= AS_OF)
    status = np.select(
        [~referred_ok, engaged, lost_after_contact | unreached, contacted_ok],
        ["pending", "engaged", "lost", "contacted"],
        default="referred",
    )
    outcome_on = np.where(
        engaged,
        engaged_on,
        np.where(lost_after_contact, lost_on, np.where(unreached, referred + 90 * day, None)),
    )
    outcome_code = np.where(
        engaged,
        _draw(rng, ((430, 0.3), (230, 0.3), (310, 0.15), (340, 0.25)), n),
        np.where(status == "lost", 810, 0),
    )
    to_ncs = y13 | (rng.random(n) < 0.4)
    consent = y13 & (rng.random(n) < 0.7)
    la_of = dict(zip(schools["urn"], schools["la_gss"], strict=True))
    out = pd.DataFrame(
        {
            "leaver_key": h["key"],
            "from_urn": h["urn"],
            "to_org_type": np.where(to_ncs, "ncs", "la_tracking"),
            "ncs_area": h["urn"].map(la_of),
            "reason": reason,
            "left_on": left,
            "referred_on": np.where(referred_ok, referred, None),
            "contacted_on": np.where(contacted_ok, contacted, None),
            "outcome_on": outcome_on,
            "outcome_nccis_code": pd.Series(outcome_code, dtype="Int64"),
            "status": status,
            "lawful_basis": np.where(consent, "consent", "public_task"),
            "dsa_ref": "DSA-SYNTHETIC-01",
            "consent_recorded": consent,
        }
    )
    out["outcome_nccis_code"] = out["outcome_nccis_code"].where(outcome_code > 0)
    out.insert(0, "id", np.arange(1, n + 1))
    return out
