"""The call engine driven from Python through the C ABI, with Python providers.

A host loop on a virtual clock plays the media server: call_start, then 20 ms L16 frames of a
quiet room or of the caller's "voice" (a tone), rob_call_poll at rob_call_next_wakeup and
whenever the waker fired. The STT, the LLM and the TTS are Python classes.
"""
import base64
import json
import math
import struct
import threading

import pytest

import ringoverbot
from ringoverbot import (Action, Call, CallParams, LlmProvider, OutputKind, Role, RobError,
                         SttProvider, TtsProvider)

RATE = 8000
FRAME_US = 20_000
TTS_RATE = 16000
MS_PER_CHAR = 50


def tone(n, rate, hz, amplitude, phase=0):
    return struct.pack(f"<{n}h", *(int(amplitude * math.sin(2 * math.pi * hz * (phase + i) / rate))
                                   for i in range(n)))


class PyStt(SttProvider):
    """Counts the audio; each end of turn answers the next scripted transcript."""

    name = "py-stt"

    def __init__(self, transcripts=(), fail_push=False, confidence=None):
        self.transcripts = list(transcripts)
        self.samples = 0
        self.turns = 0
        self.options = None
        self.fail_push = fail_push
        self.confidence = confidence
        self.refused = []  # what the sink said to the confidences it refuses

    def open(self, options, sink):
        self.options = options
        provider = self

        class Stream:
            def push_audio(self, pcm):
                if provider.fail_push:
                    raise RuntimeError("the recogniser crashed")
                provider.samples += len(pcm) // 2

            def end_of_turn(self):
                provider.turns += 1
                text = provider.transcripts.pop(0) if provider.transcripts else ""
                sink.transcript(text[:3], final=False)
                for bad in (1.5, float("nan")):
                    try:
                        sink.transcript(text, final=True, confidence=bad)
                    except RobError as e:
                        provider.refused.append(e.code)
                sink.transcript(text, final=True, confidence=provider.confidence)

            def close(self):
                sink.release()

        return Stream()


class PyLlm(LlmProvider):
    """Streams `reply` word by word from a thread of its own, then `action`."""

    name = "py-llm"

    def __init__(self, reply="Let me put you through.", action=(Action.TRANSFER, "33182880001"),
                 raise_on_start=False):
        self.reply = reply
        self.action = action
        self.raise_on_start = raise_on_start
        self.requests = []
        self.threads = []
        self.cancelled = 0

    def start(self, request, sink):
        self.requests.append(request)
        if self.raise_on_start:
            raise ValueError("the model is down")

        def run():
            words = self.reply.split(" ")
            for i, w in enumerate(words):
                sink.token(w if i == 0 else " " + w)
            if self.action is not None:
                sink.action(*self.action)
            sink.done()

        t = threading.Thread(target=run)
        self.threads.append(t)
        t.start()
        provider = self

        class Request:
            def cancel(self):
                provider.cancelled += 1

        return Request()

    def join(self):
        for t in self.threads:
            t.join()
        self.threads.clear()


class PyTts(TtsProvider):
    """A 440 Hz tone, MS_PER_CHAR per character, at 16 kHz, in 100 ms chunks (inside start)."""

    name = "py-tts"

    def __init__(self, fail_for=()):
        self.texts = []
        self.fail_for = set(fail_for)

    def start(self, request, sink):
        self.texts.append(request.text)
        if request.text in self.fail_for:
            raise RuntimeError("no voice for that")
        n = TTS_RATE * MS_PER_CHAR * len(request.text) // 1000
        pcm = tone(n, TTS_RATE, 440, 8000)
        chunk = TTS_RATE // 10 * 2
        for off in range(0, len(pcm), chunk):
            assert sink.audio(pcm[off:off + chunk], TTS_RATE)
        assert sink.done()
        assert sink.finished
        assert not sink.done()  # a second terminal call is refused, harmlessly
        return None


CALL_START = json.dumps({"event": "call_start", "call_id": 18446744073709551615,
                         "from_number": "33600000001", "to_number": "33100000002",
                         "audio": {"encoding": "L16", "sampleRate": RATE, "channels": 1}})


class Host:
    def __init__(self, stt=None, llm=None, tts=None, **settings):
        self.stt = stt or PyStt(["I want sales"], confidence=0.93)
        self.llm = llm or PyLlm()
        self.tts = tts or PyTts()
        self.wakes = 0
        self.total_wakes = 0
        self.wake_lock = threading.Lock()
        settings.setdefault("greeting", "Hello, bakery.")
        settings.setdefault("fallback", "Pardon?")
        settings.setdefault("system_prompt", "Be brief.")
        self.call = Call(self.stt, self.llm, self.tts, waker=self.wake, **settings)
        self.now = 7_000_000
        self.sent = []      # (time, kind, text, samples)
        self.turns = []
        self.phase = 0

    def wake(self):
        with self.wake_lock:
            self.wakes += 1
            self.total_wakes += 1

    def collect(self):
        for kind, data in self.call.outputs():
            samples = 0
            if kind == OutputKind.TEXT and '"streamAudio"' in data:
                msg = json.loads(data)
                assert msg["data"]["audioDataType"] == "raw"
                assert msg["data"]["sampleRate"] == RATE
                samples = len(base64.b64decode(msg["data"]["audioData"])) // 2
            self.sent.append((self.now, kind, data, samples))
        while True:
            t = self.call.next_turn()
            if t is None:
                break
            self.turns.append(t)

    def advance_to(self, t):
        if isinstance(self.llm, PyLlm):
            self.llm.join()  # deterministic: the model's thread has spoken before time moves
        with self.wake_lock:
            woken, self.wakes = self.wakes, 0
        if woken:
            self.call.poll(self.now)
            self.collect()
        for _ in range(10000):
            w = self.call.next_wakeup()
            if w is None or w > t:
                break
            self.now = max(self.now, w)
            self.call.poll(self.now)
            self.collect()
        self.now = max(self.now, t)

    def text(self, message):
        self.advance_to(self.now)
        self.call.on_message(message, self.now)
        self.collect()

    def frame(self, speech):
        self.advance_to(self.now + FRAME_US)
        n = RATE // 50
        pcm = tone(n, RATE, 300, 6000, self.phase) if speech else bytes(2 * n)
        self.phase += n
        self.call.on_message(pcm, self.now)
        self.collect()

    def run(self, ms, speech=False, until=None):
        for _ in range(0, ms, 20):
            if until is not None and until():
                return True
            self.frame(speech)
        return until() if until is not None else True

    def of_kind(self, needle):
        return [s for s in self.sent if needle in s[2]]


def test_python_providers_drive_a_call():
    h = Host()
    h.text(CALL_START)
    assert h.call.metadata("call_id") == "18446744073709551615"
    assert h.call.metadata("direction") is None

    # The greeting streams from the first frame on, in the Python TTS's voice.
    h.run(40)
    assert h.tts.texts[0] == "Hello, bakery."
    assert h.of_kind("streamAudio"), h.sent
    assert h.run(3000, until=lambda: len(h.turns) == 1)
    g = h.turns[0]
    assert (g.caller_text, g.bot_text, g.heard_text) == ("", "Hello, bakery.", "Hello, bakery.")
    assert (g.confidence, g.misheard, g.confirmation) == (None, False, False)
    greeting_samples = sum(s[3] for s in h.of_kind("streamAudio"))
    assert greeting_samples == pytest.approx(RATE * MS_PER_CHAR * 14 / 1000, rel=0.05)
    assert h.stt.options.sample_rate == 16000
    assert h.stt.samples > 0

    # The caller speaks; the Python STT's transcript is the Python LLM's user message.
    h.run(800, speech=True)
    assert h.run(8000, until=lambda: h.of_kind('"transfer"'))
    assert h.stt.turns == 1
    # A confidence above 1, or NaN, is refused (ROB_ERR_INVALID_ARGUMENT) and not delivered:
    # the final that counts is the next one (heard with 0.93).
    assert h.stt.refused == [-1, -1]
    assert len(h.llm.requests) == 1
    assert h.total_wakes > 0  # the model's thread woke the host through the C waker
    req = h.llm.requests[0]
    assert req.messages[0] == (Role.SYSTEM, "Be brief.")
    assert req.messages[1] == (Role.ASSISTANT, "Hello, bakery.")
    assert req.messages[-1] == (Role.USER, "I want sales")
    assert req.call_id == "18446744073709551615"

    # The LLM's tokens became the Python TTS's audio, streamed; the transfer came after it.
    assert h.tts.texts[-1] == "Let me put you through."
    transfer = h.of_kind('"transfer"')[0]
    assert transfer[2] == '{"event":"transfer","data":33182880001}'
    reply_audio = [s for s in h.of_kind("streamAudio") if s[0] > h.turns[0].playout_end_us]
    assert reply_audio
    assert h.sent.index(transfer) > h.sent.index(reply_audio[-1])
    reply_samples = sum(s[3] for s in reply_audio)
    assert reply_samples == pytest.approx(RATE * MS_PER_CHAR * 23 / 1000, rel=0.05)
    # It waited for the audio to play: from the first reply frame, the reply's duration.
    assert transfer[0] >= reply_audio[0][0] + reply_samples * 1_000_000 // RATE - FRAME_US

    assert h.run(3000, until=lambda: len(h.turns) == 2)
    t = h.turns[1]
    assert t.caller_text == "I want sales"
    assert t.bot_text == t.heard_text == "Let me put you through."
    assert t.actions == [(Action.TRANSFER, "33182880001")]
    assert not t.interrupted and not t.failed
    assert t.stt_final_us - t.speech_end_us >= 500_000
    assert t.speech_end_us <= t.stt_final_us <= t.first_token_us <= t.first_audio_us
    assert t.first_audio_us <= t.first_frame_us < t.playout_end_us
    assert h.call.history()[-2:] == [(Role.USER, "I want sales"),
                                     (Role.ASSISTANT, "Let me put you through.")]
    s = h.call.stats
    assert s.turns == 1 and s.llm_errors == 0 and s.fallbacks == 0
    # Heard above both confidence gates: nothing gated, nothing to confirm.
    assert (s.misheard, s.confirmations, s.confirmed, s.cancelled_actions,
            s.misunderstood_offers) == (0, 0, 0, 0, 0)
    assert not t.misheard and not t.confirmation
    # Its STT sends no interim transcripts: nothing to speculate on.
    assert not t.speculative
    assert (s.speculations_kept, s.speculations_cancelled) == (0, 0)
    assert s.audio_messages_out == len(h.of_kind("streamAudio"))

    h.text('{"event":"call_end","reason":"hangup"}')
    assert h.call.ended and h.call.end_reason == "hangup"
    h.advance_to(h.now + 1_000_000)
    h.collect()
    assert h.call.finished
    h.call.close()
    h.call.close()  # harmless
    with pytest.raises(RobError):
        h.call.poll(h.now)


def test_a_raising_llm_degrades_to_the_fallback(caplog):
    h = Host(llm=PyLlm(raise_on_start=True), stt=PyStt(["hello"]))
    h.text(CALL_START)
    assert h.run(3000, until=lambda: len(h.turns) == 1)
    h.run(600, speech=True)
    assert h.run(8000, until=lambda: len(h.turns) == 2)
    assert h.turns[1].failed
    assert h.tts.texts[-1] == "Pardon?"
    assert h.call.stats.llm_errors == 1
    assert h.call.stats.fallbacks == 1
    assert "the model is down" in caplog.text
    assert not h.call.ended  # the call goes on


def test_a_raising_tts_and_stt_never_crash(caplog):
    # The TTS fails on the greeting; the STT crashes on its first audio: both are reported as
    # provider errors and the call keeps running.
    h = Host(tts=PyTts(fail_for={"Hello, bakery."}), stt=PyStt(["hello"], fail_push=True))
    h.text(CALL_START)
    h.run(2000)
    s = h.call.stats
    assert s.tts_errors >= 1
    assert s.stt_errors >= 1
    assert "no voice for that" in caplog.text
    assert "the recogniser crashed" in caplog.text
    h.run(600, speech=True)
    h.run(2000)
    assert not h.call.ended
    h.text('{"event":"call_end","reason":"hangup"}')
    assert h.call.ended


def test_call_settings_and_refusals():
    p = CallParams()
    assert p.chunk_ms == 200 and p.default_sample_rate_hz == 8000
    # The confidence gates' settings, with the library's defaults.
    assert (p.min_confidence, p.action_confidence) == (0.5, 0.8)
    assert p.confirm_end_prompt == b"Do you want me to end the call?"
    assert p.confirm_transfer_prompt == b"Do you want me to transfer your call?"
    assert (p.misheard_speech_ms, p.max_misunderstandings, p.complete_phrase_silence_ms) == \
        (400, 3, 250)
    assert b"Goodbye" in p.misunderstood_say and p.misunderstood_transfer == b""
    p.update(min_confidence=0.3, action_confidence=0.9, confirm_end_prompt="Hang up now?",
             misunderstood_transfer="33100000000", max_misunderstandings=2,
             complete_phrase_silence_ms=300, misheard_speech_ms=500)
    assert (p.min_confidence, p.action_confidence) == (0.3, 0.9)
    assert p.confirm_end_prompt == b"Hang up now?"
    assert p.misunderstood_transfer == b"33100000000"
    assert (p.misheard_speech_ms, p.max_misunderstandings, p.complete_phrase_silence_ms) == \
        (500, 2, 300)
    Call(PyStt(), PyLlm(), PyTts(), params=p).close()
    for bad in ({"min_confidence": 1.5}, {"action_confidence": -0.1},
                {"min_confidence": float("nan")}):
        with pytest.raises(RobError) as e:
            Call(PyStt(), PyLlm(), PyTts(), **bad)
        assert e.value.code == -1 and "confidence" in str(e.value)
    with pytest.raises(TypeError):
        Call(PyStt(), PyLlm(), PyTts(), no_such_setting=1)
    with pytest.raises(RobError) as e:
        Call(PyStt(), PyLlm(), PyTts(), chunk_ms=5)
    assert e.value.code == -1 and "chunk_ms" in str(e.value)
    # Echo cancellation and noise suppression: the library's defaults, set and refused.
    assert (p.echo_cancellation, p.echo_tail_ms, p.noise_suppression) == (1, 400, 0)
    p.update(echo_cancellation=False, echo_tail_ms=250, noise_suppression=True)
    assert (p.echo_cancellation, p.echo_tail_ms, p.noise_suppression) == (0, 250, 1)
    Call(PyStt(), PyLlm(), PyTts(), params=p).close()
    with pytest.raises(RobError) as e:
        Call(PyStt(), PyLlm(), PyTts(), echo_tail_ms=10)
    assert e.value.code == -1 and "echo_tail_ms" in str(e.value)
    # The speculative reply's pause: the library's default, and its range checked by the engine.
    assert CallParams().speculate_after_ms == 200
    assert CallParams(speculate_after_ms=0).speculate_after_ms == 0
    with pytest.raises(RobError) as e:
        Call(PyStt(), PyLlm(), PyTts(), speculate_after_ms=10001)
    assert e.value.code == -1 and "speculate_after_ms" in str(e.value)
    with pytest.raises(ValueError):
        Call(PyStt(), None, PyTts())
    with pytest.raises(TypeError):
        Call(PyStt(), object(), PyTts())


def test_turn_taking_settings_and_the_idle_caller():
    p = CallParams()
    assert (p.false_interruption_ms, p.min_interruption_words) == (1000, 1)
    assert p.backchannel_words.startswith(b"uh-huh, mm-hmm")
    assert (p.idle_reprompt_ms, p.idle_max_reprompts, p.inband_dtmf) == (8000, 2, 1)
    assert p.reprompt == b"Are you still there?"
    p.update(backchannel_words=["uh-huh", "I see"], false_interruption_ms=1500,
             min_interruption_words=2, inband_dtmf=False)
    assert p.backchannel_words == b"uh-huh, I see"
    assert (p.false_interruption_ms, p.min_interruption_words, p.inband_dtmf) == (1500, 2, 0)
    with pytest.raises(RobError) as e:
        Call(PyStt(), PyLlm(), PyTts(), idle_reprompt_ms=10)
    assert "idle_reprompt_ms" in str(e.value)

    # A caller who says nothing: one reprompt, then the goodbye and the end.
    h = Host(idle_reprompt_ms=1000, idle_max_reprompts=1, reprompt="Still there?",
             idle_goodbye="Bye now.")
    h.text(CALL_START)
    assert h.run(3000, until=lambda: len(h.turns) == 1)
    assert h.run(6000, until=lambda: h.call.ended)
    assert h.call.end_reason == "idle"
    assert [t.bot_text for t in h.turns[1:]] == ["Still there?", "Bye now."]
    assert all(t.reprompt and t.resumes == 0 for t in h.turns[1:])
    s = h.call.stats
    assert (s.reprompts, s.idle_hangups, s.interruptions, s.false_interruptions, s.resumes,
            s.dtmf_inband) == (1, 1, 0, 0, 0, 0)


def test_builtin_scripted_llm_mixes_with_python_providers(tmp_path):
    dialog = {"greeting": "Hi.", "fallback": "Pardon?",
              "intents": [{"when": ["extension"], "say": "Dialing now.", "digits": "123"}]}
    llm = ringoverbot.ScriptedLlm(json.dumps(dialog))
    assert llm.name == "scripted"
    d = ringoverbot.Dialog(json.dumps(dialog))
    assert (d.greeting, d.fallback, d.phrases) == ("Hi.", "Pardon?", ["extension"])
    h = Host(llm=llm, stt=PyStt(["the extension please"]), greeting=d.greeting,
             fallback=d.fallback, expected_phrases=d.phrases)
    h.text(CALL_START)
    assert h.run(3000, until=lambda: len(h.turns) == 1)
    # The dialog's phrases, then the answers to a confirmation question the engine may ask.
    assert h.stt.options.phrases[0] == "extension"
    assert {"yes", "no"} <= set(h.stt.options.phrases)
    h.run(700, speech=True)
    assert h.run(8000, until=lambda: h.of_kind('"digits"'))
    assert h.of_kind('"digits"')[0][2] == '{"event":"digits","data":123}'
    assert h.tts.texts[-1] == "Dialing now."
    with pytest.raises(RobError) as e:
        ringoverbot.ScriptedLlm('{"greeting": 3}')
    assert "greeting" in str(e.value)


def test_server_runs_python_providers(tmp_path):
    """The server from Python: a WebSocket call hears the Python TTS's greeting, and is
    recorded into recording_dir under its stem."""
    import asyncio
    import urllib.request

    import websockets

    logs = []
    tts = PyTts()
    server = ringoverbot.Server(PyStt(), PyLlm(), tts, port=0, greeting="Welcome.",
                                drain_timeout_s=1, log=lambda level, line: logs.append(line),
                                min_log_level="debug", recording_dir=str(tmp_path))
    port = server.port
    assert port > 0
    loop = threading.Thread(target=server.run)
    loop.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
            assert json.loads(r.read())["status"] == "ok"

        async def call():
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
                await ws.send(CALL_START)
                await ws.send(bytes(320))
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert msg["type"] == "streamAudio"
                return len(base64.b64decode(msg["data"]["audioData"])) // 2

        samples = asyncio.run(call())
        assert samples > 0
        assert tts.texts[0] == "Welcome."
        assert server.stats.calls_total == 1
        assert "rob_" not in server.metrics_text() and "# TYPE" in server.metrics_text()
        with pytest.raises(RobError):
            server.close()  # not while run() serves
    finally:
        server.stop()
        loop.join(30)
    assert not loop.is_alive()
    assert any('"listening"' in line for line in logs)
    server.close()
    call_id = str(json.loads(CALL_START)["call_id"])
    files = list(tmp_path.glob("*.opus"))
    assert len(files) == 1 and files[0].name.startswith(call_id + "-")
    start = files[0].stem.split("-")[-1]
    import calendar
    import time
    unix = calendar.timegm(time.strptime(start, "%Y%m%dT%H%M%SZ"))
    assert ringoverbot.recording_stem(call_id, unix) == files[0].stem
    assert files[0].read_bytes()[:4] == b"OggS"
    assert ringoverbot.recording_stem("a/b c", 0) == "a_b_c-19700101T000000Z"
    with pytest.raises(RobError):
        ringoverbot.Server(PyStt(), PyLlm(), tts, port=0, recording_dir=str(tmp_path / "no"))


def test_server_directory_settings():
    """The directory's settings reach the server: a host name is refused (no DNS on the loop);
    an address with no Redis behind it starts, and the directory reports itself down."""
    with pytest.raises(RobError, match="redis_url"):
        ringoverbot.Server(PyStt(), PyLlm(), PyTts(), port=0, redis_url="redis.internal:6379",
                           log=lambda level, line: None)
    orphans = []
    server = ringoverbot.Server(PyStt(), PyLlm(), PyTts(), port=0, redis_url="127.0.0.1:1",
                                instance_id="py-1", redis_heartbeat_s=0.1,
                                redis_instance_ttl_s=1, redis_timeout_s=0.1,
                                on_orphan=lambda call, dead: orphans.append((call, dead)),
                                log=lambda level, line: None)
    try:
        assert server.stats.directory_up is False
        assert server.stats.calls_orphaned == 0
        assert "ringoverbot_directory_up 0" in server.metrics_text()
    finally:
        server.close()
