"""The overview's "projected to miss" view (issue 15 item 4): the schools shown whose chosen
benchmark is projected to fall short of achieved (100 %) on the July snapshot, as a sortable
table with CSV and XLSX downloads, with a sentence on how many out of how many.

Every figure, sentence and title comes from :mod:`hubcore.display.trajectory`; this module only
arranges them. The benchmark follows the page's chooser ("Benchmarks fully achieved" shows the
hub's default benchmark, as the map's coverage layers do); the school-type and LA filters keep
the same schools as the rest of the page; the assessment period does not apply (the trajectory
runs through every assessment up to the snapshot).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import panel as pn

from dashboards.common import data, layout, tables
from dashboards.common.context import engine_for
from dashboards.common.page import View
from hubcore import defaults
from hubcore.display import overview as overview_shown
from hubcore.display import trajectory as shown


@pn.cache(max_items=64)
def trajectory(url: str, key: data.ScopeKey, benchmark: int, today: dt.date) -> pd.DataFrame:
    """Every school's trajectory on ``benchmark`` as of ``today``
    (:func:`hubcore.display.trajectory.trajectory_schools`), from the page's cached reads.
    ``today`` is in the cache key so a page open across midnight on 31 July looks ahead to
    the next snapshot."""
    return shown.trajectory_schools(
        engine_for(url), data._scope(key), benchmark, today,
        assessments=data.assessments(url, key), school_list=data.schools(url, key),
        trajectories=school_trajectories(url, key, today))


@pn.cache(max_items=16)
def school_trajectories(url: str, key: data.ScopeKey, today: dt.date) -> pd.DataFrame:
    """Every benchmark's trajectories of the scope's schools as of ``today``
    (:func:`hubcore.display.trajectory.school_trajectories`), shared by the benchmarks: a
    benchmark change then only picks its rows (England's 4,500 schools: 2.3 s once, not per
    benchmark)."""
    return shown.school_trajectories(data.assessments(url, key), today)


@pn.cache(max_items=64)
def selected(url: str, key: data.ScopeKey, benchmark: int, today: dt.date,
             kinds: tuple[str, ...], la: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The schools of :func:`trajectory` of the kinds ``kinds`` (in ``la``; None: every LA),
    and those of them projected to miss (:func:`hubcore.display.trajectory.at_risk`): one
    frame object per filter choice, shared by the sessions of the scope, so the table's
    prepared frame (:func:`tables.prepared_for`, keyed by the frame object) is made once per
    choice, not again on every change (≈ 10–30 ms of a school-type change)."""
    rows = overview_shown.select_schools(trajectory(url, key, benchmark, today), kinds, la)
    return rows, shown.at_risk(rows)


class TrajectoryView(View):
    """Schools projected to miss the chosen benchmark by the July snapshot."""

    depends = ("hub_id", "school_types", "la", "benchmark")

    def build(self) -> pn.Column:
        self._table = None  # made at the first update: its columns come with the data
        # The heading, the sentences and the note in one pane: one model (and, on a change,
        # one re-rendered block of text) rather than three.
        self._text = layout.Text(sizing_mode="stretch_width")
        downloads = tables.downloads(self.export, "projected-to-miss",
                                     sheet_name="Projected to miss")
        # Labels of their own: the schools table's "Download CSV" is another button.
        downloads[0].label = "Download projected to miss (CSV)"
        downloads[1].label = "Download projected to miss (Excel)"
        return pn.Column(self._text, downloads,
                         sizing_mode="stretch_width")

    def _selected(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        page = self.page
        # The LA chooser's default is "all of them" (the overview's ALL_LAS).
        la = None if page.la == page.param["la"].default else page.la
        return page.read(selected, page.benchmark or defaults.BENCHMARK, dt.date.today(),
                         tuple(page.school_types), la)

    def rows(self) -> pd.DataFrame:
        """Every school the page's filters keep, with its trajectory on the benchmark
        (shared by the scope's sessions: read-only)."""
        return self._selected()[0]

    def export(self) -> pd.DataFrame:
        """The schools projected to miss, as people read them (the downloads' content)."""
        return shown.at_risk_table(self.rows())

    def update(self) -> None:
        frame, risk = self._selected()
        meta = frame.attrs["display"]
        self._text.object = "\n\n".join([
            layout.md("### {heading}", heading=meta["heading"]),
            *(layout.md("{line}", line=line) for line in shown.sentences(frame)),
            layout.md("<small>{note}</small>", note=meta["note"])])
        self._table = tables.show_in(self._layout, self._table, risk, name_column="school",
                                     titles=risk.attrs["display"]["titles"])
