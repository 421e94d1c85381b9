"""server: the whole agent as a network service (examples/ringoverbot-agent.md) run from Python.

    server = Server(stt, llm, tts, host="127.0.0.1", port=0, greeting="Hello.")
    threading.Thread(target=server.run).start()     # serves until stop()
    print(server.port)
    ...
    server.stop()                                    # any thread

run() releases the GIL while it serves; Python providers are called on its thread.
"""
import collections
import ctypes
from ctypes import POINTER, c_char_p, c_double, c_int, c_int32, c_size_t, c_uint32, c_uint64
from ctypes import c_void_p

from . import _lib
from ._lib import RobError, check, check_create, check_struct, fn, rob_free, text_arg
from .agent import CallParams
from .providers import ProvidersC, log, providers_struct
from .webhook import _BODY_POLICIES, _VerifierParams
from .webhook import _params_init as _webhook_params_init

__all__ = ["Server", "ServerStats", "recording_stem"]

ROB_STRUCT_SERVER_PARAMS = 19
ROB_STRUCT_SERVER_COUNTERS = 20
LOG_LEVELS = ("debug", "info", "warn", "error")

_LOG = ctypes.CFUNCTYPE(None, c_int32, ctypes.c_void_p, c_size_t, c_void_p)
_ORPHAN = ctypes.CFUNCTYPE(None, c_char_p, c_char_p, c_void_p)

class _ServerParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("host", c_char_p),
        ("port", c_uint32),
        ("ws_path", c_char_p),
        ("webhook_path", c_char_p),
        ("public_url", c_char_p),
        ("stream_token", c_char_p),
        ("webhook", c_void_p),  # const rob_webhook_verifier_params*
        ("call", POINTER(CallParams)),
        ("max_calls", c_uint64),
        ("max_message_bytes", c_uint64),
        ("max_body_bytes", c_uint64),
        ("max_header_bytes", c_uint64),
        ("ping_interval_s", c_uint32),
        ("idle_timeout_s", c_uint32),
        ("http_timeout_s", c_uint32),
        ("permessage_deflate", c_int32),
        ("drain_timeout_s", c_double),
        ("link_window_s", c_double),
        ("min_log_level", c_int32),
        ("log", _LOG),
        ("log_user_data", c_void_p),
        ("cloud_client", c_void_p),  # rob_cloud_client*
        ("ringover_api", c_void_p),  # rob_ringover_api*
        ("rest_transfer_fallback_ms", c_uint32),
        ("rest_call_context", c_int32),
        ("worker", c_void_p),  # const rob_worker*
        ("redis_url", c_char_p),
        ("instance_id", c_char_p),
        ("redis_key_prefix", c_char_p),
        ("redis_heartbeat_s", c_double),
        ("redis_instance_ttl_s", c_double),
        ("redis_reaper_s", c_double),
        ("redis_timeout_s", c_double),
        ("redis_pending_ttl_s", c_double),
        ("redis_dedup_ttl_s", c_double),
        ("on_orphan", _ORPHAN),
        ("orphan_user_data", c_void_p),
        ("recording_dir", c_char_p),
    ]

_STATS = ("calls_active", "calls_total", "calls_refused", "frames_in", "frames_out",
          "bytes_in", "bytes_out", "protocol_errors", "webhooks_accepted", "webhooks_rejected",
          "turns", "barge_ins", "provider_errors")

class _ServerCountersC(ctypes.Structure):
    _fields_ = ([("struct_size", c_uint32)] + [(n, c_uint64) for n in _STATS]
                + [("draining", c_int32), ("calls_orphaned", c_uint64),
                   ("directory_up", c_int32)])

check_struct(ROB_STRUCT_SERVER_PARAMS, _ServerParams)
check_struct(ROB_STRUCT_SERVER_COUNTERS, _ServerCountersC)

_vp = c_void_p
_params_init = fn("rob_server_params_init", None, POINTER(_ServerParams), c_size_t)
_create = fn("rob_server_create", c_int, POINTER(_ServerParams), POINTER(ProvidersC),
             POINTER(c_void_p))
_port = fn("rob_server_port", c_int, _vp)
_run = fn("rob_server_run", c_int, _vp)
_stop = fn("rob_server_stop", None, _vp)
_stats = fn("rob_server_stats", c_int, _vp, POINTER(_ServerCountersC))
_metrics = fn("rob_server_metrics_text", c_int, _vp, POINTER(c_void_p), POINTER(c_size_t))
_destroy = fn("rob_server_destroy", None, _vp)
_recording_stem = fn("rob_recording_stem", c_int, ctypes.c_char_p, ctypes.c_int64,
                     POINTER(c_void_p), POINTER(c_size_t))


def recording_stem(call_id, start_unix_s):
    """The stem of a call's files in recording_dir: "<call id>-<YYYYmmddTHHMMSSZ>" (the
    recording is <stem>.opus)."""
    out, size = c_void_p(), c_size_t()
    check(_recording_stem(text_arg(call_id or ""), int(start_unix_s), ctypes.byref(out),
                          ctypes.byref(size)))
    try:
        return ctypes.string_at(out, size.value).decode("utf-8")
    finally:
        rob_free(out)

ServerStats = collections.namedtuple("ServerStats",
                                     _STATS + ("draining", "calls_orphaned", "directory_up"))

_SERVER_FIELDS = {"host", "port", "ws_path", "webhook_path", "public_url", "stream_token",
                  "max_calls", "max_message_bytes", "max_body_bytes", "max_header_bytes",
                  "ping_interval_s", "idle_timeout_s", "http_timeout_s", "permessage_deflate",
                  "drain_timeout_s", "link_window_s", "rest_transfer_fallback_ms",
                  "rest_call_context", "redis_url",
                  "instance_id", "redis_key_prefix", "redis_heartbeat_s", "redis_instance_ttl_s",
                  "redis_reaper_s", "redis_timeout_s", "redis_pending_ttl_s", "redis_dedup_ttl_s", "recording_dir"}
_SERVER_TEXT = {"host", "ws_path", "webhook_path", "public_url", "stream_token", "redis_url",
                "instance_id", "redis_key_prefix", "recording_dir"}


class Server:
    """rob_server. Settings: the rob_server_params names (host, port, ws_path, ...); call
    settings (greeting, fallback, chunk_ms, ...) go to every call. webhook: a dict of
    rob_webhook_verifier_params fields (call_events_key, contact_call_key, contact_search_key,
    routing_key, ivr_token, body_policy "require_equal"|"use_signed", accept_legacy_hmac,
    reject_replays, replay_cache_size, replay_window_s, leeway_s, v3_window_s); None = no key
    (every webhook is refused). log: callable(level_name, json_line) run on the server thread
    (default: JSON lines on stderr). cloud_client: the CloudClient of the cloud providers, when
    any: the server's loop services its sockets and /metrics counts its failures. ringover_api:
    a RingoverApi (made on that CloudClient): the bot's end_call also hangs up through REST, a
    transfer still unanswered after rest_transfer_fallback_ms (default 4000, 0 = never) goes
    through REST, and with rest_call_context (default True) the call's details reach the LLM. worker:
    this process's seat from run_workers (ringoverbot.workers): the server listens on the group's
    shared port and answers /health and /metrics for the whole group. redis_url (with instance_id,
    redis_heartbeat_s, redis_instance_ttl_s, redis_reaper_s, redis_timeout_s, redis_pending_ttl_s,
    redis_dedup_ttl_s, redis_key_prefix): the call directory shared with other instances;
    on_orphan: callable(call_id, dead_instance) run on the server thread when this instance's
    reaper finds a call of a dead instance. recording_dir: an existing folder where every call is
    recorded as a stereo Ogg Opus file (recording_stem() names it)."""

    def __init__(self, stt, llm, tts, fallback_tts=None, *, log=None, min_log_level="info",
                 webhook=None, cloud_client=None, ringover_api=None, worker=None,
                 on_orphan=None, **settings):
        if worker is not None:
            # A worker serves on its group's address (ringoverbot.workers).
            settings.setdefault("host", worker.host)
            settings.setdefault("port", worker.port)

        p = _ServerParams()
        _params_init(ctypes.byref(p), ctypes.sizeof(p))
        keep = []
        call_settings = {}
        for name, value in settings.items():
            if name in _SERVER_FIELDS:
                if name in _SERVER_TEXT:
                    value = text_arg(value)
                    keep.append(value)
                elif isinstance(value, bool):
                    value = int(value)
                setattr(p, name, value)
            else:
                call_settings[name] = value
        if webhook is not None:
            wp = _VerifierParams()
            _webhook_params_init(ctypes.byref(wp), ctypes.sizeof(wp))
            for name, value in webhook.items():
                if name in ("struct_size", "public_url", "max_body_bytes") or not hasattr(wp, name):
                    raise TypeError(f"unknown webhook setting {name!r}")
                if name == "body_policy":
                    value = _BODY_POLICIES[value]
                elif isinstance(value, str):
                    value = text_arg(value)
                    keep.append(value)
                elif isinstance(value, bool):
                    value = int(value)
                setattr(wp, name, value)
            keep.append(wp)
            p.webhook = ctypes.addressof(wp)
        call = CallParams(**call_settings)
        keep.append(call)
        p.call = ctypes.pointer(call)
        if min_log_level not in LOG_LEVELS:
            raise ValueError(f"min_log_level must be one of {LOG_LEVELS}")
        p.min_log_level = LOG_LEVELS.index(min_log_level)
        self._log_fn = log
        self._log = _LOG(self._on_log) if log is not None else _LOG()
        p.log = self._log
        if cloud_client is not None:
            p.cloud_client = cloud_client._c_handle()
        if ringover_api is not None:
            p.ringover_api = ringover_api._c_handle()
        if worker is not None:
            p.worker = worker._c_handle()
        self._orphan_fn = on_orphan
        self._orphan = _ORPHAN(self._on_orphan) if on_orphan is not None else _ORPHAN()
        p.on_orphan = self._orphan
        self._providers = (stt, llm, tts, fallback_tts, cloud_client, ringover_api, worker)
        provs = providers_struct(stt, llm, tts, fallback_tts)
        h = c_void_p()
        check_create(_create(ctypes.byref(p), ctypes.byref(provs), ctypes.byref(h)))
        self._handle = h.value
        self._running = False

    def _on_log(self, level, line, n, _user_data):
        try:
            name = LOG_LEVELS[level] if 0 <= level < len(LOG_LEVELS) else str(level)
            self._log_fn(name, ctypes.string_at(line, n).decode("utf-8", "replace"))
        except BaseException:
            log.exception("ringoverbot: the server's log callback raised")

    def _on_orphan(self, call_id, dead_instance, _user_data):
        try:
            self._orphan_fn(call_id.decode("utf-8", "replace"),
                            dead_instance.decode("utf-8", "replace"))
        except BaseException:
            log.exception("ringoverbot: the server's on_orphan callback raised")

    def _h(self):
        if self._handle is None:
            raise RobError(_lib.ROB_ERR_INVALID_STATE, "the server was closed")
        return self._handle

    @property
    def port(self):
        return check(_port(self._h()))

    def run(self):
        """Serves until stop(), then drains the live calls. Blocks (without the GIL)."""
        self._running = True
        try:
            check_create(_run(self._h()))
        finally:
            self._running = False

    def stop(self):
        """Asks run() to return. Any thread; repeating it is harmless."""
        if self._handle is not None:
            _stop(self._handle)

    @property
    def stats(self):
        k = _ServerCountersC()
        k.struct_size = ctypes.sizeof(k)
        check(_stats(self._h(), ctypes.byref(k)))
        return ServerStats(*(getattr(k, n) for n in _STATS), bool(k.draining),
                           k.calls_orphaned, bool(k.directory_up))

    def metrics_text(self):
        """The /metrics page (Prometheus text)."""
        ptr, n = c_void_p(), c_size_t()
        check(_metrics(self._h(), ctypes.byref(ptr), ctypes.byref(n)))
        try:
            return ctypes.string_at(ptr, n.value).decode("utf-8", "replace")
        finally:
            rob_free(ptr)

    def close(self):
        """Frees the server. Not while run() is serving on another thread: stop() it and join
        that thread first."""
        if getattr(self, "_handle", None) is not None:
            if self._running:
                raise RobError(_lib.ROB_ERR_INVALID_STATE, "stop the server and wait for run()")
            _destroy(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        if not self._running:
            self.close()

    def __del__(self):
        if not getattr(self, "_running", False):
            self.close()
