"""ringoverbot-call against scripted fake bots (Python websockets servers on loopback): what it
sends (call_start, 20 ms frames in real time, audio_data events), how it plays the bot's audio
(in order, in real time, cut by break), what it records, and how it takes hostile messages."""
import asyncio
import base64
import json
import math
import threading
import time
import wave
from array import array

import pytest
import websockets

from conftest import run_call

RATE = 8000


def tone(seconds, hz=440.0, rate=RATE, level=8000):
    n = int(seconds * rate)
    return array("h", (int(level * math.sin(2 * math.pi * hz * i / rate)) for i in range(n))).tobytes()


def stream_audio(pcm, rate=RATE):
    return json.dumps({"type": "streamAudio", "data": {"audioDataType": "raw", "sampleRate": rate,
                                                      "audioData": base64.b64encode(pcm).decode()}})


class FakeBot:
    """Runs `script(ws, seen)` for each connection on a private event loop thread; `seen` keeps
    (monotonic time, message) for every message the simulator sent."""

    def __init__(self, script):
        self.script = script
        self.seen = []
        self.errors = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)

        async def handler(ws, path=None):
            self.path = ws.path
            self.headers = ws.request_headers
            try:
                await self.script(ws, self)
            except websockets.ConnectionClosed:
                pass
            except Exception as e:  # surfaced by the test
                self.errors.append(repr(e))

        async def main():
            self.server = await websockets.serve(handler, "127.0.0.1", 0, max_size=None)
            self.port = self.server.sockets[0].getsockname()[1]
            self.ready.set()
            await self.server.wait_closed()

        self.loop.run_until_complete(main())

    async def receive(self, ws, seconds):
        """Records what the simulator sends for `seconds`."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await asyncio.wait_for(ws.recv(), left)
            except asyncio.TimeoutError:
                return
            self.seen.append((time.monotonic(), msg))

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def close(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.thread.join(10)


@pytest.fixture
def fake_bot():
    bots = []

    def make(script):
        bot = FakeBot(script)
        bots.append(bot)
        return bot

    yield make
    for b in bots:
        b.close()


def run_json(*args, timeout=60):
    r = run_call("--json", "--transcribe", "off", *args, timeout=timeout)
    return r, json.loads(r.stdout)


def test_call_start_and_real_time_binary_frames(fake_bot):
    async def script(ws, bot):
        await bot.receive(ws, 2.0)
        await ws.close()

    bot = fake_bot(script)
    r, data = run_json("--url", bot.url + "?x=1", "--token", "tok", "--greeting-timeout", "5000")
    assert bot.path == "/ws?x=1" and bot.headers["Authorization"] == "Bearer tok"
    first = json.loads(bot.seen[0][1])
    assert first["event"] == "call_start"
    assert first["audio"] == {"encoding": "L16", "sampleRate": 8000, "channels": 1}
    assert isinstance(first["call_id"], int) and first["direction"] == "inbound"
    assert str(first["call_id"]) == data["calls"][0]["call_id"]
    frames = [(t, m) for t, m in bot.seen[1:] if isinstance(m, bytes)]
    assert all(len(m) == 320 for _, m in frames)  # 20 ms of L16 at 8 kHz
    # Paced in real time: ~50 frames per second, not a burst.
    span = frames[-1][0] - frames[0][0]
    assert 1.5 < span < 2.1 and abs(len(frames) - 1 - span * 50) <= 4, (len(frames), span)
    assert all(m == bytes(320) for _, m in frames)  # silence while waiting for the greeting
    # The bot closed normally: a clean end even without a greeting.
    assert data["calls"][0]["end"] == "the bot hung up"


def test_json_inbound_sends_pcmu_audio_data_events(fake_bot):
    async def script(ws, bot):
        await bot.receive(ws, 0.5)
        await ws.close()

    bot = fake_bot(script)
    run_json("--url", bot.url, "--inbound", "json")
    events = [json.loads(m) for _, m in bot.seen]
    assert events[0]["event"] == "call_start" and events[0]["audio"]["encoding"] == "PCMU"
    audio = [e for e in events[1:] if e["event"] == "audio_data"]
    assert len(audio) >= 15 and len(audio) == len(events) - 1
    for e in audio:
        assert e["data"]["encoding"] == "PCMU" and e["data"]["sampleRate"] == 8000
        assert base64.b64decode(e["data"]["audioData"]) == b"\xff" * 160  # mu-law silence


def test_audio_plays_in_real_time_and_break_drops_the_rest(fake_bot, tmp_path):
    async def script(ws, bot):
        await ws.recv()  # call_start
        await ws.send(stream_audio(tone(1.0)))
        await ws.send(stream_audio(tone(1.0, hz=660)))  # 2 s queued at once
        await bot.receive(ws, 0.6)
        await ws.send(json.dumps({"event": "break"}))
        await bot.receive(ws, 1.2)
        await ws.close()

    bot = fake_bot(script)
    out = tmp_path / "c.wav"
    r, data = run_json("--url", bot.url, "--out", str(out))
    turn = data["calls"][0]["turns"][0]
    assert turn["interrupted"] and turn["commands"][0]["event"] == "break"
    assert 400 <= turn["bot_audio_ms"] <= 900, turn  # played until the break, in real time
    assert abs(turn["bot_audio_ms"] + turn["dropped_audio_ms"] - 2000) <= 1, turn
    assert turn["audio_after_break_ms"] == 0
    with wave.open(str(out)) as w:
        pcm = array("h", w.readframes(w.getnframes()))
    bot_channel = pcm[1::2]
    loud = [i for i in range(0, len(bot_channel) - 80, 80)
            if max(abs(x) for x in bot_channel[i:i + 80]) > 1000]
    # The WAV holds what was played: one stretch starting when the audio arrived.
    assert abs(len(loud) * 10 - turn["bot_audio_ms"]) <= 30
    assert abs(loud[0] / 8 - turn["first_audio_ms"]) <= 40


def test_commands_are_recorded_and_transfer_ends_the_call(fake_bot):
    async def script(ws, bot):
        await ws.recv()
        await ws.send(stream_audio(tone(0.3)))
        await ws.send(json.dumps({"event": "play", "file": "https://example.com/hold.mp3"}))
        await ws.send(json.dumps({"event": "digits", "data": 123}))
        await ws.send(json.dumps({"event": "digits", "data": "0#*"}))
        await ws.send(json.dumps({"event": "transfer", "data": 33612345678}))
        await bot.receive(ws, 3)

    bot = fake_bot(script)
    r, data = run_json("--url", bot.url, "--say", "hello there")
    call = data["calls"][0]
    cmds = [(c["event"], c["data"]) for c in call["turns"][0]["commands"]]
    assert cmds == [("play", "https://example.com/hold.mp3"), ("digits", "123"),
                    ("digits", "0#*"), ("transfer", "33612345678")]
    assert r.returncode == 0 and call["ok"] and call["end"] == "transferred"
    assert call["lines_said"] == 0  # a transfer ends the simulated call at once
    assert json.loads(bot.seen[-1][1]) == {"event": "call_end", "reason": "transfer"}


def test_hostile_bot_messages_are_protocol_errors_not_crashes(fake_bot):
    bad = [
        "not json", "[]", '{"event":"dance"}', '{"event":"streamAudio","data":{}}',
        '{"type":"break"}', '{"type":"streamAudio","data":{"audioDataType":"raw",'
        '"sampleRate":44100,"audioData":"AAAA"}}',
        '{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":8000,"audioData":"@@"}}',
        '{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":8000,"audioData":"AA=="}}',
        '{"type":"streamAudio","data":{"audioDataType":"flac","sampleRate":8000,"audioData":""}}',
        '{"type":"streamAudio","data":{"audioDataType":"wav","sampleRate":8000,"audioData":"AAAA"}}',
        '{"event":"transfer","data":-5}', '{"event":"transfer","data":1.5}',
        '{"event":"digits","data":"12x"}', '{"event":"play"}', '{"event":"break"} trailing',
        '{"event":"break"}{}',
        '{"event":"transfer","data":{"x":1}}', '{"event":"\\u0000\\xff"}',
    ]

    async def script(ws, bot):
        await ws.recv()
        for m in bad:
            await ws.send(m)
        await ws.send(b"\x00\x01binary")
        await ws.send("x" * 3_000_000)  # a big text frame
        await ws.send(stream_audio(tone(0.2)))
        await bot.receive(ws, 0.5)
        await ws.close()

    bot = fake_bot(script)
    r, data = run_json("--url", bot.url)
    call = data["calls"][0]
    assert r.returncode == 1 and not call["ok"]
    assert call["protocol_errors"] == len(bad) + 2, call["errors"]
    assert call["turns"][0]["bot_audio_ms"] == 200  # the valid audio still played
    text = " ".join(call["errors"]).lower()
    for reason in ("not a json object", "unknown event", "44100", "not base64", "odd byte count", "flac",
                   "not a phone number", "trailing content", "binary message"):
        assert reason in text, (reason, [e[:90] for e in call["errors"]])


def test_a_silent_bot_times_out_and_fails(fake_bot):
    async def script(ws, bot):
        await bot.receive(ws, 10)

    bot = fake_bot(script)
    r, data = run_json("--url", bot.url, "--say", "hello", "--greeting-timeout", "500",
                       "--reply-timeout", "500")
    call = data["calls"][0]
    assert r.returncode == 1
    assert call["errors"] == ["no greeting within 500 ms", "no reply to line 1 within 500 ms"]
    assert call["lines_said"] == 1 and call["end"] == "no reply"


def test_a_speakerphone_feeds_the_bots_audio_back_into_the_callers_line(fake_bot):
    async def script(ws, bot):
        await ws.recv()  # call_start
        await ws.send(stream_audio(tone(1.0, level=8000)))
        await bot.receive(ws, 1.6)
        await ws.close()

    def frames_of(*args):
        bot = fake_bot(script)
        run_json("--url", bot.url, *args)
        return [array("h", m) for _, m in bot.seen[1:] if isinstance(m, bytes)]

    def rms(frame):
        return math.sqrt(sum(x * x for x in frame) / len(frame))

    quiet = frames_of()
    assert max(rms(f) for f in quiet) == 0  # no echo, no noise: digital silence
    echo = frames_of("--echo-db", "6", "--echo-delay-ms", "200")
    loud = [i for i, f in enumerate(echo) if rms(f) > 1000]
    # The tone (RMS 5657) comes back 6 dB down (2835) for its second, 200 ms after it played.
    assert 45 <= len(loud) <= 52, len(loud)
    assert all(abs(rms(echo[i]) - 2835) < 300 for i in loud[1:-1])
    noisy = frames_of("--noise-dbfs", "-40")
    assert all(abs(rms(f) - 327.7) < 60 for f in noisy)  # -40 dBFS of white noise throughout
    for bad in (("--echo-db", "-3"), ("--echo-db", "x"), ("--echo-delay-ms", "5"),
                ("--noise-dbfs", "3")):
        r = run_call(*bad)
        assert r.returncode == 2 and bad[0] in r.stderr, (bad, r.stderr)
