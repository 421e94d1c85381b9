"""The SVG timeline of a call, from both ends of the loopback: ringoverbot-call --timeline (the
caller's view) and the agent's recording_dir (the engine's view). Both are opened in headless
Chromium, which must parse them as XML and lay out the lanes and one group per turn."""
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import run_call

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Loaded by Chromium next to the SVG: reads the parsed document of the <object> and writes what
# it found (parse errors, lanes with their laid-out size, turns, marks) into the page, which
# --dump-dom then prints.
PAGE = """<!DOCTYPE html><html><body><pre id="result">pending</pre>
<object id="svg" type="image/svg+xml" data="%s"></object>
<script>
const obj = document.getElementById("svg");
obj.addEventListener("load", () => {
  const doc = obj.contentDocument;
  const out = {};
  if (!doc || !doc.documentElement) { out.error = "no document"; }
  else {
    const root = doc.documentElement;
    out.root = root.localName;
    out.parse_errors = doc.getElementsByTagName("parsererror").length;
    out.data_turns = Number(root.getAttribute("data-turns"));
    out.lanes = [...doc.querySelectorAll("g.lane")].map(g => {
      const b = g.getBBox();
      return {name: g.getAttribute("data-lane"), width: b.width, height: b.height};
    });
    out.envelopes = [...doc.querySelectorAll("path.envelope")].map(p => p.getBBox().height);
    out.turns = [...doc.querySelectorAll("g.turn")].map(g => Number(g.getAttribute("data-turn")));
    out.marks = [...doc.querySelectorAll("g.mark")].map(g => g.getAttribute("data-kind"));
    out.summary = (doc.querySelector("text.summary") || {}).textContent;
  }
  document.getElementById("result").textContent = JSON.stringify(out);
});
</script></body></html>
"""


def rendered(svg_path, tmp_path):
    """What Chromium made of the SVG (the dict the page's script wrote)."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (tests/tools/deps.sh installs it)")
    page = tmp_path / (svg_path.stem + ".html")
    page.write_text(PAGE % svg_path.name)
    local = tmp_path / svg_path.name
    if local != svg_path:
        shutil.copy(svg_path, local)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--allow-file-access-from-files", "--virtual-time-budget=5000",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--dump-dom", page.as_uri()]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail("chromium did not finish within 60 s")
    m = re.search(r'<pre id="result">(.*?)</pre>', r.stdout, re.S)
    if r.returncode != 0 and m is None and "sandbox" in r.stderr.lower():
        pytest.skip(f"chromium cannot run here: {r.stderr.strip()[-300:]}")
    assert m, f"no result from chromium (exit {r.returncode}): {r.stderr[-2000:]}"
    text = m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<") \
        .replace("&gt;", ">")
    assert text != "pending", "the SVG never loaded"
    return json.loads(text)


def check_picture(seen, turns):
    assert seen.get("root") == "svg", seen
    assert seen["parse_errors"] == 0
    assert [lane["name"] for lane in seen["lanes"]] == ["caller", "bot"]
    for lane in seen["lanes"]:
        assert lane["width"] > 500 and lane["height"] > 50, lane
    assert len(seen["envelopes"]) == 2
    assert all(h > 10 for h in seen["envelopes"]), seen["envelopes"]  # audio on both lanes
    assert seen["turns"] == list(range(turns))
    assert seen["data_turns"] == turns
    assert seen["summary"].startswith(f"{turns} turns")


def test_timeline_of_a_call_from_the_simulator_and_the_agent(start_agent, tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    config = tmp_path / "agent.json"
    # The transfer is acted on without a confirmation question (the engine's gates are tested
    # elsewhere): the picture must show it as an action.
    config.write_text(json.dumps({"recording_dir": str(calls), "call": {"action_confidence": 0}}))
    agent = start_agent("--config", str(config))
    svg = tmp_path / "call.svg"
    r = run_call("--url", agent.ws_url, "--say", "what are your opening hours",
                 "--say", "transfer me to sales", "--barge-in", "--transcribe", "off",
                 "--timeline", str(svg), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["timeline"] == str(svg)
    call = report["calls"][0]
    turns = len(call["turns"])  # the greeting and one per line
    assert turns == 3

    # The caller's view: the second line barged in, the transfer is an action.
    seen = rendered(svg, tmp_path)
    check_picture(seen, turns)
    assert "barge_in" in seen["marks"]
    assert "action" in seen["marks"]
    assert call["call_id"] in svg.read_text()

    # The engine's view, written when the call ended, named <call_id>-<UTC start>.svg.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not list(calls.glob("*.svg")):
        time.sleep(0.05)
    written = list(calls.glob("*.svg"))  # beside the call's recording (.opus)
    assert len(written) == 1, written
    assert re.fullmatch(re.escape(call["call_id"]) + r"-\d{8}T\d{6}Z\.svg", written[0].name)
    seen = rendered(written[0], tmp_path)
    check_picture(seen, turns)
    assert "barge_in" in seen["marks"]
    assert "action" in seen["marks"]


def test_a_recording_dir_that_cannot_be_written_costs_the_picture_not_the_call(start_agent,
                                                                               tmp_path):
    config = tmp_path / "agent.json"
    missing = tmp_path / "missing"
    missing.mkdir()  # the agent checks that it exists when it starts
    config.write_text(json.dumps({"recording_dir": str(missing)}))
    agent = start_agent("--config", str(config))
    missing.rmdir()  # then the disk goes away under it
    r = run_call("--url", agent.ws_url, "--say", "what are your opening hours",
                 "--transcribe", "off", "--json")
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            line.get("event") == "timeline_failed" for line in agent.log_lines()):
        time.sleep(0.05)
    failed = [line for line in agent.log_lines() if line.get("event") == "timeline_failed"]
    assert len(failed) == 1 and "missing" in failed[0]["error"], agent.log()
    assert agent.health()["status"] == "ok"
