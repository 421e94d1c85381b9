import math
import struct
import warnings
import wave

import pytest

from conftest import DATA
from ringoverbot import RobError
from ringoverbot import audio

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop
    except ImportError:  # Python >= 3.13
        audioop = None

AUDIO = DATA / "audio"
needs_audioop = pytest.mark.skipif(audioop is None, reason="audioop removed in Python 3.13")


def s16(values):
    return struct.pack(f"<{len(values)}h", *values)


def unpack(pcm):
    return list(struct.unpack(f"<{len(pcm) // 2}h", pcm))


def tone(hz, rate, n, amp=16000.0):
    return s16([round(amp * math.sin(2 * math.pi * hz * i / rate)) for i in range(n)])


def amplitude(pcm, hz, rate):
    x = unpack(pcm)
    w = 2 * math.pi * hz / rate
    re = sum(v * math.cos(w * i) for i, v in enumerate(x))
    im = sum(v * math.sin(w * i) for i, v in enumerate(x))
    return 2 * math.hypot(re, im) / len(x)


ALL_S16 = s16(range(-32768, 32768))


def test_g711_known_values():
    assert audio.ulaw_encode(s16([0, -1, 32767, -32768])) == bytes([0xFF, 0x7E, 0x80, 0x00])
    assert audio.alaw_encode(s16([0, -1, 32767, -32768])) == bytes([0xD5, 0x55, 0xAA, 0x2A])
    assert unpack(audio.ulaw_decode(bytes([0xFF, 0x7F, 0x00, 0x80]))) == [0, 0, -32124, 32124]
    assert unpack(audio.alaw_decode(bytes([0xD5, 0x55, 0xAA]))) == [8, -8, 32256]
    assert audio.ulaw_encode(b"") == b""
    assert audio.ulaw_decode(b"") == b""
    with pytest.raises(ValueError):
        audio.ulaw_encode(b"\x00")


@needs_audioop
def test_g711_bit_exact_with_audioop_for_every_sample_and_code():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert audio.ulaw_encode(ALL_S16) == audioop.lin2ulaw(ALL_S16, 2)
        assert audio.alaw_encode(ALL_S16) == audioop.lin2alaw(ALL_S16, 2)
        codes = bytes(range(256))
        assert audio.ulaw_decode(codes) == audioop.ulaw2lin(codes, 2)
        assert audio.alaw_decode(codes) == audioop.alaw2lin(codes, 2)


def test_g711_against_sox_files():
    ramp = (AUDIO / "ramp_u8.raw").read_bytes()
    assert audio.ulaw_decode(ramp) == (AUDIO / "ramp_ulaw_s16.raw").read_bytes()
    assert audio.alaw_decode(ramp) == (AUDIO / "ramp_alaw_s16.raw").read_bytes()
    # SoX rounds to 14/13 bits before encoding; the binding truncates like audioop, so the
    # codes differ on a few percent of samples, always by one quantisation step.
    src = (AUDIO / "sweep_s16.raw").read_bytes()
    sox = (AUDIO / "sweep_ulaw.raw").read_bytes()
    ours = audio.ulaw_encode(src)
    diff = [i for i in range(len(ours)) if ours[i] != sox[i]]
    assert len(diff) < len(ours) // 20
    dec_ours = unpack(audio.ulaw_decode(ours))
    dec_sox = unpack(audio.ulaw_decode(sox))
    for i in diff:
        assert abs(dec_ours[i] - dec_sox[i]) <= 1024


def test_resampler_tone_and_length():
    for src_rate, dst_rate in [(8000, 16000), (24000, 8000), (22050, 8000), (48000, 16000)]:
        pcm = tone(1000, src_rate, src_rate)
        out = b""
        with audio.Resampler(src_rate, dst_rate) as r:
            step = src_rate // 50 * 2
            for pos in range(0, len(pcm), step):
                out += r.process(pcm[pos:pos + step], last=pos + step >= len(pcm))
        assert r.closed
        assert abs(len(out) // 2 - dst_rate) <= 2
        mid = out[dst_rate // 5:dst_rate // 5 + dst_rate]
        assert amplitude(mid, 1000, dst_rate) == pytest.approx(16000, rel=0.01)


def test_resampler_stereo_quality_and_errors():
    r = audio.Resampler(16000, 8000, channels=2, quality="sinc_best")
    frame = s16([1000, -1000] * 320)
    out = r.process(frame, last=True)
    assert len(out) % 4 == 0
    with pytest.raises(ValueError):
        r.process(b"\x00\x00")  # one sample of a stereo frame
    r.reset()
    r.close()
    r.close()  # idempotent
    with pytest.raises(ValueError):
        r.process(frame)
    with pytest.raises(ValueError):
        audio.Resampler(8000, 16000, quality="cubic")
    with pytest.raises(RobError) as e:
        audio.Resampler(0, 16000)
    assert e.value.code == -1


def test_opus_round_trip_and_plc():
    for rate in (8000, 16000, 48000):
        enc = audio.OpusEncoder(rate, bitrate=24000)
        dec = audio.OpusDecoder(rate)
        frame = rate // 50
        pcm = tone(1000, rate, rate, 10000)
        out = b""
        for pos in range(0, len(pcm), frame * 2):
            packet = enc.encode(pcm[pos:pos + frame * 2])
            assert 0 < len(packet) < 400
            out += dec.decode(packet)
        assert len(out) == len(pcm)
        mid = out[len(out) // 5:len(out) * 4 // 5]
        assert amplitude(mid, 1000, rate) == pytest.approx(10000, rel=0.15)
        assert len(dec.decode(None)) == frame * 2  # one concealed frame
        enc.close()
        dec.close()


def test_opus_errors():
    with pytest.raises(RobError) as e:
        audio.OpusEncoder(22050)
    assert e.value.code == -1
    enc = audio.OpusEncoder(8000)
    with pytest.raises(RobError) as e:
        enc.encode(b"\x00\x00" * 120)  # 15 ms
    assert e.value.code == -1
    dec = audio.OpusDecoder(8000)
    with pytest.raises(RobError) as e:
        dec.decode(b"\xff\xff\xff\xff")
    assert e.value.code == -105  # ROB_ERR_CODEC
    with pytest.raises(RobError) as e:
        dec.decode(enc.encode(b"\x00\x00" * 160), max_frames=80)
    assert e.value.code == -2


def test_wav_written_by_python_wave_module(tmp_path):
    path = tmp_path / "py.wav"
    pcm = tone(440, 16000, 1600)
    stereo = b"".join(pcm[i:i + 2] * 2 for i in range(0, len(pcm), 2))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(stereo)
    data, rate, channels = audio.read_wav(path)
    assert (rate, channels) == (16000, 2)
    assert data == stereo
    assert audio.parse_wav(path.read_bytes()) == (stereo, 16000, 2)

    # 8-bit unsigned from the wave module too.
    path8 = tmp_path / "u8.wav"
    with wave.open(str(path8), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes([0, 128, 255]))
    data, rate, channels = audio.read_wav(path8)
    assert unpack(data) == [-32768, 0, 32512]


def test_wav_written_by_us_read_by_wave_module(tmp_path):
    pcm = tone(1000, 8000, 800)
    path = tmp_path / "ours.wav"
    audio.write_wav(path, pcm, 8000)
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1
        assert w.getsampwidth() == 2
        assert w.getframerate() == 8000
        assert w.readframes(w.getnframes()) == pcm
    assert audio.wav_bytes(pcm, 8000) == path.read_bytes()


def test_wav_sox_fixtures_and_errors(tmp_path):
    src = (AUDIO / "src_stereo_s16.raw").read_bytes()
    for name in ("wav_s16_stereo.wav", "wav_s24.wav", "wav_s32.wav", "wav_f32.wav",
                 "wav_ext_s24.wav"):
        assert audio.read_wav(AUDIO / name) == (src, 8000, 2), name
    data, rate, channels = audio.read_wav(AUDIO / "wav_ulaw.wav")
    assert (len(data), rate, channels) == (len(src), 8000, 2)
    with pytest.raises(RobError) as e:
        audio.parse_wav(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    assert e.value.code == -106  # ROB_ERR_BAD_WAV
    with pytest.raises(RobError) as e:
        audio.read_wav(tmp_path / "missing.wav")
    assert e.value.code == -6  # ROB_ERR_IO


def test_dtmf_generate_and_detect():
    det = audio.DtmfDetector(8000)
    keys = ""
    for k in "0123456789*#ABCD":
        keys += det.feed(audio.dtmf_tone(k, 8000, 80))
        keys += det.feed(b"\x00\x00" * 480)
    assert keys == "0123456789*#ABCD"
    det.close()
    # 16 kHz, one long buffer with many keys (more than the binding's 64-key buffer).
    det16 = audio.DtmfDetector(16000)
    seq = "1234567890" * 7
    pcm = b"".join(audio.dtmf_tone(k, 16000, 50) + b"\x00\x00" * 800 for k in seq)
    assert det16.feed(pcm) == seq
    assert det16.feed(b"") == ""
    assert audio.DtmfDetector().feed(tone(697, 8000, 8000)) == ""
    assert len(audio.dtmf_tone("5", 16000, 100)) == 3200
    assert audio.dtmf_tone("5", 8000, 0) == b""
    with pytest.raises(RobError):
        audio.dtmf_tone("x")
    with pytest.raises(ValueError):
        audio.dtmf_tone("12")


def test_handles_are_freed_by_the_collector():
    import gc
    import weakref
    r = audio.Resampler(8000, 16000)
    ref = weakref.ref(r)
    fin = r._finalizer
    del r
    gc.collect()
    assert ref() is None
    assert not fin.alive

