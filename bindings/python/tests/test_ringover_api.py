"""The Ringover REST client (RingoverApi) against the loopback fixture that behaves like
Ringover's API: bare key, region hosts, 2 requests/s with 429 past it, 204, error bodies."""
import json
import threading
import urllib.error
import urllib.request

import pytest

from ringoverbot import CloudClient, RingoverApi, RingoverApiError, RobError, ringover_base_url
from ringover_fixture import RingoverFixture

EU_KEY = "c0ffee0123456789abcdef0123456789abcdef01"
US_KEY = "US_5ca1ab1e0123456789abcdef0123456789abcd"


@pytest.fixture
def eu():
    f = RingoverFixture([EU_KEY, US_KEY], region="eu")
    yield f
    f.close()


@pytest.fixture
def client():
    c = CloudClient()
    yield c
    c.close()


def test_the_key_chooses_the_region_and_an_override_wins():
    assert ringover_base_url(US_KEY) == "https://public-api-us.ringover.com/v2"
    assert ringover_base_url(EU_KEY) == "https://public-api.ringover.com/v2"
    assert ringover_base_url(US_KEY, "http://127.0.0.1:1/v2") == "http://127.0.0.1:1/v2"


def test_bare_key_accepted_and_a_us_key_only_on_the_us_host(eu, client):
    us = RingoverFixture([EU_KEY, US_KEY], region="us")
    try:
        # The fixture itself refuses a Bearer prefix, as Ringover does.
        req = urllib.request.Request(eu.base_url + "/calls/1001",
                                     headers={"Authorization": "Bearer " + EU_KEY})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == 401
        assert json.loads(e.value.read()) == {"error": "Missing API key"}

        api = RingoverApi(client, api_key=US_KEY, base_url=us.base_url)
        status, body = api.call_details("1001")
        assert status == 200
        assert body["call_list"][0]["channel_id"] == "chan-1001"
        sent = us.requests()[-1]
        assert sent["authorization"] == US_KEY  # bare: no "Bearer "
        assert (sent["method"], sent["path"]) == ("GET", "/v2/calls/1001")

        wrong_host = RingoverApi(client, api_key=US_KEY, base_url=eu.base_url)
        with pytest.raises(RingoverApiError) as e:
            wrong_host.call_details("1001")
        assert e.value.status == 401
        assert "Invalid user" in str(e.value)
    finally:
        us.close()


def test_204_is_an_empty_success_and_errors_carry_the_body_message(eu, client):
    api = RingoverApi(client, api_key=EU_KEY, base_url=eu.base_url)
    status, body = api.current_calls({"call_status": ["ANSWERED"]})
    assert status == 200 and body["current_calls_list_count"] == 1
    assert json.loads(eu.requests()[-1]["body"]) == {"call_status": ["ANSWERED"]}
    assert api.hangup(channel_id="chan-1001") == (204, None)
    assert api.current_calls() == (204, None)  # no call in progress any more
    with pytest.raises(RingoverApiError) as e:
        api.call_details("nope")
    assert e.value.status == 404
    assert "Call not found" in str(e.value)
    with pytest.raises(RobError):  # refused before sending: no channel
        api.transfer("", "101")


def test_channel_controls_send_their_paths_and_bodies(eu, client):
    api = RingoverApi(client, api_key=EU_KEY, base_url=eu.base_url)
    api.transfer("chan-1001", "+33102030405")
    api.send_dtmf("chan-1001", "12#")
    for what in ("record", "hold", "mute"):
        assert api.toggle("chan-1001", what)[0] == 200
    got = [(r["method"], r["path"], r["body"], r["status"]) for r in eu.requests()
           if r["status"] != 429]
    assert got == [
        ("POST", "/v2/channels/chan-1001/events/transfer", '{"phone_number":"+33102030405"}', 200),
        ("POST", "/v2/channels/chan-1001/events/dtmf", '{"dtmf":"12#"}', 200),
        ("POST", "/v2/channels/chan-1001/events/record/toggle", "", 200),
        ("POST", "/v2/channels/chan-1001/events/hold/toggle", "", 200),
        ("POST", "/v2/channels/chan-1001/events/mute/toggle", "", 200),
    ]
    # The body-key settings change what is sent.
    api2 = RingoverApi(client, api_key=EU_KEY, base_url=eu.base_url,
                       transfer_number_field="number")
    with pytest.raises(RingoverApiError) as e:
        api2.transfer("chan-1001", "101")
    assert e.value.status == 400 and "phone_number is required" in str(e.value)


def run_at_once(api, n):
    """n call_details requests from n threads at once; their (status, error) results."""
    results = []
    lock = threading.Lock()

    def one():
        try:
            r = api.call_details("1001")[0]
        except RingoverApiError as e:
            r = e.status
        with lock:
            results.append(r)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_requests_at_once_are_spaced_to_two_a_second_and_none_is_refused(eu, client):
    api = RingoverApi(client, api_key=EU_KEY, base_url=eu.base_url)
    assert run_at_once(api, 6) == [200] * 6
    seen = eu.requests()
    assert [r["status"] for r in seen] == [200] * 6  # the fixture's 2/s check passed them all
    # No second (less the fixture's 100 ms of slack) held three arrivals, however late the
    # first request's connection was.
    spans = [c["t"] - a["t"] for a, c in zip(seen, seen[2:])]
    assert min(spans) >= 0.9, spans
    assert api.counters() == (6, 0)


def test_a_client_too_fast_for_the_limit_backs_off_on_429_and_loses_nothing(eu, client):
    # Paced at 20/s (a wrong setting): Ringover answers 429, the client waits and retries.
    api = RingoverApi(client, api_key=EU_KEY, base_url=eu.base_url, requests_per_second=20,
                      backoff_ms=200)
    assert run_at_once(api, 5) == [200] * 5
    statuses = [r["status"] for r in eu.requests()]
    assert statuses.count(200) == 5
    assert statuses.count(429) >= 1
    sent, limited = api.counters()
    assert limited == statuses.count(429)
    assert sent == len(statuses)


def test_the_key_never_appears_in_a_log_line_or_an_error(eu):
    lines = []
    client = CloudClient(log=lambda level, line: lines.append(line), min_log_level="debug")
    eu.control("POST", "echo_key", True)  # a careless server quotes the key in its errors
    api = RingoverApi(client, api_key=EU_KEY, base_url=eu.base_url)
    with pytest.raises(RingoverApiError) as e:
        api.call_details("nope")
    assert e.value.status == 404
    assert EU_KEY not in str(e.value) and "***" in str(e.value)
    assert api.call_details("1001")[0] == 200
    client.close()
    assert lines, "debug logging produced no line"
    assert any('"provider":"ringover"' in line for line in lines)
    assert not [line for line in lines if EU_KEY in line]
    assert eu.requests()[0]["authorization"] == EU_KEY  # it was sent, only never logged


def test_bad_settings_are_refused(client):
    with pytest.raises(RobError, match="api_key"):
        RingoverApi(client, api_key="")
    with pytest.raises(RobError, match="requests_per_second"):
        RingoverApi(client, api_key=EU_KEY, requests_per_second=0)
    with pytest.raises(RobError, match="base URL"):
        RingoverApi(client, api_key=EU_KEY, base_url="ftp://x")
    with pytest.raises(TypeError):
        RingoverApi(client, api_key=EU_KEY, nonsense=1)
