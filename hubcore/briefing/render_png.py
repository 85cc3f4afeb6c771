"""The briefing's maps as PNG at print resolution: one A4-landscape page per map at
:data:`~hubcore.briefing.style.PRINT_DPI` (300 dpi → 3507 × 2480 pixels).

PNG files carry no timestamp; the only metadata written is a fixed "Software" entry, so the
bytes are the same for the same data.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from hubcore.briefing import maps, pages, style
from hubcore.briefing.content import Briefing

PNG_METADATA = {"Software": "hubcore briefing"}


def figure_png(fig: Figure, dpi: int = style.PRINT_DPI) -> bytes:
    """One figure as RGB PNG bytes at ``dpi`` dots per inch (the resolution is recorded in
    the file, so it prints at its A4 size)."""
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)  # an Agg canvas of its own: no pyplot, no GUI backend
    canvas.draw()
    # RGB (the pages are opaque), zlib level 1 and the run-length strategy (Z_RLE = 3; flat
    # map colours compress well with it): about a quarter of the encoding time of
    # matplotlib's RGBA level-6 default, for files about 1.2 times larger.
    rgba = Image.frombuffer(
        "RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
    )
    info = PngInfo()
    for key, value in PNG_METADATA.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    rgba.convert("RGB").save(
        buffer, format="png", compress_level=1, compress_type=3, pnginfo=info, dpi=(dpi, dpi)
    )
    return buffer.getvalue()


def render_pngs(briefing: Briefing, dpi: int = style.PRINT_DPI) -> dict[str, bytes]:
    """``{"map_<key>.png": bytes}`` for each map in :data:`maps.MAPS`: the map, legend, scale
    bar and north arrow on an A4-landscape page at ``dpi`` (the tables are in the PDF)."""
    out: dict[str, bytes] = {}
    with style.settings():
        for page, key in enumerate(maps.MAPS, start=3):
            fig = maps.map_figure(briefing, key, page, tables=False)
            out[f"map_{key}.png"] = figure_png(fig, dpi)
    return out


def render_funnel_png(briefing: Briefing, dpi: int = style.HTML_DPI) -> bytes:
    """The hand-over funnel chart (Year 11 and Year 13 apart) as PNG bytes."""
    with style.settings():
        return figure_png(pages.funnel_figure(briefing), dpi)
