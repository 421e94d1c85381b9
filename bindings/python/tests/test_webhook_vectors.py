"""Every vector of tests/data/webhooks.json through the Python binding, a fresh verifier each."""
import json

import pytest

from conftest import DATA
from ringoverbot.webhook import WebhookVerifier

_DOC = json.loads((DATA / "webhooks.json").read_text())
_VECTORS = _DOC["vectors"]


def test_vector_file_has_all_vectors():
    assert len(_VECTORS) >= 16


@pytest.mark.parametrize("vector", _VECTORS, ids=[v["name"] for v in _VECTORS])
def test_vector(vector):
    verifier = WebhookVerifier(key=vector["key"], public_url=vector["url"].split("?", 1)[0],
                               ivr_token=_DOC["ivr_token"])
    result = verifier.verify(method=vector["method"], url=vector["url"],
                             headers=vector["headers"], body=vector["body"].encode("utf-8"),
                             now=vector["now"])
    expect = vector["expect"]
    expected = [expect] if isinstance(expect, str) else list(expect)
    assert result.reason in expected, result.detail
    if result.ok:
        assert result.event is not None
        for name, value in vector.get("fields", {}).items():
            assert result.event.field(name) == value, name
        assert result.event.json() == json.loads(vector["body"])
        assert result.http_status == 200
    else:
        assert result.event is None
        assert result.http_status in (400, 401, 413)
