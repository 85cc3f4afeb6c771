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

#: Hub members against non-members, 2024/25 (DOMAIN.md §2.3).
NATIONAL_HUB_MEAN_ACHIEVED_2024_25 = 5.98
NATIONAL_NON_HUB_MEAN_ACHIEVED_2024_25 = 4.37

#: England NEET / not-known rates for 16–17-year-olds, 2025 (percent; DOMAIN.md §4.3).
ENGLAND_NEET_PERCENT_2025 = 3.4
ENGLAND_NOT_KNOWN_PERCENT_2025 = 2.2
ENGLAND_NEET_NK_PERCENT_2025 = 5.6
