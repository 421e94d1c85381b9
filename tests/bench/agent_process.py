"""One ringoverbot-agent process for the load benches (density.py, soak.py): started on a free
port with a config file, watched through /proc (CPU, RSS, open descriptors), stopped with
SIGTERM; and the load generator (ringoverbot-call --load) run against it."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

# What the talking caller says: a phrase the demo dialog answers without ending the call
# (examples/demo-dialog.json, the "order" intent; its reply is about 4 s long).
TALK_PHRASE = "i would like to check my order"


def render_phrase(path, text=TALK_PHRASE):
    """Renders the caller's phrase once with the flite program (tests/tools/deps.sh installs it)."""
    subprocess.run(["flite", "-voice", "slt", "-t", text, "-o", str(path)], check=True)
    return path


def proc_stat_cpu_s(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_worker_cpu_s(pid, prefix="rob-worker"):
    """utime + stime of the process's threads named prefix* (the provider worker pool: the
    recognizer's decoding, synthesis); None when no thread has that name (an older build)."""
    total, found = 0, False
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if not (task / "comm").read_text().startswith(prefix):
                continue
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])
        found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


def proc_rss_kib(pid):
    m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    return int(m.group(1)) if m else 0


def proc_fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Agent:
    """ringoverbot-agent on its defaults but for max_calls (the load needs more than 200)."""

    def __init__(self, exe, workdir, max_calls, extra=()):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "agent.json"
        config.write_text(json.dumps({"max_calls": max_calls}))
        self.log_path = self.workdir / "agent.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(exe), "--listen", "127.0.0.1:0", "--config", str(config), *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        self.url = self._wait_healthy()

    @property
    def pid(self):
        return self.proc.pid

    @property
    def ws_url(self):
        return self.url.replace("http:", "ws:") + "/ws"

    def _wait_healthy(self, limit_s=60):
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the agent exited {self.proc.returncode}: "
                                   f"{self.log_path.read_text(errors='replace')[-2000:]}")
            text = self.log_path.read_text(errors="replace")
            m = re.search(r'"event":"listening","url":"(http://[^"]+)"', text)
            if m:
                try:
                    urllib.request.urlopen(m.group(1) + "/health", timeout=2).read()
                    return m.group(1)
                except OSError:
                    pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the agent did not become healthy")

    def alive(self):
        return self.proc.poll() is None

    def cpu_s(self):
        return proc_stat_cpu_s(self.pid)

    def worker_cpu_s(self):
        return proc_worker_cpu_s(self.pid)

    def rss_kib(self):
        return proc_rss_kib(self.pid)

    def fds(self):
        return proc_fd_count(self.pid)

    def live_calls(self):
        """The streamer sockets open now, as /health counts them."""
        with urllib.request.urlopen(self.url + "/health", timeout=5) as r:
            return int(json.loads(r.read())["calls"])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def start_load(call_exe, url, calls, duration_s, ramp_s=0, talk=None, extra=()):
    """Starts ringoverbot-call --load ... --json; finish it with finish_load()."""
    cmd = [str(call_exe), "--load", str(calls), "--duration", str(duration_s),
           "--ramp", str(ramp_s), "--url", url, "--json", *extra]
    if talk:
        cmd += ["--talk", str(talk)]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish_load(proc, timeout_s):
    out, err = proc.communicate(timeout=timeout_s)
    try:
        report = json.loads(out)
    except json.JSONDecodeError:
        raise RuntimeError(f"the load generator exited {proc.returncode} without a report: "
                           f"{err.strip()[-2000:]}")
    report["exit_code"] = proc.returncode
    return report
