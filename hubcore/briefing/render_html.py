"""The briefing as one standalone HTML file that opens offline: maps embedded as base64
``data:`` URIs, tables as HTML, inline CSS, no script and no external URL of any kind.

Text comes only from the disclosed :class:`~hubcore.briefing.content.Table` cells and is
HTML-escaped.
"""

from __future__ import annotations

import base64
import html

from hubcore.briefing import maps, pages, render_png
from hubcore.briefing.content import DISCLOSURE_NOTE, SYNTHETIC_NOTICE, Briefing, Table

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:1100px;color:#1a1a1a}
h1{margin-bottom:.2em} .meta{color:#555} figure{margin:1em 0} img{max-width:100%;height:auto;
border:1px solid #ccc} table{border-collapse:collapse;margin:.5em 0 .3em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left} th{background:#eee}
td.num{text-align:right} .note{color:#555;font-size:.85em;margin-top:0}
.credit{color:#555;font-size:.8em}
.synthetic{background:#b00020;color:#fff;font-weight:bold;padding:.6em 1em}
section{page-break-before:always}
"""


def _is_number(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").isdigit()


def table_html(table: Table) -> str:
    """One :class:`Table` as an HTML ``<table>`` with its title and note; count-of-people
    columns carry ``data-count`` so checks can find them."""
    esc = html.escape
    head = "".join(
        f"<th{' data-count' if c in table.counts else ''}>{esc(c)}</th>" for c in table.columns
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"num" if _is_number(v) else "txt"}">{esc(v)}</td>' for v in row)
        + "</tr>"
        for row in table.rows
    )
    note = f'<p class="note">{esc(table.note)}</p>' if table.note else ""
    return f"<h3>{esc(table.title)}</h3><table><tr>{head}</tr>{body}</table>{note}"


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def render_html(briefing: Briefing, images: dict[str, bytes] | None = None) -> bytes:
    """The pack as UTF-8 HTML bytes. The maps are the print PNGs of
    :func:`~hubcore.briefing.render_png.render_pngs` (pass ``images`` when already rendered;
    otherwise they are rendered here), so the HTML is the same whichever formats are built."""
    if images is None:
        images = render_png.render_pngs(briefing)
    funnel = render_png.render_funnel_png(briefing)
    esc = html.escape
    h = pages.HEADINGS
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(h[0])}: {esc(briefing.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{esc(h[0])}: {esc(briefing.title)}</h1>",
        f'<p class="meta">{esc(briefing.scope_label)} | Briefing date '
        f"{briefing.as_of.isoformat()} | Coverage year {esc(briefing.academic_year)}</p>",
    ]
    if briefing.synthetic:
        parts.append(f'<p class="synthetic">{esc(SYNTHETIC_NOTICE)}</p>')
    parts += [
        table_html(briefing.key_figures),
        "<h3>Data sources</h3><ul>",
        *(f"<li>{esc(s)}</li>" for s in briefing.sources),
        *(f'<li class="credit">{esc(a)}</li>' for a in briefing.attributions),
        f'</ul><p class="note">{esc(DISCLOSURE_NOTE)}</p>',
        f"<section><h2>{esc(h[1])}</h2>{table_html(briefing.benchmarks)}",
        # The benchmark trajectory to July, under the summary as on the PDF's page.
        *(table_html(t) for t in (briefing.trajectory, briefing.trajectory_schools)
          if t is not None),
        "</section>",
    ]
    for key, heading in maps.MAPS.items():
        parts.append(f"<section><h2>{esc(heading)}</h2>")
        parts.append(_img(images[f"map_{key}.png"], heading))
        parts += [f'<p class="credit">{esc(a)}</p>' for a in briefing.attributions]
        parts += [table_html(t) for t in maps.side_tables(briefing, key)]
        parts.append("</section>")
    parts += [
        f"<section><h2>{esc(h[-1])}</h2>",
        _img(funnel, "Hand-over funnel, Year 11 and Year 13"),
        table_html(briefing.funnel),
        table_html(briefing.lag),
        table_html(briefing.neet),
        "</section></body></html>",
    ]
    return "\n".join(parts).encode("utf-8")
