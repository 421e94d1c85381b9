"""End to end over real loopback sockets: ringoverbot-agent with its local engines (pocketsphinx,
scripted dialog, flite) against ringoverbot-call, the simulated Ringover media server and caller.

Speech recognition of synthetic phone-band speech is imperfect on both sides, so the checks are
on keywords and on the protocol (break, transfer, timing), never on exact transcripts."""
import json
import time
import wave
from array import array

from conftest import free_port, run_call

HOURS_WORDS = {"open", "eight", "morning", "six", "evening", "monday", "saturday"}


def call_json(*args, timeout=60):
    r = run_call("--json", *args, timeout=timeout)
    try:
        data = json.loads(r.stdout)
    except ValueError:
        raise AssertionError(f"no JSON (exit {r.returncode}): {r.stdout!r} {r.stderr!r}")
    return r, data


def turns_logged(agent):
    return [line for line in agent.log_lines() if line.get("event") == "turn"]


def test_the_agent_answers_a_spoken_question(start_agent):
    agent = start_agent()
    r, data = call_json("--url", agent.ws_url, "--say", "what are your opening hours")
    assert r.returncode == 0, r.stderr + r.stdout
    call = data["calls"][0]
    assert call["ok"] and call["errors"] == []
    greeting, answer = call["turns"]
    assert greeting["caller"] is None and greeting["latency_ms"] is not None
    assert "bakery" in greeting["bot"].split(), greeting["bot"]
    assert answer["caller"] == "what are your opening hours"
    assert 0 < answer["latency_ms"] < 5000
    heard = set(answer["bot"].split())
    assert len(heard & HOURS_WORDS) >= 3, answer["bot"]
    # The agent's own account of the turn: what it recognised and what it answered.
    logged = [t for t in turns_logged(agent) if t.get("turn") == 1]
    assert logged, agent.log()
    assert "hours" in logged[0]["transcript"] or "open" in logged[0]["transcript"]
    assert logged[0]["reply"].startswith("We are open")
    # Its confidence (null when the STT gives none), and no gate stood in the way.
    c = logged[0]["confidence"]
    assert c is None or 0 <= c <= 1, logged[0]
    assert logged[0]["misheard"] is False and logged[0]["confirmation"] is False
    assert logged[0]["speculative"] is False  # the scripted dialog is never asked speculatively
    greeting_logged = [t for t in turns_logged(agent) if t.get("turn") == 0]
    assert greeting_logged and greeting_logged[0]["confidence"] is None
    # The bot's reply played whole: no break, nothing dropped.
    assert not answer["interrupted"] and answer["dropped_audio_ms"] == 0
    assert answer["bot_audio_ms"] > 5000


def test_the_bot_stops_on_barge_in(start_agent):
    # The demo's call (examples/run.sh): a question, then a transfer asked over the answer.
    agent = start_agent()
    r, data = call_json("--url", agent.ws_url, "--say", "what are your opening hours",
                        "--say", "transfer me to sales", "--barge-in")
    call = data["calls"][0]
    assert not [e for e in call["errors"] if "protocol" in e], call["errors"]
    hours, interruption = call["turns"][1], call["turns"][2]
    assert interruption["barged_in"], call
    assert interruption["speech_start_ms"] < hours["first_audio_ms"] + 4000
    # The bot sent break while the caller talked over it, and stopped talking.
    assert hours["interrupted"], hours
    assert any(c["event"] == "break" for c in hours["commands"])
    assert 0 < hours["break_ms"] < 2500, hours["break_ms"]
    assert hours["audio_after_break_ms"] == 0
    assert hours["bot_audio_ms"] < 4500  # the whole reply is about 9 s
    logged = [t for t in turns_logged(agent) if t.get("turn") == 1]
    assert logged and logged[0]["interrupted"] is True, agent.log()
    assert len(logged[0]["heard"]) < len(logged[0]["reply"])
    # The bot answered the interruption, and heard it well enough to act without asking first:
    # over a line without echo, the caller's words reach the STT as they were spoken (the echo
    # canceller once took part of them for echo: "transfer me a um", confirmed, no transfer).
    assert interruption["latency_ms"] is not None
    asked = [t for t in turns_logged(agent) if t.get("turn") == 2]
    assert asked and asked[0]["confirmation"] is False, agent.log()
    transfers = [c for c in interruption["commands"] if c["event"] == "transfer"]
    assert transfers and transfers[0]["data"] == "33182880001", interruption


def test_the_bot_transfers_to_sales(start_agent, tmp_path):
    # flite's voice is often heard below action_confidence, which asks to confirm first
    # (tests/integration/test_call_trust.py); this agent acts at once.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"call": {"action_confidence": 0.0}}))
    agent = start_agent("--config", str(config))
    r, data = call_json("--url", agent.ws_url, "--say", "transfer me to sales")
    assert r.returncode == 0, r.stderr + r.stdout
    call = data["calls"][0]
    reply = call["turns"][1]
    transfers = [c for c in reply["commands"] if c["event"] == "transfer"]
    assert transfers and transfers[0]["data"] == "33182880001", reply
    # The transfer comes after the words ("Actions run after the say text has been played").
    assert transfers[0]["at_ms"] >= reply["first_audio_ms"] + reply["bot_audio_ms"] - 300
    assert call["end"] == "transferred"
    assert "sales" in reply["bot"].split(), reply["bot"]


def test_forty_calls_at_once_are_all_greeted(start_agent):
    agent = start_agent()
    r, data = call_json("--url", agent.ws_url, "--calls", "40", timeout=90)
    assert r.returncode == 0, r.stderr + r.stdout[-2000:]
    summary = data["summary"]
    assert summary["calls"] == 40 and summary["ok"] == 40 and summary["failed"] == 0
    assert summary["greeting_ms"]["n"] == 40
    assert all(c["greeting_ms"] is not None for c in data["calls"])
    assert len({c["call_id"] for c in data["calls"]}) == 40
    # Each greeting came within ringoverbot-call's greeting timeout (10 s), or the call failed.
    # Every call ended on the agent's side too (it sees the closes a moment later).
    deadline = time.monotonic() + 10
    while agent.health()["calls"] != 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert agent.health()["calls"] == 0


def test_json_inbound_and_the_stereo_wav(start_agent, tmp_path):
    agent = start_agent()
    out = tmp_path / "call.wav"
    r, data = call_json("--url", agent.ws_url, "--say", "what are your opening hours",
                        "--inbound", "json", "--rate", "16000", "--out", str(out))
    assert r.returncode == 0, r.stderr + r.stdout
    assert data["inbound"] == "json" and data["encoding"] == "L16" and data["rate"] == 16000
    assert data["out"] == str(out)
    call = data["calls"][0]
    for key in ("index", "call_id", "ok", "end", "errors", "greeting_ms", "duration_ms", "turns"):
        assert key in call
    for key in ("turn", "caller", "bot", "commands", "latency_ms", "interrupted", "break_ms",
                "bot_audio_ms"):
        assert key in call["turns"][1]
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, 16000, 2)
        frames = w.getnframes()
        pcm = array("h", w.readframes(frames))
    assert frames == round(call["duration_ms"] * 16)
    turn = call["turns"][1]
    assert call["duration_ms"] > turn["speech_end_ms"] + turn["bot_audio_ms"]

    def rms(channel, start_ms, end_ms):
        a, b = int(start_ms * 16), int(end_ms * 16)
        window = pcm[2 * a + channel:2 * b:2]
        return (sum(x * x for x in window) / max(1, len(window))) ** 0.5

    # Time-aligned: the caller's line is on the left while the caller speaks, and the bot's
    # reply on the right once it arrived; each channel is quiet when the other party talks.
    speaking = (turn["speech_start_ms"] + 100, turn["speech_end_ms"] - 100)
    answering = (turn["first_audio_ms"] + 200, turn["first_audio_ms"] + 2000)
    assert rms(0, *speaking) > 300 and rms(1, *speaking) < 50
    assert rms(1, *answering) > 300 and rms(0, *answering) < 50


def test_a_token_is_sent_when_the_agent_requires_one(start_agent):
    agent = start_agent(env={"RINGOVERBOT_STREAM_TOKEN": "s3cret"})
    refused = run_call("--url", agent.ws_url, "--token", "wrong", "--greeting-timeout", "2000",
                       timeout=30)
    assert refused.returncode == 1 and "cannot connect" in refused.stdout, refused.stdout
    r, data = call_json("--url", agent.ws_url, "--token", "s3cret", timeout=30)
    assert r.returncode == 0 and data["calls"][0]["greeting_ms"] is not None, r.stdout


def test_connection_refused_and_bad_flags():
    port = free_port()
    r = run_call("--url", f"ws://127.0.0.1:{port}/ws", timeout=30)
    assert r.returncode == 1
    assert "cannot connect" in r.stdout
    r = run_call("--rate", "44100", timeout=10)
    assert r.returncode == 2 and "--rate" in r.stderr
    r = run_call("--url", "http://x", timeout=10)
    assert r.returncode == 2
