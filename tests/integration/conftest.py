"""Shared fixtures of the loopback integration tests: the example hosts built by tests/run.sh
(build/examples/), an agent started on a free port and stopped with SIGTERM."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("ROB_BUILD_DIR", ROOT / "build"))
EXAMPLES = BUILD / "examples"
DEMO_DIALOG = ROOT / "examples" / "demo-dialog.json"


def binary(name):
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} not built")
    return str(path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Agent:
    """A running ringoverbot-agent; stderr (JSON log lines) goes to a file."""

    def __init__(self, args, env, log_path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [binary("ringoverbot-agent"), "--listen", f"127.0.0.1:{self.port}", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"agent exited {self.proc.returncode}: {self.log()}")
            try:
                self.get("/health")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("agent did not answer /health within 30 s")

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=5) as r:
            return r.status, r.read().decode()

    def health(self):
        return json.loads(self.get("/health")[1])

    def log(self):
        if not self._log.closed:  # stop() closes it
            self._log.flush()
        return Path(self.log_path).read_text(errors="replace")

    def log_lines(self):
        out = []
        for line in self.log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"unparsed": line})
        return out

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


@pytest.fixture
def start_agent(tmp_path):
    """start_agent(*args, env={...}) -> Agent; every agent is stopped at the end of the test."""
    agents = []

    def start(*args, env=None):
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("RINGOVER", "OPENAI", "DEEPGRAM", "ELEVENLABS"))}
        full_env.update(env or {})
        agent = Agent(list(args), full_env, tmp_path / f"agent{len(agents)}.log")
        agents.append(agent)
        return agent

    yield start
    for a in agents:
        a.stop()


def run_call(*args, timeout=120):
    """Runs ringoverbot-call; returns the CompletedProcess (text)."""
    return subprocess.run([binary("ringoverbot-call"), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
