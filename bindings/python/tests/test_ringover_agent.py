"""The agent with Ringover's REST API (Server(ringover_api=...)) against the loopback fixture:
end_call reaches the fixture's hang-up, the call's details reach the LLM, and a transfer the
media server does not act on falls back to REST. Calls run over a real WebSocket, in real time."""
import asyncio
import json
import threading
import time

import pytest
import websockets

import ringoverbot
from ringoverbot import Action, CloudClient, RingoverApi, Role
from ringover_fixture import RingoverFixture
from test_agent import RATE, PyLlm, PyStt, PyTts, tone

KEY = "c0ffee0123456789abcdef0123456789abcdef01"
CALL_START = json.dumps({"event": "call_start", "call_id": "1001", "channel_id": "chan-1001",
                         "from_number": "33612345678", "to_number": "33170000000",
                         "audio": {"encoding": "L16", "sampleRate": RATE, "channels": 1}})


@pytest.fixture
def rest():
    fixture = RingoverFixture([KEY])
    client = CloudClient()
    api = RingoverApi(client, api_key=KEY, base_url=fixture.base_url)
    yield fixture, client, api
    api.close()
    client.close()
    fixture.close()


class Agent:
    def __init__(self, llm, rest, **settings):
        fixture, client, api = rest
        self.llm = llm
        self.logs = []
        self.server = ringoverbot.Server(
            PyStt(["hello there"]), llm, PyTts(), port=0, greeting="", fallback="Pardon?",
            system_prompt="Be brief.", cloud_client=client, ringover_api=api,
            drain_timeout_s=1, log=lambda level, line: self.logs.append(line), **settings)
        self.thread = threading.Thread(target=self.server.run)
        self.thread.start()

    def close(self):
        self.server.stop()
        self.thread.join(30)
        self.server.close()


async def one_call(port, until, close_on=None, max_s=15):
    """Speaks 600 ms, then silence in real time until the server closes, `until()` holds, or
    a text message containing `close_on` arrives (then the media server closes the stream)."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        await ws.send(CALL_START)
        n = RATE // 50
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < max_s and not until():
            speech = 5 <= i < 35
            try:
                await ws.send(tone(n, RATE, 300, 6000, i * n) if speech else bytes(2 * n))
            except websockets.ConnectionClosed:
                return "closed_by_bot"
            i += 1
            try:
                while True:
                    msg = await asyncio.wait_for(ws.recv(), 0.02)
                    if close_on is not None and isinstance(msg, str) and close_on in msg:
                        return "closed_by_media_server"
            except asyncio.TimeoutError:
                pass
            except websockets.ConnectionClosed:
                return "closed_by_bot"
        return "until"


def rest_calls(fixture, path_part):
    return [r for r in fixture.requests() if path_part in r["path"]]


def test_end_call_hangs_up_through_rest_and_the_details_reach_the_llm(rest):
    fixture = rest[0]
    agent = Agent(PyLlm("Goodbye.", (Action.END_CALL, None)), rest)
    try:
        how = asyncio.run(one_call(agent.server.port, lambda: False))
        assert how == "closed_by_bot"
        deadline = time.monotonic() + 5
        while not rest_calls(fixture, "/hangup") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        agent.close()
    hangups = rest_calls(fixture, "/hangup")
    assert [(r["method"], r["path"], r["status"]) for r in hangups] == [
        ("POST", "/v2/channels/chan-1001/events/hangup", 204)]
    details = rest_calls(fixture, "/calls/1001")
    assert [(r["method"], r["status"]) for r in details] == [("GET", 200)]
    # The details were in before the caller's first turn reached the LLM.
    msgs = agent.llm.requests[0].messages
    assert msgs[0].role == Role.SYSTEM and msgs[0].content == "Be brief."
    assert msgs[1].role == Role.SYSTEM
    assert "33612345678" in msgs[1].content and "Ada Lovelace" in msgs[1].content
    assert any('"event":"rest_hangup"' in line for line in agent.logs)


def test_a_transfer_the_media_server_ignores_goes_through_rest(rest):
    fixture = rest[0]
    agent = Agent(PyLlm("Putting you through.", (Action.TRANSFER, "33182880001")), rest,
                  rest_transfer_fallback_ms=300)
    try:
        how = asyncio.run(one_call(agent.server.port,
                                   lambda: bool(rest_calls(fixture, "/transfer"))))
        assert how == "until"
    finally:
        agent.close()
    transfers = rest_calls(fixture, "/transfer")
    assert len(transfers) == 1
    assert transfers[0]["path"] == "/v2/channels/chan-1001/events/transfer"
    assert json.loads(transfers[0]["body"]) == {"phone_number": "33182880001"}
    assert transfers[0]["status"] == 200


def test_a_transfer_the_media_server_acts_on_needs_no_rest(rest):
    fixture = rest[0]
    agent = Agent(PyLlm("Putting you through.", (Action.TRANSFER, "33182880001")), rest,
                  rest_transfer_fallback_ms=300)
    try:
        how = asyncio.run(one_call(agent.server.port, lambda: False, close_on='"transfer"'))
        assert how == "closed_by_media_server"
        time.sleep(0.8)  # past the fallback time
    finally:
        agent.close()
    assert rest_calls(fixture, "/transfer") == []
    assert rest_calls(fixture, "/hangup") == []

