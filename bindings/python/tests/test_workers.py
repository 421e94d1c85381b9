"""ringoverbot.run_workers: a Python host forks worker processes through the library's
supervisor; each serves with Server(worker=...) on the shared port."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import ringoverbot

TESTS = Path(__file__).resolve().parent
BINDING = TESTS.parent

WORKER_SCRIPT = textwrap.dedent("""
    import os, signal, sys, threading
    sys.path[:0] = [{binding!r}, {tests!r}]
    import ringoverbot
    worker, code = ringoverbot.run_workers(2, port={port}, restart_delay_s=0.1,
                                           stop_timeout_s=20)
    if worker is None:
        sys.exit(code)
    from test_agent import PyLlm, PyStt, PyTts
    server = ringoverbot.Server(PyStt(), PyLlm(), PyTts(), worker=worker, greeting="Hi.",
                                drain_timeout_s=5)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    loop = threading.Thread(target=server.run)
    loop.start()
    while loop.is_alive():
        loop.join(0.2)
    server.close()
    worker.close()
    os._exit(0)
""")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_defaults_and_refusals_fork_nothing():
    assert ringoverbot.available_cores() >= 1
    with pytest.raises(ringoverbot.RobError) as e:
        ringoverbot.run_workers(2, host="bot.example.fr")
    assert "not an IP address" in str(e.value)
    with pytest.raises(ValueError):
        ringoverbot.run_workers(2, min_log_level="loud")
    with socket.socket() as s:  # a port held without SO_REUSEPORT
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(ringoverbot.RobError) as e:
            ringoverbot.run_workers(2, port=s.getsockname()[1])
    assert "in use" in str(e.value)


def test_two_python_workers_serve_one_port_and_drain_on_sigterm(tmp_path):
    port = free_port()
    script = tmp_path / "workers.py"
    script.write_text(WORKER_SCRIPT.format(binding=str(BINDING), tests=str(TESTS), port=port))
    log = open(tmp_path / "stderr.log", "wb")
    proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 30
        seen = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "stderr.log").read_text()
            try:
                seen = health(port)
            except OSError:
                time.sleep(0.05)
                continue
            if seen[1].get("workers", {}).get("ready") == 2:
                break
            time.sleep(0.05)
        status, body = seen
        assert status == 200 and body["status"] == "ok"
        assert body["workers"]["count"] == 2 and body["workers"]["alive"] == 2
        assert body["worker"] in (0, 1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            assert "\nringoverbot_workers 2\n" in r.read().decode()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "stderr.log").read_text().splitlines()
             if line.startswith("{")]
    events = [line["event"] for line in lines]
    assert events.count("worker_started") == 2 and events.count("stopped") == 2
    assert events[-1] == "workers_stopped" and lines[-1]["clean"] is True
