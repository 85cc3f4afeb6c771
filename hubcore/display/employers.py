"""The employers page: employers, links, spare offers, matches and what it would take."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine

from hubcore import defaults, metrics, store
from hubcore.access import Scope
from hubcore.display.base import (
    RULES,
    _meta,
    protect,
    schools,
)
from hubcore.metrics import report

# --- employers --------------------------------------------------------------------------------


def employer_points(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Employers (organisations): ``id``, ``name``, ``sector``, ``size_band``,
    ``easting``/``northing`` (BNG metres)."""
    out = pd.DataFrame(store.employers(engine, scope).drop(columns="geometry"))
    return _meta(out, title="Employers", units={"easting": "m (BNG)", "northing": "m (BNG)"})


def employer_link_segments(engine: Engine, scope: Scope,
                           roles: Iterable[str] | None = None) -> pd.DataFrame:
    """Links between employers and schools as map segments: ``role``, ``urn``,
    ``employer_id``, ``easting_e``/``northing_e`` (employer) and ``easting_s``/``northing_s``
    (school), BNG metres; only ``roles`` if given."""
    links = store.employer_links(engine, scope)
    if roles is not None:
        links = links[links["role"].isin(list(roles))]
    employers = employer_points(engine, scope)
    places = schools(engine, scope)
    seg = links.merge(employers[["id", "easting", "northing"]], left_on="employer_id",
                      right_on="id").merge(places[["urn", "easting", "northing"]], on="urn",
                                           suffixes=("_e", "_s"))
    return _meta(seg[["role", "urn", "employer_id", "easting_e", "northing_e", "easting_s",
                      "northing_s"]].reset_index(drop=True), title="Employer links",
                 units={c: "m (BNG)" for c in ("easting_e", "northing_e", "easting_s",
                                               "northing_s")})


def spare_offers(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Offers not taken up (:func:`hubcore.metrics.spare_offers`; places, not people):
    ``offer_id``, ``employer_name``, ``kind``, ``academic_year``, ``capacity``, ``taken_up``,
    ``spare`` and the offer's other columns."""
    offers = store.employer_offers(engine, scope)
    out = metrics.spare_offers(offers, store.employers(engine, scope))
    return _meta(out.drop(columns=["easting", "northing", "employer_id"]),
                 title="Offers not taken up", units={"spare": "places"})


def suggested_matches(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Spare offers with the nearest schools that have a matching gap (the ``employers``
    report, with its disclosure rules)."""
    out = protect(report.build(engine, "employers", scope), RULES["suggested_matches"])
    return _meta(out, title="Suggested matches", units={"distance_km": "km"})


def what_it_takes(engine: Engine, scope: Scope, benchmark: int = defaults.BENCHMARK,
                  target_pct: float = defaults.TARGET_PCT,
                  radius_km: float = defaults.RADIUS_KM) -> pd.DataFrame:
    """The "what would it take" table (the ``what-it-takes`` report with its disclosure rules):
    a ``level`` = ``summary`` row (``academic_year``, ``schools_measured``, ``meeting_now``,
    ``pct_meeting_now``, ``schools_to_lift``, ``additional_needed``, ``unit``,
    ``spare_within_radius``, ``supply_covers_need``) then one ``school`` row per school to lift
    (``order``, ``name``, ``urn``, ``shortfall``, ``cumulative_needed``, ``nearest_supplier``,
    ``nearest_supplier_km``)."""
    opts = report.Options(benchmark=benchmark, target_pct=target_pct, radius_km=radius_km)
    out = protect(report.build(engine, "what-it-takes", scope, opts), RULES["what_it_takes"])
    return _meta(out, title="What would it take?", units={"nearest_supplier_km": "km"})


#: Every page data source, by name: ``SOURCES[name](engine, scope)`` gives its frame with the
#: defaults (for the school profile's sources, every school in ``scope`` unless the scope names
#: one). The overdue list (pupil rows for allowed roles) is not an aggregate and is not here.
