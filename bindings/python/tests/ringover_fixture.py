"""Starts tests/fixtures/ringover_rest_fixture.py (a loopback stand-in for Ringover's REST API)
and reads its control API."""
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "ringover_rest_fixture.py"


class RingoverFixture:
    def __init__(self, keys, region="eu"):
        args = [sys.executable, str(FIXTURE), "--region", region]
        for k in keys:
            args += ["--key", k]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the Ringover fixture did not start")
        self.port = json.loads(line)["port"]
        self.base_url = f"http://127.0.0.1:{self.port}/v2"

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/_fixture/{path}", data=data,
                                     method=method)
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def requests(self):
        return self.control("GET", "requests")

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()
