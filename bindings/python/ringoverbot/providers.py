"""providers: streaming STT, LLM and TTS, built in or written in Python.

Write a provider by subclassing SttProvider, LlmProvider or TtsProvider; the library calls it
through the C ABI's vtables (rob_*_provider_vtable), on the thread that drives the call:

    class EchoLlm(LlmProvider):
        name = "echo"
        def start(self, request, sink):          # request.messages: [Message(role, content)]
            threading.Thread(target=self.run, args=(request, sink)).start()
            return None                          # or an object with cancel() and/or close()
        def run(self, request, sink):
            sink.token("You said: " + request.messages[-1].content)
            sink.action(Action.TRANSFER, "33182880001")
            sink.done()

Rules (the C ABI's, see capi/ringoverbot.h):
  - start()/open() must return quickly; results go to the sink from any thread, at any time;
  - every request ends with exactly one terminal sink call: done(), error() or release(); a
    sink dropped without one is released when it is garbage-collected;
  - after cancel(), or once the call is gone, sink calls return False (the data is dropped);
  - an exception raised by a provider method is logged (logger "ringoverbot") and turned
    into a provider failure: the call says its fallback and goes on. It never crashes.

Audio is bytes of signed 16-bit mono samples in the machine's byte order (little-endian on the
platforms this runs on).

The local providers (WorkerPool, PocketsphinxStt, FliteTts, ScriptedLlm, CachedTts) and the
cloud ones (CloudClient, OpenAiLlm, DeepgramStt, OpenAiStt, ElevenLabsTts, OpenAiTts) mix
freely with Python ones.
"""
import collections
import ctypes
import enum
import itertools
import logging
import threading
import weakref
from ctypes import POINTER, c_char_p, c_double, c_int, c_int16, c_int32, c_size_t, c_uint32
from ctypes import c_uint64, c_void_p

from . import _lib
from ._lib import RobError, check, check_create, check_struct, fn, text_arg

__all__ = [
    "Role", "Action", "Message", "LlmRequest", "TtsRequest", "SttOptions",
    "SttSink", "LlmSink", "TtsSink", "SttProvider", "SttStream", "LlmProvider", "TtsProvider",
    "WorkerPool", "PocketsphinxStt", "FliteTts", "ScriptedLlm", "CachedTts", "Dialog",
    "CloudClient", "OpenAiLlm", "DeepgramStt", "OpenAiStt", "ElevenLabsTts", "OpenAiTts",
    "UNKNOWN_CONFIDENCE",
]

# ROB_CONFIDENCE_UNKNOWN: a transcript whose recognizer gives no confidence.
UNKNOWN_CONFIDENCE = -1.0

log = logging.getLogger("ringoverbot")

ROB_STRUCT_STT_OPTIONS = 5
ROB_STRUCT_STT_PROVIDER_VTABLE = 6
ROB_STRUCT_LLM_MESSAGE = 7
ROB_STRUCT_LLM_REQUEST = 8
ROB_STRUCT_LLM_PROVIDER_VTABLE = 9
ROB_STRUCT_TTS_REQUEST = 10
ROB_STRUCT_TTS_PROVIDER_VTABLE = 11
ROB_STRUCT_POCKETSPHINX_PARAMS = 12
ROB_STRUCT_FLITE_PARAMS = 13
ROB_STRUCT_PROVIDERS = 14
ROB_STRUCT_CLOUD_CLIENT_PARAMS = 21
ROB_STRUCT_OPENAI_LLM_PARAMS = 22
ROB_STRUCT_DEEPGRAM_STT_PARAMS = 23
ROB_STRUCT_OPENAI_STT_PARAMS = 24
ROB_STRUCT_ELEVENLABS_TTS_PARAMS = 25
ROB_STRUCT_OPENAI_TTS_PARAMS = 26
LOG_LEVELS = ("debug", "info", "warn", "error")  # ROB_LOG_*


class Role(enum.IntEnum):
    """ROB_ROLE_*."""
    SYSTEM = 0
    USER = 1
    ASSISTANT = 2


class Action(enum.IntEnum):
    """ROB_ACTION_*: what the model asks the call to do after the words before it played."""
    TRANSFER = 0
    DIGITS = 1
    PLAY = 2
    END_CALL = 3


Message = collections.namedtuple("Message", "role content")
LlmRequest = collections.namedtuple("LlmRequest", "messages call_id")
TtsRequest = collections.namedtuple("TtsRequest", "text sample_rate voice")
SttOptions = collections.namedtuple("SttOptions", "sample_rate language phrases call_id")

# ---- the C mirrors ----------------------------------------------------------------------


class _SttOptionsC(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("sample_rate_hz", c_uint32),
        ("language", c_char_p),
        ("phrases", POINTER(c_char_p)),
        ("phrase_count", c_size_t),
        ("call_id", c_char_p),
    ]


class _LlmMessageC(ctypes.Structure):
    _fields_ = [("role", c_int32), ("content", c_void_p), ("content_len", c_size_t)]


class _LlmRequestC(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("messages", POINTER(_LlmMessageC)),
        ("message_count", c_size_t),
        ("call_id", c_char_p),
    ]


class _TtsRequestC(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("text", c_void_p),
        ("text_len", c_size_t),
        ("sample_rate_hz", c_uint32),
        ("voice", c_char_p),
    ]


# Callback prototypes, in the vtables' order. user_data (an integer key) comes last.
_STT_OPEN = ctypes.CFUNCTYPE(c_int, POINTER(_SttOptionsC), c_void_p, POINTER(c_void_p), c_void_p)
_STT_PUSH = ctypes.CFUNCTYPE(None, c_void_p, POINTER(c_int16), c_size_t, c_void_p)
_REQ_FN = ctypes.CFUNCTYPE(None, c_void_p, c_void_p)  # speech_started, end_of_turn, cancel, free
_RELEASE = ctypes.CFUNCTYPE(None, c_void_p)
_LLM_START = ctypes.CFUNCTYPE(c_int, POINTER(_LlmRequestC), c_void_p, POINTER(c_void_p),
                              c_void_p)
_TTS_START = ctypes.CFUNCTYPE(c_int, POINTER(_TtsRequestC), c_void_p, POINTER(c_void_p),
                              c_void_p)


class _SttVtable(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("user_data", c_void_p),
        ("sample_rate_hz", c_uint32),
        ("open", _STT_OPEN),
        ("push_audio", _STT_PUSH),
        ("speech_started", _REQ_FN),
        ("end_of_turn", _REQ_FN),
        ("cancel", _REQ_FN),
        ("free_stream", _REQ_FN),
        ("release", _RELEASE),
    ]


class _LlmVtable(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("user_data", c_void_p),
        ("start", _LLM_START),
        ("cancel", _REQ_FN),
        ("free_request", _REQ_FN),
        ("release", _RELEASE),
    ]


class _TtsVtable(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("user_data", c_void_p),
        ("start", _TTS_START),
        ("cancel", _REQ_FN),
        ("free_request", _REQ_FN),
        ("release", _RELEASE),
    ]


class _PocketsphinxParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("model_dir", c_char_p),
        ("use_grammar", c_int32),
        ("preroll_ms", c_uint32),
    ]


class _FliteParams(ctypes.Structure):
    _fields_ = [("struct_size", c_uint32), ("voice", c_char_p), ("speed", c_double)]


_LOG = ctypes.CFUNCTYPE(None, c_int32, c_void_p, c_size_t, c_void_p)  # rob_log_fn
_TIMEOUTS = [("connect_timeout_ms", c_uint32), ("first_byte_timeout_ms", c_uint32),
             ("total_timeout_ms", c_uint32), ("max_attempts", c_uint32)]


class _CloudClientParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("ca_file", c_char_p),
        ("https_proxy", c_char_p),
        ("no_proxy", POINTER(c_char_p)),
        ("no_proxy_count", c_size_t),
        ("min_log_level", c_int32),
        ("log", _LOG),
        ("log_user_data", c_void_p),
    ]


class _OpenAiLlmParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("base_url", c_char_p),
        ("api_key", c_char_p),
        ("model", c_char_p),
        ("temperature", c_double),
        ("max_tokens", c_uint32),
        ("tools", c_int32),
    ] + _TIMEOUTS


class _DeepgramSttParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("base_url", c_char_p),
        ("api_key", c_char_p),
        ("model", c_char_p),
        ("language", c_char_p),
        ("endpointing_ms", c_uint32),
        ("utterance_end_ms", c_uint32),
        ("interim_results", c_int32),
        ("vad_events", c_int32),
        ("keepalive_ms", c_uint32),
    ] + _TIMEOUTS


class _OpenAiSttParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("base_url", c_char_p),
        ("api_key", c_char_p),
        ("model", c_char_p),
        ("language", c_char_p),
        ("preroll_ms", c_uint32),
        ("max_turn_ms", c_uint32),
    ] + _TIMEOUTS


class _ElevenLabsTtsParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("base_url", c_char_p),
        ("api_key", c_char_p),
        ("voice_id", c_char_p),
        ("model_id", c_char_p),
    ] + _TIMEOUTS


class _OpenAiTtsParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("base_url", c_char_p),
        ("api_key", c_char_p),
        ("model", c_char_p),
        ("voice", c_char_p),
        ("speed", c_double),
    ] + _TIMEOUTS


class ProvidersC(ctypes.Structure):
    """Mirror of rob_providers."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("stt", c_void_p),
        ("llm", c_void_p),
        ("tts", c_void_p),
        ("fallback_tts", c_void_p),
    ]


check_struct(ROB_STRUCT_STT_OPTIONS, _SttOptionsC)
check_struct(ROB_STRUCT_STT_PROVIDER_VTABLE, _SttVtable)
check_struct(ROB_STRUCT_LLM_MESSAGE, _LlmMessageC)
check_struct(ROB_STRUCT_LLM_REQUEST, _LlmRequestC)
check_struct(ROB_STRUCT_LLM_PROVIDER_VTABLE, _LlmVtable)
check_struct(ROB_STRUCT_TTS_REQUEST, _TtsRequestC)
check_struct(ROB_STRUCT_TTS_PROVIDER_VTABLE, _TtsVtable)
check_struct(ROB_STRUCT_POCKETSPHINX_PARAMS, _PocketsphinxParams)
check_struct(ROB_STRUCT_FLITE_PARAMS, _FliteParams)
check_struct(ROB_STRUCT_PROVIDERS, ProvidersC)
check_struct(ROB_STRUCT_CLOUD_CLIENT_PARAMS, _CloudClientParams)
check_struct(ROB_STRUCT_OPENAI_LLM_PARAMS, _OpenAiLlmParams)
check_struct(ROB_STRUCT_DEEPGRAM_STT_PARAMS, _DeepgramSttParams)
check_struct(ROB_STRUCT_OPENAI_STT_PARAMS, _OpenAiSttParams)
check_struct(ROB_STRUCT_ELEVENLABS_TTS_PARAMS, _ElevenLabsTtsParams)
check_struct(ROB_STRUCT_OPENAI_TTS_PARAMS, _OpenAiTtsParams)

_vp = c_void_p
_pvp = POINTER(c_void_p)
_stt_vt_init = fn("rob_stt_provider_vtable_init", None, POINTER(_SttVtable), c_size_t)
_stt_create = fn("rob_stt_provider_create", c_int, POINTER(_SttVtable), _pvp)
_stt_destroy = fn("rob_stt_provider_destroy", None, _vp)
_stt_name = fn("rob_stt_provider_name", c_char_p, _vp)
_stt_transcript = fn("rob_stt_sink_transcript_confidence", c_int, _vp, c_char_p, c_size_t, c_int,
                     c_double)
_stt_speech_started = fn("rob_stt_sink_speech_started", c_int, _vp)
_stt_utterance_end = fn("rob_stt_sink_utterance_end", c_int, _vp)
_stt_error = fn("rob_stt_sink_error", c_int, _vp, c_int, c_char_p)
_stt_release = fn("rob_stt_sink_release", c_int, _vp)
_llm_vt_init = fn("rob_llm_provider_vtable_init", None, POINTER(_LlmVtable), c_size_t)
_llm_create = fn("rob_llm_provider_create", c_int, POINTER(_LlmVtable), _pvp)
_llm_destroy = fn("rob_llm_provider_destroy", None, _vp)
_llm_name = fn("rob_llm_provider_name", c_char_p, _vp)
_llm_token = fn("rob_llm_sink_token", c_int, _vp, c_char_p, c_size_t)
_llm_action = fn("rob_llm_sink_action", c_int, _vp, c_int, c_char_p)
_llm_done = fn("rob_llm_sink_done", c_int, _vp)
_llm_error = fn("rob_llm_sink_error", c_int, _vp, c_int, c_char_p)
_llm_release = fn("rob_llm_sink_release", c_int, _vp)
_tts_vt_init = fn("rob_tts_provider_vtable_init", None, POINTER(_TtsVtable), c_size_t)
_tts_create = fn("rob_tts_provider_create", c_int, POINTER(_TtsVtable), _pvp)
_tts_destroy = fn("rob_tts_provider_destroy", None, _vp)
_tts_name = fn("rob_tts_provider_name", c_char_p, _vp)
_tts_audio = fn("rob_tts_sink_audio", c_int, _vp, c_char_p, c_size_t, c_uint32)
_tts_done = fn("rob_tts_sink_done", c_int, _vp)
_tts_error = fn("rob_tts_sink_error", c_int, _vp, c_int, c_char_p)
_tts_release = fn("rob_tts_sink_release", c_int, _vp)
_pool_create = fn("rob_worker_pool_create", c_int, c_uint32, _pvp)
_pool_destroy = fn("rob_worker_pool_destroy", None, _vp)
_ps_init = fn("rob_pocketsphinx_params_init", None, POINTER(_PocketsphinxParams), c_size_t)
_ps_create = fn("rob_stt_provider_create_pocketsphinx", c_int, POINTER(_PocketsphinxParams),
                _vp, _pvp)
_flite_init = fn("rob_flite_params_init", None, POINTER(_FliteParams), c_size_t)
_flite_create = fn("rob_tts_provider_create_flite", c_int, POINTER(_FliteParams), _vp, _pvp)
_scripted_create = fn("rob_llm_provider_create_scripted", c_int, c_char_p, c_size_t, _pvp)
_cached_create = fn("rob_tts_provider_create_cached", c_int, _vp, c_uint64, _pvp)
_cached_prewarm = fn("rob_tts_provider_prewarm", c_int, _vp, POINTER(c_char_p), c_size_t,
                     c_uint32)
_cached_stats = fn("rob_tts_provider_cache_stats", c_int, _vp, POINTER(c_uint64),
                   POINTER(c_uint64), POINTER(c_uint64))
_dialog_parse = fn("rob_dialog_parse", c_int, c_char_p, c_size_t, _pvp)
_dialog_destroy = fn("rob_dialog_destroy", None, _vp)
_dialog_greeting = fn("rob_dialog_greeting", c_char_p, _vp)
_dialog_fallback = fn("rob_dialog_fallback", c_char_p, _vp)
_dialog_phrase_count = fn("rob_dialog_phrase_count", c_size_t, _vp)
_dialog_phrase = fn("rob_dialog_phrase", c_char_p, _vp, c_size_t)
_dialog_reply_count = fn("rob_dialog_reply_count", c_size_t, _vp)
_dialog_reply = fn("rob_dialog_reply", c_char_p, _vp, c_size_t)
_providers_init = fn("rob_providers_init", None, POINTER(ProvidersC), c_size_t)
_cloud_init = fn("rob_cloud_client_params_init", None, POINTER(_CloudClientParams), c_size_t)
_cloud_create = fn("rob_cloud_client_create", c_int, POINTER(_CloudClientParams), _pvp)
_cloud_destroy = fn("rob_cloud_client_destroy", None, _vp)
_cloud_errors = fn("rob_cloud_client_error_count", c_int, _vp, c_char_p, c_char_p,
                   POINTER(c_uint64))
_CLOUD_FACTORIES = {  # params class -> (init, create)
    _OpenAiLlmParams: (fn("rob_openai_llm_params_init", None, POINTER(_OpenAiLlmParams),
                          c_size_t),
                       fn("rob_llm_provider_create_openai", c_int, POINTER(_OpenAiLlmParams),
                          _vp, _pvp)),
    _DeepgramSttParams: (fn("rob_deepgram_stt_params_init", None, POINTER(_DeepgramSttParams),
                            c_size_t),
                         fn("rob_stt_provider_create_deepgram", c_int,
                            POINTER(_DeepgramSttParams), _vp, _pvp)),
    _OpenAiSttParams: (fn("rob_openai_stt_params_init", None, POINTER(_OpenAiSttParams),
                          c_size_t),
                       fn("rob_stt_provider_create_openai", c_int, POINTER(_OpenAiSttParams),
                          _vp, _pvp)),
    _ElevenLabsTtsParams: (fn("rob_elevenlabs_tts_params_init", None,
                              POINTER(_ElevenLabsTtsParams), c_size_t),
                           fn("rob_tts_provider_create_elevenlabs", c_int,
                              POINTER(_ElevenLabsTtsParams), _vp, _pvp)),
    _OpenAiTtsParams: (fn("rob_openai_tts_params_init", None, POINTER(_OpenAiTtsParams),
                          c_size_t),
                       fn("rob_tts_provider_create_openai", c_int, POINTER(_OpenAiTtsParams),
                          _vp, _pvp)),
}


def _decode(ptr, length):
    return ctypes.string_at(ptr, length).decode("utf-8", "replace") if length else ""


def _cstr(p):
    return p.decode("utf-8", "replace") if p else ""


# ---- sinks: the library's half of one request ---------------------------------------------


def _release_quietly(release, handle):
    try:
        release(handle)
    except Exception:  # at interpreter exit the library may already be gone
        pass


class _Sink:
    """One request's sink. Thread-safe; every method returns True when the call took the data,
    False when it was dropped (the request was cancelled, its call is gone, or this sink has
    already ended)."""

    _release_fn = None  # the C terminal call that gives the sink back without an event

    def __init__(self, handle):
        self._handle = handle
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _release_quietly, type(self)._release_fn,
                                           handle)

    @property
    def finished(self):
        """True after the terminal call (done, error, release)."""
        return self._handle is None

    def _send(self, f, *args):
        with self._lock:
            if self._handle is None:
                return False
            return check(f(self._handle, *args)) == _lib.ROB_OK

    def _end(self, f, *args):
        with self._lock:
            if self._handle is None:
                return False
            handle, self._handle = self._handle, None
            self._finalizer.detach()
            return check(f(handle, *args)) == _lib.ROB_OK

    def _detach(self):
        """The library took the sink back (a refused start): forget it without a call."""
        with self._lock:
            self._handle = None
            self._finalizer.detach()

    def error(self, message=None, code=_lib.ROB_ERR_PROVIDER_FAILED):
        """Terminal: the request failed (code: a negative ROB_ERR_* code)."""
        return self._end(self._error_fn, int(code), text_arg(message))

    def release(self):
        """Terminal: gives the sink back without an event (e.g. after cancel)."""
        return self._end(type(self)._release_fn)


class SttSink(_Sink):
    """rob_stt_sink: transcripts of one call's audio."""
    _release_fn = _stt_release
    _error_fn = _stt_error

    def transcript(self, text, final=True, confidence=None):
        """An interim (final=False) or final transcript. confidence: how sure the recognizer
        is, in [0, 1]; None (or any negative value) when it gives none. Above 1 or NaN raises
        RobError (ROB_ERR_INVALID_ARGUMENT)."""
        data = text_arg(text) or b""
        c = UNKNOWN_CONFIDENCE if confidence is None else float(confidence)
        return self._send(_stt_transcript, data, len(data), 1 if final else 0, c)

    def speech_started(self):
        return self._send(_stt_speech_started)

    def utterance_end(self):
        return self._send(_stt_utterance_end)


class LlmSink(_Sink):
    """rob_llm_sink: the reply's tokens and actions."""
    _release_fn = _llm_release
    _error_fn = _llm_error

    def token(self, text):
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        return self._send(_llm_token, data, len(data))

    def action(self, kind, value=None):
        """kind: Action (or its int); value: the number, digits or URL (None for END_CALL)."""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return self._send(_llm_action, int(kind), text_arg(value))

    def done(self):
        """Terminal: the reply is complete."""
        return self._end(_llm_done)


class TtsSink(_Sink):
    """rob_tts_sink: the synthesized audio of one request."""
    _release_fn = _tts_release
    _error_fn = _tts_error

    def audio(self, pcm, sample_rate):
        """pcm: bytes of s16 mono samples; sample_rate: 8000..48000, the same for every chunk."""
        data = pcm if isinstance(pcm, bytes) else bytes(pcm)
        if len(data) % 2:
            raise ValueError("pcm must hold whole 16-bit samples")
        return self._send(_tts_audio, data, len(data) // 2, int(sample_rate))

    def done(self):
        """Terminal: the synthesis is complete."""
        return self._end(_tts_done)


# ---- Python providers ---------------------------------------------------------------------

_keys = itertools.count(1)
_providers = {}  # key -> weakref to the Python provider (user_data)
_requests = {}   # key -> _Live (request_data)


class _Live:
    """A request (or STT stream) in flight: what the provider returned, and its sink."""
    __slots__ = ("provider", "handle", "sink", "broken")

    def __init__(self, provider, handle, sink):
        self.provider = provider
        self.handle = handle
        self.sink = sink
        self.broken = False


def _provider(user_data):
    ref = _providers.get(user_data)
    return ref() if ref is not None else None


def _log_failure(provider, what):
    log.exception("ringoverbot: %s.%s raised; the request fails",
                  type(provider).__name__, what)


def _start(user_data, sink_type, sink_ptr, data_ptr, run):
    """The shared body of open/start: never lets an exception reach C."""
    try:
        provider = _provider(user_data)
        if provider is None:
            return _lib.ROB_ERR_INVALID_STATE
        sink = sink_type(sink_ptr)
        try:
            handle = run(provider, sink)
        except BaseException:
            _log_failure(provider, "start")
            sink._detach()
            return _lib.ROB_ERR_PROVIDER_FAILED
        key = next(_keys)
        _requests[key] = _Live(provider, handle, sink)
        data_ptr[0] = key
        return _lib.ROB_OK
    except BaseException:
        log.exception("ringoverbot: provider start failed")
        return _lib.ROB_ERR_PROVIDER_FAILED


def _call_optional(live, method, *args):
    """Calls live.handle.<method>(*args) when it exists; an exception fails the request."""
    if live is None or live.broken:
        return
    f = getattr(live.handle, method, None)
    if f is None:
        return
    try:
        f(*args)
    except BaseException:
        live.broken = True
        _log_failure(live.provider, method)
        try:
            live.sink.error(f"{type(live.provider).__name__}.{method} raised")
        except BaseException:
            pass


def _cancel(data, user_data):
    _call_optional(_requests.get(data), "cancel")


def _free(data, user_data):
    live = _requests.pop(data, None)
    if live is not None and not live.broken:
        f = getattr(live.handle, "close", None)
        if f is not None:
            try:
                f()
            except BaseException:
                _log_failure(live.provider, "close")


def _release(user_data):
    _providers.pop(user_data, None)


def _stt_open(options_ptr, sink_ptr, data_ptr, user_data):
    def run(provider, sink):
        o = options_ptr.contents
        options = SttOptions(o.sample_rate_hz, _cstr(o.language),
                             [_cstr(o.phrases[i]) for i in range(o.phrase_count)],
                             _cstr(o.call_id))
        return provider.open(options, sink)
    return _start(user_data, SttSink, sink_ptr, data_ptr, run)


def _stt_push(data, samples, count, user_data):
    live = _requests.get(data)
    if live is not None and not live.broken:
        _call_optional(live, "push_audio", ctypes.string_at(samples, count * 2))


def _stt_speech_started_cb(data, user_data):
    _call_optional(_requests.get(data), "speech_started")


def _stt_end_of_turn(data, user_data):
    _call_optional(_requests.get(data), "end_of_turn")


def _llm_start(request_ptr, sink_ptr, data_ptr, user_data):
    def run(provider, sink):
        r = request_ptr.contents
        messages = [Message(Role(m.role) if m.role in (0, 1, 2) else m.role,
                            _decode(m.content, m.content_len))
                    for m in r.messages[:r.message_count]]
        return provider.start(LlmRequest(messages, _cstr(r.call_id)), sink)
    return _start(user_data, LlmSink, sink_ptr, data_ptr, run)


def _tts_start(request_ptr, sink_ptr, data_ptr, user_data):
    def run(provider, sink):
        r = request_ptr.contents
        return provider.start(TtsRequest(_decode(r.text, r.text_len), r.sample_rate_hz,
                                         _cstr(r.voice)), sink)
    return _start(user_data, TtsSink, sink_ptr, data_ptr, run)


# The trampolines live as long as the module: C may call them until the last release.
_T = {
    "stt_open": _STT_OPEN(_stt_open),
    "stt_push": _STT_PUSH(_stt_push),
    "stt_speech_started": _REQ_FN(_stt_speech_started_cb),
    "stt_end_of_turn": _REQ_FN(_stt_end_of_turn),
    "cancel": _REQ_FN(_cancel),
    "free": _REQ_FN(_free),
    "release": _RELEASE(_release),
    "llm_start": _LLM_START(_llm_start),
    "tts_start": _TTS_START(_tts_start),
}


class _PythonProvider:
    """The C handle of a Python provider, made on first use and dropped with the object. The
    library reaches the object through a weak reference: whatever passes it to the library
    (a Call, a Server) keeps it alive."""

    name = None
    _destroy = None

    def _c_handle(self):
        h = self.__dict__.get("_rob_handle")
        if h is None:
            key = next(_keys)
            _providers[key] = weakref.ref(self)
            handle = c_void_p()
            try:
                check_create(self._create_handle(key, handle))
            except BaseException:
                _providers.pop(key, None)
                raise
            h = handle.value
            self.__dict__["_rob_handle"] = h
            self.__dict__["_rob_finalizer"] = weakref.finalize(self, type(self)._destroy, h)
        return h

    def _name(self):
        return text_arg(self.name or type(self).__name__)


class SttProvider(_PythonProvider):
    """Subclass: open(options, sink) returns a stream object (see SttStream) for one call.
    sample_rate: the rate it wants its audio at (0 = the stream's own)."""

    sample_rate = 16000
    _destroy = _stt_destroy

    def open(self, options, sink):
        raise NotImplementedError

    def _create_handle(self, key, out):
        vt = _SttVtable()
        _stt_vt_init(ctypes.byref(vt), ctypes.sizeof(vt))
        vt.name = self._name()
        vt.user_data = key
        vt.sample_rate_hz = int(self.sample_rate)
        vt.open = _T["stt_open"]
        vt.push_audio = _T["stt_push"]
        vt.speech_started = _T["stt_speech_started"]
        vt.end_of_turn = _T["stt_end_of_turn"]
        vt.cancel = _T["cancel"]
        vt.free_stream = _T["free"]
        vt.release = _T["release"]
        return _stt_create(ctypes.byref(vt), ctypes.byref(out))


class SttStream:
    """What SttProvider.open returns (any object with these methods will do)."""

    def push_audio(self, pcm):
        """bytes of s16 samples at the provider's rate, every frame of the call. Be quick."""

    def end_of_turn(self):
        """The caller's turn ended: give the sink a final transcript (possibly empty)."""

    def speech_started(self):
        """Optional: the call's VAD heard the caller start speaking."""

    def cancel(self):
        """Optional: the call no longer wants results."""

    def close(self):
        """Optional: the stream is over; nothing is called on it afterwards."""


class LlmProvider(_PythonProvider):
    """Subclass: start(request, sink) streams the reply to the sink and returns a request
    object (optional cancel() and close()) or None."""

    _destroy = _llm_destroy

    def start(self, request, sink):
        raise NotImplementedError

    def _create_handle(self, key, out):
        vt = _LlmVtable()
        _llm_vt_init(ctypes.byref(vt), ctypes.sizeof(vt))
        vt.name = self._name()
        vt.user_data = key
        vt.start = _T["llm_start"]
        vt.cancel = _T["cancel"]
        vt.free_request = _T["free"]
        vt.release = _T["release"]
        return _llm_create(ctypes.byref(vt), ctypes.byref(out))


class TtsProvider(_PythonProvider):
    """Subclass: start(request, sink) synthesizes request.text into the sink's audio() and
    returns a request object (optional cancel() and close()) or None."""

    _destroy = _tts_destroy

    def start(self, request, sink):
        raise NotImplementedError

    def _create_handle(self, key, out):
        vt = _TtsVtable()
        _tts_vt_init(ctypes.byref(vt), ctypes.sizeof(vt))
        vt.name = self._name()
        vt.user_data = key
        vt.start = _T["tts_start"]
        vt.cancel = _T["cancel"]
        vt.free_request = _T["free"]
        vt.release = _T["release"]
        return _tts_create(ctypes.byref(vt), ctypes.byref(out))


# ---- the local providers ------------------------------------------------------------------


class _Handle:
    """A built-in provider or pool: one reference, dropped by close() or garbage collection."""

    def __init__(self, handle, destroy, keep=()):
        self._handle = handle
        self._keep = keep  # Python objects the library's object relies on
        self._finalizer = weakref.finalize(self, destroy, handle)

    def _c_handle(self):
        if self._handle is None:
            raise RobError(_lib.ROB_ERR_INVALID_STATE, "closed")
        return self._handle

    def close(self):
        self._finalizer()
        self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class WorkerPool(_Handle):
    """Threads for the CPU-heavy local providers (shared by all of them)."""

    def __init__(self, threads=2):
        h = c_void_p()
        check_create(_pool_create(threads, ctypes.byref(h)))
        super().__init__(h.value, _pool_destroy)


class PocketsphinxStt(_Handle):
    """pocketsphinx speech recognition (16 kHz), decoding on `pool`."""

    def __init__(self, pool, model_dir=None, use_grammar=True, preroll_ms=300):
        p = _PocketsphinxParams()
        _ps_init(ctypes.byref(p), ctypes.sizeof(p))
        p.model_dir = text_arg(model_dir)
        p.use_grammar = 1 if use_grammar else 0
        p.preroll_ms = preroll_ms
        h = c_void_p()
        check_create(_ps_create(ctypes.byref(p), pool._c_handle(), ctypes.byref(h)))
        super().__init__(h.value, _stt_destroy, (pool,))

    @property
    def name(self):
        return _cstr(_stt_name(self._c_handle()))


class FliteTts(_Handle):
    """flite speech synthesis ("slt": 16 kHz female, "kal": 8 kHz male), on `pool`."""

    def __init__(self, pool, voice="slt", speed=1.0):
        p = _FliteParams()
        _flite_init(ctypes.byref(p), ctypes.sizeof(p))
        p.voice = text_arg(voice)
        p.speed = speed
        h = c_void_p()
        check_create(_flite_create(ctypes.byref(p), pool._c_handle(), ctypes.byref(h)))
        super().__init__(h.value, _tts_destroy, (pool,))

    @property
    def name(self):
        return _cstr(_tts_name(self._c_handle()))


class ScriptedLlm(_Handle):
    """The scripted dialog (src/providers/local/README.md) as a language model."""

    def __init__(self, dialog_json):
        data = text_arg(dialog_json)
        h = c_void_p()
        check_create(_scripted_create(data, len(data), ctypes.byref(h)))
        super().__init__(h.value, _llm_destroy)

    @classmethod
    def from_file(cls, path):
        with open(path, "rb") as f:
            return cls(f.read())

    @property
    def name(self):
        return _cstr(_llm_name(self._c_handle()))


class CachedTts(_Handle):
    """A cache of whole syntheses in front of another TTS (built in or Python)."""

    def __init__(self, inner, max_bytes=0):
        h = c_void_p()
        check_create(_cached_create(inner._c_handle(), max_bytes, ctypes.byref(h)))
        super().__init__(h.value, _tts_destroy, (inner,))

    def prewarm(self, texts, sample_rate=16000):
        """Synthesizes phrases ahead (returns at once)."""
        encoded = [text_arg(t) for t in texts]
        arr = (c_char_p * max(1, len(encoded)))(*encoded)
        check(_cached_prewarm(self._c_handle(), arr, len(encoded), sample_rate))

    @property
    def stats(self):
        """(bytes cached, hits, misses)."""
        b, h, m = c_uint64(), c_uint64(), c_uint64()
        check(_cached_stats(self._c_handle(), ctypes.byref(b), ctypes.byref(h), ctypes.byref(m)))
        return b.value, h.value, m.value


# ---- the cloud providers ------------------------------------------------------------------


_cloud_logs = {}  # key -> weakref to the CloudClient (log_user_data)


def _cloud_log(level, line, n, user_data):
    ref = _cloud_logs.get(user_data)
    client = ref() if ref is not None else None
    if client is None:
        return
    try:
        name = LOG_LEVELS[level] if 0 <= level < len(LOG_LEVELS) else str(level)
        client._log_fn(name, ctypes.string_at(line, n).decode("utf-8", "replace"))
    except BaseException:
        log.exception("ringoverbot: the cloud client's log callback raised")


_CLOUD_LOG = _LOG(_cloud_log)


class CloudClient(_Handle):
    """The HTTP(S)/WebSocket client every cloud provider of a process shares. Give it to a
    Server (cloud_client=) so that the server's loop services its sockets and /metrics counts
    its failures. log: callable(level_name, json_line), called from the client's loop thread
    (API keys never appear in a line); None = JSON lines on stderr."""

    def __init__(self, ca_file=None, https_proxy=None, no_proxy=(), log=None,
                 min_log_level="info"):
        p = _CloudClientParams()
        _cloud_init(ctypes.byref(p), ctypes.sizeof(p))
        p.ca_file = text_arg(ca_file)
        p.https_proxy = text_arg(https_proxy)
        hosts = [text_arg(h) for h in no_proxy]
        arr = (c_char_p * max(1, len(hosts)))(*hosts)
        p.no_proxy = arr
        p.no_proxy_count = len(hosts)
        if min_log_level not in LOG_LEVELS:
            raise ValueError(f"min_log_level must be one of {LOG_LEVELS}")
        p.min_log_level = LOG_LEVELS.index(min_log_level)
        key = None
        if log is not None:
            # One module-wide trampoline finds this object by key: the C client may outlive
            # it (a call still holding a provider), and then its lines are dropped.
            key = next(_keys)
            _cloud_logs[key] = weakref.ref(self, lambda _, k=key: _cloud_logs.pop(k, None))
            self._log_fn = log
            p.log = _CLOUD_LOG
            p.log_user_data = key
        h = c_void_p()
        try:
            check_create(_cloud_create(ctypes.byref(p), ctypes.byref(h)))
        except BaseException:
            _cloud_logs.pop(key, None)
            raise
        super().__init__(h.value, _cloud_destroy)

    def error_count(self, provider=None, kind=None):
        """Failures so far (retries included) of provider ("openai", "deepgram", "elevenlabs";
        None = all) and kind ("dns", "connect", "tls", "timeout", "unauthorized",
        "rate_limited", "client_error", "server_error", "dropped", "protocol"; None = all)."""
        n = c_uint64()
        check(_cloud_errors(self._c_handle(), text_arg(provider), text_arg(kind),
                            ctypes.byref(n)))
        return n.value


class _CloudProvider(_Handle):
    """A cloud provider made on a CloudClient from its params struct's fields (None = the
    default; the deadline fields connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms,
    max_attempts: 0 = the default)."""

    _params = None
    _destroy = None
    _name_fn = None

    def __init__(self, client, **settings):
        if not isinstance(client, CloudClient):
            raise TypeError(f"client: expected a CloudClient, got {type(client).__name__}")
        params_type = type(self)._params
        init, create = _CLOUD_FACTORIES[params_type]
        p = params_type()
        init(ctypes.byref(p), ctypes.sizeof(p))
        known = {name for name, _ in params_type._fields_} - {"struct_size"}
        for name, value in settings.items():
            if name not in known:
                raise TypeError(f"unknown setting {name!r} for {type(self).__name__}")
            if value is None:
                continue
            if isinstance(value, (str, bytes)):
                value = text_arg(value)
            elif isinstance(value, bool):
                value = int(value)
            setattr(p, name, value)
        h = c_void_p()
        check_create(create(ctypes.byref(p), client._c_handle(), ctypes.byref(h)))
        super().__init__(h.value, type(self)._destroy, (client,))

    @property
    def name(self):
        return _cstr(type(self)._name_fn(self._c_handle()))


class OpenAiLlm(_CloudProvider):
    """OpenAI-compatible streamed chat completions. Settings: base_url, api_key, model,
    temperature (< 0: not sent), max_tokens (0: not sent), tools, and the deadlines."""
    _params = _OpenAiLlmParams
    _destroy = _llm_destroy
    _name_fn = _llm_name


class DeepgramStt(_CloudProvider):
    """Deepgram live transcription (a ws(s):// base_url). Settings: base_url, api_key, model,
    language, endpointing_ms, utterance_end_ms, interim_results, vad_events, keepalive_ms, and
    the deadlines."""
    _params = _DeepgramSttParams
    _destroy = _stt_destroy
    _name_fn = _stt_name


class OpenAiStt(_CloudProvider):
    """OpenAI transcriptions, one request per turn. Settings: base_url, api_key, model,
    language ("" = detected), preroll_ms, max_turn_ms, and the deadlines."""
    _params = _OpenAiSttParams
    _destroy = _stt_destroy
    _name_fn = _stt_name


class ElevenLabsTts(_CloudProvider):
    """ElevenLabs streaming synthesis. Settings: base_url, api_key, voice_id, model_id, and the
    deadlines."""
    _params = _ElevenLabsTtsParams
    _destroy = _tts_destroy
    _name_fn = _tts_name


class OpenAiTts(_CloudProvider):
    """OpenAI speech synthesis (24 kHz PCM). Settings: base_url, api_key, model, voice, speed,
    and the deadlines."""
    _params = _OpenAiTtsParams
    _destroy = _tts_destroy
    _name_fn = _tts_name


class Dialog:
    """What a host reads from a dialog file: greeting, fallback, expected phrases, replies."""

    def __init__(self, dialog_json):
        data = text_arg(dialog_json)
        h = c_void_p()
        check_create(_dialog_parse(data, len(data), ctypes.byref(h)))
        try:
            self.greeting = _cstr(_dialog_greeting(h))
            self.fallback = _cstr(_dialog_fallback(h))
            self.phrases = [_cstr(_dialog_phrase(h, i)) for i in range(_dialog_phrase_count(h))]
            self.replies = [_cstr(_dialog_reply(h, i)) for i in range(_dialog_reply_count(h))]
        finally:
            _dialog_destroy(h)


def providers_struct(stt, llm, tts, fallback_tts=None):
    """A rob_providers for a call or a server (the objects must outlive the call)."""
    p = ProvidersC()
    _providers_init(ctypes.byref(p), ctypes.sizeof(p))
    for field, value, kind in (("stt", stt, SttProvider), ("llm", llm, LlmProvider),
                               ("tts", tts, TtsProvider), ("fallback_tts", fallback_tts, None)):
        if value is None:
            if field != "fallback_tts":
                raise ValueError(f"{field} is required")
            continue
        if not hasattr(value, "_c_handle"):
            raise TypeError(f"{field}: expected a provider, got {type(value).__name__}")
        setattr(p, field, value._c_handle())
    return p
