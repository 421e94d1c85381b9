"""webhook: verification of Ringover's signed webhook requests and their typed events.

    v = WebhookVerifier(key="rk_live_...", public_url="https://bot.example.fr/hooks/ringover/calls")
    result = v.verify(method="POST", url=path_and_query, headers=request_headers,
                      body=raw_body_bytes, now=time.time())
    respond(result.http_status)
    if result.ok:
        handle(result.event.kind, result.event.call_id, result.event.json())

The reply builders return the JSON text Ringover expects for call/contact, search/contact and
call/routing.
"""
import ctypes
import enum
import json as _json
import math

from ._lib import RobError, check, check_struct, fn, rob_free
from ._lib import text_arg as _text

__all__ = [
    "WebhookVerifier",
    "WebhookResult",
    "WebhookEvent",
    "EventKind",
    "REASONS",
    "build_contact_reply",
    "build_search_reply",
    "build_routing_reply",
]

_c_char_pp = ctypes.POINTER(ctypes.c_char_p)

ROB_STRUCT_WEBHOOK_VERIFIER_PARAMS = 1
ROB_STRUCT_WEBHOOK_REQUEST = 2

# ROB_WH_* in order.
REASONS = (
    "ok",
    "missing_signature",
    "malformed_token",
    "bad_alg",
    "bad_signature",
    "url_mismatch",
    "body_mismatch",
    "expired",
    "stale_timestamp",
    "body_too_large",
    "bad_json",
    "replayed",
    "no_key",
    "duplicate",
)

_BODY_POLICIES = {"require_equal": 0, "use_signed": 1}

# Names accepted by rob_webhook_result_field.
FIELDS = (
    "resource", "event", "timestamp", "attempt", "id", "call_id", "channel_id", "user_id",
    "direction", "from_number", "to_number", "status", "start_time", "answered_time",
    "hangup_time", "duration_in_seconds", "reason", "code", "query_search", "body",
    "message_id", "conversation_id", "record", "record_link", "voicemail_link",
    "transcription_link", "summary", "comments", "is_internal", "is_anonymous", "is_ivr",
    "ivr_number", "ivr_scenario_name", "ivr_name", "user_firstname", "user_lastname",
    "user_email",
)


class EventKind(enum.IntEnum):
    """ROB_WH_EVENT_*."""

    NONE = 0
    UNKNOWN = 1
    CALL_RINGING = 2
    CALL_ANSWERED = 3
    CALL_HANGUP = 4
    CALL_MISSED = 5
    CALL_VOICEMAIL = 6
    CALL_CONTACT = 7
    CALL_ROUTING = 8
    CALL_IVR_RESPONSE_CODE = 9
    AFTERCALL_COMMENTS_UPDATED = 10
    AFTERCALL_TAGS_UPDATED = 11
    AFTERCALL_AFTERCALL = 12
    AFTERCALL_RECORD_AVAILABLE = 13
    AFTERCALL_VOICEMAIL_AVAILABLE = 14
    AFTERCALL_TRANSCRIPTION_AVAILABLE = 15
    AFTERCALL_SUMMARY_AVAILABLE = 16
    SEARCH_CONTACT = 17
    SMS_SENT = 18
    SMS_RECEIVED = 19


class _VerifierParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("public_url", ctypes.c_char_p),
        ("call_events_key", ctypes.c_char_p),
        ("contact_call_key", ctypes.c_char_p),
        ("contact_search_key", ctypes.c_char_p),
        ("routing_key", ctypes.c_char_p),
        ("ivr_token", ctypes.c_char_p),
        ("body_policy", ctypes.c_int32),
        ("accept_legacy_hmac", ctypes.c_int32),
        ("reject_replays", ctypes.c_int32),
        ("replay_cache_size", ctypes.c_uint32),
        ("replay_window_s", ctypes.c_double),
        ("leeway_s", ctypes.c_double),
        ("v3_window_s", ctypes.c_double),
        ("max_body_bytes", ctypes.c_uint64),
    ]


class _Request(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("method", ctypes.c_char_p),
        ("url", ctypes.c_char_p),
        ("header_names", _c_char_pp),
        ("header_values", _c_char_pp),
        ("header_count", ctypes.c_size_t),
        ("body", ctypes.POINTER(ctypes.c_uint8)),
        ("body_len", ctypes.c_size_t),
        ("now", ctypes.c_double),
    ]


class _Contact(ctypes.Structure):
    _fields_ = [
        ("uuid", ctypes.c_char_p),
        ("firstname", ctypes.c_char_p),
        ("lastname", ctypes.c_char_p),
        ("company", ctypes.c_char_p),
        ("url", ctypes.c_char_p),
        ("data_keys", _c_char_pp),
        ("data_values", _c_char_pp),
        ("data_count", ctypes.c_size_t),
        ("is_shared", ctypes.c_int32),
    ]


class _ContactNumber(ctypes.Structure):
    _fields_ = [("number", ctypes.c_char_p), ("type", ctypes.c_char_p)]


class _SearchHit(ctypes.Structure):
    _fields_ = [
        ("firstname", ctypes.c_char_p),
        ("lastname", ctypes.c_char_p),
        ("company", ctypes.c_char_p),
        ("url", ctypes.c_char_p),
        ("numbers", ctypes.POINTER(_ContactNumber)),
        ("number_count", ctypes.c_size_t),
    ]


class _RoutingAgent(ctypes.Structure):
    _fields_ = [
        ("number", ctypes.c_char_p),
        ("ring_duration_s", ctypes.c_uint32),
        ("ring_delay_s", ctypes.c_uint32),
        ("is_caller_id", ctypes.c_int32),
    ]


check_struct(ROB_STRUCT_WEBHOOK_VERIFIER_PARAMS, _VerifierParams)
check_struct(ROB_STRUCT_WEBHOOK_REQUEST, _Request)

_vp = ctypes.c_void_p
_params_init = fn("rob_webhook_verifier_params_init", None, ctypes.POINTER(_VerifierParams),
                  ctypes.c_size_t)
_request_init = fn("rob_webhook_request_init", None, ctypes.POINTER(_Request), ctypes.c_size_t)
_create = fn("rob_webhook_verifier_create", ctypes.c_int, ctypes.POINTER(_VerifierParams),
             ctypes.POINTER(_vp))
_destroy = fn("rob_webhook_verifier_destroy", None, _vp)
_verify = fn("rob_webhook_verify", ctypes.c_int, _vp, ctypes.POINTER(_Request),
             ctypes.POINTER(_vp))
_result_destroy = fn("rob_webhook_result_destroy", None, _vp)
_result_reason = fn("rob_webhook_result_reason", ctypes.c_int, _vp)
_result_detail = fn("rob_webhook_result_detail", ctypes.c_char_p, _vp)
_reason_name = fn("rob_webhook_reason_name", ctypes.c_char_p, ctypes.c_int)
_reason_status = fn("rob_webhook_reason_http_status", ctypes.c_int, ctypes.c_int)
_result_field = fn("rob_webhook_result_field", ctypes.c_char_p, _vp, ctypes.c_char_p)
_result_json = fn("rob_webhook_result_json", ctypes.c_void_p, _vp,
                  ctypes.POINTER(ctypes.c_size_t))
_result_kind = fn("rob_webhook_result_kind", ctypes.c_int, _vp)
_build_contact = fn("rob_webhook_build_contact_reply", ctypes.c_int, ctypes.POINTER(_Contact),
                    ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t))
_build_search = fn("rob_webhook_build_search_reply", ctypes.c_int, ctypes.POINTER(_SearchHit),
                   ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p),
                   ctypes.POINTER(ctypes.c_size_t))
_build_routing = fn("rob_webhook_build_routing_reply", ctypes.c_int, ctypes.c_char_p,
                    ctypes.POINTER(_RoutingAgent), ctypes.c_size_t,
                    ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t))


def _number_text(value):
    """A phone number given as str or int."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _text(value)


class WebhookEvent:
    """An accepted event. Every field is text (None when absent): integers are exact decimal
    strings, booleans "0"/"1", phone numbers digits without '+'."""

    __slots__ = ("kind", "raw", "_fields")

    def __init__(self, kind, raw, fields):
        self.kind = kind
        self.raw = raw
        self._fields = fields

    def field(self, name):
        """A field by its C ABI name ("call_id", "ivr_name", ...); None when absent."""
        if name not in FIELDS:
            raise KeyError(name)
        return self._fields.get(name)

    @property
    def fields(self):
        return dict(self._fields)

    def json(self):
        """The trusted envelope parsed with the json module (big integers stay exact)."""
        return _json.loads(self.raw)

    resource = property(lambda self: self._fields.get("resource"))
    event = property(lambda self: self._fields.get("event"))
    call_id = property(lambda self: self._fields.get("call_id"))
    channel_id = property(lambda self: self._fields.get("channel_id"))
    user_id = property(lambda self: self._fields.get("user_id"))
    from_number = property(lambda self: self._fields.get("from_number"))
    to_number = property(lambda self: self._fields.get("to_number"))
    direction = property(lambda self: self._fields.get("direction"))
    status = property(lambda self: self._fields.get("status"))
    timestamp = property(lambda self: self._fields.get("timestamp"))

    def __repr__(self):
        return f"WebhookEvent({self.kind.name}, call_id={self.call_id!r})"


class WebhookResult:
    """The verdict on one request."""

    __slots__ = ("reason", "reason_code", "detail", "event")

    def __init__(self, reason_code, detail, event):
        self.reason_code = reason_code
        self.reason = _reason_name(reason_code).decode()
        self.detail = detail
        self.event = event

    @property
    def ok(self):
        return self.reason_code == 0

    @property
    def duplicate(self):
        """A redelivery of an accepted webhook: answer `http_status` (2xx), do not act on it."""
        return self.reason == "duplicate"

    @property
    def http_status(self):
        return _reason_status(self.reason_code)

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"WebhookResult({self.reason!r}, detail={self.detail!r})"


def _headers_list(headers):
    if headers is None:
        return []
    items = headers.items() if hasattr(headers, "items") else headers
    out = []
    for name, value in items:
        out.append((_text(name), _text(value if value is not None else "")))
    return out


class WebhookVerifier:
    """Verifies webhook requests for one endpoint. `key` is the call-events key (also used for
    every section without its own key). Not thread-safe: one thread at a time."""

    _OPTIONS = {
        "contact_call_key", "contact_search_key", "routing_key", "body_policy",
        "accept_legacy_hmac", "reject_replays", "replay_cache_size", "replay_window_s",
        "leeway_s", "v3_window_s", "max_body_bytes",
    }

    def __init__(self, key=None, public_url=None, ivr_token=None, **options):
        unknown = set(options) - self._OPTIONS
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        if not public_url:
            raise ValueError("public_url is required")
        p = _VerifierParams()
        _params_init(ctypes.byref(p), ctypes.sizeof(p))
        # Keep the encoded strings referenced until create() has copied them.
        self._keep = [_text(public_url), _text(key), _text(options.get("contact_call_key")),
                      _text(options.get("contact_search_key")),
                      _text(options.get("routing_key")), _text(ivr_token)]
        (p.public_url, p.call_events_key, p.contact_call_key, p.contact_search_key,
         p.routing_key, p.ivr_token) = self._keep
        policy = options.get("body_policy", "require_equal")
        if policy not in _BODY_POLICIES:
            raise ValueError("body_policy must be 'require_equal' or 'use_signed'")
        p.body_policy = _BODY_POLICIES[policy]
        p.accept_legacy_hmac = 1 if options.get("accept_legacy_hmac", False) else 0
        p.reject_replays = 1 if options.get("reject_replays", True) else 0
        if "replay_cache_size" in options:
            p.replay_cache_size = int(options["replay_cache_size"])
        for name in ("replay_window_s", "leeway_s", "v3_window_s"):
            if name in options:
                setattr(p, name, float(options[name]))
        if "max_body_bytes" in options:
            p.max_body_bytes = int(options["max_body_bytes"])
        handle = _vp()
        code = _create(ctypes.byref(p), ctypes.byref(handle))
        self._keep = None
        if code < 0:
            raise RobError(code, "invalid webhook verifier options")
        self._handle = handle

    def close(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            _destroy(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def verify(self, *, method="POST", url="", headers=None, body=b"", now):
        """Verifies one request. `headers`: a dict or a list of (name, value) pairs; `body`:
        the exact bytes received; `now`: Unix seconds. Returns a WebhookResult."""
        if not self._handle:
            raise ValueError("verifier is closed")
        if isinstance(body, str):
            body = body.encode("utf-8")
        body = bytes(body)
        now = float(now)
        if not math.isfinite(now):
            raise ValueError("now must be a finite number of seconds")
        pairs = _headers_list(headers)
        names = (ctypes.c_char_p * max(len(pairs), 1))(*[n for n, _ in pairs])
        values = (ctypes.c_char_p * max(len(pairs), 1))(*[v for _, v in pairs])
        body_buf = (ctypes.c_uint8 * max(len(body), 1)).from_buffer_copy(body or b"\0")
        method_b, url_b = _text(method or "POST"), _text(url or "")
        req = _Request()
        _request_init(ctypes.byref(req), ctypes.sizeof(req))
        req.method = method_b
        req.url = url_b
        req.header_names = ctypes.cast(names, _c_char_pp)
        req.header_values = ctypes.cast(values, _c_char_pp)
        req.header_count = len(pairs)
        req.body = ctypes.cast(body_buf, ctypes.POINTER(ctypes.c_uint8))
        req.body_len = len(body)
        req.now = now
        result = _vp()
        check(_verify(self._handle, ctypes.byref(req), ctypes.byref(result)))
        try:
            code = _result_reason(result)
            detail = _result_detail(result).decode("utf-8", "replace")
            event = None
            if code == 0 or REASONS[code:code + 1] == ("duplicate",):
                fields = {}
                for name in FIELDS:
                    value = _result_field(result, name.encode())
                    if value is not None:
                        fields[name] = value.decode("utf-8", "replace")
                size = ctypes.c_size_t()
                ptr = _result_json(result, ctypes.byref(size))
                raw = ctypes.string_at(ptr, size.value).decode("utf-8") if ptr else ""
                event = WebhookEvent(EventKind(_result_kind(result)), raw, fields)
            return WebhookResult(code, detail, event)
        finally:
            _result_destroy(result)


def _take_reply(code, out, size):
    check(code)
    try:
        return ctypes.string_at(out, size.value).decode("utf-8")
    finally:
        rob_free(out)


def build_contact_reply(uuid=None, firstname=None, lastname=None, company=None, url=None,
                        data=None, is_shared=False):
    """The call/contact reply: {"uuid",...,"data":{str:str},"is_shared":bool} as JSON text."""
    items = [(_text(k), _text(str(v))) for k, v in (data or {}).items()]
    keys = (ctypes.c_char_p * max(len(items), 1))(*[k for k, _ in items])
    values = (ctypes.c_char_p * max(len(items), 1))(*[v for _, v in items])
    c = _Contact(_text(uuid), _text(firstname), _text(lastname), _text(company), _text(url),
                 ctypes.cast(keys, _c_char_pp), ctypes.cast(values, _c_char_pp), len(items),
                 1 if is_shared else 0)
    out, size = ctypes.c_void_p(), ctypes.c_size_t()
    return _take_reply(_build_contact(ctypes.byref(c), ctypes.byref(out), ctypes.byref(size)),
                       out, size)


def build_search_reply(hits):
    """The search/contact reply (a JSON array). `hits`: dicts with firstname, lastname,
    company, url and numbers: [(number, type)] or [{"number": .., "type": ..}]."""
    hits = list(hits)
    keep = []
    arr = (_SearchHit * max(len(hits), 1))()
    for i, h in enumerate(hits):
        nums = []
        for n in h.get("numbers", ()):
            number, kind = (n["number"], n.get("type")) if isinstance(n, dict) else n
            nums.append(_ContactNumber(_number_text(number), _text(kind or "")))
        num_arr = (_ContactNumber * max(len(nums), 1))(*nums)
        keep.append(num_arr)
        arr[i] = _SearchHit(_text(h.get("firstname")), _text(h.get("lastname")),
                            _text(h.get("company")), _text(h.get("url")),
                            ctypes.cast(num_arr, ctypes.POINTER(_ContactNumber)), len(nums))
    out, size = ctypes.c_void_p(), ctypes.c_size_t()
    return _take_reply(_build_search(arr, len(hits), ctypes.byref(out), ctypes.byref(size)),
                       out, size)


def build_routing_reply(agents, dispatch="ringall"):
    """The call/routing reply. `agents`: numbers (str/int) or dicts with number,
    ring_duration_s (default 25), ring_delay_s, is_caller_id (default True)."""
    agents = list(agents)
    arr = (_RoutingAgent * max(len(agents), 1))()
    for i, a in enumerate(agents):
        if not isinstance(a, dict):
            a = {"number": a}
        arr[i] = _RoutingAgent(_number_text(a["number"]), int(a.get("ring_duration_s", 0)),
                               int(a.get("ring_delay_s", 0)),
                               1 if a.get("is_caller_id", True) else 0)
    out, size = ctypes.c_void_p(), ctypes.c_size_t()
    return _take_reply(_build_routing(_text(dispatch), arr, len(agents), ctypes.byref(out),
                                      ctypes.byref(size)), out, size)
