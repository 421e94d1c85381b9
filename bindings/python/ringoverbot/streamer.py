"""streamer: Ringover's media WebSocket, sans I/O (src/streamer/README.md).

StreamDecoder turns one complete inbound WebSocket message into one StreamEvent; the encode_*
functions return the bot's commands as JSON text frames (str), byte-exact to the spec.

    dec = StreamDecoder()
    ev = dec.feed(message)            # bytes -> binary frame, str -> text frame
    if ev.kind == "audio": use(ev.pcm, ev.sample_rate, ev.channels)   # s16le bytes
    ws.send(encode_stream_audio(pcm_s16le, sample_rate=8000))
"""
import collections
import ctypes
import sys
from ctypes import POINTER, c_char, c_char_p, c_int, c_int16, c_int32, c_size_t, c_uint8
from ctypes import c_uint32, c_uint64, c_void_p

from . import _lib
from ._lib import RobError, check, fn

__all__ = [
    "StreamDecoder", "StreamEvent", "StreamStats", "encode_play", "encode_break",
    "encode_digits", "encode_transfer", "encode_stream_audio", "encode_stream_audio_bytes",
    "stream_audio_message_bound", "samples_per_chunk",
]

ROB_STRUCT_STREAM_DECODER_PARAMS = 3
ROB_STRUCT_STREAM_EVENT = 4
ROB_NUMBER_AUTO = 0
ROB_NUMBER_STRING = 1
ROB_NUMBER_KEEP_PLUS = 0x100

_KINDS = ("none", "audio", "metadata", "dtmf", "end", "error")
_DIALECTS = ("unknown", "binary", "json", "metadata")
_ENCODINGS = ("L16", "PCMU", "PCMA")
_AUDIO_TYPES = {"raw": 0, "mp3": 1, "wav": 2, "ogg": 3}
_POLICIES = {"auto": ROB_NUMBER_AUTO, "string": ROB_NUMBER_STRING}


class StreamDecoderParams(ctypes.Structure):
    """Mirror of rob_stream_decoder_params."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("default_sample_rate_hz", c_uint32),
        ("default_channels", c_uint32),
        ("max_message_bytes", c_uint64),
    ]


class _StreamEventC(ctypes.Structure):
    """Mirror of rob_stream_event."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("kind", c_int32),
        ("dialect", c_int32),
        ("samples", POINTER(c_int16)),
        ("sample_count", c_size_t),
        ("sample_rate_hz", c_uint32),
        ("channels", c_uint32),
        ("encoding", c_int32),
        ("call_id", c_char_p),
        ("channel_id", c_char_p),
        ("from_number", c_char_p),
        ("to_number", c_char_p),
        ("direction", c_char_p),
        ("raw", c_void_p),
        ("raw_len", c_size_t),
        ("digit", c_char),
        ("reason", c_char_p),
        ("error_code", c_int32),
        ("error_message", c_char_p),
    ]


_lib.check_struct(ROB_STRUCT_STREAM_DECODER_PARAMS, StreamDecoderParams)
_lib.check_struct(ROB_STRUCT_STREAM_EVENT, _StreamEventC)

_params_init = fn("rob_stream_decoder_params_init", None, POINTER(StreamDecoderParams), c_size_t)
_create = fn("rob_stream_decoder_create", c_int, POINTER(StreamDecoderParams),
             POINTER(c_void_p))
_destroy = fn("rob_stream_decoder_destroy", None, c_void_p)
_feed = fn("rob_stream_decoder_feed", c_int, c_void_p, POINTER(c_uint8), c_size_t, c_int,
           POINTER(_StreamEventC))
_close = fn("rob_stream_decoder_close", c_int, c_void_p, c_char_p, POINTER(_StreamEventC))
_stats = fn("rob_stream_decoder_stats", None, c_void_p, POINTER(c_uint64), POINTER(c_uint64),
            POINTER(c_uint64))
_enc_play = fn("rob_stream_encode_play", c_int, c_char_p, c_void_p, c_size_t, POINTER(c_size_t))
_enc_break = fn("rob_stream_encode_break", c_int, c_void_p, c_size_t, POINTER(c_size_t))
_enc_digits = fn("rob_stream_encode_digits", c_int, c_char_p, c_int, c_void_p, c_size_t,
                 POINTER(c_size_t))
_enc_transfer = fn("rob_stream_encode_transfer", c_int, c_char_p, c_int, c_void_p, c_size_t,
                   POINTER(c_size_t))
_enc_audio_bytes = fn("rob_stream_encode_audio_bytes", c_int, c_int, POINTER(c_uint8), c_size_t,
                      c_uint32, c_void_p, c_size_t, POINTER(c_size_t))
_audio_bound = fn("rob_stream_audio_message_bound", c_size_t, c_size_t)

StreamStats = collections.namedtuple("StreamStats", "messages errors ignored")


def _text(p):
    return None if p is None else p.decode("utf-8", "replace")


class StreamEvent:
    """One decoded message, copied out of the library (it stays valid).

    kind: "none" (ignored), "audio", "metadata", "dtmf", "end" or "error".
    audio: pcm (interleaved s16le bytes), samples (count, all channels), sample_rate, channels,
    encoding ("L16", "PCMU", "PCMA" on the wire). metadata: call_id (exact decimal str),
    channel_id, from_number, to_number, direction (None when absent), raw (the frame's text),
    raw_bytes, and the stream's format after it. dtmf: digit. end: reason.
    error: error_code (ROB_ERR_*), error_message.
    """

    __slots__ = ("kind", "dialect", "pcm", "samples", "sample_rate", "channels", "encoding",
                 "call_id", "channel_id", "from_number", "to_number", "direction", "raw",
                 "raw_bytes", "digit", "reason", "error_code", "error_message")

    def __init__(self, ev):
        self.kind = _KINDS[ev.kind] if 0 <= ev.kind < len(_KINDS) else str(ev.kind)
        self.dialect = _DIALECTS[ev.dialect] if 0 <= ev.dialect < len(_DIALECTS) else "unknown"
        self.sample_rate = ev.sample_rate_hz
        self.channels = ev.channels
        self.encoding = _ENCODINGS[ev.encoding] if 0 <= ev.encoding < len(_ENCODINGS) else None
        self.pcm = b""
        self.samples = 0
        if self.kind == "audio" and ev.sample_count:
            self.samples = ev.sample_count
            self.pcm = ctypes.string_at(ev.samples, ev.sample_count * 2)
            if sys.byteorder == "big":  # the library gives host-order samples
                import array
                a = array.array("h", self.pcm)
                a.byteswap()
                self.pcm = a.tobytes()
        self.call_id = _text(ev.call_id)
        self.channel_id = _text(ev.channel_id)
        self.from_number = _text(ev.from_number)
        self.to_number = _text(ev.to_number)
        self.direction = _text(ev.direction)
        self.raw_bytes = ctypes.string_at(ev.raw, ev.raw_len) if ev.raw else None
        self.raw = None if self.raw_bytes is None else self.raw_bytes.decode("utf-8", "replace")
        self.digit = ev.digit.decode("ascii") if self.kind == "dtmf" else None
        self.reason = _text(ev.reason)
        self.error_code = ev.error_code if self.kind == "error" else 0
        self.error_message = _text(ev.error_message)

    def __repr__(self):
        fields = {"kind": self.kind}
        if self.kind == "audio":
            fields.update(samples=self.samples, sample_rate=self.sample_rate,
                          channels=self.channels, encoding=self.encoding)
        elif self.kind == "metadata":
            fields.update(call_id=self.call_id, from_number=self.from_number,
                          to_number=self.to_number)
        elif self.kind == "dtmf":
            fields.update(digit=self.digit)
        elif self.kind == "end":
            fields.update(reason=self.reason)
        elif self.kind == "error":
            fields.update(error_code=self.error_code, error_message=self.error_message)
        return "StreamEvent(" + ", ".join(f"{k}={v!r}" for k, v in fields.items()) + ")"


class StreamDecoder:
    """The inbound side of one media stream (one per WebSocket connection)."""

    def __init__(self, sample_rate=8000, channels=1, max_message_bytes=1 << 20):
        params = StreamDecoderParams()
        _params_init(ctypes.byref(params), ctypes.sizeof(params))
        params.default_sample_rate_hz = sample_rate
        params.default_channels = channels
        params.max_message_bytes = max_message_bytes
        handle = c_void_p()
        check(_create(ctypes.byref(params), ctypes.byref(handle)))
        self._handle = handle
        self._event = _StreamEventC()
        self._event.struct_size = ctypes.sizeof(_StreamEventC)

    def _require(self):
        if not self._handle:
            raise RobError(-3, "the decoder was destroyed")
        return self._handle

    def feed(self, data, binary=None):
        """Decodes one complete message. str is a text frame; bytes-like is a binary frame
        unless binary=False. Returns a StreamEvent."""
        handle = self._require()
        if isinstance(data, str):
            payload = data.encode("utf-8")
            is_binary = bool(binary) if binary is not None else False
        else:
            payload = bytes(data)
            is_binary = True if binary is None else bool(binary)
        buf = (c_uint8 * len(payload)).from_buffer_copy(payload) if payload else None
        check(_feed(handle, buf, len(payload), 1 if is_binary else 0, ctypes.byref(self._event)))
        return StreamEvent(self._event)

    def close(self, reason="close"):
        """The transport ended: an "end" event the first time, "none" afterwards."""
        handle = self._require()
        r = None if reason is None else reason.encode("utf-8")
        check(_close(handle, r, ctypes.byref(self._event)))
        return StreamEvent(self._event)

    @property
    def stats(self):
        m, e, i = c_uint64(), c_uint64(), c_uint64()
        _stats(self._require(), ctypes.byref(m), ctypes.byref(e), ctypes.byref(i))
        return StreamStats(m.value, e.value, i.value)

    def destroy(self):
        if getattr(self, "_handle", None):
            _destroy(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()

    def __del__(self):
        self.destroy()


def _call_encoder(call, size_hint):
    """Runs one rob_stream_encode_* call with a buffer, growing it once when too small."""
    out_len = c_size_t(0)
    cap = max(size_hint, 64)
    for _ in range(2):
        buf = ctypes.create_string_buffer(cap)
        code = call(buf, cap, ctypes.byref(out_len))
        if code == _lib.ROB_ERR_BUFFER_TOO_SMALL:
            cap = out_len.value + 1
            continue
        check(code)
        return buf.raw[:out_len.value].decode("utf-8")
    raise RobError(_lib.ROB_ERR_BUFFER_TOO_SMALL)


def _policy(policy, keep_plus):
    if policy not in _POLICIES:
        raise ValueError(f"policy must be one of {sorted(_POLICIES)}")
    return _POLICIES[policy] | (ROB_NUMBER_KEEP_PLUS if keep_plus else 0)


def _ascii_arg(value):
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise TypeError("expected str or int")
    return value.encode("utf-8")


def encode_play(url):
    """{"event":"play","file":"<url>"}"""
    u = url.encode("utf-8")
    return _call_encoder(lambda b, c, n: _enc_play(u, b, c, n), len(u) * 6 + 32)


def encode_break():
    """{"event":"break"}"""
    return _call_encoder(lambda b, c, n: _enc_break(b, c, n), 32)


def encode_digits(digits, policy="auto", keep_plus=False):
    """{"event":"digits","data":123}; policy "auto" (a number when plain digits without a
    leading 0, at most 15) or "string"; '+' is stripped unless keep_plus."""
    d = _ascii_arg(digits)
    p = _policy(policy, keep_plus)
    return _call_encoder(lambda b, c, n: _enc_digits(d, p, b, c, n), len(d) + 40)


def encode_transfer(number, policy="auto", keep_plus=False):
    """{"event":"transfer","data":33612345678}; same policy as encode_digits."""
    d = _ascii_arg(number)
    p = _policy(policy, keep_plus)
    return _call_encoder(lambda b, c, n: _enc_transfer(d, p, b, c, n), len(d) + 40)


def _encode_audio(type_code, data, sample_rate):
    payload = bytes(data)
    buf = (c_uint8 * len(payload)).from_buffer_copy(payload) if payload else None
    bound = _audio_bound(len(payload))
    return _call_encoder(
        lambda b, c, n: _enc_audio_bytes(type_code, buf, len(payload), sample_rate, b, c, n),
        bound)


def encode_stream_audio(pcm_bytes, sample_rate=8000):
    """streamAudio "raw" from s16le mono PCM bytes; sample_rate 8000, 16000 or 24000."""
    return _encode_audio(_AUDIO_TYPES["raw"], pcm_bytes, sample_rate)


def encode_stream_audio_bytes(data, audio_type="wav", sample_rate=8000):
    """streamAudio of a whole file (audio_type "wav", "mp3", "ogg") or raw s16le bytes."""
    if audio_type not in _AUDIO_TYPES:
        raise ValueError(f"audio_type must be one of {sorted(_AUDIO_TYPES)}")
    return _encode_audio(_AUDIO_TYPES[audio_type], data, sample_rate)


def stream_audio_message_bound(data_bytes):
    """An upper bound on the size of a streamAudio message carrying data_bytes bytes."""
    return _audio_bound(data_bytes)


def samples_per_chunk(sample_rate, ms):
    """Samples (per channel) in ms milliseconds; the spec asks for 100-500 ms chunks."""
    return sample_rate * ms // 1000
