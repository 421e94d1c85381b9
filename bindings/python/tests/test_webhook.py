"""The Python surface of ringoverbot.webhook: options, replays, events, reply builders."""
import base64
import hashlib
import hmac
import json

import pytest

from ringoverbot import RobError
from ringoverbot.webhook import (EventKind, REASONS, WebhookVerifier, build_contact_reply,
                                 build_routing_reply, build_search_reply)

KEY = "rk_test_key_0123"
URL = "https://bot.example.fr/hooks/ringover/calls"
NOW = 1767258190.0


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims, key=KEY, header=None):
    header = header or {"alg": "HS512", "typ": "JWT"}
    signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = hmac.new(key.encode(), signing.encode(), hashlib.sha512).digest()
    return signing + "." + b64url(sig)


def envelope(event="hangup", attempt=1, call_id=8812004471932250113, resource="call"):
    return {"resource": resource, "event": event, "timestamp": 1767258184.6, "attempt": attempt,
            "data": {"call_id": call_id, "channel_id": "55190342", "from_number": 33611223344,
                     "to_number": "+33182880000", "direction": "inbound", "is_ivr": 1}}


def signed(env, key=KEY, url=URL):
    body = json.dumps(env).encode()
    return {"X-Ringover-Webhook-Signature": jwt({"url": url, "payload": env}, key)}, body


def test_accepts_and_parses_a_signed_event():
    v = WebhookVerifier(key=KEY, public_url=URL)
    headers, body = signed(envelope())
    r = v.verify(method="POST", url="/hooks/ringover/calls", headers=headers, body=body, now=NOW)
    assert r.ok and r.reason == "ok" and r.http_status == 200 and bool(r)
    e = r.event
    assert e.kind == EventKind.CALL_HANGUP
    assert e.resource == "call" and e.event == "hangup"
    assert e.call_id == "8812004471932250113"
    assert e.channel_id == "55190342"
    assert e.from_number == "33611223344"
    assert e.to_number == "33182880000"
    assert e.direction == "inbound"
    assert e.field("is_ivr") == "1"
    assert e.field("hangup_time") is None
    assert e.json()["data"]["call_id"] == 8812004471932250113  # exact in Python
    assert json.loads(e.raw) == envelope()
    with pytest.raises(KeyError):
        e.field("not_a_field")


def test_headers_as_pairs_and_any_case():
    v = WebhookVerifier(key=KEY, public_url=URL)
    headers, body = signed(envelope())
    pairs = [("content-type", "application/json")] + [(k.lower(), val)
                                                      for k, val in headers.items()]
    assert v.verify(url=URL, headers=pairs, body=body, now=NOW).ok


def test_rejections_have_reasons_statuses_and_details():
    v = WebhookVerifier(key=KEY, public_url=URL)
    _, body = signed(envelope())
    r = v.verify(url=URL, headers={}, body=body, now=NOW)
    assert r.reason == "missing_signature" and r.http_status == 401 and not r.ok
    assert r.event is None and r.detail
    headers, body = signed(envelope(), key="other")
    assert v.verify(url=URL, headers=headers, body=body, now=NOW).reason == "bad_signature"
    headers, body = signed(envelope(), url="https://evil.example/hook")
    assert v.verify(url=URL, headers=headers, body=body, now=NOW).reason == "url_mismatch"
    headers, _ = signed(envelope(event="missed"))
    r = v.verify(url=URL, headers=headers, body=b"{not json", now=NOW)
    assert r.reason == "bad_json" and r.http_status == 400
    bad_alg = {"Authorization": "Bearer " + jwt({"url": URL, "payload": envelope()},
                                                header={"alg": "HS256"})}
    assert v.verify(url=URL, headers=bad_alg, body=body, now=NOW).reason == "bad_alg"
    assert REASONS[0] == "ok" and REASONS[-1] == "duplicate"


def test_redelivery_is_a_duplicate_late_replay_refused_and_can_be_disabled():
    v = WebhookVerifier(key=KEY, public_url=URL)
    headers, body = signed(envelope(attempt=1))
    assert v.verify(url=URL, headers=headers, body=body, now=NOW).ok
    again = v.verify(url=URL, headers=headers, body=body, now=NOW)
    assert again.reason == "duplicate" and again.duplicate and not again.ok
    assert again.http_status == 200 and again.event.call_id == "8812004471932250113"
    # Ringover's retry of the same event, re-signed with a higher attempt.
    headers2, body2 = signed(envelope(attempt=2))
    retry = v.verify(url=URL, headers=headers2, body=body2, now=NOW)
    assert retry.duplicate and retry.event.field("attempt") == "2"
    # Another event is new; the first signature after the window is a refused replay.
    headers3, body3 = signed(envelope(event="missed", attempt=2))
    assert v.verify(url=URL, headers=headers3, body=body3, now=NOW).ok
    late = v.verify(url=URL, headers=headers, body=body, now=NOW + 601)
    assert late.reason == "replayed" and late.http_status == 401 and late.event is None
    lax = WebhookVerifier(key=KEY, public_url=URL, reject_replays=False)
    assert lax.verify(url=URL, headers=headers, body=body, now=NOW).ok
    assert lax.verify(url=URL, headers=headers, body=body, now=NOW).ok


def test_options_section_keys_policy_legacy_size():
    v = WebhookVerifier(key=KEY, public_url=URL, contact_search_key="search-key")
    search = envelope(event="contact", resource="search")
    headers, body = signed(search, key="search-key")
    r = v.verify(url=URL, headers=headers, body=body, now=NOW)
    assert r.ok and r.event.kind == EventKind.SEARCH_CONTACT
    headers, body = signed(search, key=KEY)
    assert v.verify(url=URL, headers=headers, body=body, now=NOW).reason == "bad_signature"

    use_signed = WebhookVerifier(key=KEY, public_url=URL, body_policy="use_signed")
    headers, _ = signed(envelope())
    r = use_signed.verify(url=URL, headers=headers, body=b"ignored", now=NOW)
    assert r.ok and r.event.call_id == "8812004471932250113"

    body = json.dumps(envelope()).encode()
    legacy = {"X-Ringover-Signature": "sha256=" + hmac.new(KEY.encode(), body,
                                                           hashlib.sha256).hexdigest()}
    assert WebhookVerifier(key=KEY, public_url=URL).verify(
        url=URL, headers=legacy, body=body, now=NOW).reason == "missing_signature"
    assert WebhookVerifier(key=KEY, public_url=URL, accept_legacy_hmac=True).verify(
        url=URL, headers=legacy, body=body, now=NOW).ok

    small = WebhookVerifier(key=KEY, public_url=URL, max_body_bytes=10)
    r = small.verify(url=URL, headers={}, body=b"x" * 11, now=NOW)
    assert r.reason == "body_too_large" and r.http_status == 413

    strict = WebhookVerifier(key=KEY, public_url=URL, leeway_s=0)
    headers = {"X-Ringover-Webhook-Signature": jwt({"url": URL, "payload": envelope(),
                                                    "exp": NOW - 1})}
    assert strict.verify(url=URL, headers=headers, body=body, now=NOW).reason == "expired"

    ts = str(int(NOW) - 400)
    sig = base64.b64encode(hmac.new(KEY.encode(), b"POST" + URL.encode() + body + ts.encode(),
                                    hashlib.sha256).digest()).decode()
    v3 = {"X-Ringover-Webhook-Signature-V3": sig, "X-Ringover-Request-Signature-V3-Timestamp": ts}
    assert WebhookVerifier(key=KEY, public_url=URL).verify(
        url=URL, headers=v3, body=body, now=NOW).reason == "stale_timestamp"
    assert WebhookVerifier(key=KEY, public_url=URL, v3_window_s=500).verify(
        url=URL, headers=v3, body=body, now=NOW).ok


def test_ivr_token():
    v = WebhookVerifier(key=KEY, public_url=URL, ivr_token="s3cr3t")
    body = json.dumps({"resource": "call", "event": "ivr_response_code",
                       "data": {"call_id": "7", "code": 12}}).encode()
    r = v.verify(url=URL + "?token=s3cr3t", body=body, now=NOW)
    assert r.ok and r.event.kind == EventKind.CALL_IVR_RESPONSE_CODE
    assert r.event.field("code") == "12"
    assert v.verify(url=URL + "?token=nope", body=body, now=NOW).reason == "missing_signature"
    assert v.verify(url=URL, body=body, now=NOW).reason == "missing_signature"


def test_bad_options_raise():
    with pytest.raises(ValueError):
        WebhookVerifier(key=KEY)
    with pytest.raises(TypeError):
        WebhookVerifier(key=KEY, public_url=URL, no_such_option=1)
    with pytest.raises(ValueError):
        WebhookVerifier(key=KEY, public_url=URL, body_policy="maybe")
    with pytest.raises(RobError):
        WebhookVerifier(public_url=URL)  # no key nor ivr token
    with pytest.raises(RobError):
        WebhookVerifier(key=KEY, public_url=URL, replay_cache_size=0)
    v = WebhookVerifier(key=KEY, public_url=URL)
    with pytest.raises(ValueError):
        v.verify(url=URL, body=b"{}", now=float("nan"))
    with v:
        pass
    with pytest.raises(ValueError):
        v.verify(url=URL, body=b"{}", now=NOW)


def test_contact_reply():
    text = build_contact_reply(uuid="u-1", firstname="Claire", lastname="Morel",
                               company="Acme", url="https://crm.example.fr/c/1",
                               data={"plan": "gold", "note": "café"}, is_shared=True)
    assert text == ('{"uuid":"u-1","firstname":"Claire","lastname":"Morel","company":"Acme",'
                    '"url":"https://crm.example.fr/c/1","data":{"plan":"gold","note":"café"},'
                    '"is_shared":true}')
    assert json.loads(text)["is_shared"] is True
    assert build_contact_reply(firstname="A") == '{"firstname":"A","data":{},"is_shared":false}'


def test_search_reply():
    text = build_search_reply([
        {"firstname": "Claire", "lastname": "Morel",
         "numbers": [("+33611223344", "mobile"), {"number": 33182880000, "type": "fix"}]},
        {"lastname": "Durand"},
    ])
    assert json.loads(text) == [
        {"firstname": "Claire", "lastname": "Morel",
         "numbers": [{"number": 33611223344, "type": "mobile"},
                     {"number": 33182880000, "type": "fix"}]},
        {"lastname": "Durand", "numbers": []},
    ]
    assert build_search_reply([]) == "[]"
    with pytest.raises(RobError):
        build_search_reply([{"numbers": [("06 12", "mobile")]}])


def test_routing_reply():
    text = build_routing_reply(["+33612345678", {"number": 33187654321, "ring_duration_s": 15,
                                                 "is_caller_id": False}])
    plan = json.loads(text)
    assert plan["name"] == "redirections" and plan["dispatch"] == "ringall"
    assert plan["is_stay_not_connected"] == 1 and plan["ring_overlap"] == 0
    a, b = plan["agents"]
    assert a == {"agent_type": "agent_external", "ring_duration": 25, "ring_delay": 0,
                 "order": 1, "number": 33612345678, "is_pre_answer": 0, "is_caller_id": 1,
                 "is_head_line": 0}
    assert b["number"] == 33187654321 and b["ring_duration"] == 15 and b["order"] == 2
    assert b["is_caller_id"] == 0
    assert '"dispatch":"sequential"' in build_routing_reply(["33612345678"], "sequential")
    with pytest.raises(RobError):
        build_routing_reply([])
    with pytest.raises(RobError):
        build_routing_reply(["abc"])
