"""Security headers for every response of ``hubcore serve``, and pages that need no inline script.

:data:`CONTENT_SECURITY_POLICY` allows scripts only from the server's own origin
(``script-src 'self'``): no inline script, no ``eval``, no event-handler attributes. A school name
``<img src=x onerror=…>`` that slipped past escaping could therefore still not run. Panel/Bokeh
pages normally end with an inline ``<script>`` that starts Bokeh (it carries the session token),
and Bokeh's resources add one more (``Bokeh.set_log_level``); :func:`install` replaces Panel's
page renderer so that the token and root ids go into a ``<script type="application/json">``
data block (never executed) and a fixed script served from :data:`LOADER_PATH` starts Bokeh.

What the policy still allows, and why:

* ``style-src 'self' 'unsafe-inline'``: Bokeh lays out every model with inline ``style``
  attributes and ``<style>`` elements inside its shadow roots, and the page template and Panel's
  login page use inline styles. Style injection cannot run script;
* ``img-src 'self' data: blob:``: Bokeh's icons are ``data:`` images;
* ``connect-src 'self'``: the session's websocket back to the same host (``ws:``/``wss:`` of the
  page's own origin match ``'self'``);
* ``frame-ancestors 'none'``: no other site may frame the pages (clickjacking);
  ``X-Frame-Options: DENY`` says the same to older browsers;
* ``form-action 'self'``, ``base-uri 'none'``, ``object-src 'none'``.

Also sent: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (shared links
carry ``?hub=…&urn=…``; other sites are not told them), ``Cross-Origin-Opener-Policy``, and
``Strict-Transport-Security`` when the request came over HTTPS — directly, or through a proxy on
the same host that says so in ``X-Forwarded-Proto`` (headers from other peers are not trusted).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import sys

from panel.io.server import ComponentResourceHandler
from tornado.httputil import HTTPServerRequest
from tornado.web import HTTPError, OutputTransform, RequestHandler, authenticated

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: One year, in seconds (sent only over HTTPS).
HSTS = "max-age=31536000; includeSubDomains"
#: Where the fixed script that starts Bokeh is served (no sign-in needed: it holds no data).
LOADER_PATH = "/hubcore-static/start.js"
#: The data block the loader reads: ``{"docs": <id of Bokeh's docs JSON>, "items": [...]}``.
START_ID = "hubcore-start"
LOADER_JS = """\
// Starts the Bokeh document of a hubcore page from its data block, so the page needs no
// inline script (its Content-Security-Policy allows none).
(function () {
  function start() {
    var block = document.getElementById("START_ID");
    if (!block) { return; }
    var start = JSON.parse(block.textContent);
    if (start.log_level) { Bokeh.set_log_level(start.log_level); }
    var docs = document.getElementById(start.docs).textContent;
    Bokeh.safely(function () { Bokeh.embed.embed_items(docs, start.items); });
  }
  if (document.readyState !== "loading") { start(); }
  else { document.addEventListener("DOMContentLoaded", start, {once: true}); }
})();
""".replace("START_ID", START_ID)


def _trusted_proxy(request: HTTPServerRequest) -> bool:
    """Whether the connection comes from this host (where nginx runs, deploy/): only then are
    its ``X-Real-IP`` / ``X-Forwarded-Proto`` headers believed."""
    peer = request.remote_ip or ""
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


def client_address(request: HTTPServerRequest) -> str:
    """The browser's address: the peer, or the address a same-host proxy names."""
    if _trusted_proxy(request):
        named = (request.headers.get("X-Real-IP") or "").strip()
        if named:
            return named[:45]
    return (request.remote_ip or "unknown")[:45]


def is_https(request: HTTPServerRequest) -> bool:
    """Whether the browser reached the server over HTTPS (directly or through a same-host
    proxy that says so)."""
    if request.protocol == "https":
        return True
    return _trusted_proxy(request) and \
        request.headers.get("X-Forwarded-Proto", "").lower() == "https"


class SecurityHeaders(OutputTransform):
    """Adds :data:`HEADERS` (and HSTS over HTTPS) to every response, pages, static files,
    errors and the login page alike."""

    def __init__(self, request: HTTPServerRequest):
        super().__init__(request)
        self._https = is_https(request)

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        for name, value in HEADERS.items():
            headers[name] = value
        if self._https:
            headers["Strict-Transport-Security"] = HSTS
        return status_code, headers, chunk


class LoaderHandler(RequestHandler):
    """Serves :data:`LOADER_JS`."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/javascript; charset=utf-8")
        self.set_header("Cache-Control", "max-age=3600")
        self.write(LOADER_JS)


_LOG_LEVEL = re.compile(r'^\s*Bokeh\.set_log_level\("(\w+)"\);?\s*$')


def _json_block(value, element_id: str) -> str:
    # "<", ">" and "&" as JSON escapes: the block's text can never close the <script> element.
    text = json.dumps(value, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def page_for_render_items(bundle, docs_json, render_items, title, template=None,
                          template_variables=None) -> str:
    """Panel's ``html_page_for_render_items`` without inline script: the same template and
    context, but Bokeh is started by :data:`LOADER_PATH` from a JSON data block."""
    from bokeh.core.json_encoder import serialize_json
    from bokeh.util.serialization import make_id
    from panel.io import server as pio

    log_level = None
    if hasattr(bundle, "js_raw"):
        kept = []
        for raw in bundle.js_raw:
            match = _LOG_LEVEL.match(raw)
            if match:
                log_level = match.group(1)
            else:
                kept.append(raw)
                log.warning("inline script left in a page (the CSP will block it): %.80r", raw)
        bundle.js_raw = kept
        # es-module-shims serves only Panel's ES-module components, which no page uses; it
        # probes the browser with a script from a blob: URL, which the policy refuses.
        bundle.js_files = [f for f in bundle.js_files if "es-module-shims" not in str(f)]
    bokeh_js, bokeh_css = bundle
    docs_id = make_id()
    docs = serialize_json(docs_json)
    start = {"docs": docs_id, "items": [item.to_json() for item in render_items],
             "log_level": log_level}
    prefix = pio.state.rel_path or "."
    plot_script = (
        _json_block(json.loads(docs), docs_id)
        + _json_block(start, START_ID)
        + f'<script src="{prefix}{LOADER_PATH}"></script>'
    )
    context = dict(template_variables or {})
    context.update(
        title=title or pio.DEFAULT_TITLE, bokeh_js=bokeh_js, bokeh_css=bokeh_css,
        plot_script=plot_script, docs=render_items, base=pio.BASE_TEMPLATE, macros=pio.MACROS,
    )
    context.setdefault("app_favicon", f"{prefix}/favicon.ico")
    if len(render_items) == 1:
        context["doc"] = render_items[0]
        context["roots"] = render_items[0].roots
    if template is None:
        template = pio.BASE_TEMPLATE
    elif isinstance(template, str):
        template = pio._env.from_string("{% extends base %}\n" + template)
    return template.render(context)


class ComponentHandler(ComponentResourceHandler):
    """Panel's ``/components/<module>/<class>/<attribute>/<path>`` route, restricted: only for a
    signed-in user (when sign-in is on), and only from modules this server has already
    imported, so a URL can never make the server import a module (Panel's own handler imports
    whatever module the URL names, before any sign-in)."""

    def get_login_url(self) -> str:
        return self.application.auth_provider.login_url or "/login"

    def get_current_user(self):
        get_user = self.application.auth_provider.get_user
        return get_user(self) if get_user is not None else "default_user"

    def parse_url_path(self, path: str) -> str:
        if path.split("/", 1)[0] not in sys.modules:
            raise HTTPError(404)
        return super().parse_url_path(path)

    @authenticated
    async def get(self, path: str, include_body: bool = True) -> None:
        await super().get(path, include_body)


def patterns() -> list[tuple]:
    """Extra Tornado routes for ``pn.serve``: the loader script, and ``/components`` taken
    over by :class:`ComponentHandler` (listed before Panel's, so they win)."""
    return [
        (re.escape(LOADER_PATH), LoaderHandler),
        (r"/components/(.*)", ComponentHandler),
    ]


def install(app) -> None:
    """Add the headers to every response of the Tornado ``app`` and render pages without
    inline script (call before the server starts)."""
    from panel.io import server as pio

    app.add_transform(SecurityHeaders)
    pio.html_page_for_render_items = page_for_render_items
