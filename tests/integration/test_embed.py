"""ringoverbot-embed, the server run from C through the C ABI, over loopback: a simulated
call gets the scripted answer, SIGTERM stops it cleanly, bad input exits 2, a busy port 1."""
import json
import signal
import socket
import subprocess
import time
import urllib.request

from conftest import DEMO_DIALOG, binary, free_port, run_call


def start_embed(port, *extra, log=None):
    proc = subprocess.Popen([binary("ringoverbot-embed"), f"127.0.0.1:{port}", *extra],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=log or subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ringoverbot-embed exited {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("ringoverbot-embed did not answer /health within 30 s")


def test_embed_answers_a_call_and_stops_on_sigterm(tmp_path):
    port = free_port()
    log = open(tmp_path / "embed.log", "wb")
    proc = start_embed(port, str(DEMO_DIALOG), log=log)
    try:
        r = run_call("--url", f"ws://127.0.0.1:{port}/ws", "--say", "what time do you open",
                     "--dialog", str(DEMO_DIALOG), "--json", timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        call = json.loads(r.stdout)["calls"][0]
        assert call["ok"], call
        bot = [t["bot"] for t in call["turns"]]
        assert bot[0].startswith("hello you have reached the bakery")
        assert "open from eight" in bot[1]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        log.close()
    lines = [json.loads(x) for x in (tmp_path / "embed.log").read_text().splitlines()
             if x.startswith("{")]
    assert any(x.get("event") == "stopped" for x in lines)


def test_embed_refuses_bad_arguments_and_a_busy_port(tmp_path):
    exe = binary("ringoverbot-embed")
    assert subprocess.run([exe, "nonsense"], capture_output=True).returncode == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"greeting": 3}')
    r = subprocess.run([exe, f"127.0.0.1:{free_port()}", str(bad)], capture_output=True,
                       text=True)
    assert r.returncode == 2
    assert "$.greeting" in r.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        r = subprocess.run([exe, f"127.0.0.1:{s.getsockname()[1]}", str(DEMO_DIALOG)],
                           capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "in use" in r.stderr
