"""ringoverbot-agent with RINGOVER_API_KEY, against the loopback stand-in for Ringover's REST API
(tests/fixtures/ringover_rest_fixture.py): a spoken goodbye hangs the call up through REST."""
import json
import subprocess
import sys
import time
import urllib.request

from conftest import ROOT, run_call

FIXTURE = ROOT / "tests" / "fixtures" / "ringover_rest_fixture.py"
KEY = "c0ffee0123456789abcdef0123456789abcdef01"


def fixture_requests(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_fixture/requests", timeout=5) as r:
        return json.loads(r.read())


def test_a_spoken_goodbye_hangs_up_through_rest(start_agent, tmp_path):
    rest = subprocess.Popen([sys.executable, str(FIXTURE), "--key", KEY],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        port = json.loads(rest.stdout.readline())["port"]
        body = json.dumps([{"call_id": "0", "channel_id": "sim-0"}]).encode()
        urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{port}/_fixture/calls", data=body, method="POST"), timeout=5)
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"call": {"action_confidence": 0.0}}))
        agent = start_agent("--config", str(config), env={
            "RINGOVER_API_KEY": KEY, "RINGOVER_BASE_URL": f"http://127.0.0.1:{port}/v2"})
        r = run_call("--json", "--url", agent.ws_url, "--say", "goodbye")
        assert r.returncode == 0, r.stderr + r.stdout
        deadline = time.monotonic() + 5
        hangups = []
        while not hangups and time.monotonic() < deadline:
            hangups = [q for q in fixture_requests(port) if q["path"].endswith("/hangup")]
            time.sleep(0.05)
        assert [(q["method"], q["path"], q["status"], q["authorization"]) for q in hangups] == [
            ("POST", "/v2/channels/sim-0/events/hangup", 204, KEY)]
        details = [q for q in fixture_requests(port) if q["method"] == "GET"]
        assert len(details) == 1 and details[0]["path"].startswith("/v2/calls/")
        logged = [line for line in agent.log_lines() if line.get("event") == "rest_hangup"]
        assert logged and logged[0]["channel_id"] == "sim-0"
        assert KEY not in agent.log_path.read_text()
    finally:
        rest.terminate()
        rest.wait(10)
        rest.stdout.close()
