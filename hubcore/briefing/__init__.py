"""Regional briefing packs: A4-landscape PDF, print-resolution PNG maps and a standalone HTML
file for one hub or local authority, drawn with matplotlib (no browser, no network).

Data flow: every figure comes from the display layer,
:func:`hubcore.display.briefing.briefing_frames` (it reads through :mod:`hubcore.store`,
computes with :mod:`hubcore.metrics` and applies :mod:`hubcore.disclosure`; its frames are in
:data:`hubcore.display.SOURCES`, so the attacker test covers them);
:func:`hubcore.briefing.content.gather` only formats those frames as text tables; the renderers
(:mod:`~hubcore.briefing.render_pdf`, :mod:`~hubcore.briefing.render_png`,
:mod:`~hubcore.briefing.render_html`) only draw what that returns. The same data and date give
the same bytes.

Entry points: :func:`build_pack` (bytes per file), :func:`briefing_pdf` (the PDF's name and
bytes: what the dashboards' "Download briefing" button calls) and :func:`write_pack` (files in
a folder: what ``hubcore brief`` calls).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine

from hubcore import defaults
from hubcore.access import Scope
from hubcore.briefing.content import Briefing, area_scope, gather
from hubcore.errors import HubcoreError

FORMATS: tuple[str, ...] = ("pdf", "png", "html")

__all__ = [
    "FORMATS",
    "Briefing",
    "area_scope",
    "briefing_pdf",
    "build_pack",
    "gather",
    "pack_stem",
    "write_pack",
]


def pack_stem(briefing: Briefing) -> str:
    """File name stem, e.g. ``briefing-DEMO-2026-11-01``."""
    label = briefing.scope_label.split()[-1]
    return f"briefing-{re.sub(r'[^A-Za-z0-9_-]+', '-', label)}-{briefing.as_of.isoformat()}"


def _formats(formats: Iterable[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise HubcoreError(f"unknown format(s) {', '.join(bad) or '(none)'}; use pdf, png, html")
    return wanted


def build_pack(
    engine: Engine,
    scope: Scope,
    formats: Iterable[str] = ("pdf",),
    as_of: dt.date | None = None,
    benchmark: int = defaults.BENCHMARK,
) -> dict[str, bytes]:
    """Build a briefing pack in memory: ``{file name: bytes}``.

    ``formats``: any of "pdf" (one A4-landscape PDF), "png" (one 300-dpi PNG per map plus the
    transitions page), "html" (one standalone file). ``as_of``: the briefing date (default
    today; it sets the overdue hand-over count). ``benchmark``: coverage-gap benchmark (5–8).
    Disclosure control is applied throughout. File names start with :func:`pack_stem`.
    """
    from hubcore.briefing.render_html import render_html
    from hubcore.briefing.render_pdf import render_pdf
    from hubcore.briefing.render_png import render_pngs

    wanted = _formats(formats)
    briefing = gather(engine, scope, as_of=as_of, benchmark=benchmark)
    stem = pack_stem(briefing)
    out: dict[str, bytes] = {}
    if "pdf" in wanted:
        out[f"{stem}.pdf"] = render_pdf(briefing)
    images = render_pngs(briefing) if "png" in wanted else None
    if images is not None:
        out.update({f"{stem}-{name}": data for name, data in images.items()})
    if "html" in wanted:
        out[f"{stem}.html"] = render_html(briefing, images)
    return out


def briefing_pdf(
    engine: Engine, scope: Scope, as_of: dt.date | None = None, benchmark: int = defaults.BENCHMARK
) -> tuple[str, bytes]:
    """The PDF alone as ``(file name, bytes)``: what a "Download briefing" button serves
    (e.g. ``pn.widgets.FileDownload(callback=lambda: io.BytesIO(briefing_pdf(...)[1]), ...)``)."""
    ((name, data),) = build_pack(engine, scope, ("pdf",), as_of, benchmark).items()
    return name, data


def write_pack(
    engine: Engine,
    scope: Scope,
    out_dir: str | Path,
    formats: Iterable[str] = FORMATS,
    as_of: dt.date | None = None,
    benchmark: int = defaults.BENCHMARK,
) -> list[Path]:
    """:func:`build_pack` written into ``out_dir`` (created if missing); the paths written."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in build_pack(engine, scope, formats, as_of, benchmark).items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths
