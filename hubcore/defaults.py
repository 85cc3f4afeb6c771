"""One default for each option that the ``hubcore`` command, the served pages and the briefing
share, so that a figure asked for without options is the same figure everywhere.

Only constants live here and this module imports nothing from ``hubcore``: the metrics, the
display layer, the CLI, the pages and the briefing all import it without a cycle.
``tests/test_defaults.py`` checks that each place's own default (an ``argparse`` default, a page's
``param`` default, a function's keyword default) is the one below.
"""

from __future__ import annotations

#: Benchmark a page, report or briefing shows when none is chosen: BM5 (encounters with
#: employers and employees). Of the benchmarks the hub's own encounter log measures (5–8), BM5
#: asks for an encounter every year from age 11 (DOMAIN.md §1.2), so every year group of every
#: school is measured each year, and it is the one employers' spare offers lift directly.
BENCHMARK: int = 5

#: "What would it take?": the share of measured schools meeting the benchmark to aim for,
#: percent. DOMAIN.md names no numeric hub target (CEC's targets are set per hub in its grant,
#: §3.3), and statutory guidance expects every school to meet every benchmark, which as a
#: default would only ever answer "every school". 80 % is what the ``what-it-takes`` report and
#: :func:`hubcore.metrics.employers.what_it_takes` have always used, so the figures hub leads
#: have already exported do not change; the page's 90 % was the odd one out.
TARGET_PCT: float = 80.0

#: Radius within which an employer's spare offers, or a school, count as near, km (BNG):
#: cold spots, suggested matches and what-it-takes suppliers (the report's and the page's
#: default since the first release; the pages' slider goes from 1 to 30 km).
RADIUS_KM: float = 5.0

#: Days after leaving by which a hand-over should have been referred to the NCS or LA tracking
#: (after that it is overdue): transitions report, page and briefing.
OVERDUE_DAYS: int = 30

#: Cold spots: read the encounter log ("coverage") rather than the latest Compass
#: self-assessment ("assessment"); the log is the hub's own record of what happened.
COLDSPOT_SOURCE: str = "coverage"
