"""workers: per-core worker processes on one port (examples/ringoverbot-agent.md §Workers).

    worker, code = run_workers(count=0, port=8765)   # 0 = one per core; forks here
    if worker is None:
        sys.exit(code)          # the supervisor: every worker has drained after SIGTERM
    server = Server(stt, llm, tts, worker=worker)    # builds its own providers first
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    t = threading.Thread(target=server.run); t.start()
    while t.is_alive(): t.join(0.2)                  # lets the signal handler run
    os._exit(0)                                      # never return into the supervisor's code

Call run_workers first, before any thread, provider, cloud client or server exists: the
supervisor (in the library, single-threaded) forks again whenever it restarts a worker that
died, and a forked child keeps only the forking thread. The workers listen on the shared
address with SO_REUSEPORT; /health and /metrics of any of them answer for the whole group.
"""
import ctypes
from ctypes import POINTER, c_char_p, c_double, c_int, c_int32, c_size_t, c_uint32, c_void_p

from ._lib import RobError, check, check_create, check_struct, fn, text_arg

__all__ = ["Worker", "run_workers", "available_cores"]

ROB_STRUCT_WORKERS_PARAMS = 28
LOG_LEVELS = ("debug", "info", "warn", "error")


class _WorkersParams(ctypes.Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("count", c_uint32),
        ("host", c_char_p),
        ("port", c_uint32),
        ("restart_delay_s", c_double),
        ("stop_timeout_s", c_double),
        ("min_log_level", c_int32),
        ("log", c_void_p),  # rob_log_fn: the supervisor logs to stderr from Python
        ("log_user_data", c_void_p),
    ]


check_struct(ROB_STRUCT_WORKERS_PARAMS, _WorkersParams)

_vp = c_void_p
_params_init = fn("rob_workers_params_init", None, POINTER(_WorkersParams), c_size_t)
_run = fn("rob_workers_run", c_int, POINTER(_WorkersParams), POINTER(c_void_p), POINTER(c_int))
_index = fn("rob_worker_index", c_int, _vp)
_count = fn("rob_worker_count", c_int, _vp)
_port = fn("rob_worker_port", c_int, _vp)
_host = fn("rob_worker_host", c_char_p, _vp)
_destroy = fn("rob_worker_destroy", None, _vp)
_cores = fn("rob_available_cores", c_uint32)


def available_cores():
    """The cores this process may run on (its CPU affinity), at least 1."""
    return int(_cores())


class Worker:
    """rob_worker: this process's seat in its group (give it to Server(worker=...))."""

    def __init__(self, handle):
        self._handle = handle

    def _c_handle(self):
        if self._handle is None:
            raise RobError(-3, "the worker seat was closed")
        return self._handle

    @property
    def index(self):
        return check(_index(self._c_handle()))

    @property
    def count(self):
        return check(_count(self._c_handle()))

    @property
    def port(self):
        return check(_port(self._c_handle()))

    @property
    def host(self):
        return _host(self._c_handle()).decode()

    def close(self):
        if getattr(self, "_handle", None) is not None:
            _destroy(self._handle)
            self._handle = None

    def __del__(self):
        self.close()


def run_workers(count=1, *, host="127.0.0.1", port=8765, restart_delay_s=0.5,
                stop_timeout_s=60.0, min_log_level="info"):
    """Forks `count` workers (0 = one per core) on host:port and supervises them until
    SIGTERM/SIGINT. Returns (Worker, 0) in each worker, (None, exit_code) in the supervisor
    once every worker has ended (0 when all exited 0). RobError when the address cannot be
    bound or a setting is bad (nothing was forked then)."""
    if min_log_level not in LOG_LEVELS:
        raise ValueError(f"min_log_level must be one of {LOG_LEVELS}")
    p = _WorkersParams()
    _params_init(ctypes.byref(p), ctypes.sizeof(p))
    p.count = count
    host_b = text_arg(host)
    p.host = host_b
    p.port = port
    p.restart_delay_s = restart_delay_s
    p.stop_timeout_s = stop_timeout_s
    p.min_log_level = LOG_LEVELS.index(min_log_level)
    handle = c_void_p()
    code = c_int(0)
    check_create(_run(ctypes.byref(p), ctypes.byref(handle), ctypes.byref(code)))
    if handle.value is None:
        return None, code.value
    # The fork happened inside the library: the interpreter's own after-fork work (threading
    # state, locks, os.register_at_fork hooks) is due in the child, as os.fork() would do it.
    ctypes.pythonapi.PyOS_AfterFork_Child()
    return Worker(handle.value), 0
