"""What a school-type change costs the server: a choice another session of the same scope
has made already finds its tables' rows prepared (the projected-to-miss rows are one cached
frame per choice, so :func:`dashboards.common.tables.prepared_for` reuses them), and the
rows are still those of the schools the filter keeps."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("panel")

from dashboards.common import tables  # noqa: E402
from dashboards.common.trajectory_view import TrajectoryView  # noqa: E402
from dashboards.overview import AreaOverview, SchoolTable  # noqa: E402
from hubcore import codes, store  # noqa: E402
from hubcore.access import Scope  # noqa: E402


def test_a_second_session_s_school_type_change_prepares_no_table_again(demo_engine,
                                                                        monkeypatch):
    url = demo_engine.url.render_as_string(hide_password=False)
    kinds = [k for k in codes.SCHOOL_KINDS if k != "special"]
    first = AreaOverview(db_url=url)
    first.school_types = kinds
    prepared: list[tuple] = []
    real = tables.prepare
    monkeypatch.setattr(tables, "prepare",
                        lambda frame, names=None: prepared.append(frame.shape)
                        or real(frame, names))
    second = AreaOverview(db_url=url)
    prepared.clear()  # the second page's first render: the defaults, prepared already
    second.school_types = kinds
    assert prepared == []

    # Still the schools the filter keeps, worked out from the stored schools.
    schools = pd.DataFrame(store.schools(demo_engine, Scope.admin("DEMO")))
    special = set(schools.loc[schools["kind"] == "special", "urn"].astype(int))
    assert special  # the demo has special schools to leave out
    (risk,) = [v for v in second._views if isinstance(v, TrajectoryView)]
    (table,) = [v for v in second._views if isinstance(v, SchoolTable)]
    kept = set(table._table.value["urn"].astype(int))
    assert kept == set(schools["urn"].astype(int)) - special
    missing = set(risk._table.value["urn"].astype(int))
    assert missing and not missing & special and missing <= kept
    # Both sessions show the same prepared rows (one frame, never changed by a page).
    (first_risk,) = [v for v in first._views if isinstance(v, TrajectoryView)]
    assert risk._table.value is first_risk._table.value
