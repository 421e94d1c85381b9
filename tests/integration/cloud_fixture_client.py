"""Starts tests/fixtures/cloud_fixture.py (the local stand-ins for OpenAI, Deepgram and
ElevenLabs) for a test, and talks to its control API. `cloud` is a pytest fixture: import it."""
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.request
import warnings
import wave
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "cloud_fixture.py"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

OPENAI_KEY = "sk-test-SECRETKEY-123"
DEEPGRAM_KEY = "dg-test-SECRETKEY-456"
ELEVENLABS_KEY = "xi-test-SECRETKEY-789"


class CloudFixture:
    def __init__(self, cert_dir, args, plain, log_path):
        self.plain = plain
        self._log = open(log_path, "wb")
        self.log_path = log_path
        cmd = [PYTHON, str(FIXTURE), "--openai-key", OPENAI_KEY, "--deepgram-key", DEEPGRAM_KEY,
               "--elevenlabs-key", ELEVENLABS_KEY, *args]
        cmd += ["--plain"] if plain else ["--cert-dir", str(cert_dir)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._log)
        line = {}

        def read_line():
            line["text"] = self.proc.stdout.readline()

        reader = threading.Thread(target=read_line, daemon=True)
        reader.start()
        reader.join(60)
        text = line.get("text", b"")
        if not text:
            self.stop()
            raise RuntimeError(f"cloud fixture did not start: {Path(log_path).read_text()}")
        info = json.loads(text)
        if plain:
            self.http_port, self.ws_port, self.ca_file = info["http_port"], info["ws_port"], None
            self.base = f"http://localhost:{self.http_port}/v1"
            self.ws_base = f"ws://localhost:{self.ws_port}/v1"
            self.ssl = None
        else:
            self.http_port, self.ws_port = info["https_port"], info["wss_port"]
            self.ca_file = info["ca_file"]
            self.base = f"https://localhost:{self.http_port}/v1"
            self.ws_base = f"wss://localhost:{self.ws_port}/v1"
            self.ssl = ssl.create_default_context(cafile=self.ca_file)
        self.root = self.base[:-3]

    def env(self):
        """The agent's environment for these fixtures."""
        env = {"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": self.base,
               "DEEPGRAM_API_KEY": DEEPGRAM_KEY, "DEEPGRAM_BASE_URL": self.ws_base,
               "ELEVENLABS_API_KEY": ELEVENLABS_KEY, "ELEVENLABS_BASE_URL": self.base}
        if self.ca_file:
            env["RINGOVERBOT_CA_FILE"] = self.ca_file
        return env

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.root + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10, context=self.ssl) as r:
            return json.loads(r.read())

    def requests(self, service=None):
        recs = self._call("GET", "/_fixture/requests")
        return [r for r in recs if service is None or r["service"] == service]

    def set_faults(self, specs):
        return self._call("POST", "/_fixture/faults", specs)

    def faults(self):
        return self._call("GET", "/_fixture/faults")

    def reset(self):
        return self._call("POST", "/_fixture/reset", {})

    def log(self):
        self._log.flush()
        return Path(self.log_path).read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self._log.close()
        return self.proc.returncode


@pytest.fixture(scope="session")
def cloud_cert_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cloud-certs")


@pytest.fixture
def cloud(cloud_cert_dir, tmp_path):
    """cloud(*fixture_args, plain=False) -> CloudFixture; stopped at the end of the test."""
    started = []

    def start(*args, plain=False):
        f = CloudFixture(cloud_cert_dir, list(args), plain, tmp_path / f"fixture{len(started)}.log")
        started.append(f)
        return f

    yield start
    for f in started:
        f.stop()


def speech_pcm(text, rate):
    """s16le mono PCM of `text` said by flite (kal voice, unlike the fixture's slt) at `rate`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "say.wav")
        subprocess.run(["flite", "-voice", "kal", "-t", text, "-o", out], check=True,
                       stdin=subprocess.DEVNULL, timeout=60)
        with wave.open(out) as w:
            src, pcm = w.getframerate(), w.readframes(w.getnframes())
    if src != rate:
        pcm, _ = audioop.ratecv(pcm, 2, 1, src, rate, None)
    return pcm


def encode(pcm, encoding):
    if encoding == "mulaw":
        return audioop.lin2ulaw(pcm, 2)
    if encoding == "alaw":
        return audioop.lin2alaw(pcm, 2)
    return pcm


def rms_dbfs(pcm):
    import math
    r = audioop.rms(pcm, 2)
    return 20 * math.log10(max(r, 1) / 32768)
