"""LINE push-info when no connection can be made at all: nothing reached LINE, so the batch is
not "maybe accepted"; retried with its key while there is time, then failed, not unknown."""

from __future__ import annotations

import socket
from datetime import timedelta

from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration

from bot.broadcast.line import LineBroadcaster
from tests.e2e.line_fixtures import line_server as line_server  # noqa: F401 - the fixture
from tests.e2e.test_line_push import code as code  # noqa: F401 - fixtures
from tests.e2e.test_line_push import line_subscribers, rows_of
from tests.e2e.test_line_push import people as people  # noqa: F401
from tests.e2e.test_line_push import settings as settings  # noqa: F401


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_refused_connection_is_retried_then_failed_not_unknown(app, people, code, line_server, clock):
    await line_subscribers(app, line_server, 2)
    await app.publishing.publish(code, people["petugas"], ["mahasiswa"])
    nowhere = Configuration(host=f"http://127.0.0.1:{closed_port()}", access_token="token")
    async with AsyncApiClient(nowhere) as client:
        broadcaster = LineBroadcaster(app, AsyncMessagingApi(client), backoff=0.01,
                                      give_up_after=timedelta(minutes=5))
        await broadcaster.drain()
        rows = await rows_of(app, code)
        assert {row["status"] for row in rows} == {"sending"}  # kept, with its key, for a later pass
        assert rows[0]["result"]["maybe_accepted"] is False
        assert rows[0]["result"]["last"].startswith("no connection: ClientConnectorError")
        clock.advance(timedelta(minutes=6))
        await broadcaster.drain()
    rows = await rows_of(app, code)
    assert {row["status"] for row in rows} == {"failed"}
    assert "LINE gave no answer in 2 tries: no connection" in rows[0]["result"]["reason"]
    assert line_server.calls == []
