"""A page closed mid-update is logged as one warning, not as an unretrieved-task traceback;
every other unhandled exception still reaches asyncio's default handler."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading

import pytest

pytest.importorskip("panel")
from tornado.websocket import WebSocketClosedError  # noqa: E402

from dashboards.common import sockets  # noqa: E402


async def _fails(exc: Exception) -> None:
    raise exc


def _leave_unretrieved(exc: Exception) -> None:
    """Run a task that fails and drop it unawaited, as Panel leaves a cancelled page's writes.
    In a thread of its own: Playwright's sync API keeps an event loop running in this one."""

    def run() -> None:
        loop = asyncio.new_event_loop()
        try:
            sockets.quiet_closed_pages(loop)
            task = loop.create_task(_fails(exc))
            loop.run_until_complete(asyncio.sleep(0))
            assert task.done()
            del task
            gc.collect()  # asyncio reports an unretrieved exception when the task is collected
        finally:
            loop.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()


def test_closed_page_is_one_warning(caplog):
    caplog.set_level(logging.DEBUG)
    _leave_unretrieved(WebSocketClosedError())
    records = [(r.name, r.levelname) for r in caplog.records if r.levelno >= logging.INFO]
    assert records == [("hubcore.serve", "WARNING")]
    assert "page was closed" in caplog.records[-1].getMessage()


def test_other_failures_still_reported(caplog):
    caplog.set_level(logging.DEBUG)
    _leave_unretrieved(ValueError("boom"))
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.name for r in errors] == ["asyncio"]
    assert "never retrieved" in errors[0].getMessage()


def test_keeps_a_handler_already_installed():
    loop = asyncio.new_event_loop()
    try:

        def mine(loop, context):
            return None

        loop.set_exception_handler(mine)
        sockets.quiet_closed_pages(loop)
        assert loop.get_exception_handler() is mine
    finally:
        loop.close()
