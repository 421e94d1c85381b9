"""Joins Google Benchmark JSON files with the Python baseline and prints a Markdown table."""
import json
import pathlib
import sys


def human(x):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.2f} {unit}"
    return f"{x:.1f} "


def main(folder):
    folder = pathlib.Path(folder)
    baseline = json.loads((folder / "python-baseline.json").read_text())
    rows = []
    for f in sorted(folder.glob("bench_*.json")):
        for b in json.loads(f.read_text())["benchmarks"]:
            if b.get("run_type") == "aggregate":
                continue
            ops = b.get("items_per_second")
            if ops is None:
                ops = 1e9 / b["real_time"] if b.get("time_unit") == "ns" else None
            rows.append((b["name"], ops, b.get("real_time"), b.get("time_unit"),
                         b.get("bytes_per_second")))
    print("| benchmark | C++ ops/s | C++ time/op | Python stdlib ops/s | ratio |")
    print("|---|---|---|---|---|")
    for name, ops, t, unit, _ in rows:
        py = baseline.get(name)
        ratio = f"{ops / py:.1f}x" if (py and ops) else "n/a"
        pys = human(py) if py else "n/a"
        print(f"| {name} | {human(ops)} | {t:.0f} {unit} | {pys} | {ratio} |")


if __name__ == "__main__":
    main(sys.argv[1])
