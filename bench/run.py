#!/usr/bin/env python3
"""Runs the benchmarks and records what each printed, for docs/performance.md.

    bench/run.py [--small] [--check] [--build DIR] [--out DIR] [NAME ...]

NAME: checkers, impairment, report, scale, load, durability, vm (default: all but load,
durability and vm at --small, all at full
size). Each benchmark's output is saved as OUT/NAME.json: the exact command, the commit, the
date, the machine and its load average before and after, its own output, and the
`bench-result {...}` lines it printed (values and ratios). Full size writes to bench/results/
by default; scripts/performance-doc.py renders docs/performance.md from there.

Every ratio is a cost measured against a reference measured in the same run (lower is
better), so it does not move with the machine's speed or load the way a time does.
--check compares each ratio with bench/ratios.json (the reference values at that size) and
exits 1 when a benchmark broke (failed, or printed no result) or a ratio is more than twice
its reference. A benchmark that cannot run here (exit 3: no namespaces, no browser) is
reported as skipped. The CI runs `--small --check` as the ctest `bench_smoke` (label bench).
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def commands(build, size, tmp):
    """name -> (command, env, why it cannot run at this size or None)."""
    b = str(build / "bin")
    small = size == "small"
    node = shutil.which("node") or "node"
    browser = None if shutil.which("node") and shutil.which("chromium") else \
        "needs node and chromium (scripts/setup.sh --browser)"
    return {
        "checkers": ([f"{b}/bench-checkers"] +
                     (["300000", "250", f"{tmp}/checkers-history.jsonl"] if small else []), {},
                     None),
        "impairment": ([f"{b}/bench-impairment"] + (["10", "0.5", "2000"] if small else []), {},
                       None),
        "report": ([str(ROOT / "bench/report/run.sh"), str(build / "bin/gossiplab_report_fixture"),
                    f"{tmp}/report", node] + (["50", "10000", "3"] if small else []), {}, browser),
        "scale": ([str(ROOT / "bench/scale/run.sh")] + (["10"] if small else ["10", "50", "100", "250"]),
                  {"DURATION": "4" if small else "30", "BOUND": "3" if small else "30",
                   "GOSSIPLAB_BUILD": str(build)}, None),
        "load": ([str(ROOT / "bench/load/run.sh"), "3", "2"],
                 {"GOSSIPLAB_BUILD": str(build), "OUT": f"{tmp}/load"},
                 "runs the quick suite 3 times beside 2 CPU hogs (about 8 minutes)"
                 if small else None),
        "durability": ([str(ROOT / "bench/durability/sigkill.sh"), "20", f"{b}/gossiplab"], {},
                       "20 SIGKILLs (about 2 minutes); the ctest durability_sigkill runs 3"
                       if small else None),
        "vm": ([str(ROOT / "bench/impairment/vm.sh")], {},
               "boots a QEMU guest (minutes); the CI's own VM run is scripts/vm-tests.sh"
               if small else None),
    }


def git(*args):
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "host": platform.node()}


def loadavg():
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return None


def run_one(name, cmd, env, size, out_dir):
    rec = {"name": name, "size": size, "command": " ".join(
        [f"{k}={v}" for k, v in env.items() if k != "GOSSIPLAB_BUILD"] +
        [os.path.relpath(c, ROOT) if c.startswith(str(ROOT)) else c for c in cmd]),
        "commit": git("rev-parse", "--short", "HEAD"),
        # The outputs of this script and of scripts/performance-doc.py do not count.
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", ".",
                          ":!bench/results", ":!docs/performance.md")),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(), "load_before": loadavg()}
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                       text=True)
    rec["seconds"] = round(time.monotonic() - t0, 2)
    rec["load_after"] = loadavg()
    rec["rc"] = p.returncode
    rec["output"] = p.stdout
    rec["stderr"] = p.stderr[-4000:]
    rec["results"] = []
    for line in p.stdout.splitlines():
        if line.startswith("bench-result "):
            try:
                rec["results"].append(json.loads(line[len("bench-result "):]))
            except json.JSONDecodeError as e:
                rec.setdefault("errors", []).append(f"bad bench-result line: {e}")
    (out_dir / f"{name}.json").write_text(json.dumps(rec, indent=1) + "\n")
    return rec


def check(rec, refs):
    """Lines to print, and whether the benchmark broke or regressed."""
    name = rec["name"]
    if rec["rc"] == 3:
        return [f"SKIP {name}: cannot run here ({rec['stderr'].strip().splitlines()[-1:]})"], True
    if rec["rc"] != 0 or not rec["results"]:
        tail = (rec["stderr"] or rec["output"]).strip().splitlines()[-5:]
        return [f"BROKEN {name}: exit {rec['rc']}, {len(rec['results'])} result(s)"] + \
            ["  " + t for t in tail], False
    lines, ok = [], True
    for res in rec["results"]:
        for key, r in res.get("ratios", {}).items():
            full = f"{res['name']}.{key}"
            v, ref = r.get("value"), refs.get(full)
            if v is None:
                lines.append(f"BROKEN {full}: no value ({r.get('what')})")
                ok = False
            elif ref is None:
                lines.append(f"ok {full} = {v:.4g} (no reference in bench/ratios.json)")
            elif v > 2 * ref:
                lines.append(f"REGRESSED {full} = {v:.4g}, more than 2x its reference {ref:.4g} "
                             f"({r.get('what')})")
                ok = False
            else:
                lines.append(f"ok {full} = {v:.4g} ({v / ref:.2f}x its reference {ref:.4g})")
    return lines, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="the CI's small sizes")
    ap.add_argument("--check", action="store_true", help="compare ratios with bench/ratios.json")
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--out", help="where NAME.json go (default: bench/results, or "
                    "BUILD/bench-small with --small)")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    size = "small" if a.small else "full"
    build = pathlib.Path(a.build).resolve()
    out = pathlib.Path(a.out) if a.out else (build / "bench-small" if a.small
                                             else ROOT / "bench/results")
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "tmp"
    tmp.mkdir(exist_ok=True)
    cmds = commands(build, size, tmp)
    names = a.names or [n for n in cmds if not (a.small and cmds[n][2])]
    unknown = [n for n in names if n not in cmds]
    if unknown:
        print(f"run.py: no benchmark named {', '.join(unknown)} (known: {', '.join(cmds)})",
              file=sys.stderr)
        return 2
    refs = {}
    if a.check:
        refs = json.loads((ROOT / "bench/ratios.json").read_text()).get(size, {})
    failed = False
    for n in names:
        cmd, env, why_not = cmds[n]
        if why_not:
            print(f"SKIP {n}: {why_not}")
            continue
        rec = run_one(n, cmd, env, size, out)
        print(f"== {n} ({rec['seconds']} s, exit {rec['rc']}): {rec['command']}")
        if a.check:
            lines, ok = check(rec, refs)
            print("\n".join(lines))
            failed |= not ok
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
