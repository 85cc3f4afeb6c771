"""The synthetic-data notice, worded once for every place that shows it: the pages' banner,
the briefing (PDF, PNG maps, HTML), machine-readable exports.

The demo databases (``hubcore demo``) mark their hubs ``synthetic``; wherever such a hub's
figures are shown, one of these is shown with them.
"""

from __future__ import annotations

#: Short tag for the corner of every printed page (a PDF page, a map image, a PDF's subject).
SYNTHETIC_TAG = "SYNTHETIC DATA"
#: The notice's headline on the pages (bold in the banner).
SYNTHETIC_HEADLINE = "Synthetic demonstration data"
#: What it means, after the tag or the headline.
SYNTHETIC_DETAIL = (
    "every school, employer and young person is generated (a fictional demo hub); no figure "
    "describes a real school, employer or young person."
)
#: The notice as plain text (briefing, exports).
SYNTHETIC_NOTICE = f"{SYNTHETIC_TAG}: {SYNTHETIC_DETAIL}"


def synthetic_notice_markdown() -> str:
    """The notice as Markdown for a page banner: the headline in bold, then the detail."""
    return f"**{SYNTHETIC_HEADLINE}.** {SYNTHETIC_DETAIL[0].upper()}{SYNTHETIC_DETAIL[1:]}"
