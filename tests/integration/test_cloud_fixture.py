"""The cloud fixture alone (tests/fixtures/cloud_fixture.py), driven by plain Python clients: each
service answers in its real wire form, refuses a wrong key the way the service does, and every
fault mode behaves as documented. The agent's cloud call tests build on these facts."""
import asyncio
import http.client
import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest
import websockets
import websockets.exceptions

from cloud_fixture_client import (DEEPGRAM_KEY, ELEVENLABS_KEY, FIXTURE, OPENAI_KEY, PYTHON,
                                  encode, rms_dbfs, speech_pcm)
from cloud_fixture_client import cloud, cloud_cert_dir  # noqa: F401 (pytest fixtures)

TOOLS = [{"type": "function", "function": {
    "name": name, "description": "agent action",
    "parameters": {"type": "object", "properties": props, "required": list(props)}}}
    for name, props in (("transfer_call", {"number": {"type": "string"}}),
                        ("send_digits", {"digits": {"type": "string"}}),
                        ("play_audio", {"url": {"type": "string"}}),
                        ("end_call", {}))]


def chat_body(*user_lines, tools=TOOLS, stream=True):
    msgs = [{"role": "system", "content": "You answer the phone of a bakery."}]
    for i, line in enumerate(user_lines):
        if i:
            msgs.append({"role": "assistant", "content": "Earlier answer."})
        msgs.append({"role": "user", "content": line})
    body = {"model": "gpt-4o-mini", "messages": msgs, "stream": stream}
    if tools is not None:
        body["tools"] = tools
    return body


def post(f, path, body, headers=None, timeout=10, raw=False):
    """(status, headers, body bytes); HTTP errors are answers too."""
    data = body if raw else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    req = urllib.request.Request(f.root + path, data=data, headers=hdrs, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=f.ssl) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def header(rec, name):
    """A recorded header by name, case-insensitively (records keep the names as sent)."""
    found = [v for k, v in rec["headers"].items() if k.lower() == name]
    return found[0] if found else None


def bearer(key=OPENAI_KEY):
    return {"Authorization": "Bearer " + key}


def sse_events(body):
    """The data payloads of an SSE body (events end with a blank line)."""
    out = []
    for block in body.decode().split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: "):
                out.append(line[6:])
    return out


def assemble(events):
    """Content text, tool calls {index: [name, args]} and the finish reason of a stream."""
    text, calls, finish = "", {}, None
    assert events[-1] == "[DONE]"
    for data in events[:-1]:
        chunk = json.loads(data)
        assert chunk["object"] == "chat.completion.chunk"
        for choice in chunk["choices"]:
            delta = choice["delta"]
            text += delta.get("content") or ""
            for tc in delta.get("tool_calls", []):
                call = calls.setdefault(tc["index"], ["", ""])
                call[0] += tc.get("function", {}).get("name", "")
                call[1] += tc.get("function", {}).get("arguments", "")
            finish = choice["finish_reason"] or finish
    return text, calls, finish


def raw_exchange(f, request_bytes, timeout=10):
    """Sends a raw HTTP request (with Connection: close) over TLS; returns the byte pieces as
    each TLS read gave them, up to the server's close."""
    sock = socket.create_connection(("127.0.0.1", f.http_port), timeout=timeout)
    s = f.ssl.wrap_socket(sock, server_hostname="localhost")
    s.sendall(request_bytes)
    pieces = []
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            pieces.append(data)
    finally:
        s.close()
    return pieces


def dechunk(body):
    out, pos = b"", 0
    while True:
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end], 16)
        if size == 0:
            return out
        out += body[end + 2:end + 2 + size]
        assert body[end + 2 + size:end + 4 + size] == b"\r\n"
        pos = end + 4 + size


# ---- chat completions ----------------------------------------------------------------------------

def test_chat_streams_the_dialog_answer_with_a_tool_call_split_awkwardly(cloud):
    f = cloud()
    body = json.dumps(chat_body("what are your opening hours", "Please, transfer me to SALES!"))
    req = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
           f"Authorization: Bearer {OPENAI_KEY}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()
    pieces = raw_exchange(f, req)
    whole = b"".join(pieces)
    head, _, chunked = whole.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Transfer-Encoding: chunked" in head and b"text/event-stream" in head
    stream = dechunk(chunked)
    events = sse_events(stream)
    text, calls, finish = assemble(events)
    assert text == "Let me put you through to sales."
    assert calls == {0: ["transfer_call", '{"number":"33182880001"}']}
    assert finish == "tool_calls"
    first = json.loads(events[0])["choices"][0]["delta"]
    assert first["role"] == "assistant"
    # The name comes in its own delta, the arguments over further deltas.
    tool_deltas = [json.loads(e)["choices"][0]["delta"]["tool_calls"][0] for e in events[:-1]
                   if "tool_calls" in json.loads(e)["choices"][0]["delta"]]
    assert tool_deltas[0]["function"] == {"name": "transfer_call", "arguments": ""}
    assert tool_deltas[0]["id"].startswith("call_") and tool_deltas[0]["type"] == "function"
    assert 2 <= len(tool_deltas) - 1 <= 3
    # Split across TLS records at awkward places: inside "data:" and two events in one write.
    assert len(pieces) > len(events)
    assert any(p.endswith(b"da\r\n") for p in pieces), pieces[:6]
    assert any(p.count(b"data: ") >= 2 for p in pieces)
    assert any(p.endswith(b"}\n\r\n") for p in pieces)  # between the two newlines


def test_chat_answers_like_the_scripted_dialog(cloud):
    f = cloud()

    def answer(*lines, tools=TOOLS):
        status, _, body = post(f, "/v1/chat/completions", chat_body(*lines, tools=tools),
                               bearer())
        assert status == 200, body
        return assemble(sse_events(body))

    assert answer("hello")[0] == "Sorry, I did not catch that. Could you say it again?"
    assert answer("hello")[2] == "stop"
    # Only the last user message counts; "opening" alone is not the phrase "opening hours".
    assert answer("transfer me", "what are your opening hours")[0].startswith("We are open")
    assert answer("the reopening")[0].startswith("Sorry")
    assert answer("dial the extension")[1] == {0: ["send_digits", '{"digits":"123"}']}
    assert answer("ok bye")[1] == {0: ["end_call", "{}"]}
    # A model calls only the tools it was given.
    text, calls, finish = answer("sales", tools=None)
    assert text == "Let me put you through to sales." and calls == {} and finish == "stop"
    recs = f.requests("chat")
    assert len(recs) == 7
    assert recs[2]["body"]["messages"][-2] == {"role": "assistant", "content": "Earlier answer."}
    assert recs[2]["tools_declared"] == ["end_call", "play_audio", "send_digits",
                                         "transfer_call"]
    assert header(recs[2], "authorization") == "Bearer " + OPENAI_KEY
    assert recs[0]["t_arrival"] <= recs[0]["t_first_byte"] <= recs[0]["t_last_byte"]


def test_chat_refusals_in_openai_form(cloud):
    f = cloud()
    status, _, body = post(f, "/v1/chat/completions", chat_body("hi"), bearer("sk-wrong-key"))
    assert status == 401
    err = json.loads(body)["error"]
    assert err["code"] == "invalid_api_key" and err["type"] == "invalid_request_error"
    assert err["param"] is None and err["message"].startswith("Incorrect API key provided")
    assert "sk-wrong-key" not in err["message"]  # OpenAI masks the key it was given
    status, _, body = post(f, "/v1/chat/completions", chat_body("hi"))
    assert status == 401
    status, _, body = post(f, "/v1/chat/completions", chat_body("hi", stream=False), bearer())
    assert status == 400 and json.loads(body)["error"]["param"] == "stream"
    bad_tools = [{"type": "function", "function": {"name": "x", "parameters": {"type": "array"}}}]
    status, _, body = post(f, "/v1/chat/completions", chat_body("hi", tools=bad_tools), bearer())
    assert status == 400 and "schema" in json.loads(body)["error"]["message"]
    status, _, body = post(f, "/v1/chat/completions", b"{not json", bearer(), raw=True)
    assert status == 400 and json.loads(body)["error"]["type"] == "invalid_request_error"
    status, _, _ = post(f, "/v1/nothing/here", {}, bearer())
    assert status == 404


# ---- speech to text (OpenAI) ---------------------------------------------------------------------

def multipart(fields, boundary="----robfixture" + uuid.uuid4().hex):
    out = b""
    for name, value in fields.items():
        out += f"--{boundary}\r\n".encode()
        if name == "file":
            out += (b'Content-Disposition: form-data; name="file"; filename="turn.wav"\r\n'
                    b"Content-Type: audio/wav\r\n\r\n" + value + b"\r\n")
        else:
            out += (f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() +
                    value.encode() + b"\r\n")
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def wav(pcm, rate):
    import io
    import wave
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def test_transcriptions_give_the_transcripts_in_turn(cloud):
    f = cloud("--transcript", "what are your opening hours", "--transcript", "goodbye")
    audio = wav(b"\0\0" * 16000, 16000)
    texts = []
    for _ in range(3):
        body, ctype = multipart({"file": audio, "model": "whisper-1", "response_format": "json",
                                 "language": "en"})
        status, headers, answer = post(f, "/v1/audio/transcriptions", body,
                                       {**bearer(), "Content-Type": ctype}, raw=True)
        assert status == 200, answer
        assert headers["Content-Type"] == "application/json"
        texts.append(json.loads(answer))
    assert texts == [{"text": "what are your opening hours"}, {"text": "goodbye"},
                     {"text": "what are your opening hours"}]
    rec = f.requests("transcribe")[0]
    assert rec["fields"] == ["file", "language", "model", "response_format"]
    assert rec["form"]["model"] == "whisper-1"
    assert rec["wav"]["rate"] == 16000 and rec["wav"]["channels"] == 1
    assert rec["wav"]["duration_s"] == 1.0
    # Wrong key, no file, not a WAV: refused, and no transcript is used up.
    body, ctype = multipart({"file": audio, "model": "whisper-1"})
    assert post(f, "/v1/audio/transcriptions", body, {**bearer("sk-bad"), "Content-Type": ctype},
                raw=True)[0] == 401
    body, ctype = multipart({"model": "whisper-1"})
    status, _, answer = post(f, "/v1/audio/transcriptions", body,
                             {**bearer(), "Content-Type": ctype}, raw=True)
    assert status == 400 and json.loads(answer)["error"]["param"] == "file"
    body, ctype = multipart({"file": b"ID3 not a wav file at all" * 4, "model": "whisper-1"})
    assert post(f, "/v1/audio/transcriptions", body, {**bearer(), "Content-Type": ctype},
                raw=True)[0] == 400
    body, ctype = multipart({"file": audio, "model": "whisper-1"})
    status, _, answer = post(f, "/v1/audio/transcriptions", body,
                             {**bearer(), "Content-Type": ctype}, raw=True)
    assert json.loads(answer) == {"text": "goodbye"}


def test_transcriptions_answer_confidence_as_each_model_does(cloud):
    f = cloud("--transcript", "What are your opening hours? Thanks.")
    audio = wav(b"\0\0" * 32000, 16000)
    headers = bearer()

    def ask(fields):
        body, ctype = multipart({"file": audio, **fields})
        status, _, answer = post(f, "/v1/audio/transcriptions", body,
                                 {**headers, "Content-Type": ctype}, raw=True)
        return status, json.loads(answer)

    # whisper-1, verbose_json: a segment per sentence, with avg_logprob and no_speech_prob.
    status, v = ask({"model": "whisper-1", "response_format": "verbose_json"})
    assert status == 200
    assert v["text"] == "What are your opening hours? Thanks."
    assert v["duration"] == 2.0 and v["task"] == "transcribe"
    assert [s["text"] for s in v["segments"]] == [" What are your opening hours?", " Thanks."]
    assert v["segments"][0]["start"] == 0.0 and v["segments"][-1]["end"] == 2.0
    for seg in v["segments"]:
        assert {"id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
                "compression_ratio", "no_speech_prob"} <= set(seg)
        assert seg["avg_logprob"] <= 0 and 0 <= seg["no_speech_prob"] <= 1
    # gpt-4o-mini-transcribe, json with include[]=logprobs: a log probability per token.
    status, j = ask({"model": "gpt-4o-mini-transcribe", "response_format": "json",
                     "include[]": "logprobs"})
    assert status == 200
    assert "".join(t["token"] for t in j["logprobs"]) == j["text"]
    assert all(t["logprob"] <= 0 and bytes(t["bytes"]).decode() == t["token"]
               for t in j["logprobs"])
    # Plain json: the text alone. Logprobs with whisper-1 are refused, as the API does.
    assert ask({"model": "whisper-1", "response_format": "json"}) == (200, {"text": j["text"]})
    status, err = ask({"model": "whisper-1", "include[]": "logprobs"})
    assert status == 400 and err["error"]["param"] == "include"
    assert [r["form"].get("include[]") for r in f.requests("transcribe")] == \
        [None, "logprobs", None, "logprobs"]


# ---- text to speech ------------------------------------------------------------------------------

def test_openai_speech_streams_24khz_pcm_in_chunks(cloud):
    f = cloud()
    text = "We are open from eight to six."
    body = json.dumps({"model": "gpt-4o-mini-tts", "input": text, "voice": "alloy",
                       "response_format": "pcm"})
    req = (f"POST /v1/audio/speech HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
           f"{OPENAI_KEY}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
           f"Connection: close\r\n\r\n{body}").encode()
    pieces = raw_exchange(f, req)
    head, _, chunked = b"".join(pieces).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Transfer-Encoding: chunked" in head
    pcm = dechunk(chunked)
    assert len(pcm) % 2 == 0
    seconds = len(pcm) / 2 / 24000
    assert 1.0 < seconds < 4.0, seconds
    assert rms_dbfs(pcm) > -30
    assert len(pieces) >= 4  # streamed, not one write
    # 4801-byte chunks: a sample straddles every chunk boundary.
    assert chunked.split(b"\r\n", 1)[0] == b"12c1"
    rec = f.requests("speech")[0]
    assert rec["body"]["voice"] == "alloy" and rec["audio_bytes"] == len(pcm)
    status, _, err = post(f, "/v1/audio/speech", json.loads(body), bearer("nope"))
    assert status == 401 and json.loads(err)["error"]["code"] == "invalid_api_key"
    status, _, err = post(f, "/v1/audio/speech", {**json.loads(body), "response_format": "mp3"},
                          bearer())
    assert status == 400


@pytest.mark.parametrize("fmt,rate,width", [("ulaw_8000", 8000, 1), ("pcm_16000", 16000, 2),
                                            ("pcm_24000", 24000, 2)])
def test_elevenlabs_streams_the_asked_format(cloud, fmt, rate, width):
    f = cloud()
    body = {"text": "Let me put you through to sales.", "model_id": "eleven_flash_v2_5",
            "voice_settings": {"stability": 0.5, "similarity_boost": 0.75}}
    status, headers, audio = post(
        f, f"/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream?output_format={fmt}", body,
        {"xi-api-key": ELEVENLABS_KEY})
    assert status == 200 and headers["Transfer-Encoding"] == "chunked"
    seconds = len(audio) / width / rate
    assert 1.0 < seconds < 4.0, seconds
    pcm = encode_back(audio, fmt)
    assert rms_dbfs(pcm) > -30
    rec = f.requests("elevenlabs")[0]
    assert rec["voice_id"] == "21m00Tcm4TlvDq8ikWAM" and rec["query"] == {"output_format": fmt}
    assert header(rec, "xi-api-key") == ELEVENLABS_KEY
    assert rec["body"]["voice_settings"]["stability"] == 0.5


def encode_back(audio, fmt):
    from cloud_fixture_client import audioop
    return audioop.ulaw2lin(audio, 2) if fmt.startswith("ulaw") else audio


def test_elevenlabs_refusals_in_its_own_form(cloud):
    f = cloud()
    path = "/v1/text-to-speech/voice1/stream?output_format=pcm_16000"
    status, _, body = post(f, path, {"text": "hi", "model_id": "m"}, {"xi-api-key": "wrong"})
    assert status == 401
    assert json.loads(body) == {"detail": {"status": "invalid_api_key",
                                           "message": "Invalid API key"}}
    status, _, body = post(f, path, {"text": "hi"}, bearer())  # OpenAI's header is not enough
    assert status == 401
    status, _, body = post(f, path.replace("pcm_16000", "opus_48000"), {"text": "hi"},
                           {"xi-api-key": ELEVENLABS_KEY})
    assert status == 400 and json.loads(body)["detail"]["status"] == "invalid_output_format"


# ---- faults --------------------------------------------------------------------------------------

def test_rate_limit_then_success_and_server_errors(cloud):
    f = cloud("--fault", "chat:429:1", "--fault", "elevenlabs:500:1")
    status, headers, body = post(f, "/v1/chat/completions", chat_body("sales"), bearer())
    assert status == 429 and headers["Retry-After"] == "0"
    assert json.loads(body)["error"]["code"] == "rate_limit_exceeded"
    status, _, body = post(f, "/v1/chat/completions", chat_body("sales"), bearer())
    assert status == 200 and assemble(sse_events(body))[1]
    path = "/v1/text-to-speech/v/stream?output_format=ulaw_8000"
    status, _, body = post(f, path, {"text": "hi"}, {"xi-api-key": ELEVENLABS_KEY})
    assert status == 500 and json.loads(body)["detail"]["status"] == "internal_server_error"
    assert post(f, path, {"text": "hi"}, {"xi-api-key": ELEVENLABS_KEY})[0] == 200
    # A fault answers even a right key with its own status: 401 for every request here.
    f.set_faults(["speech:401", "chat:500"])
    speech = {"model": "tts-1", "input": "hi", "voice": "alloy", "response_format": "pcm"}
    for _ in range(2):
        assert post(f, "/v1/audio/speech", speech, bearer())[0] == 401
        status, _, body = post(f, "/v1/chat/completions", chat_body("hi"), bearer())
        assert status == 500 and json.loads(body)["error"]["type"] == "server_error"
    assert f.faults() == [{"service": "speech", "mode": "401", "remaining": None},
                          {"service": "chat", "mode": "500", "remaining": None}]
    assert [r["fault"] for r in f.requests("chat")] == ["429", None, "500", "500"]
    f.reset()
    assert f.faults() == [] and f.requests() == []
    assert post(f, "/v1/audio/speech", speech, bearer())[0] == 200


def test_fault_specs_are_checked(cloud):
    f = cloud()
    for bad in (["chat"], ["chat:418"], ["mail:500"], ["chat:500:0"], "chat:500", [5]):
        req = urllib.request.Request(f.root + "/_fixture/faults", data=json.dumps(bad).encode(),
                                     method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5, context=f.ssl)
        assert e.value.code == 400 and json.loads(e.value.read())["error"]
    r = subprocess.run([PYTHON, str(FIXTURE), "--plain", "--fault", "chat:boom"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "chat:boom" in r.stderr


def test_stall_sends_headers_then_nothing_until_the_client_leaves(cloud):
    f = cloud("--fault", "chat:stall:1")
    req = urllib.request.Request(f.base + "/chat/completions", method="POST",
                                 data=json.dumps(chat_body("hours")).encode(),
                                 headers={**bearer(), "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=1.0, context=f.ssl) as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        t0 = time.monotonic()
        with pytest.raises((TimeoutError, socket.timeout)):
            r.read(1)
        assert time.monotonic() - t0 >= 0.9
    deadline = time.monotonic() + 5
    while f.requests("chat")[0]["client_closed"] is None and time.monotonic() < deadline:
        time.sleep(0.05)
    rec = f.requests("chat")[0]
    assert rec["fault"] == "stall" and rec["client_closed"] is not None
    assert post(f, "/v1/chat/completions", chat_body("hours"), bearer())[0] == 200


def test_stall_headers_never_answers(cloud):
    f = cloud("--fault", "transcribe:stall_headers")
    body, ctype = multipart({"file": wav(b"\0\0" * 800, 8000), "model": "whisper-1"})
    t0 = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        post(f, "/v1/audio/transcriptions", body, {**bearer(), "Content-Type": ctype},
             raw=True, timeout=1.0)
    assert time.monotonic() - t0 >= 0.9
    assert f.requests("transcribe")[0]["status"] is None


def test_drop_cuts_the_body(cloud):
    f = cloud("--fault", "chat:drop:1", "--fault", "speech:drop:1", "--fault",
              "transcribe:drop:1", "--transcript", "first", "--transcript", "second")
    with pytest.raises((http.client.IncompleteRead, ConnectionError, ssl.SSLError)):
        post(f, "/v1/chat/completions", chat_body("what are your opening hours"), bearer())
    speech = {"model": "tts-1", "input": "We are open from eight to six.", "voice": "alloy",
              "response_format": "pcm"}
    with pytest.raises((http.client.IncompleteRead, ConnectionError, ssl.SSLError)):
        post(f, "/v1/audio/speech", speech, bearer())
    body, ctype = multipart({"file": wav(b"\0\0" * 800, 8000), "model": "whisper-1"})
    stt_headers = {**bearer(), "Content-Type": ctype}
    with pytest.raises((http.client.IncompleteRead, ConnectionError, ssl.SSLError)):
        post(f, "/v1/audio/transcriptions", body, stt_headers, raw=True)
    recs = f.requests()
    assert [r["fault"] for r in recs] == ["drop", "drop", "drop"]
    assert all(r["t_first_byte"] is not None for r in recs)  # some data went before the cut
    assert post(f, "/v1/audio/speech", speech, bearer())[0] == 200
    # The cut transcription did not use up a transcript.
    status, _, answer = post(f, "/v1/audio/transcriptions", body, stt_headers, raw=True)
    assert status == 200 and json.loads(answer) == {"text": "first"}


def test_plain_http_and_ws(cloud):
    f = cloud("--transcript", "hello there", plain=True)
    assert f.base.startswith("http://") and f.ca_file is None
    status, _, body = post(f, "/v1/chat/completions", chat_body("goodbye"), bearer())
    assert status == 200 and assemble(sse_events(body))[1] == {0: ["end_call", "{}"]}

    async def talk():
        async with websockets.connect(
                f.ws_base + "/listen?encoding=linear16&sample_rate=16000",
                extra_headers={"Authorization": "Token " + DEEPGRAM_KEY}) as ws:
            await ws.send(json.dumps({"type": "CloseStream"}))
            return json.loads(await asyncio.wait_for(ws.recv(), 5))

    assert asyncio.run(talk())["type"] == "Metadata"


# ---- Deepgram live -------------------------------------------------------------------------------

def listen_url(f, encoding, rate, **extra):
    q = {"model": "nova-2-phonecall", "language": "en-US", "encoding": encoding,
         "sample_rate": rate, "channels": 1, "interim_results": "true", "endpointing": 300,
         "utterance_end_ms": 1000, "vad_events": "true", "punctuate": "true"}
    q.update(extra)
    return f.ws_base + "/listen?" + "&".join(f"{k}={v}" for k, v in q.items())


async def stream_audio(ws, pcm, rate, encoding, speed=4.0):
    """Sends `pcm` (s16le at `rate`) as 20 ms frames in `encoding`, `speed` times real time."""
    step = rate // 50 * 2
    for off in range(0, len(pcm), step):
        await ws.send(encode(pcm[off:off + step], encoding))
        await asyncio.sleep(0.02 / speed)


async def collect(ws, into):
    try:
        async for msg in ws:
            into.append(json.loads(msg))
    except websockets.exceptions.ConnectionClosed:
        pass


def silence(rate, seconds):
    return b"\0\0" * int(rate * seconds)


@pytest.mark.parametrize("encoding,rate", [("mulaw", 8000), ("linear16", 16000)])
def test_deepgram_message_sequence_for_two_utterances(cloud, encoding, rate):
    said = ["what are your opening hours", "please transfer me to sales"]
    f = cloud("--transcript", said[0], "--transcript", said[1])
    audio = b"".join([silence(rate, 0.3), speech_pcm(said[0], rate), silence(rate, 1.6),
                      speech_pcm(said[1], rate), silence(rate, 1.6)])

    async def talk():
        got = []
        async with websockets.connect(listen_url(f, encoding, rate), ssl=f.ssl,
                                      extra_headers={"Authorization": "Token " + DEEPGRAM_KEY}
                                      ) as ws:
            reader = asyncio.ensure_future(collect(ws, got))
            await stream_audio(ws, audio, rate, encoding)
            await ws.send(json.dumps({"type": "KeepAlive"}))
            await ws.send(json.dumps({"type": "KeepAlive"}))
            await ws.send(json.dumps({"type": "CloseStream"}))
            await asyncio.wait_for(reader, 10)
            return got, ws.close_code

    got, close_code = asyncio.run(talk())
    assert close_code == 1000
    kinds = [m["type"] + (":final" if m.get("is_final") else ":interim"
                          if m["type"] == "Results" else "") for m in got]
    assert kinds[-1] == "Metadata", kinds
    for n in range(2):
        start = kinds.index("SpeechStarted") if n == 0 else \
            kinds.index("SpeechStarted", kinds.index("UtteranceEnd") + 1)
        final = kinds.index("Results:final", start)
        interims = [got[i] for i in range(start, final) if kinds[i] == "Results:interim"]
        assert interims, kinds
        texts = [m["channel"]["alternatives"][0]["transcript"] for m in interims]
        assert all(said[n].startswith(t) for t in texts), texts
        assert [len(t) for t in texts] == sorted(len(t) for t in texts)
        fin = got[final]
        assert fin["speech_final"] is True and fin["from_finalize"] is False
        alt = fin["channel"]["alternatives"][0]
        assert alt["transcript"] == said[n]
        assert [w["word"] for w in alt["words"]] == said[n].split()
        assert kinds[final + 1] == "UtteranceEnd", kinds
        ue = got[final + 1]
        assert ue["channel"] == [0, 1]
        assert abs(ue["last_word_end"] - (fin["start"] + fin["duration"])) < 0.05
        started = got[start]
        assert started["channel"] == [0] and abs(started["timestamp"] - fin["start"]) < 0.01
    first_start = got[kinds.index("SpeechStarted")]["timestamp"]
    assert 0.2 < first_start < 0.6, first_start  # the speech began after 0.3 s of silence
    sample = got[kinds.index("Results:final")]
    assert set(sample) >= {"type", "channel_index", "duration", "start", "is_final",
                           "speech_final", "from_finalize", "channel", "metadata"}
    assert set(sample["metadata"]) == {"request_id", "model_info", "model_uuid"}
    meta = got[-1]
    assert meta["request_id"] == sample["metadata"]["request_id"]
    assert abs(meta["duration"] - len(audio) / 2 / rate) < 0.05
    rec = f.requests("deepgram")[0]
    assert rec["query"]["encoding"] == encoding and rec["query"]["sample_rate"] == str(rate)
    assert header(rec, "authorization") == "Token " + DEEPGRAM_KEY
    width = 1 if encoding == "mulaw" else 2
    assert rec["audio_bytes"] == len(audio) // 2 * width
    assert (rec["keepalive"], rec["finalize"], rec["closestream"]) == (2, 0, 1)
    assert rec["utterances"] == 2 and rec["close_code"] == 1000
    assert rec["closed_by"] == "server_closestream"


def test_deepgram_finalize_flushes_a_pending_utterance(cloud):
    f = cloud("--transcript", "check my order")
    rate = 8000
    audio = silence(rate, 0.2) + speech_pcm("check my order", rate)

    async def talk():
        got = []
        async with websockets.connect(listen_url(f, "linear16", rate, endpointing=2000),
                                      ssl=f.ssl,
                                      extra_headers={"Authorization": "Token " + DEEPGRAM_KEY}
                                      ) as ws:
            reader = asyncio.ensure_future(collect(ws, got))
            await stream_audio(ws, audio, rate, "linear16")
            await asyncio.sleep(0.3)
            before = len(got)
            await ws.send(json.dumps({"type": "Finalize"}))
            await asyncio.sleep(0.5)
            flushed = got[before:]
            await ws.send(json.dumps({"type": "Finalize"}))  # nothing pending: no answer
            await asyncio.sleep(0.5)
            after_second = got[before + len(flushed):]
            await ws.close()
            await reader
            return flushed, after_second

    flushed, after_second = asyncio.run(talk())
    assert len(flushed) == 1, flushed
    assert flushed[0]["is_final"] and flushed[0]["from_finalize"] is True
    assert flushed[0]["channel"]["alternatives"][0]["transcript"] == "check my order"
    assert after_second == []
    rec = f.requests("deepgram")[0]
    assert rec["finalize"] == 2 and rec["closed_by"] == "client" and rec["close_code"] == 1000


def test_deepgram_refuses_a_wrong_token_and_bad_parameters(cloud):
    f = cloud()

    async def status_of(url, headers):
        try:
            async with websockets.connect(url, ssl=f.ssl, extra_headers=headers):
                return 101
        except websockets.exceptions.InvalidStatusCode as e:
            return e.status_code

    assert asyncio.run(status_of(listen_url(f, "mulaw", 8000), {})) == 401
    assert asyncio.run(status_of(listen_url(f, "mulaw", 8000),
                                 {"Authorization": "Bearer " + DEEPGRAM_KEY})) == 401
    good = {"Authorization": "Token " + DEEPGRAM_KEY}
    assert asyncio.run(status_of(listen_url(f, "opus-ish", 8000), good)) == 400
    assert asyncio.run(status_of(listen_url(f, "mulaw", 8000), good)) == 101
    f.set_faults(["deepgram:429:1"])
    assert asyncio.run(status_of(listen_url(f, "mulaw", 8000), good)) == 429
    assert asyncio.run(status_of(listen_url(f, "mulaw", 8000), good)) == 101
    assert [r["status"] for r in f.requests("deepgram")] == [401, 401, 400, 101, 429, 101]


def test_deepgram_drop_closes_without_a_close_frame_after_the_first_interim(cloud):
    f = cloud("--fault", "deepgram:drop:1", "--transcript", "what are your opening hours")
    rate = 8000
    audio = silence(rate, 0.2) + speech_pcm("what are your opening hours", rate) + \
        silence(rate, 1.0)

    async def talk():
        got = []
        async with websockets.connect(listen_url(f, "mulaw", rate), ssl=f.ssl,
                                      extra_headers={"Authorization": "Token " + DEEPGRAM_KEY}
                                      ) as ws:
            reader = asyncio.ensure_future(collect(ws, got))
            try:
                await stream_audio(ws, audio, rate, "mulaw")
            except websockets.exceptions.ConnectionClosed:
                pass
            await asyncio.wait_for(reader, 5)
            return got, ws.close_code

    got, code = asyncio.run(talk())
    assert code == 1006  # closed abnormally: no close frame
    assert [m["type"] for m in got] == ["SpeechStarted", "Results"]
    assert got[-1]["is_final"] is False
    assert f.requests("deepgram")[0]["closed_by"] == "server_drop"


def test_deepgram_stall_accepts_and_never_answers(cloud):
    f = cloud("--fault", "deepgram:stall")
    rate = 8000
    audio = silence(rate, 0.2) + speech_pcm("goodbye", rate) + silence(rate, 1.5)

    async def talk():
        got = []
        async with websockets.connect(listen_url(f, "mulaw", rate), ssl=f.ssl,
                                      extra_headers={"Authorization": "Token " + DEEPGRAM_KEY}
                                      ) as ws:
            reader = asyncio.ensure_future(collect(ws, got))
            await stream_audio(ws, audio, rate, "mulaw")
            await ws.send(json.dumps({"type": "CloseStream"}))
            await asyncio.sleep(0.5)
            await ws.close()
            await reader
        return got

    assert asyncio.run(talk()) == []
    rec = f.requests("deepgram")[0]
    assert rec["audio_bytes"] > 0 and rec["closestream"] == 1 and rec["closed_by"] == "client"


def test_chat_first_token_delay(cloud):
    # A model's time to first token, for the latency benchmarks: the headers at once, the first
    # SSE event --chat-first-token-ms later.
    f = cloud("--chat-first-token-ms", "300")
    post(f, "/v1/chat/completions", chat_body("what are your opening hours"), bearer())
    rec = f.requests("chat")[0]
    assert rec["status"] == 200
    assert rec["events"][0][0] - rec["t_first_byte"] >= 0.3, rec
