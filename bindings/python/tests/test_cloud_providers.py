"""The cloud providers through the C ABI: the shared client, the factories, their refusals,
and a cloud LLM on a closed port failing a call's turn (the call says its fallback). No test
reaches the internet: the only address used is 127.0.0.1 port 1, where nothing listens."""
import time

import pytest

from ringoverbot import (CloudClient, DeepgramStt, ElevenLabsTts, OpenAiLlm, OpenAiStt,
                         OpenAiTts, RobError, Server)
from test_agent import CALL_START, Host, PyStt, PyTts

CLOSED = "http://127.0.0.1:1/v1"
SECRET = "sk-python-never-logged-91c2"
ROB_ERR_INVALID_ARGUMENT = -1


def test_cloud_providers_are_made_on_a_client():
    client = CloudClient()
    assert client.error_count() == 0
    assert client.error_count("openai", "connect") == 0
    llm = OpenAiLlm(client, api_key=SECRET, model="gpt-4o-mini", temperature=0.2,
                    max_tokens=50, tools=False, max_attempts=1)
    assert "openai" in llm.name
    assert "deepgram" in DeepgramStt(client, base_url="ws://127.0.0.1:1/v1").name
    assert OpenAiStt(client, base_url=CLOSED, language="").name
    assert ElevenLabsTts(client, voice_id="abc").name
    tts = OpenAiTts(client, base_url=CLOSED, voice="alloy", speed=1.25)
    client.close()  # the providers keep the library's client
    assert tts.name
    tts.close()
    llm.close()


def test_cloud_refusals_say_why():
    client = CloudClient()
    with pytest.raises(RobError) as e:
        OpenAiLlm(client, base_url="ws://127.0.0.1:1/v1")
    assert e.value.code == ROB_ERR_INVALID_ARGUMENT
    assert "base URL" in str(e.value)
    with pytest.raises(RobError) as e:
        DeepgramStt(client, base_url="https://api.deepgram.com/v1")
    assert "base URL" in str(e.value)
    with pytest.raises(RobError) as e:
        OpenAiStt(client, max_turn_ms=10)
    assert "max_turn_ms" in str(e.value)
    with pytest.raises(TypeError):
        OpenAiLlm(None)
    with pytest.raises(TypeError):
        OpenAiTts(client, no_such_setting=1)
    with pytest.raises(RobError) as e:
        CloudClient(ca_file="/nonexistent/ca.pem")
    assert "ca.pem" in str(e.value)
    with pytest.raises(ValueError):
        CloudClient(min_log_level="loud")


def test_a_cloud_llm_on_a_closed_port_fails_the_turn():
    lines = []
    client = CloudClient(log=lambda level, line: lines.append((level, line)),
                         min_log_level="debug")
    llm = OpenAiLlm(client, base_url=CLOSED, api_key=SECRET, max_attempts=1)
    h = Host(llm=llm, stt=PyStt(["hello"]))
    h.text(CALL_START)
    assert h.run(3000, until=lambda: len(h.turns) == 1)
    h.run(600, speech=True)

    # The request fails on the client's thread in real time: let time pass at its real pace
    # until it has, so that the engine's own (virtual) deadline cannot fire first.
    def failed():
        time.sleep(0.02)
        return client.error_count("openai") > 0
    assert h.run(4000, until=failed)
    assert h.run(8000, until=lambda: len(h.turns) == 2)
    assert h.turns[1].failed
    assert h.tts.texts[-1] == "Pardon?"
    assert h.call.stats.llm_errors == 1
    assert h.call.stats.fallbacks == 1
    assert h.call.stats.timeouts == 0  # the provider's own error, not the engine's deadline
    assert client.error_count("openai", "connect") == 1
    assert client.error_count("deepgram") == 0
    assert any(level == "warn" for level, _ in lines)
    assert not any(SECRET in line for _, line in lines)

    # A server given the client counts the client's failures in /metrics.
    server = Server(PyStt(), llm, PyTts(), port=0, cloud_client=client)
    try:
        assert ('ringoverbot_provider_failures_total{provider="openai",kind="connect"} 1'
                in server.metrics_text())
    finally:
        server.close()
    h.call.close()
