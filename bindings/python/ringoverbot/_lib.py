"""Loading libringoverbot and the ABI-wide pieces: result codes, errors, struct checks.

Where the library is looked for, and in which order, is in _library_path.
"""
import ctypes

from . import _library_path

ROB_OK = 0
ROB_DONE = 1
ROB_ERR_INVALID_ARGUMENT = -1
ROB_ERR_BUFFER_TOO_SMALL = -2
ROB_ERR_INVALID_STATE = -3
ROB_ERR_PROVIDER_FAILED = -200
ROB_ERR_TIMEOUT = -201
ROB_ERR_CANCELED = -202
ROB_ERR_NOMEM = -901
ROB_ABI_VERSION = 0


class RobError(Exception):
    """A ROB_ERR_* code returned by the library."""

    def __init__(self, code, message=None):
        self.code = code
        super().__init__(message or f"{strerror(code)} ({code})")


def _load():
    """Returns the loaded library and the path it was loaded from."""
    tried = {}  # what was looked at -> why it was not taken, in order
    for path, where, folder in _library_path.candidates():
        if path.is_absolute() and not path.exists():
            if folder is None:
                tried[f"{path} ({where})"] = "no such file"
            else:
                tried.setdefault(f"{folder} ({where})", "no libringoverbot there")
            continue
        try:
            return ctypes.CDLL(str(path)), str(path)
        except OSError as e:
            tried[f"{path} ({where})"] = str(e)
    looked = "; ".join(f"{what}: {why}" for what, why in tried.items())
    raise OSError(f"libringoverbot not found. Looked at: {looked}. {_library_path.HOW_TO_FIX}")


lib, library_path = _load()  # library_path: the file it was loaded from, as found


def fn(name, restype, *argtypes):
    """Declares one C function's prototype and returns it."""
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_strerror = fn("rob_strerror", ctypes.c_char_p, ctypes.c_int)
_abi = fn("rob_abi_version", ctypes.c_int)
_version = fn("rob_version_string", ctypes.c_char_p)
_struct_size = fn("rob_struct_size", ctypes.c_size_t, ctypes.c_int)
_last_error = fn("rob_last_error_message", ctypes.c_char_p)
rob_free = fn("rob_free", None, ctypes.c_void_p)

if _abi() != ROB_ABI_VERSION:
    raise OSError(f"libringoverbot ABI {_abi()} does not match this binding ({ROB_ABI_VERSION})")


def strerror(code):
    return _strerror(code).decode()


def version():
    return _version().decode()


def check(code):
    """Raises RobError for a negative result code; returns the code otherwise."""
    if code < 0:
        raise RobError(code)
    return code


def check_create(code):
    """check() for the *_create functions: the error carries rob_last_error_message's detail
    (the setting out of range, the JSON path of a bad dialog, the port in use)."""
    if code < 0:
        detail = _last_error().decode("utf-8", "replace")
        raise RobError(code, f"{strerror(code)} ({code})" + (f": {detail}" if detail else ""))
    return code


def text_arg(value):
    """str/bytes/None -> bytes/None for a const char* (NUL bytes refused)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("utf-8")
    elif not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"expected str or bytes, got {type(value).__name__}")
    value = bytes(value)
    if b"\0" in value:
        raise ValueError("text must not contain NUL")
    return value


def check_struct(struct_id, ctype):
    """Refuses to run when a mirrored struct's size differs from the library's."""
    expected = _struct_size(struct_id)
    if expected != ctypes.sizeof(ctype):
        raise OSError(f"{ctype.__name__}: library size {expected}, binding size "
                      f"{ctypes.sizeof(ctype)}")
