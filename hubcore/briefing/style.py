"""Page geometry and the fixed matplotlib settings every briefing figure is drawn with.

Fixed fonts, no timestamps and a fixed SVG hash salt make the output byte-for-byte the same for
the same data (see :func:`settings`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib

#: A4 landscape in inches (297 × 210 mm).
A4_LANDSCAPE_IN: tuple[float, float] = (297 / 25.4, 210 / 25.4)
#: Print resolution of the PNG maps (dots per inch): 3507 × 2480 pixels for A4 landscape.
PRINT_DPI = 300
#: Resolution of the funnel chart embedded in the HTML briefing (dots per inch; the maps there
#: are the print PNGs).
HTML_DPI = 110

SYNTHETIC_COLOUR = "#b00020"
INK = "#1a1a1a"
MUTED = "#555555"

_RC = {
    # DejaVu ships with matplotlib, so every machine draws the same glyphs.
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "svg.hashsalt": "hubcore-briefing",
    "svg.fonttype": "path",
    # Type 3 subsets are written by matplotlib itself (Type 42 subsetting through fontTools
    # took 2.6 s of a 5 s budget); the text stays extractable (headings are read back).
    "pdf.fonttype": 3,
    "pdf.compression": 6,
    "axes.unicode_minus": False,
    "path.simplify": True,
    "image.interpolation": "nearest",
}


@contextlib.contextmanager
def settings() -> Iterator[None]:
    """Apply the briefing's matplotlib settings for the duration of a render (restored after,
    so a notebook's own style is left alone)."""
    with matplotlib.rc_context(_RC):
        yield
