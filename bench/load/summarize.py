#!/usr/bin/env python3
"""One quick-suite run of bench/load/run.sh: each scenario's verdict and how late the lab ran.

    summarize.py SUITE_DIR EXIT_CODE HOGS RUN

Reads SUITE_DIR/*/report.json (run_health's metrics.load, docs/checkers.md "Starved runs") and
prints a table and one `bench-result {...}` line.
"""
import json
import pathlib
import sys


def main():
    if len(sys.argv) != 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    suite, rc, hogs, run = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    scenarios = {}
    for rep in sorted(suite.glob("*/report.json")):
        r = json.loads(rep.read_text())
        health = next((c for c in r["checks"] if c["check"] == "run_health"), {})
        load = health.get("metrics", {}).get("load", {})
        starved = r.get("starved")
        scenarios[rep.parent.name] = {
            "verdict": r["verdict"],
            "environment": starved is not None,
            "failing": r["summary"]["failing"],
            "samples": load.get("samples"),
            "starved_samples": load.get("starved"),
            "limit_ms": None if load.get("limit") is None else round(load["limit"] * 1e3, 1),
            "controller_lag_ms": round(load.get("controller_lag_max", 0) * 1e3, 1),
            "engine_lag_ms": None if load.get("engine_lag_max") is None
            else round(load["engine_lag_max"] * 1e3, 2),
            "node_wait_ms": round(load.get("node_wait_max", 0) * 1e3, 1),
            "node_wait_node": load.get("node_wait_max_node"),
            "why": starved.get("reason") if starved else None,
        }
    if not scenarios:
        print(f"summarize.py: no report.json under {suite}", file=sys.stderr)
        return 1
    print(f"run {run}: exit {rc} ({'passed' if rc == 0 else 'environment' if rc == 3 else 'failed'})")
    print(f"  {'scenario':24} {'verdict':8} {'starved':>9} {'ctl lag':>8} {'engine':>8} "
          f"{'node wait (max)':>20}")
    for name, s in scenarios.items():
        verdict = s["verdict"] + ("*" if s["environment"] else "")
        eng = "-" if s["engine_lag_ms"] is None else f"{s['engine_lag_ms']} ms"
        print(f"  {name:24} {verdict:8} {s['starved_samples'] or 0:>3}/{s['samples'] or 0:<5} "
              f"{s['controller_lag_ms']:>5} ms {eng:>8} "
              f"{s['node_wait_ms']:>6} ms ({s['node_wait_node'] or '-'})")
        if s["why"]:
            print(f"    * environment: {s['why']}")
    print("bench-result " + json.dumps({"name": f"load.run{run}", "values": {
        "run": int(run), "hogs": hogs, "exit": rc, "scenarios": scenarios}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
