"""The Python standard-library baseline: the same work as the C++ benchmarks, done with json,
base64, hmac and audioop, timed per operation. Prints one JSON object {name: ops_per_second}.

Names match the C++ benchmarks (tests/bench/bench_*.cpp) so tests/bench/run.sh can form ratios.
"""
import array
import base64
import hashlib
import hmac
import json
import pathlib
import sys
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # deprecated in 3.11, removed in 3.13; still the stdlib's G.711/resampler

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"


def rate(fn, min_seconds=0.5):
    """Calls fn repeatedly for at least min_seconds; returns calls per second."""
    n, batch = 0, 1
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return n / elapsed
        batch *= 2


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def webhook_verify(vector):
    """JWT HS512 verification as the spec asks: alg pinned, HMAC, url claim, body equality."""
    key = vector["key"].encode()
    body = vector["body"].encode()
    url = vector["url"]
    token = vector["headers"]["X-Ringover-Webhook-Signature"]

    def verify():
        h64, c64, s64 = token.split(".")
        header = json.loads(b64url_decode(h64))
        if header.get("alg") != "HS512":
            raise ValueError("bad_alg")
        mac = hmac.new(key, f"{h64}.{c64}".encode(), hashlib.sha512).digest()
        if not hmac.compare_digest(mac, b64url_decode(s64)):
            raise ValueError("bad_signature")
        claims = json.loads(b64url_decode(c64))
        if claims.get("url") != url:
            raise ValueError("url_mismatch")
        event = json.loads(body)
        if event != claims.get("payload", claims):
            raise ValueError("body_mismatch")
        data = event["data"]
        return str(data["call_id"]), str(data["channel_id"]), data["from_number"]

    verify()
    return verify


def main():
    vectors = json.loads((DATA / "webhooks.json").read_text())["vectors"]
    v1 = next(v for v in vectors if v["name"] == "v1_answered_ok")

    frame_l16 = array.array("h", (int(8000 * ((i % 40) - 20) / 20) for i in range(160))).tobytes()
    frame_ulaw = audioop.lin2ulaw(frame_l16, 2)
    json_pcmu = json.dumps({"event": "audio_data", "data": {
        "audioData": base64.b64encode(frame_ulaw).decode(), "encoding": "PCMU",
        "sampleRate": 8000}})
    json_l16 = json.dumps({"event": "audio_data", "data": {
        "audioData": base64.b64encode(frame_l16).decode(), "encoding": "L16",
        "sampleRate": 8000}})
    pcm_200ms = frame_l16 * 10
    pcm_1s = frame_l16 * 50
    ulaw_1s = audioop.lin2ulaw(pcm_1s, 2)

    def decode_binary():
        samples = array.array("h")
        samples.frombytes(frame_l16)
        return samples

    def decode_json(text):
        def run():
            msg = json.loads(text)
            data = msg["data"]
            raw = base64.b64decode(data["audioData"])
            if data.get("encoding") == "PCMU":
                raw = audioop.ulaw2lin(raw, 2)
            samples = array.array("h")
            samples.frombytes(raw)
            return samples
        return run

    def encode_stream_audio(pcm):
        def run():
            return json.dumps({"type": "streamAudio", "data": {
                "audioDataType": "raw", "sampleRate": 8000,
                "audioData": base64.b64encode(pcm).decode()}}, separators=(",", ":"))
        return run

    state = [None]

    def resample_8k_16k():
        out, state[0] = audioop.ratecv(frame_l16, 2, 1, 8000, 16000, state[0])
        return out

    results = {
        "webhook_verify_v1": rate(webhook_verify(v1)),
        "inbound_binary_l16_20ms": rate(decode_binary),
        "inbound_json_pcmu_20ms": rate(decode_json(json_pcmu)),
        "inbound_json_l16_20ms": rate(decode_json(json_l16)),
        "stream_audio_encode_20ms": rate(encode_stream_audio(frame_l16)),
        "stream_audio_encode_200ms": rate(encode_stream_audio(pcm_200ms)),
        "g711_ulaw_encode_1s": rate(lambda: audioop.lin2ulaw(pcm_1s, 2)),
        "g711_ulaw_decode_1s": rate(lambda: audioop.ulaw2lin(ulaw_1s, 2)),
        "resample_8k_16k_20ms_linear": rate(resample_8k_16k),
    }
    json.dump(results, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
