"""A browser leaving a page while the server still sends it updates is normal, not an error.

Panel writes each update as several websocket writes and awaits them one by one; when the page
is closed mid-update, Panel cancels its waiting and the writes still queued end with tornado's
``WebSocketClosedError``, which nobody retrieves. asyncio then logs a "Task exception was never
retrieved" traceback for each (holoviz/panel#3341), which reads like a server fault in the log a
hub's administrator watches. This handler logs them as one warning line instead and leaves every
other unhandled exception to asyncio's default handler.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("hubcore.serve")


def _handle(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    from tornado.websocket import WebSocketClosedError

    if isinstance(context.get("exception"), WebSocketClosedError):
        log.warning("A page was closed before an update reached it; the update was dropped")
        return
    loop.default_exception_handler(context)


def quiet_closed_pages(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Install the handler on ``loop`` (default: the running loop, else the current one).
    Keeps a handler someone else installed."""
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop_policy().get_event_loop()
    if loop.get_exception_handler() is None:
        loop.set_exception_handler(_handle)
