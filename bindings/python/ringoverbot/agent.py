"""agent: one call's conversation engine, sans I/O, for a host that owns its sockets.

    call = Call(stt, llm, tts, greeting="Hello.", fallback="Pardon?", waker=loop_wakeup)
    call.on_message(ws_message, now_us)          # bytes: binary frame, str: text frame
    call.poll(now_us)                            # when woken, and at call.next_wakeup()
    for kind, data in call.outputs():            # "text" -> send data; "close" -> close
        ...
    turn = call.next_turn()                      # TurnMetrics of a finished turn, or None

Times are the host's monotonic clock in integer microseconds (any origin): the engine reads no
clock, so a test replays a call against a virtual one. The Call, and every provider callback it
makes, runs on the thread that calls its methods; only `waker` is called from other threads
(a provider's), and never after close() returned.
"""
import collections
import ctypes
import enum
from ctypes import POINTER, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t, c_uint32
from ctypes import c_uint64, c_void_p

from . import _lib
from ._lib import RobError, check, check_create, check_struct, fn, text_arg
from .providers import Action, ProvidersC, Role, providers_struct

__all__ = ["Call", "CallParams", "TurnMetrics", "CallStats", "OutputKind"]

ROB_STRUCT_CALL_PARAMS = 15
ROB_STRUCT_ACTION = 16
ROB_STRUCT_TURN_METRICS = 17
ROB_STRUCT_CALL_COUNTERS = 18
ROB_OUTPUT_TEXT = 0
ROB_OUTPUT_CLOSE = 1

_WAKER = ctypes.CFUNCTYPE(None, c_void_p)


class OutputKind(enum.IntEnum):
    """ROB_OUTPUT_*."""
    TEXT = 0
    CLOSE = 1


class CallParams(ctypes.Structure):
    """Mirror of rob_call_params (defaults from rob_call_params_init)."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("default_sample_rate_hz", c_uint32),
        ("default_channels", c_uint32),
        ("max_message_bytes", c_uint64),
        ("number_policy", c_int32),
        ("greeting", c_char_p),
        ("fallback", c_char_p),
        ("system_prompt", c_char_p),
        ("expected_phrases", POINTER(c_char_p)),
        ("expected_phrase_count", c_size_t),
        ("voice", c_char_p),
        ("output_sample_rate_hz", c_uint32),
        ("vad_margin_db", c_double),
        ("vad_min_speech_dbfs", c_double),
        ("echo_return_loss_db", c_double),
        ("speech_start_ms", c_uint32),
        ("barge_in_ms", c_uint32),
        ("endpoint_silence_ms", c_uint32),
        ("max_turn_ms", c_uint32),
        ("allow_barge_in", c_int32),
        ("chunk_ms", c_uint32),
        ("max_lead_ms", c_uint32),
        ("max_queued_audio_bytes", c_uint64),
        ("stt_timeout_ms", c_uint32),
        ("llm_first_token_timeout_ms", c_uint32),
        ("llm_total_timeout_ms", c_uint32),
        ("tts_first_audio_timeout_ms", c_uint32),
        ("max_history_messages", c_uint32),
        ("hangup_grace_ms", c_uint32),
        ("waker", _WAKER),
        ("waker_user_data", c_void_p),
        ("min_confidence", c_double),
        ("action_confidence", c_double),
        ("confirm_end_prompt", c_char_p),
        ("confirm_transfer_prompt", c_char_p),
        ("misheard_speech_ms", c_uint32),
        ("max_misunderstandings", c_uint32),
        ("misunderstood_say", c_char_p),
        ("misunderstood_transfer", c_char_p),
        ("complete_phrase_silence_ms", c_uint32),
        ("echo_cancellation", c_int32),
        ("echo_tail_ms", c_uint32),
        ("noise_suppression", c_int32),
        ("false_interruption_ms", c_uint32),
        ("min_interruption_words", c_uint32),
        ("backchannel_words", c_char_p),
        ("idle_reprompt_ms", c_uint32),
        ("idle_max_reprompts", c_uint32),
        ("reprompt", c_char_p),
        ("idle_goodbye", c_char_p),
        ("inband_dtmf", c_int32),
        ("speculate_after_ms", c_uint32),
    ]

    _TEXT = ("greeting", "fallback", "system_prompt", "voice", "confirm_end_prompt",
             "confirm_transfer_prompt", "misunderstood_say", "misunderstood_transfer",
             "backchannel_words", "reprompt", "idle_goodbye")

    def __init__(self, **settings):
        super().__init__()
        _params_init(ctypes.byref(self), ctypes.sizeof(self))
        self._keep = []  # the bytes that the char pointers point into
        self.update(**settings)

    def update(self, expected_phrases=None, **settings):
        """Sets fields by name (text as str; numbers as numbers; booleans as bool;
        backchannel_words as a list of str or one comma-separated str)."""
        names = {f[0] for f in self._fields_} - {"struct_size", "waker", "waker_user_data",
                                                 "expected_phrases", "expected_phrase_count"}
        for name, value in settings.items():
            if name not in names:
                raise TypeError(f"unknown call setting {name!r}")
            if name == "backchannel_words" and not isinstance(value, (str, bytes)):
                value = ", ".join(value)
            if name in self._TEXT:
                value = text_arg(value)
                self._keep.append(value)
            elif isinstance(value, bool):
                value = int(value)
            setattr(self, name, value)
        if expected_phrases is not None:
            encoded = [text_arg(p) for p in expected_phrases]
            arr = (c_char_p * max(1, len(encoded)))(*encoded)
            self._keep.append(arr)
            self.expected_phrases = arr
            self.expected_phrase_count = len(encoded)
        return self


class _ActionC(ctypes.Structure):
    _fields_ = [("kind", c_int32), ("value", c_void_p), ("value_len", c_size_t)]


class _TurnMetricsC(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("index", c_uint32),
        ("caller_text", c_void_p),
        ("caller_text_len", c_size_t),
        ("bot_text", c_void_p),
        ("bot_text_len", c_size_t),
        ("heard_text", c_void_p),
        ("heard_text_len", c_size_t),
        ("actions", POINTER(_ActionC)),
        ("action_count", c_size_t),
        ("interrupted", c_int32),
        ("failed", c_int32),
        ("speech_end_us", c_int64),
        ("stt_final_us", c_int64),
        ("first_token_us", c_int64),
        ("first_audio_us", c_int64),
        ("first_frame_us", c_int64),
        ("playout_end_us", c_int64),
        ("confidence", c_double),
        ("misheard", c_int32),
        ("confirmation", c_int32),
        ("resumes", c_uint32),
        ("reprompt", c_int32),
        ("speculative", c_int32),
    ]


_COUNTERS = ("messages_in", "audio_frames_in", "protocol_errors", "messages_out",
             "audio_messages_out", "audio_bytes_out", "turns", "barge_ins", "dtmf_in",
             "stt_errors", "llm_errors", "tts_errors", "timeouts", "fallbacks", "misheard",
             "confirmations", "confirmed", "cancelled_actions", "misunderstood_offers",
             "echo_cancelled_frames",
             "interruptions", "false_interruptions", "resumes", "reprompts", "idle_hangups",
             "dtmf_inband", "speculations_kept", "speculations_cancelled")


class _CallCountersC(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32)] + [(n, c_uint64) for n in _COUNTERS]


check_struct(ROB_STRUCT_CALL_PARAMS, CallParams)
check_struct(ROB_STRUCT_ACTION, _ActionC)
check_struct(ROB_STRUCT_TURN_METRICS, _TurnMetricsC)
check_struct(ROB_STRUCT_CALL_COUNTERS, _CallCountersC)

_vp = c_void_p
_params_init = fn("rob_call_params_init", None, POINTER(CallParams), c_size_t)
_create = fn("rob_call_create", c_int, POINTER(CallParams), POINTER(ProvidersC),
             POINTER(c_void_p))
_destroy = fn("rob_call_destroy", None, _vp)
_on_message = fn("rob_call_on_message", c_int, _vp, c_char_p, c_size_t, c_int, c_int64)
_on_closed = fn("rob_call_on_closed", c_int, _vp, c_char_p, c_int64)
_poll = fn("rob_call_poll", c_int, _vp, c_int64)
_next_wakeup = fn("rob_call_next_wakeup", c_int, _vp, POINTER(c_int64))
_next_output = fn("rob_call_next_output", c_int, _vp, POINTER(c_int32), c_void_p, c_size_t,
                  POINTER(c_size_t))
_next_turn = fn("rob_call_next_turn", c_int, _vp, POINTER(_TurnMetricsC))
_stats = fn("rob_call_stats", c_int, _vp, POINTER(_CallCountersC))
_ended = fn("rob_call_ended", c_int, _vp)
_finished = fn("rob_call_finished", c_int, _vp)
_end_reason = fn("rob_call_end_reason", c_char_p, _vp)
_metadata = fn("rob_call_metadata", c_char_p, _vp, c_char_p)
_history = fn("rob_call_history", c_int, _vp, c_size_t, POINTER(c_int32), POINTER(c_void_p),
              POINTER(c_size_t))

CallStats = collections.namedtuple("CallStats", _COUNTERS)


class TurnMetrics(collections.namedtuple(
        "TurnMetrics", "index caller_text bot_text heard_text actions interrupted failed "
                       "speech_end_us stt_final_us first_token_us first_audio_us "
                       "first_frame_us playout_end_us confidence misheard confirmation "
                       "resumes reprompt speculative")):
    """One caller turn and the bot's reply. Times in host microseconds, None = did not happen.
    actions: [(Action, value)]. confidence: the final transcript's, in [0, 1], None when
    unknown; misheard: gated to the fallback (low confidence, or speech without words);
    confirmation: the reply asks to confirm an end_call or transfer; resumes: false
    interruptions after which the reply went on; reprompt: said to an idle caller; speculative: the reply is a kept speculative
    request (CallParams.speculate_after_ms)."""


def _text(ptr, n):
    return ctypes.string_at(ptr, n).decode("utf-8", "replace") if n else ""


def _time(v):
    return None if v < 0 else v


class Call:
    """rob_call. stt/llm/tts (and fallback_tts): Python providers or built-in ones; the call
    keeps them alive. Settings: the CallParams field names (greeting, fallback, system_prompt,
    expected_phrases, voice, chunk_ms, endpoint_silence_ms, ...). waker: a callable run from
    any thread when a provider result is waiting (call poll() soon, on the call's thread)."""

    def __init__(self, stt, llm, tts, fallback_tts=None, *, waker=None, params=None,
                 **settings):
        p = params if params is not None else CallParams()
        p.update(**settings)
        self._providers = (stt, llm, tts, fallback_tts)
        self._waker_fn = waker
        self._waker = _WAKER(self._wake) if waker is not None else _WAKER()
        p.waker = self._waker
        provs = providers_struct(stt, llm, tts, fallback_tts)
        h = c_void_p()
        check_create(_create(ctypes.byref(p), ctypes.byref(provs), ctypes.byref(h)))
        self._handle = h.value
        self._buf = ctypes.create_string_buffer(16384)
        self._turn = _TurnMetricsC()

    def _wake(self, _user_data):
        try:
            self._waker_fn()
        except BaseException:
            _lib_log_exception("waker")

    def _h(self):
        if self._handle is None:
            raise RobError(_lib.ROB_ERR_INVALID_STATE, "the call was closed")
        return self._handle

    def on_message(self, message, now_us, binary=None):
        """One complete WebSocket message: bytes = binary frame (unless binary=False), str =
        text frame."""
        if isinstance(message, str):
            data, is_binary = message.encode("utf-8"), bool(binary)
        else:
            data = bytes(message)
            is_binary = True if binary is None else bool(binary)
        check(_on_message(self._h(), data, len(data), 1 if is_binary else 0, int(now_us)))

    def on_closed(self, reason, now_us):
        """The socket closed or dropped (or a call/hangup webhook came): the call ends once."""
        check(_on_closed(self._h(), text_arg(reason), int(now_us)))

    def poll(self, now_us):
        """Takes provider results and runs the timers due at now_us."""
        check(_poll(self._h(), int(now_us)))

    def next_wakeup(self):
        """When poll() must run next at the latest (µs), or None."""
        t = c_int64()
        rc = check(_next_wakeup(self._h(), ctypes.byref(t)))
        return None if rc == _lib.ROB_DONE else t.value

    def next_output(self):
        """(OutputKind, str) of the next message to send, or None."""
        kind = c_int32()
        n = c_size_t()
        while True:
            rc = _next_output(self._h(), ctypes.byref(kind), self._buf, len(self._buf),
                              ctypes.byref(n))
            if rc == _lib.ROB_ERR_BUFFER_TOO_SMALL:
                self._buf = ctypes.create_string_buffer(n.value + 1)
                continue
            if check(rc) == _lib.ROB_DONE:
                return None
            return OutputKind(kind.value), self._buf.raw[:n.value].decode("utf-8", "replace")

    def outputs(self):
        """Every message waiting to be sent, in order."""
        while True:
            o = self.next_output()
            if o is None:
                return
            yield o

    def next_turn(self):
        """A finished turn's TurnMetrics, or None."""
        m = self._turn
        m.struct_size = ctypes.sizeof(m)
        if check(_next_turn(self._h(), ctypes.byref(m))) == _lib.ROB_DONE:
            return None
        actions = []
        for i in range(m.action_count):
            a = m.actions[i]
            kind = Action(a.kind) if a.kind in (0, 1, 2, 3) else a.kind
            actions.append((kind, _text(a.value, a.value_len)))
        return TurnMetrics(m.index, _text(m.caller_text, m.caller_text_len),
                           _text(m.bot_text, m.bot_text_len),
                           _text(m.heard_text, m.heard_text_len), actions, bool(m.interrupted),
                           bool(m.failed), _time(m.speech_end_us), _time(m.stt_final_us),
                           _time(m.first_token_us), _time(m.first_audio_us),
                           _time(m.first_frame_us), _time(m.playout_end_us),
                           None if m.confidence < 0 else m.confidence, bool(m.misheard),
                           bool(m.confirmation), m.resumes, bool(m.reprompt),
                           bool(m.speculative))

    @property
    def stats(self):
        k = _CallCountersC()
        k.struct_size = ctypes.sizeof(k)
        check(_stats(self._h(), ctypes.byref(k)))
        return CallStats(*(getattr(k, n) for n in _COUNTERS))

    @property
    def ended(self):
        return bool(_ended(self._h()))

    @property
    def finished(self):
        """Ended and nothing left to send: the host may close the call."""
        return bool(_finished(self._h()))

    @property
    def end_reason(self):
        return _end_reason(self._h()).decode("utf-8", "replace")

    def metadata(self, name):
        """"call_id", "channel_id", "from_number", "to_number" or "direction"; None if absent."""
        v = _metadata(self._h(), text_arg(name))
        return None if v is None else v.decode("utf-8", "replace")

    def history(self):
        """[(Role, text)]: what the model will see next (after the system prompt)."""
        out = []
        role, ptr, n = c_int32(), c_void_p(), c_size_t()
        i = 0
        while check(_history(self._h(), i, ctypes.byref(role), ctypes.byref(ptr),
                             ctypes.byref(n))) == _lib.ROB_OK:
            out.append((Role(role.value), _text(ptr.value, n.value)))
            i += 1
        return out

    def close(self):
        """Ends the call if needed and frees it; the waker is not called afterwards."""
        if getattr(self, "_handle", None) is not None:
            _destroy(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


def _lib_log_exception(what):
    from .providers import log
    log.exception("ringoverbot: the %s raised", what)
