"""Ringover's REST API (call control) over a CloudClient: rob_ringover_api of the C ABI.

    client = CloudClient()
    api = RingoverApi(client, api_key=os.environ["RINGOVER_API_KEY"],
                      base_url=os.environ.get("RINGOVER_BASE_URL"))
    details = api.call_details("1234")          # the parsed JSON (None for a 204)
    api.transfer(channel_id, "+33102030405")

Every method blocks until Ringover answers (requests are paced at requests_per_second, 2 by
default, and a 429 is retried after a backoff) and returns (status, parsed JSON or None); a
failed request raises RingoverApiError (its status is the HTTP status, 0 when there was none;
its message is Ringover's, never the key). The paths and body keys marked unverified in the
README are settings (None = the default).
"""
import ctypes
import json
from ctypes import POINTER, c_char_p, c_double, c_int, c_int32, c_size_t, c_uint32, c_uint64, \
    c_void_p

from . import _lib
from ._lib import RobError, check, check_create, check_struct, fn, text_arg
from .providers import CloudClient, _Handle

__all__ = ["RingoverApi", "RingoverApiError", "ringover_base_url"]

ROB_STRUCT_RINGOVER_API_PARAMS = 27
_OPS = {"current_calls": 0, "call_details": 1, "transfer": 2, "dtmf": 3, "record": 4,
        "hold": 5, "mute": 6, "hangup": 7}
_TEXT = ("api_key", "base_url", "current_calls_path", "call_details_path", "transfer_path",
         "transfer_number_field", "dtmf_path", "dtmf_field", "toggle_path", "hangup_path")


class _Params(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("api_key", c_char_p),
        ("base_url", c_char_p),
        ("requests_per_second", c_double),
        ("burst", c_uint32),
        ("max_rate_limited_retries", c_uint32),
        ("backoff_ms", c_uint32),
        ("max_backoff_ms", c_uint32),
        ("connect_timeout_ms", c_uint32),
        ("timeout_ms", c_uint32),
    ] + [(name, c_char_p) for name in _TEXT[2:]]


check_struct(ROB_STRUCT_RINGOVER_API_PARAMS, _Params)
_init = fn("rob_ringover_api_params_init", None, POINTER(_Params), c_size_t)
_create = fn("rob_ringover_api_create", c_int, POINTER(_Params), c_void_p, POINTER(c_void_p))
_destroy = fn("rob_ringover_api_destroy", None, c_void_p)
_request = fn("rob_ringover_api_request", c_int, c_void_p, c_int, c_char_p, c_char_p,
              POINTER(c_int32), POINTER(c_void_p), POINTER(c_size_t))
_counters = fn("rob_ringover_api_counters", c_int, c_void_p, POINTER(c_uint64), POINTER(c_uint64))
_base_url = fn("rob_ringover_base_url", c_int, c_char_p, c_char_p, POINTER(c_void_p))
_last_error = fn("rob_last_error_message", c_char_p)


class RingoverApiError(RobError):
    """A REST request that failed: status is the HTTP status (0 when none came back)."""

    def __init__(self, code, status, message):
        self.status = status
        super().__init__(code, message)


def ringover_base_url(api_key, override=None):
    """The base URL a key's requests go to: override when given, else the key's region
    (US_ keys: https://public-api-us.ringover.com/v2, others: https://public-api.ringover.com/v2)."""
    out = c_void_p()
    check(_base_url(text_arg(api_key), text_arg(override), ctypes.byref(out)))
    try:
        return ctypes.string_at(out.value).decode()
    finally:
        _lib.rob_free(out)


class RingoverApi(_Handle):
    """rob_ringover_api. Settings: the rob_ringover_api_params names (api_key, base_url,
    requests_per_second, burst, max_rate_limited_retries, backoff_ms, max_backoff_ms,
    connect_timeout_ms, timeout_ms and the *_path / *_field settings)."""

    def __init__(self, client, **settings):
        if not isinstance(client, CloudClient):
            raise TypeError(f"client: expected a CloudClient, got {type(client).__name__}")
        p = _Params()
        _init(ctypes.byref(p), ctypes.sizeof(p))
        keep = []
        for name, value in settings.items():
            if name == "struct_size" or not hasattr(p, name):
                raise TypeError(f"unknown RingoverApi setting {name!r}")
            if name in _TEXT:
                value = text_arg(value)
                keep.append(value)
            setattr(p, name, value)
        h = c_void_p()
        check_create(_create(ctypes.byref(p), client._c_handle(), ctypes.byref(h)))
        super().__init__(h.value, _destroy, keep=(client,))

    def _call(self, op, ident=None, arg=None):
        status = c_int32()
        body = c_void_p()
        n = c_size_t()
        code = _request(self._c_handle(), _OPS[op], text_arg(ident), text_arg(arg),
                        ctypes.byref(status), ctypes.byref(body), ctypes.byref(n))
        if code < 0:
            detail = _last_error().decode("utf-8", "replace")
            raise RingoverApiError(code, status.value, detail or _lib.strerror(code))
        text = b""
        if body.value:
            try:
                text = ctypes.string_at(body.value, n.value)
            finally:
                _lib.rob_free(body)
        return status.value, (json.loads(text) if text else None)

    def current_calls(self, filter=None):
        """POST /calls/current with a filter dict (None = {}); (status, the answer or None for
        a 204: no call in progress)."""
        return self._call("current_calls", None, json.dumps(filter) if filter else None)

    def call_details(self, call_id):
        return self._call("call_details", call_id)

    def transfer(self, channel_id, number):
        return self._call("transfer", channel_id, number)

    def send_dtmf(self, channel_id, digits):
        return self._call("dtmf", channel_id, digits)

    def toggle(self, channel_id, what):
        """what: "record", "hold" or "mute"."""
        if what not in ("record", "hold", "mute"):
            raise ValueError("what must be record, hold or mute")
        return self._call(what, channel_id)

    def hangup(self, call_id=None, channel_id=None):
        return self._call("hangup", call_id, channel_id)

    def counters(self):
        """(requests sent, retries included; 429 answers) so far."""
        sent = c_uint64()
        limited = c_uint64()
        check(_counters(self._c_handle(), ctypes.byref(sent), ctypes.byref(limited)))
        return sent.value, limited.value
