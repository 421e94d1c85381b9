import base64
import json
import struct
import warnings

import pytest

import ringoverbot
from ringoverbot import streamer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # Python 3.11: the reference G.711 codec


def s16le(samples):
    return struct.pack(f"<{len(samples)}h", *samples)


def test_exports():
    for name in streamer.__all__:
        assert hasattr(ringoverbot, name)


def test_binary_l16_frame():
    dec = streamer.StreamDecoder()
    pcm = s16le([i * 100 - 8000 for i in range(160)])
    ev = dec.feed(pcm)
    assert ev.kind == "audio"
    assert ev.dialect == "binary"
    assert ev.samples == 160
    assert ev.pcm == pcm
    assert (ev.sample_rate, ev.channels, ev.encoding) == (8000, 1, "L16")
    assert dec.stats == (1, 0, 0)


def test_stereo_16k_and_odd_frame():
    dec = streamer.StreamDecoder(sample_rate=16000, channels=2)
    frame = s16le([1, -1, 32767, -32768])
    ev = dec.feed(frame)
    assert ev.kind == "audio" and ev.channels == 2 and ev.sample_rate == 16000
    assert ev.pcm == frame
    bad = dec.feed(b"\x01\x02\x03")
    assert bad.kind == "error"
    assert bad.error_code == -103  # ROB_ERR_BAD_AUDIO
    assert bad.error_message
    assert dec.feed(frame).kind == "audio"
    assert dec.stats.errors == 1


def test_invalid_params_raise():
    with pytest.raises(ringoverbot.RobError) as e:
        streamer.StreamDecoder(channels=3)
    assert e.value.code == -1
    with pytest.raises(ringoverbot.RobError):
        streamer.StreamDecoder(sample_rate=7000)


def test_call_start_metadata_exact_call_id():
    for call_id in ("8812004471932250113", "18446744073709551615"):
        for literal in (call_id, f'"{call_id}"'):
            dec = streamer.StreamDecoder()
            text = ('{"event":"call_start","call_id":%s,"channel_id":"c1","from_number":'
                    '"33612345678","to_number":"33187654321","direction":"inbound",'
                    '"audio":{"encoding":"PCMA","sampleRate":16000,"channels":1}}' % literal)
            ev = dec.feed(text)
            assert ev.kind == "metadata"
            assert ev.dialect == "json"
            assert ev.call_id == call_id
            assert ev.channel_id == "c1"
            assert ev.from_number == "33612345678"
            assert ev.to_number == "33187654321"
            assert ev.direction == "inbound"
            assert ev.raw == text
            assert (ev.encoding, ev.sample_rate) == ("PCMA", 16000)


def test_audio_data_pcmu_matches_audioop():
    pcm = s16le([int(12000 * ((i % 40) - 20) / 20) for i in range(160)])
    ulaw = audioop.lin2ulaw(pcm, 2)
    dec = streamer.StreamDecoder()
    msg = json.dumps({"event": "audio_data",
                      "data": {"audioData": base64.b64encode(ulaw).decode(),
                               "encoding": "PCMU", "sampleRate": 8000}})
    ev = dec.feed(msg)
    assert ev.kind == "audio"
    assert ev.encoding == "PCMU"
    assert ev.samples == 160
    assert ev.pcm == audioop.ulaw2lin(ulaw, 2)


def test_g711_tables_match_audioop_for_every_byte():
    every = bytes(range(256))
    dec = streamer.StreamDecoder()
    for enc, ref in (("PCMU", audioop.ulaw2lin), ("PCMA", audioop.alaw2lin)):
        ev = dec.feed(json.dumps({"event": "audio_data", "data": {
            "audioData": base64.b64encode(every).decode(), "encoding": enc}}))
        assert ev.kind == "audio"
        assert ev.pcm == ref(every, 2)


def test_audio_data_base64_variants_and_defaults():
    pcm = s16le([0, 1, -1, 32767, -32768, 1000, -1000])
    b64 = base64.b64encode(pcm).decode()
    dec = streamer.StreamDecoder()
    assert dec.feed('{"event":"call_start","audio":{"encoding":"L16","sampleRate":24000}}').kind \
        == "metadata"
    for payload in (b64, b64.rstrip("="), b64[:8] + "\r\n" + b64[8:]):
        ev = dec.feed(json.dumps({"event": "audio_data", "data": {"audioData": payload}}))
        assert ev.kind == "audio"
        assert ev.sample_rate == 24000
        assert ev.pcm == pcm
    ev = dec.feed(json.dumps({"type": "audio_data", "data": {"audioData": "@@"}}))
    assert ev.kind == "error" and ev.error_code == -102  # ROB_ERR_BAD_BASE64


def test_dtmf_end_and_close_once():
    dec = streamer.StreamDecoder()
    assert dec.feed('{"event":"call_start"}').kind == "metadata"
    ev = dec.feed('{"event":"dtmf","digit":"#"}')
    assert ev.kind == "dtmf" and ev.digit == "#"
    assert dec.feed('{"event":"dtmf","digit":"x"}').kind == "error"
    end = dec.feed('{"event":"call_end"}')
    assert end.kind == "end" and end.reason == "hangup"
    assert dec.close().kind == "none"
    assert dec.feed(b"\x00\x00").kind == "none"

    dec2 = streamer.StreamDecoder()
    first = dec2.close("disconnect")
    assert first.kind == "end" and first.reason == "disconnect"
    assert dec2.close().kind == "none"


def test_form_c_metadata_and_errors():
    dec = streamer.StreamDecoder()
    ev = dec.feed('{"callId":"42","uuid":"u-1","from":"+33612345678","to":"33187654321"}')
    assert ev.kind == "metadata" and ev.dialect == "metadata"
    assert (ev.call_id, ev.channel_id, ev.from_number, ev.to_number) == \
        ("42", "u-1", "+33612345678", "33187654321")
    assert dec.feed('{"event":"whatever"}').kind == "none"
    bad = dec.feed("not json")
    assert bad.kind == "error" and bad.error_code == -101  # ROB_ERR_BAD_JSON
    assert dec.stats == (3, 1, 1)

    raw = streamer.StreamDecoder().feed("free text \u00e9")
    assert raw.kind == "metadata"
    assert raw.raw == "free text \u00e9"
    assert raw.call_id is None

    # a text frame passed as bytes with binary=False
    ev = streamer.StreamDecoder().feed(b'{"event":"dtmf","digit":"1"}', binary=False)
    assert ev.kind == "dtmf" and ev.digit == "1"


def test_too_large():
    dec = streamer.StreamDecoder(max_message_bytes=100)
    ev = dec.feed(bytes(102))
    assert ev.kind == "error" and ev.error_code == -104  # ROB_ERR_TOO_LARGE


def test_encoders_byte_exact():
    assert streamer.encode_play("https://host/prompt.mp3") == \
        '{"event":"play","file":"https://host/prompt.mp3"}'
    assert streamer.encode_break() == '{"event":"break"}'
    assert streamer.encode_digits("123") == '{"event":"digits","data":123}'
    assert streamer.encode_digits(123) == '{"event":"digits","data":123}'
    assert streamer.encode_digits("0123") == '{"event":"digits","data":"0123"}'
    assert streamer.encode_digits("*12#") == '{"event":"digits","data":"*12#"}'
    assert streamer.encode_digits("123", policy="string") == '{"event":"digits","data":"123"}'
    assert streamer.encode_transfer("+33612345678") == '{"event":"transfer","data":33612345678}'
    assert streamer.encode_transfer("+33612345678", keep_plus=True) == \
        '{"event":"transfer","data":"+33612345678"}'
    assert streamer.encode_transfer("1234567890123456") == \
        '{"event":"transfer","data":"1234567890123456"}'
    # a long URL needs a bigger buffer than the first guess for nothing; still exact
    url = "https://host/" + "a" * 5000 + ".mp3"
    assert json.loads(streamer.encode_play(url)) == {"event": "play", "file": url}
    assert json.loads(streamer.encode_play('https://h/"q"')) == \
        {"event": "play", "file": 'https://h/"q"'}


@pytest.mark.parametrize("call,arg", [
    (streamer.encode_digits, ""), (streamer.encode_digits, "12a"),
    (streamer.encode_transfer, "*1"), (streamer.encode_play, ""),
])
def test_encoder_invalid_arguments(call, arg):
    with pytest.raises(ringoverbot.RobError) as e:
        call(arg)
    assert e.value.code == -1


def test_stream_audio_round_trip():
    pcm = s16le([(i * 7919) % 65536 - 32768 for i in range(streamer.samples_per_chunk(16000, 200))])
    text = streamer.encode_stream_audio(pcm, sample_rate=16000)
    msg = json.loads(text)
    assert list(msg) == ["type", "data"]
    assert msg["type"] == "streamAudio"
    assert list(msg["data"]) == ["audioDataType", "sampleRate", "audioData"]
    assert msg["data"]["audioDataType"] == "raw"
    assert msg["data"]["sampleRate"] == 16000
    assert base64.b64decode(msg["data"]["audioData"]) == pcm
    assert len(text) <= streamer.stream_audio_message_bound(len(pcm))
    assert text == ('{"type":"streamAudio","data":{"audioDataType":"raw","sampleRate":16000,'
                    '"audioData":"' + base64.b64encode(pcm).decode() + '"}}')


def test_stream_audio_bytes_and_errors():
    text = streamer.encode_stream_audio_bytes(b"RIFF", audio_type="wav", sample_rate=24000)
    assert text == ('{"type":"streamAudio","data":{"audioDataType":"wav","sampleRate":24000,'
                    '"audioData":"UklGRg=="}}')
    for bad_rate in (44100, 0, 12000):
        with pytest.raises(ringoverbot.RobError):
            streamer.encode_stream_audio(b"\x00\x00", sample_rate=bad_rate)
    with pytest.raises(ringoverbot.RobError):
        streamer.encode_stream_audio(b"\x00")  # odd byte count
    with pytest.raises(ringoverbot.RobError):
        streamer.encode_stream_audio(b"")
    with pytest.raises(ValueError):
        streamer.encode_stream_audio_bytes(b"x", audio_type="flac")


def test_samples_per_chunk():
    assert streamer.samples_per_chunk(8000, 20) == 160
    assert streamer.samples_per_chunk(24000, 500) == 12000


def test_destroyed_decoder_raises():
    dec = streamer.StreamDecoder()
    dec.destroy()
    with pytest.raises(ringoverbot.RobError):
        dec.feed(b"\x00\x00")
    dec.destroy()  # twice is fine
    with streamer.StreamDecoder() as d:
        assert d.feed(b"\x00\x00").kind == "audio"
