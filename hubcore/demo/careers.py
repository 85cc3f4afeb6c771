"""Generated careers records for the synthetic demo: hubs, benchmark assessments, employers
with links and offers, and encounters.

Relations follow what CEC reports (DOMAIN.md §2.3): hub members and schools with a trained
careers leader score higher; BM6 (workplace experience) is the hardest benchmark; averages rise
year on year and dip when the 2024 framework starts in September 2025.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hubcore import codes
from hubcore.demo.names import SECTORS, employer_name, place_names

#: Academic years of assessments and encounters, with the framework Compass used.
ACADEMIC_YEARS = {"2023/24": "2014", "2024/25": "2014", "2025/26": "2024"}
SNAPSHOT_DATES = (("dec31", 12, 31), ("mar31", 3, 31), ("jul31", 7, 31))
#: Assessment areas per benchmark (schools evaluation), so percents are k/n × 100.
CRITERIA = {"2014": (8, 4, 6, 4, 4, 3, 5, 3), "2024": (8, 6, 7, 5, 5, 5, 6, 4)}
#: How easy each benchmark is to achieve (BM6 hardest, BM5 and BM8 easiest).
EASE = np.array([0.9, 0.5, 0.1, 0.0, 1.0, -0.55, 0.05, 0.8])


def academic_year_start(year: str) -> dt.date:
    return dt.date(int(year[:4]), 9, 1)


def school_quality(rng: np.random.Generator, schools: pd.DataFrame) -> np.ndarray:
    """Latent strength of each school's careers programme (about N(0, 0.7)): higher with a
    trained careers leader and hub membership, a little lower in deprived areas."""
    q = rng.normal(0, 0.55, len(schools))
    q += 0.35 * schools["has_careers_leader"].to_numpy()
    q += np.where(schools["hub_member"].to_numpy(), 0.25, -1.1)
    q += 0.05 * (schools["area_decile"].to_numpy() - 5.5)
    return q


def make_hubs(
    rng: np.random.Generator, schools: pd.DataFrame, las: pd.DataFrame, hub_size: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One hub per LA (the whole demo for the one-hub size). Outside the one-hub demo about
    3 percent of schools are not hub members, as nationally in 2024/25."""
    hubs = pd.DataFrame(
        {
            "id": ["DEMO"] if hub_size else [f"DEMO-{c[-3:]}" for c in las["code"]],
            "la_gss": las["code"].to_numpy()[:1] if hub_size else las["code"].to_numpy(),
            "la_name": las["name"].to_numpy()[:1] if hub_size else las["name"].to_numpy(),
        }
    )
    hubs["name"] = [f"{n} Careers Hub (synthetic demo)" for n in hubs["la_name"]]
    hubs["host_body_type"] = "LA"
    hubs["host_gss"] = hubs["la_gss"]
    hubs["pupil_data_sharing"] = True
    hubs["synthetic"] = True
    member = np.ones(len(schools), bool) if hub_size else rng.random(len(schools)) > 0.03
    hub_of = dict(zip(hubs["la_gss"], hubs["id"], strict=True))
    wave = rng.choice([2018, 2019, 2020, 2021], len(schools), p=[0.3, 0.3, 0.3, 0.1])
    memberships = pd.DataFrame(
        {
            "hub_id": schools["la_gss"].map(hub_of).fillna(hubs["id"].iloc[0]).to_numpy(),
            "urn": schools["urn"].to_numpy(),
            "start_date": [dt.date(int(y), 9, 1) for y in wave],
            "end_date": None,
        }
    )[member]
    memberships.insert(0, "id", np.arange(1, len(memberships) + 1))
    return hubs.drop(columns=["la_gss", "la_name"]), memberships


def make_assessments(
    rng: np.random.Generator, schools: pd.DataFrame, quality: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Termly Compass-style assessments over :data:`ACADEMIC_YEARS` with percents per benchmark.

    Each school/benchmark has a latent level that drifts upwards term by term; a benchmark is
    fully achieved when the level passes zero, and partly otherwise (k of n criteria).
    """
    n_schools = len(schools)
    terms = [
        (y, fw, snap, m, d) for y, fw in ACADEMIC_YEARS.items() for snap, m, d in SNAPSHOT_DATES
    ]
    level = quality[:, None] + EASE[None, :] + rng.normal(0, 0.6, (n_schools, 8)) - 0.35
    rows, scores = [], []
    assessment_id = 0
    eval_type = schools["kind"].map(codes.EVALUATION_TYPE_BY_KIND).fillna("schools").to_numpy()
    for t, (year, framework, snap, month, day) in enumerate(terms):
        level = level + 0.05 + rng.normal(0, 0.12, level.shape)
        if t == 6:  # new framework, new criteria: scores drop back before climbing again
            level = level - 0.9
        if t >= 6:
            level = level + 0.12
        cal_year = int(year[:4]) + (0 if month >= 9 else 1)
        assessed = dt.date(cal_year, month, day)
        n_crit = np.array(CRITERIA[framework])
        frac = 1 / (1 + np.exp(-(level + 1.2) * 1.6))
        met = np.minimum(np.floor(frac * n_crit), n_crit - 1)
        met = np.where(level > 0, n_crit, met)
        percent = np.round(100 * met / n_crit, 1)
        # A few schools skip a term's evaluation, as in life.
        done = rng.random(n_schools) > 0.04
        ids = assessment_id + np.arange(1, done.sum() + 1)
        assessment_id += int(done.sum())
        rows.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "urn": schools["urn"].to_numpy()[done],
                    "assessed_on": assessed,
                    "academic_year": year,
                    "snapshot": snap,
                    "evaluation_type": eval_type[done],
                    "framework": framework,
                }
            )
        )
        scores.append(
            pd.DataFrame(
                {
                    "assessment_id": np.repeat(ids, 8),
                    "benchmark": np.tile(np.arange(1, 9), len(ids)),
                    "percent": percent[done].ravel(),
                }
            )
        )
    return pd.concat(rows, ignore_index=True), pd.concat(scores, ignore_index=True)


def make_employers(rng: np.random.Generator, areas: pd.DataFrame, per_la: int) -> pd.DataFrame:
    """Employers located in the small areas, most near each town centre."""
    frames = []
    for la_code, la_areas in areas.groupby("parent_code", sort=True):
        weight = la_areas["density"].to_numpy() ** 1.5
        pick = rng.choice(len(la_areas), per_la, p=weight / weight.sum())
        centroids = la_areas.geometry.centroid.to_numpy()[pick]
        frames.append(
            pd.DataFrame(
                {
                    "la_gss": la_code,
                    "easting": np.array([c.x for c in centroids]) + rng.normal(0, 250, per_la),
                    "northing": np.array([c.y for c in centroids]) + rng.normal(0, 250, per_la),
                }
            )
        )
    emp = pd.concat(frames, ignore_index=True)
    n = len(emp)
    emp.insert(0, "id", np.arange(1, n + 1))
    emp["ref"] = [f"EMP{i:06d}" for i in emp["id"]]
    names, weights = zip(*SECTORS, strict=True)
    emp["sector"] = rng.choice(names, n, p=np.array(weights) / sum(weights))
    emp["size_band"] = rng.choice(codes.SIZE_BANDS, n, p=[0.35, 0.3, 0.2, 0.15])
    places = place_names(rng, n, unique=False)
    emp["name"] = [employer_name(rng, p, s) for p, s in zip(places, emp["sector"], strict=True)]
    has_ch = rng.random(n) < 0.9
    emp["companies_house_no"] = [f"{rng.integers(0, 10**8):08d}" if h else None for h in has_ch]
    large = emp["size_band"].to_numpy() == "large"
    medium = emp["size_band"].to_numpy() == "medium"
    emp["cornerstone"] = (large & (rng.random(n) < 0.3)) | (medium & (rng.random(n) < 0.05))
    emp["employer_standards_assessed"] = rng.random(n) < np.where(large, 0.4, 0.08)
    emp["postcode"] = [f"ZZ{rng.integers(1, 99)} {rng.integers(1, 9)}YY" for _ in range(n)]
    emp["easting"] = emp["easting"].round(0)
    emp["northing"] = emp["northing"].round(0)
    return emp


def nearest_employers(schools: pd.DataFrame, employers: pd.DataFrame, k: int) -> np.ndarray:
    """For each school, the row positions of the ``k`` nearest employers in its LA."""
    out = np.zeros((len(schools), k), dtype=np.int64)
    emp_la = employers["la_gss"].to_numpy()
    for la_code, idx in schools.groupby("la_gss", sort=False).indices.items():
        cand = np.flatnonzero(emp_la == la_code)
        sx = schools["easting"].to_numpy()[idx, None]
        sy = schools["northing"].to_numpy()[idx, None]
        ex, ey = employers["easting"].to_numpy()[cand], employers["northing"].to_numpy()[cand]
        d = np.hypot(sx - ex, sy - ey)
        out[idx] = cand[np.argsort(d, axis=1)[:, :k]]
    return out


def make_links(
    rng: np.random.Generator, schools: pd.DataFrame, employers: pd.DataFrame, near: np.ndarray
) -> pd.DataFrame:
    """Enterprise advisers, cornerstone and governor links, and work-experience partners."""
    rows = []
    cornerstone = employers["cornerstone"].to_numpy()
    for s, school in enumerate(schools.itertuples()):
        cand = near[s]
        if rng.random() < 0.88:
            rows.append((cand[rng.integers(0, 4)], school.urn, "enterprise_adviser"))
        corner = cand[cornerstone[cand]]
        if len(corner) and rng.random() < 0.6:
            rows.append((corner[0], school.urn, "cornerstone"))
        if school.has_employer_link_governor:
            rows.append((cand[rng.integers(0, len(cand))], school.urn, "governor"))
        for e in rng.choice(cand, rng.integers(2, 8), replace=False):
            rows.append((e, school.urn, "work_experience_partner"))
    links = pd.DataFrame(rows, columns=["pos", "urn", "role"]).drop_duplicates(
        ["pos", "urn", "role"]
    )
    links["employer_id"] = employers["id"].to_numpy()[links["pos"].to_numpy()]
    links["start_date"] = [dt.date(int(y), 9, 1) for y in rng.integers(2018, 2026, len(links))]
    links["end_date"] = None
    links.insert(0, "id", np.arange(1, len(links) + 1))
    return links.drop(columns="pos")


_OFFER_KINDS = (
    ("talk", 5, (10, 120)),
    ("mentoring", 5, (4, 20)),
    ("enterprise", 5, (20, 90)),
    ("workplace_visit", 6, (8, 40)),
    ("work_experience", 6, (2, 20)),
)


def make_offers(rng: np.random.Generator, employers: pd.DataFrame) -> pd.DataFrame:
    """What each employer offers in the last two academic years, and how much was taken up.
    About a fifth of offers go entirely unused: the supply the hub lead can redirect."""
    rows = []
    for year in list(ACADEMIC_YEARS)[-2:]:
        for emp_id in employers["id"].to_numpy():
            for k in rng.choice(len(_OFFER_KINDS), rng.integers(0, 3), replace=False):
                kind, bm, (lo, hi) = _OFFER_KINDS[k]
                capacity = int(rng.integers(lo, hi))
                used = 0 if rng.random() < 0.2 else int(capacity * rng.beta(3, 1.5))
                young = 7 if kind in ("talk", "enterprise") else 10
                rows.append((emp_id, year, kind, bm, capacity, used, young, 13))
    offers = pd.DataFrame(
        rows,
        columns=[
            "employer_id",
            "academic_year",
            "kind",
            "benchmark",
            "capacity",
            "taken_up",
            "year_from",
            "year_to",
        ],
    )
    offers.insert(0, "id", np.arange(1, len(offers) + 1))
    return offers


def _dates(rng: np.random.Generator, year_start: np.ndarray, lo: int, hi: np.ndarray | int):
    """School-day dates ``lo``–``hi`` days after each academic year's 1 September."""
    offset = rng.integers(lo, hi)
    days = year_start + offset
    weekday = (days - 1) % 7  # date ordinal 1 was a Monday: 0 = Monday … 5, 6 = weekend
    days = np.where(weekday >= 5, days - (weekday - 4), days)
    return days


def make_encounters(
    rng: np.random.Generator,
    schools: pd.DataFrame,
    quality: np.ndarray,
    employers: pd.DataFrame,
    near: np.ndarray,
    intensity: float = 1.0,
) -> pd.DataFrame:
    """Encounters for every school and academic year: BM5 employer encounters, BM6 workplace
    experience, BM7 provider encounters (the Provider Access Legislation's slots among them),
    BM8 guidance, and some BM2/BM4 sessions. ``intensity`` scales the number of BM5 events."""
    years = list(ACADEMIC_YEARS)
    kinds = schools["kind"].to_numpy()
    pupils = schools["pupils"].to_numpy(float)
    size = np.array([codes.year_group_size(k, p) for k, p in zip(kinds, pupils, strict=True)])
    providers = schools[schools["kind"].isin(["fe_college", "sixth_form_college", "utc"])]
    provider_by_la = providers.groupby("la_gss")["urn"].apply(list).to_dict()
    frames = []

    def emit(school_idx, year_idx, kind, bm, y_from, y_to, participants, **extra):
        n = len(school_idx)
        frame = pd.DataFrame(
            {
                "s": school_idx,
                "year": np.asarray(year_idx),
                "kind": kind,
                "benchmark": bm,
                "year_from": y_from,
                "year_to": y_to,
                "participants": np.maximum(np.round(participants), 1).astype(int),
            }
        )
        for key, value in extra.items():
            frame[key] = value if np.ndim(value) else np.repeat(value, n)
        frames.append(frame)

    for yi in range(len(years)):
        for s_years in set(codes.YEAR_GROUPS_BY_KIND.values()):
            sel = np.flatnonzero([codes.YEAR_GROUPS_BY_KIND[k] == s_years for k in kinds])
            if not len(sel):
                continue
            q = quality[sel]
            ys = np.array(s_years)
            # BM5: class-sized employer encounters across every year group.
            lam = intensity * 12 * len(ys) * np.exp(0.35 * q)
            n5 = rng.poisson(lam)
            idx = np.repeat(sel, n5)
            yg = ys[rng.integers(0, len(ys), len(idx))]
            kind5 = rng.choice(
                ["talk", "enterprise", "mentoring", "workplace_visit"],
                len(idx),
                p=[0.55, 0.15, 0.15, 0.15],
            )
            part = np.where(
                kind5 == "mentoring",
                rng.integers(3, 15, len(idx)),
                size[idx] * rng.uniform(0.12, 0.35, len(idx)),
            )
            emit(
                idx,
                yi,
                kind5,
                5,
                yg,
                yg,
                part,
                mode=rng.choice(codes.ENCOUNTER_MODES, len(idx), p=[0.8, 0.15, 0.05]),
            )
            # BM6: placements for Year 10 and Year 12, reach rising with quality.
            for y in (10, 12):
                if y not in ys:
                    continue
                reach = 1 / (1 + np.exp(-(0.6 + 1.2 * q)))
                n6 = rng.integers(3, 9, len(sel))
                idx = np.repeat(sel, n6)
                share = np.repeat(reach * size[sel] / n6, n6)
                emit(
                    idx,
                    yi,
                    "work_experience",
                    6,
                    y,
                    y,
                    share * rng.uniform(0.8, 1.2, len(idx)),
                    duration_days=rng.choice([5.0, 5.0, 10.0, 3.0], len(idx)),
                )
            # BM7: Provider Access Legislation slots per phase, plus HE visits post-16.
            for phase_years in ((8, 9), (10, 11), (12, 13)):
                if not set(phase_years) <= set(ys):
                    continue
                n7 = rng.binomial(3, 1 / (1 + np.exp(-(1.0 + 1.1 * q))))
                idx = np.repeat(sel, n7)
                yg = rng.choice(phase_years, len(idx))
                emit(
                    idx,
                    yi,
                    "provider_encounter",
                    7,
                    yg,
                    yg,
                    size[idx] * 0.9,
                    provider_access=True,
                    pal_late=rng.random(len(idx)) < 0.12,
                )
            if 12 in ys:
                n_he = rng.poisson(1.5, len(sel))
                idx = np.repeat(sel, n_he)
                emit(
                    idx,
                    yi,
                    "he_visit",
                    7,
                    12,
                    13,
                    size[idx] * rng.uniform(0.2, 0.6, len(idx)),
                    provider_name="University of Eastmere (synthetic)",
                )
            # BM8: guidance meetings in Year 11 and Year 13, one row per term.
            for y in (11, 13):
                if y not in ys:
                    continue
                reach = np.clip(0.8 + 0.15 * q + rng.normal(0, 0.08, len(sel)), 0.25, 1.0)
                idx = np.repeat(sel, 3)
                emit(idx, yi, "guidance_meeting", 8, y, y, np.repeat(reach * size[sel] / 3, 3))
            # BM2 and BM4: labour-market sessions and curriculum links.
            for kind, bm, lam in (("lmi_session", 2, 2.0), ("curriculum_link", 4, 3.0)):
                idx = np.repeat(sel, rng.poisson(lam * np.exp(0.3 * q)))
                yg = ys[rng.integers(0, len(ys), len(idx))]
                emit(idx, yi, kind, bm, yg, yg, size[idx] * 0.8)

    enc = pd.concat(frames, ignore_index=True)
    n = len(enc)
    s = enc["s"].to_numpy()
    employer_kinds = (
        enc["kind"]
        .isin(["talk", "enterprise", "mentoring", "workplace_visit", "work_experience"])
        .to_numpy()
    )
    pos = near[s, rng.integers(0, near.shape[1], n)]
    enc["employer_id"] = pd.Series(employers["id"].to_numpy()[pos], dtype="Int64").where(
        employer_kinds
    )
    # Provider encounters name a college in the LA where there is one.
    la = schools["la_gss"].to_numpy()[s]
    prov = np.array(
        [
            (lambda opts: opts[rng.integers(len(opts))] if opts else -1)(provider_by_la.get(x, []))
            if k == "provider_encounter"
            else -1
            for x, k in zip(la, enc["kind"].to_numpy(), strict=True)
        ]
    )
    enc["provider_urn"] = pd.Series(prov, dtype="Int64").where(prov > 0)
    is_prov = enc["kind"].to_numpy() == "provider_encounter"
    enc["provider_name"] = enc.get("provider_name")
    enc.loc[is_prov & (prov <= 0), "provider_name"] = "Eastmere Training Partnership (synthetic)"
    year_start = np.array([academic_year_start(y).toordinal() for y in years])[enc["year"]]
    # Most events fall in term time through to mid-July; PAL slots in Years 9, 11 and 13 belong
    # between 1 September and 28 February, and a few schools hold them late.
    late = enc.get("pal_late", pd.Series(False, index=enc.index)).fillna(False).to_numpy(bool)
    hi = np.where(is_prov & ~late, 175, 318)
    lo = np.where(is_prov & late, 185, 5)
    enc["date"] = [dt.date.fromordinal(int(d)) for d in _dates(rng, year_start, lo, hi)]
    enc["academic_year"] = np.array(years)[enc["year"]]
    enc["urn"] = schools["urn"].to_numpy()[s]
    enc["provider_access"] = enc.get("provider_access", False)
    enc["provider_access"] = enc["provider_access"].fillna(False).astype(bool)
    enc["mode"] = enc["mode"].fillna("in_person")
    enc = enc.sort_values(["urn", "date"], kind="stable").reset_index(drop=True)
    enc.insert(0, "id", np.arange(1, n + 1))
    cols = [
        "id",
        "urn",
        "employer_id",
        "provider_urn",
        "provider_name",
        "kind",
        "benchmark",
        "date",
        "academic_year",
        "year_from",
        "year_to",
        "participants",
        "mode",
        "provider_access",
        "duration_days",
    ]
    return enc[cols]
