import ringoverbot
from ringoverbot import _lib


def test_version_matches_header():
    assert ringoverbot.__version__ == "0.1.0"


def test_strerror_names_codes():
    assert _lib.strerror(-2) == "buffer too small"
    assert _lib.strerror(12345) == "unknown error"


def test_check_raises_with_code():
    try:
        _lib.check(-1)
    except ringoverbot.RobError as e:
        assert e.code == -1
    else:
        raise AssertionError("check(-1) did not raise")
