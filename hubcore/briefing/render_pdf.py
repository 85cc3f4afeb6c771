"""The briefing as one A4-landscape, multi-page PDF (vector maps, extractable text).

Deterministic: the PDF's creation date is left out and its other metadata fixed, fonts are the
bundled DejaVu (embedded as TrueType), and nothing depends on the clock except the briefing
date, which the caller passes in.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_pdf import PdfPages

from hubcore import notices
from hubcore.briefing import pages, style
from hubcore.briefing.content import Briefing


def metadata(briefing: Briefing) -> dict[str, object]:
    """PDF document information: fixed, no creation date (it would change every build)."""
    return {
        "Title": f"Careers Hub briefing: {briefing.title} ({briefing.as_of.isoformat()})",
        "Subject": briefing.scope_label
        + (f" - {notices.SYNTHETIC_TAG}" if briefing.synthetic else ""),
        "Creator": "hubcore briefing",
        "Producer": "hubcore briefing (matplotlib)",
        "CreationDate": None,
        "ModDate": None,
    }


def render_pdf(briefing: Briefing) -> bytes:
    """The pack's pages (see :mod:`hubcore.briefing.pages`) as PDF bytes, A4 landscape."""
    buffer = io.BytesIO()
    with style.settings():
        with PdfPages(buffer, metadata=metadata(briefing)) as pdf:
            for fig in pages.all_pages(briefing):
                pdf.savefig(fig)
    return buffer.getvalue()
