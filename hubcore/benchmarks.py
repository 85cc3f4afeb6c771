"""The eight Gatsby Benchmarks: numbers, names, what "achieved" means, and national reference
figures (``../shared/DOMAIN.md`` §1–2).

A benchmark is *fully achieved* when a Compass evaluation scores it at 100 percent of its
assessment areas. Scores under the 2014 framework (Compass until July 2025) and the 2024
framework (from September 2025) measure different criteria and must not be compared without
saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

BENCHMARKS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)

#: Percent at which a benchmark counts as fully achieved.
ACHIEVED_PERCENT = 100.0


@dataclass(frozen=True)
class Benchmark:
    """One Gatsby Benchmark with its names under each framework."""

    number: int
    name_2014: str
    name_2024: str

    @property
    def short(self) -> str:
        """``"BM5"``-style label."""
        return f"BM{self.number}"


_NAMES = {
    1: ("A stable careers programme", "A stable careers programme"),
    2: (
        "Learning from career and labour market information",
        "Learning from careers and labour market information",
    ),
    3: ("Addressing the needs of each pupil", "Addressing the needs of each young person"),
    4: ("Linking curriculum learning to careers", "Linking curriculum learning to careers"),
    5: ("Encounters with employers and employees", "Encounters with employers and employees"),
    6: ("Experiences of workplaces", "Experiences of workplaces"),
    7: (
        "Encounters with further and higher education",
        "Encounters with further and higher education",
    ),
    8: ("Personal guidance", "Personal guidance"),
}

BENCHMARK_INFO: dict[int, Benchmark] = {n: Benchmark(n, *names) for n, names in _NAMES.items()}


def benchmark_name(number: int, framework: str = "2024") -> str:
    """Name of benchmark ``number`` (1–8) under ``framework`` ("2014" or "2024")."""
    info = BENCHMARK_INFO[number]
    return info.name_2014 if framework == "2014" else info.name_2024


#: National average number of benchmarks fully achieved (0–8), by academic year.
#: CEC figures quoted in DOMAIN.md §2.3; all measured under the 2014 framework.
NATIONAL_MEAN_ACHIEVED: dict[str, float] = {
    "2017/18": 2.13,
    "2022/23": 5.5,
    "2023/24": 5.83,
    "2024/25": 5.96,
}

#: National means by framework, then academic year. CEC has published none under the 2024
#: framework yet (its first national measure falls in 2025/26); add them here when it does and
#: every comparison moves to them without further change.
NATIONAL_MEAN_ACHIEVED_BY_FRAMEWORK: dict[str, dict[str, float]] = {
    "2014": NATIONAL_MEAN_ACHIEVED,
    "2024": {},
}


def national_mean_achieved(framework: str, academic_year: str) -> float | None:
    """CEC's national mean benchmarks achieved (0–8) for ``framework`` and ``academic_year``,
    or None where none is published."""
    return NATIONAL_MEAN_ACHIEVED_BY_FRAMEWORK.get(str(framework), {}).get(str(academic_year))


# --- thresholds by kind of institution --------------------------------------------------------

#: The kinds of institution the framework states its thresholds for.
INSTITUTIONS: tuple[str, ...] = ("school", "college", "special")

#: School kind in the register (:data:`hubcore.codes`) → the framework's kind of institution.
#: Alternative provision and UTCs are schools in the statutory guidance; FE and sixth-form
#: colleges follow the college criteria.
INSTITUTION_OF_KIND: dict[str, str] = {
    "mainstream_11_16": "school",
    "mainstream_11_18": "school",
    "all_through": "school",
    "ap": "school",
    "utc": "school",
    "special": "special",
    "fe_college": "college",
    "sixth_form_college": "college",
}

#: The first academic year measured under the 2024 framework (in force from September 2025,
#: DOMAIN.md §1.3).
FIRST_2024_YEAR = "2025/26"


def framework_for_year(academic_year: str) -> str:
    """The framework in force in ``academic_year`` ("2014" before 2025/26, else "2024")."""
    return "2024" if str(academic_year)[:4] >= FIRST_2024_YEAR[:4] else "2014"


def institution_of(kind: str | None) -> str:
    """The framework's kind of institution for a register ``kind`` (unknown kinds: school)."""
    return INSTITUTION_OF_KIND.get(str(kind), "school")


@dataclass(frozen=True)
class Threshold:
    """What one benchmark asks of one kind of institution under one framework, as a number the
    encounter log can be measured against.

    ``per_young_person``: encounters (BM5), workplace experiences (BM6) or guidance meetings
    (BM8) each young person needs at ``stage``: ``"each_year"`` (every measured year group,
    every year), ``"by_16"`` (the Year 11 cohort, counting Years 10 and 11) or
    ``"end_of_programme"`` (the final-year cohort, Year 13, counting Years 12 and 13).
    """

    benchmark: int
    institution: str
    framework: str
    per_young_person: float
    stage: str
    text: str
    source: str


_SRC_BM5 = (
    "https://www.careershubcumbria.co.uk/schools-colleges/benchmarks/benchmark-5 ; "
    "https://resources.careersandenterprise.co.uk/browse-category/gatsby-benchmarks/"
    "gatsby-benchmark-5 (DOMAIN.md §1.2 BM5)"
)
_SRC_BM6_2014 = (
    "https://careershub.southmidlands.org.uk/schools-colleges/gatsby-benchmarks/benchmark-6 "
    "(DOMAIN.md §1.2 BM6, original)"
)
_SRC_BM6_2024 = (
    "https://llbsp.org.uk/gatsby-benchmark-resources/benchmark-6 ; "
    "https://www.careershubcumbria.co.uk/schools-colleges/benchmarks/benchmark-6 "
    "(DOMAIN.md §1.2 BM6, updated)"
)
_SRC_BM8 = (
    "https://www.careersandenterprise.co.uk/schools-colleges/gatsby-benchmarks/"
    "gatsby-benchmark-8 ; https://gatsbybenchmarks.org.uk/guide-to-gatsby-benchmark-8 ; "
    "https://llbsp.org.uk/gatsby-benchmark-resources/benchmark-8 (DOMAIN.md §1.2 BM8)"
)
_SRC_SPECIAL = (
    "; special schools: Compass for special schools applies the school benchmarks to the "
    "cohort they suit (https://cec-compass.zendesk.com/hc/en-gb/articles/"
    "12469141438748-What-is-Compass-Special-Schools, DOMAIN.md §2.1)"
)


def _rows() -> list[Threshold]:
    rows: list[Threshold] = []
    for fw in ("2014", "2024"):
        # BM6 by 16 for schools: one experience (2014); "multiple" meaningful experiences
        # (2024), read as at least two.
        bm6_school = 1.0 if fw == "2014" else 2.0
        bm6_src = _SRC_BM6_2014 if fw == "2014" else _SRC_BM6_2024
        bm6_text = (
            "at least one experience of a workplace by 16"
            if fw == "2014"
            else "meaningful experiences (plural: at least two) of workplaces by 16"
        )
        for inst in INSTITUTIONS:
            extra = _SRC_SPECIAL if inst == "special" else ""
            if inst == "college":
                rows += [
                    Threshold(5, inst, fw, 2.0, "each_year",
                              "every year, at least two meaningful encounters with employers",
                              _SRC_BM5),
                    Threshold(6, inst, fw, 1.0, "end_of_programme",
                              "at least one experience of a workplace by the end of the "
                              "study programme", bm6_src),
                    Threshold(8, inst, fw, 1.0, "end_of_programme",
                              "at least one guidance interview by the end of the study "
                              "programme", _SRC_BM8),
                ]  # fmt: skip
            else:
                rows += [
                    Threshold(5, inst, fw, 1.0, "each_year",
                              "every year from age 11, at least one meaningful encounter "
                              "with an employer", _SRC_BM5 + extra),
                    Threshold(6, inst, fw, bm6_school, "by_16", bm6_text, bm6_src + extra),
                    Threshold(8, inst, fw, 1.0, "by_16",
                              "at least one guidance interview by 16", _SRC_BM8 + extra),
                ]  # fmt: skip
    return rows


#: Every threshold, keyed by (benchmark, institution, framework).
THRESHOLDS: dict[tuple[int, str, str], Threshold] = {
    (t.benchmark, t.institution, t.framework): t for t in _rows()
}


def threshold(benchmark: int, kind: str | None, academic_year: str) -> Threshold:
    """The :class:`Threshold` of ``benchmark`` (5, 6 or 8) for a school of register ``kind``
    in ``academic_year`` (the framework in force that year)."""
    key = (benchmark, institution_of(kind), framework_for_year(academic_year))
    if key not in THRESHOLDS:
        raise KeyError(f"no encounter threshold for BM{benchmark}")
    return THRESHOLDS[key]


#: Hub members against non-members, 2024/25 (DOMAIN.md §2.3).
NATIONAL_HUB_MEAN_ACHIEVED_2024_25 = 5.98
NATIONAL_NON_HUB_MEAN_ACHIEVED_2024_25 = 4.37

#: England NEET / not-known rates for 16–17-year-olds, 2025 (percent; DOMAIN.md §4.3).
ENGLAND_NEET_PERCENT_2025 = 3.4
ENGLAND_NOT_KNOWN_PERCENT_2025 = 2.2
ENGLAND_NEET_NK_PERCENT_2025 = 5.6
