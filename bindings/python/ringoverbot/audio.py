"""audio: G.711, resampling, Opus, WAV and DTMF over the C ABI.

PCM is always signed 16-bit little-endian bytes (interleaved when there are several channels),
the format of Python's `wave` module and of `audioop` with width 2.
"""
import array
import ctypes
import sys
import weakref

from ._lib import ROB_ERR_BUFFER_TOO_SMALL, check, fn, rob_free

__all__ = [
    "ulaw_encode", "ulaw_decode", "alaw_encode", "alaw_decode",
    "Resampler", "OpusEncoder", "OpusDecoder",
    "read_wav", "parse_wav", "write_wav", "wav_bytes",
    "dtmf_tone", "DtmfDetector",
]

_i16p = ctypes.POINTER(ctypes.c_int16)
_u8p = ctypes.POINTER(ctypes.c_uint8)
_szp = ctypes.POINTER(ctypes.c_size_t)
_u32p = ctypes.POINTER(ctypes.c_uint32)

_g711_encode = fn("rob_g711_encode", ctypes.c_int, ctypes.c_int, _i16p, ctypes.c_size_t, _u8p)
_g711_decode = fn("rob_g711_decode", ctypes.c_int, ctypes.c_int, _u8p, ctypes.c_size_t, _i16p)

_rs_create = fn("rob_resampler_create", ctypes.c_int, ctypes.c_uint32, ctypes.c_uint32,
                ctypes.c_uint32, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p))
_rs_destroy = fn("rob_resampler_destroy", None, ctypes.c_void_p)
_rs_max_output = fn("rob_resampler_max_output", ctypes.c_size_t, ctypes.c_void_p,
                    ctypes.c_size_t)
_rs_process = fn("rob_resampler_process", ctypes.c_int, ctypes.c_void_p, _i16p,
                 ctypes.c_size_t, _i16p, ctypes.c_size_t, _szp, ctypes.c_int)
_rs_reset = fn("rob_resampler_reset", ctypes.c_int, ctypes.c_void_p)

_enc_create = fn("rob_opus_encoder_create", ctypes.c_int, ctypes.c_uint32, ctypes.c_uint32,
                 ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p))
_enc_destroy = fn("rob_opus_encoder_destroy", None, ctypes.c_void_p)
_encode = fn("rob_opus_encode", ctypes.c_int, ctypes.c_void_p, _i16p, ctypes.c_size_t, _u8p,
             ctypes.c_size_t, _szp)
_dec_create = fn("rob_opus_decoder_create", ctypes.c_int, ctypes.c_uint32, ctypes.c_uint32,
                 ctypes.POINTER(ctypes.c_void_p))
_dec_destroy = fn("rob_opus_decoder_destroy", None, ctypes.c_void_p)
_decode = fn("rob_opus_decode", ctypes.c_int, ctypes.c_void_p, _u8p, ctypes.c_size_t, _i16p,
             ctypes.c_size_t, _szp)

_wav_read_file = fn("rob_wav_read_file", ctypes.c_int, ctypes.c_char_p,
                    ctypes.POINTER(_i16p), _szp, _u32p, _u32p)
_wav_read_memory = fn("rob_wav_read_memory", ctypes.c_int, _u8p, ctypes.c_size_t,
                      ctypes.POINTER(_i16p), _szp, _u32p, _u32p)
_wav_write_file = fn("rob_wav_write_file", ctypes.c_int, ctypes.c_char_p, _i16p,
                     ctypes.c_size_t, ctypes.c_uint32, ctypes.c_uint32)
_wav_write_memory = fn("rob_wav_write_memory", ctypes.c_int, _i16p, ctypes.c_size_t,
                       ctypes.c_uint32, ctypes.c_uint32, ctypes.POINTER(_u8p), _szp)

_dtmf_generate = fn("rob_dtmf_generate", ctypes.c_int, ctypes.c_char, ctypes.c_uint32,
                    ctypes.c_uint32, _i16p, ctypes.c_size_t, _szp)
_dtmf_create = fn("rob_dtmf_detector_create", ctypes.c_int, ctypes.c_uint32,
                  ctypes.POINTER(ctypes.c_void_p))
_dtmf_destroy = fn("rob_dtmf_detector_destroy", None, ctypes.c_void_p)
_dtmf_feed = fn("rob_dtmf_detector_feed", ctypes.c_int, ctypes.c_void_p, _i16p,
                ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, _szp)

_LAW_ULAW = 0
_LAW_ALAW = 1
_QUALITIES = {"sinc_fastest": 0, "sinc_medium": 1, "sinc_best": 2, "linear": 3, "voip": 4}
_BIG_ENDIAN = sys.byteorder == "big"


def _samples_in(pcm):
    """s16le bytes -> (ctypes int16 array, sample count)."""
    data = bytes(pcm)
    if len(data) % 2:
        raise ValueError("PCM must be whole 16-bit samples (an even number of bytes)")
    n = len(data) // 2
    if _BIG_ENDIAN:
        a = array.array("h", data)
        a.byteswap()
        data = a.tobytes()
    return (ctypes.c_int16 * max(n, 1)).from_buffer_copy(data.ljust(2, b"\0")), n


def _samples_out(buf, n):
    """The first n samples of a ctypes int16 buffer as s16le bytes."""
    data = ctypes.string_at(ctypes.addressof(buf), 2 * n) if n else b""
    if _BIG_ENDIAN and n:
        a = array.array("h", data)
        a.byteswap()
        data = a.tobytes()
    return data


def _bytes_in(data):
    data = bytes(data)
    return (ctypes.c_uint8 * max(len(data), 1)).from_buffer_copy(data.ljust(1, b"\0")), len(data)


def _g711_enc(law, pcm):
    src, n = _samples_in(pcm)
    out = (ctypes.c_uint8 * max(n, 1))()
    check(_g711_encode(law, src, n, out))
    return bytes(out)[:n]


def _g711_dec(law, data):
    src, n = _bytes_in(data)
    out = (ctypes.c_int16 * max(n, 1))()
    check(_g711_decode(law, src, n, out))
    return _samples_out(out, n)


def ulaw_encode(pcm):
    """s16le PCM -> mu-law bytes (Sun g711.c truncation, bit-exact with audioop.lin2ulaw)."""
    return _g711_enc(_LAW_ULAW, pcm)


def ulaw_decode(data):
    """mu-law bytes -> s16le PCM (the G.711 table values)."""
    return _g711_dec(_LAW_ULAW, data)


def alaw_encode(pcm):
    """s16le PCM -> A-law bytes (Sun g711.c truncation, bit-exact with audioop.lin2alaw)."""
    return _g711_enc(_LAW_ALAW, pcm)


def alaw_decode(data):
    """A-law bytes -> s16le PCM."""
    return _g711_dec(_LAW_ALAW, data)


class _Handle:
    """Owns one C handle; the destroy function runs once, at close() or collection."""

    def __init__(self, handle, destroy):
        self._h = handle
        self._finalizer = weakref.finalize(self, destroy, handle)

    def close(self):
        self._finalizer()
        self._h = None

    @property
    def closed(self):
        return self._h is None

    def _handle(self):
        if self._h is None:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._h

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Resampler(_Handle):
    """Streaming sample-rate converter (libsamplerate) for interleaved s16le PCM."""

    def __init__(self, in_rate, out_rate, channels=1, quality="sinc_fastest"):
        if quality not in _QUALITIES:
            raise ValueError(f"quality must be one of {sorted(_QUALITIES)}")
        h = ctypes.c_void_p()
        check(_rs_create(in_rate, out_rate, channels, _QUALITIES[quality], ctypes.byref(h)))
        super().__init__(h.value, _rs_destroy)
        self.in_rate = in_rate
        self.out_rate = out_rate
        self.channels = channels
        self._out = None

    def process(self, pcm, last=False):
        """Consumes all of `pcm`; returns the converted PCM. `last=True` flushes the tail and
        starts a new stream."""
        h = self._handle()
        src, n = _samples_in(pcm)
        if n % self.channels:
            raise ValueError("PCM must be whole frames")
        frames = n // self.channels
        cap = _rs_max_output(h, frames)
        if self._out is None or len(self._out) < max(cap * self.channels, 1):
            self._out = (ctypes.c_int16 * max(cap * self.channels, 1))()
        got = ctypes.c_size_t()
        check(_rs_process(h, src, frames, self._out, cap, ctypes.byref(got), 1 if last else 0))
        return _samples_out(self._out, got.value * self.channels)

    def reset(self):
        check(_rs_reset(self._handle()))


class OpusEncoder(_Handle):
    """Opus encoder (OPUS_APPLICATION_VOIP). bitrate 0 = libopus's default."""

    def __init__(self, rate, channels=1, bitrate=0):
        h = ctypes.c_void_p()
        check(_enc_create(rate, channels, bitrate, ctypes.byref(h)))
        super().__init__(h.value, _enc_destroy)
        self.rate = rate
        self.channels = channels
        self._out = (ctypes.c_uint8 * 4000)()

    def encode(self, pcm):
        """One frame of s16le PCM (2.5/5/10/20/40/60 ms) -> one Opus packet."""
        src, n = _samples_in(pcm)
        if n % self.channels:
            raise ValueError("PCM must be whole frames")
        size = ctypes.c_size_t()
        check(_encode(self._handle(), src, n // self.channels, self._out, len(self._out),
                      ctypes.byref(size)))
        return bytes(self._out)[:size.value]


class OpusDecoder(_Handle):
    """Opus decoder; decode(None) conceals one lost frame."""

    def __init__(self, rate, channels=1):
        h = ctypes.c_void_p()
        check(_dec_create(rate, channels, ctypes.byref(h)))
        super().__init__(h.value, _dec_destroy)
        self.rate = rate
        self.channels = channels

    def decode(self, packet, max_frames=5760):
        """An Opus packet (or None for a lost one) -> s16le PCM."""
        out = (ctypes.c_int16 * (max_frames * self.channels))()
        frames = ctypes.c_size_t()
        if packet is None:
            src, n = None, 0
        else:
            src, n = _bytes_in(packet)
        check(_decode(self._handle(), src, n, out, max_frames, ctypes.byref(frames)))
        return _samples_out(out, frames.value * self.channels)


def _take_samples(ptr, count):
    try:
        return ctypes.string_at(ptr, 2 * count) if count else b""
    finally:
        rob_free(ptr)


def read_wav(path):
    """Reads a WAV file (PCM 8/16/24/32, float, mu-law, A-law, extensible) as
    (s16le PCM bytes, rate, channels)."""
    samples = _i16p()
    count = ctypes.c_size_t()
    rate = ctypes.c_uint32()
    channels = ctypes.c_uint32()
    check(_wav_read_file(str(path).encode(), ctypes.byref(samples), ctypes.byref(count),
                         ctypes.byref(rate), ctypes.byref(channels)))
    return _fix_endian(_take_samples(samples, count.value)), rate.value, channels.value


def parse_wav(data):
    """Like read_wav, from the bytes of a WAV file."""
    src, n = _bytes_in(data)
    samples = _i16p()
    count = ctypes.c_size_t()
    rate = ctypes.c_uint32()
    channels = ctypes.c_uint32()
    check(_wav_read_memory(src, n, ctypes.byref(samples), ctypes.byref(count),
                           ctypes.byref(rate), ctypes.byref(channels)))
    return _fix_endian(_take_samples(samples, count.value)), rate.value, channels.value


def _fix_endian(data):
    if _BIG_ENDIAN and data:
        a = array.array("h", data)
        a.byteswap()
        return a.tobytes()
    return data


def write_wav(path, pcm, rate, channels=1):
    """Writes s16le PCM as a 16-bit PCM WAV file."""
    src, n = _samples_in(pcm)
    check(_wav_write_file(str(path).encode(), src, n, rate, channels))


def wav_bytes(pcm, rate, channels=1):
    """s16le PCM -> the bytes of a 16-bit PCM WAV file."""
    src, n = _samples_in(pcm)
    out = _u8p()
    size = ctypes.c_size_t()
    check(_wav_write_memory(src, n, rate, channels, ctypes.byref(out), ctypes.byref(size)))
    try:
        return ctypes.string_at(out, size.value)
    finally:
        rob_free(out)


def dtmf_tone(digit, rate=8000, ms=100):
    """The DTMF tone of one key (0-9 * # A-D), -10 dBFS per tone, as s16le PCM."""
    if not isinstance(digit, str) or len(digit) != 1:
        raise ValueError("digit must be one character")
    key = digit.encode()
    need = ctypes.c_size_t()
    code = _dtmf_generate(key, rate, ms, None, 0, ctypes.byref(need))
    if code != ROB_ERR_BUFFER_TOO_SMALL:
        check(code)
        if code >= 0:
            return b""
    out = (ctypes.c_int16 * max(need.value, 1))()
    check(_dtmf_generate(key, rate, ms, out, need.value, ctypes.byref(need)))
    return _samples_out(out, need.value)


class DtmfDetector(_Handle):
    """Streaming DTMF detector (mono s16le PCM at 8000..48000 Hz)."""

    def __init__(self, rate=8000):
        h = ctypes.c_void_p()
        check(_dtmf_create(rate, ctypes.byref(h)))
        super().__init__(h.value, _dtmf_destroy)
        self.rate = rate
        self._digits = ctypes.create_string_buffer(64)

    def feed(self, pcm):
        """Feeds PCM; returns the keys newly detected (each press once) as a string."""
        src, n = _samples_in(pcm)
        h = self._handle()
        got = ctypes.c_size_t()
        keys = []
        check(_dtmf_feed(h, src, n, self._digits, len(self._digits), ctypes.byref(got)))
        keys.append(self._digits.raw[:got.value])
        while got.value == len(self._digits):  # more were queued than fit
            check(_dtmf_feed(h, None, 0, self._digits, len(self._digits), ctypes.byref(got)))
            keys.append(self._digits.raw[:got.value])
        return b"".join(keys).decode()
