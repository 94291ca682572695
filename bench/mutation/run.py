#!/usr/bin/env python3
"""Mutation run over the reference node's core: each mutant against the whole suite under the
simulation backend (deterministic, virtual time: a verdict is never the machine's load).

    bench/mutation/run.sh [--sample K] [--seed S] [--files F ...] [--out DIR] [--jobs J]
                          [--ids FILE] [--build DIR] [--scenarios DIR] [--timeout S]

How a mutant is built: the mutated source is written to a scratch copy of its file
(DIR/scratch/wN/...; the committed tree is never written), compiled with the build's own
compile command for that file (from BUILD/compile_commands.json, without -g), put in a copy of
libgossip_core.a in place of the original object, and gossiplab is relinked from BUILD's
objects with lld. Only the one file is recompiled. A compile error is `stillborn` (left out of
the score; compiled without -Werror). The suite (`gossiplab suite SCENARIOS --impl reference --impairment sim`) runs with
a timeout: past it the mutant is `killed` (timeout); a crash of gossiplab is `killed` (crash);
any scenario whose verdict is not the baseline's pass kills it, with the failing checks
recorded. Survivors are triaged in bench/mutation/triage.json (equivalent: why; blind spot:
which property no scenario exercises); render.py reads both.

Writes DIR/results.json and DIR/results.txt. Default DIR: build/mutation.
"""
import argparse
import datetime
import json
import os
import pathlib
import random
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import mutants as M  # noqa: E402

IDLE = ["chrt", "-i", "0", "nice", "-n", "19"]
PROCS = set()
PROCS_LOCK = threading.Lock()
STOP = threading.Event()


def run(cmd, timeout=None, env=None, cwd=None):
    """Runs cmd in its own process group; returns (rc, output, seconds); rc None on timeout."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                         start_new_session=True)
    with PROCS_LOCK:
        PROCS.add(p)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        rc = None
    finally:
        with PROCS_LOCK:
            PROCS.discard(p)
    return rc, out.decode(errors="replace"), time.monotonic() - t0


def suite_verdicts(out_dir):
    """scenario -> (verdict, [failing checks with reason])."""
    res = {}
    for rep in sorted(pathlib.Path(out_dir).glob("*/report.json")):
        try:
            r = json.loads(rep.read_text())
        except (OSError, ValueError):
            res[rep.parent.name] = ("unreadable", [])
            continue
        bad = [{"check": c["check"], "verdict": c["verdict"], "reason": c.get("reason", "")[:300]}
               for c in r.get("checks", []) if c.get("verdict") != "pass"]
        res[rep.parent.name] = (r.get("verdict"), bad)
    for sw in sorted(pathlib.Path(out_dir).glob("*-sweep.json")):
        try:
            f = json.loads(sw.read_text()).get("load_flatness", {})
            res[sw.stem] = (f.get("verdict"), [] if f.get("verdict") == "pass" else
                            [{"check": "load_flatness", "verdict": f.get("verdict"),
                              "reason": str(f.get("reason", ""))[:300]}])
        except (OSError, ValueError):
            res[sw.stem] = ("unreadable", [])
    return res


class Builder:
    """Compiles one mutated file and relinks gossiplab, in a worker's scratch directory."""

    def __init__(self, build, scratch):
        self.build = build
        self.scratch = scratch
        cc = json.loads((build / "compile_commands.json").read_text())
        self.compile = {pathlib.Path(e["file"]).resolve().relative_to(ROOT).as_posix(): e
                        for e in cc if pathlib.Path(e["file"]).resolve().is_relative_to(ROOT)}
        link = (build / "harness/CMakeFiles/gossiplab.dir/link.txt").read_text().split()
        self.link_dir = build / "harness"
        self.core = (build / "reference-node/libgossip_core.a").resolve()
        self.bin_dir = scratch / "bin"
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        self.lib = scratch / "libgossip_core.a"
        self.exe = self.bin_dir / "gossiplab"
        out = [i for i, x in enumerate(link) if x == "-o"][0]
        link[out + 1] = str(self.exe)
        link = [str(self.lib) if (self.link_dir / x).resolve() == self.core else x for x in link]
        link = [x for x in link if x != "-g"]
        self.link = link[:1] + ["-fuse-ld=lld"] + link[1:]
        # gossip-node next to the binary: manifests name {bin}/gossip-node (the sim only parses it)
        node = build / "bin/gossip-node"
        if node.exists() and not (self.bin_dir / "gossip-node").exists():
            os.symlink(node.resolve(), self.bin_dir / "gossip-node")

    def build_mutant(self, rel, text):
        e = self.compile[rel]
        src = self.scratch / "src" / rel
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(text)
        obj = self.scratch / (pathlib.Path(rel).name + ".o")
        args = shlex.split(e["command"])
        # no debug info; warnings are not errors here: a mutant is stillborn only when it does
        # not compile (an unused variable left by a deletion is still a runnable mutant)
        args = [x for x in args if x not in ("-g", "-Werror")]
        i = args.index("-o")
        args[i + 1] = str(obj)
        i = args.index("-c")
        args[i + 1] = str(src)
        t0 = time.monotonic()
        rc, out, _ = run(IDLE + args, timeout=600, cwd=e["directory"])
        if rc != 0:
            return False, out, time.monotonic() - t0
        shutil.copyfile(self.core, self.lib)
        # the archive member's name is the object's file name: replace it
        rc, out2, _ = run(["ar", "r", str(self.lib), str(obj)], timeout=120)
        if rc != 0:
            return False, out2, time.monotonic() - t0
        rc, out3, _ = run(IDLE + self.link, timeout=600, cwd=str(self.link_dir))
        if rc != 0:
            raise RuntimeError("link failed (not the mutant's fault?):\n" + out3[-2000:])
        return True, "", time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=int, default=0, help="K mutants drawn with --seed (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--files", nargs="+", default=None)
    ap.add_argument("--ids", help="a file of mutant ids (one a line) to run instead of a sample")
    ap.add_argument("--out", default=str(ROOT / "build/mutation"))
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--scenarios", default=str(ROOT / "scenarios"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=0, help="suite timeout (s); default 20x the baseline, at least 60")
    ap.add_argument("--resume", help="a results.json of an earlier (interrupted) run of the same sample: its mutants are kept, not rerun")
    ap.add_argument("--budget", type=float, default=0, help="stop starting mutants after this many seconds (0: none); the rest are listed as not run")
    ap.add_argument("--lab", action="store_true")
    a = ap.parse_args()
    if a.lab:
        print("run.sh: --lab is not yet implemented", file=sys.stderr)
        return 2
    build = pathlib.Path(a.build).resolve()
    out = pathlib.Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not (build / "bin/gossiplab").exists():
        print(f"run.sh: {build}/bin/gossiplab missing: build it first (cmake --build {build} --target gossiplab)", file=sys.stderr)
        return 3
    population = M.all_mutants(a.files)
    by_id = {m.id: m for m in population}
    if a.ids:
        ids = [x.split()[0] for x in pathlib.Path(a.ids).read_text().splitlines() if x.strip()]
        missing = [x for x in ids if x not in by_id]
        if missing:
            print(f"run.sh: {a.ids}: unknown mutant ids: {missing[:5]}", file=sys.stderr)
            return 2
        chosen = [by_id[x] for x in ids]
    elif a.sample:
        chosen = random.Random(a.seed).sample(sorted(by_id), min(a.sample, len(by_id)))
        chosen = [by_id[x] for x in chosen]
    else:
        chosen = list(population)
    chosen.sort(key=lambda m: (m.file, m.line, m.col, m.op))
    home = ROOT
    env = dict(os.environ, GOSSIPLAB_HOME=str(home))
    # A sanitizer build (bench/mutation/build-sanitized.sh): a memory error or undefined
    # behaviour aborts the suite, which kills the mutant (crash). Leaks are not memory errors:
    # statics still own objects at exit.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "reference-node"], capture_output=True, text=True).stdout.strip()
    t_start = time.monotonic()

    def suite(exe, dest):
        if dest.exists():
            shutil.rmtree(dest)
        cmd = IDLE + [str(exe), "suite", a.scenarios, "--impl", "reference", "--impairment", "sim", "--out", str(dest)]
        return run(cmd, timeout=a.timeout or None, env=env)

    # baseline: the unmutated build must pass every scenario
    base_dir = out / "baseline"
    rc, log, base_s = suite(build / "bin/gossiplab", base_dir)
    base = suite_verdicts(base_dir)
    bad = {k: v for k, v in base.items() if v[0] != "pass"}
    if rc != 0 or bad or not base:
        print(f"run.sh: the baseline does not pass (rc {rc}): {bad}\n{log[-2000:]}", file=sys.stderr)
        return 1
    if not a.timeout:
        a.timeout = max(60.0, 20 * base_s)
    print(f"mutation: {len(chosen)} of {len(population)} mutants, baseline suite {base_s:.1f} s "
          f"({len(base)} verdicts), timeout {a.timeout:.0f} s, {a.jobs} jobs", flush=True)

    results = {}
    prior_wall = 0.0
    if a.resume:
        prev = json.loads(pathlib.Path(a.resume).read_text())
        want = {m.id for m in chosen}
        for r in prev.get("mutants", []):
            if r["id"] in want:
                results[r["id"]] = r
        prior_wall = prev.get("wall_s", 0.0) + prev.get("prior_wall_s", 0.0)
        print(f"mutation: {len(results)} mutants kept from {a.resume}", flush=True)
    lock = threading.Lock()
    # run in a seeded random order, so that a run stopped by --budget or Ctrl-C has finished
    # a random part of the sample, not its first files
    queue = [m for m in chosen if m.id not in results]
    random.Random(a.seed + 1).shuffle(queue)
    scratch_root = out / "scratch"

    def worker(n):
        scratch = scratch_root / f"w{n}"
        if scratch.exists():
            shutil.rmtree(scratch)
        b = Builder(build, scratch)
        while not STOP.is_set():
            with lock:
                if a.budget and time.monotonic() - t_start > a.budget:
                    return
                if not queue:
                    return
                m = queue.pop(0)
            t0 = time.monotonic()
            orig = (ROOT / m.file).read_text()
            text = orig[:m.start] + m.repl + orig[m.end:]
            rec = {"id": m.id, "file": m.file, "line": m.line, "col": m.col, "op": m.op,
                   "orig": m.orig_line, "mutated": m.new_line, "killed_by": []}
            try:
                ok, blog, bs = b.build_mutant(m.file, text)
                rec["build_s"] = round(bs, 2)
                if not ok:
                    rec["outcome"] = "stillborn"
                    err = [x for x in blog.splitlines() if "error" in x]
                    rec["reason"] = (err[0] if err else blog[-300:])[:300]
                else:
                    dest = scratch / "suite"
                    rc, slog, ss = suite(b.exe, dest)
                    rec["suite_s"] = round(ss, 2)
                    got = suite_verdicts(dest)
                    if rc is None:
                        rec["outcome"], rec["reason"] = "killed", "timeout"
                    elif rc not in (0, 1) or not got:
                        rec["outcome"], rec["reason"] = "killed", f"crash (exit {rc}): {slog.strip().splitlines()[-1][:200] if slog.strip() else ''}"
                    for sc, (v, _) in base.items():
                        gv, checks = got.get(sc, ("missing", []))
                        if gv != v:
                            rec["killed_by"].append({"scenario": sc, "verdict": gv,
                                                     "checks": checks})
                    if "outcome" not in rec:
                        rec["outcome"] = "killed" if rec["killed_by"] else "survived"
            finally:
                src = scratch / "src" / m.file
                if src.exists():
                    src.write_text(orig)  # restored, whatever happened
            rec["wall_s"] = round(time.monotonic() - t0, 2)
            with lock:
                results[m.id] = rec
                k = rec["killed_by"]
                what = (f"{k[0]['scenario']}/{','.join(c['check'] for c in k[0]['checks']) or k[0]['verdict']}"
                        + (f" +{len(k) - 1}" if len(k) > 1 else "")) if k else rec.get("reason", "")
                print(f"[{len(results):3}/{len(chosen)}] {rec['outcome']:9} {rec['wall_s']:6.1f} s  {m.id}  {what[:80]}", flush=True)

    def on_signal(sig, _frame):
        STOP.set()
        with PROCS_LOCK:
            for p in list(PROCS):
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(a.jobs)]
    for t in threads:
        t.start()
    interrupted = False
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.5)
    except KeyboardInterrupt:
        interrupted = True
        print("run.sh: interrupted; writing what was measured", file=sys.stderr)
    wall = time.monotonic() - t_start
    recs = [results[m.id] for m in chosen if m.id in results]
    counts = {k: sum(r["outcome"] == k for r in recs) for k in ("killed", "survived", "stillborn")}
    ops = {}
    for m in population:
        op = m.op.split(".")[0]
        ops[op] = ops.get(op, 0) + 1
    argv = " ".join(shlex.quote(x) for x in sys.argv[1:])
    doc = {
        "command": f"bench/mutation/run.sh {argv}".strip(),
        "commit": commit + ("-dirty" if dirty else ""),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, load average {open('/proc/loadavg').read().split()[0]} at the end",
        "files": a.files or M.DEFAULT_FILES,
        "seed": a.seed, "sample": a.sample, "population": len(population),
        "population_by_operator": ops,
        "baseline_suite_s": round(base_s, 2), "timeout_s": a.timeout, "jobs": a.jobs,
        "wall_s": round(wall, 1), "prior_wall_s": round(prior_wall, 1), "interrupted": interrupted,
        "budget_s": a.budget or None, "resumed_from": a.resume,
        "not_run": len(chosen) - len(recs),
        "mean_wall_per_mutant_s": round(sum(r["wall_s"] for r in recs) / len(recs), 2) if recs else None,
        "counts": counts, "mutants": recs,
    }
    (out / "results.json").write_text(json.dumps(doc, indent=1) + "\n")
    lines = [f"{r['outcome']:9} {r['wall_s']:6.1f} s  {r['id']}  {r['orig']}  =>  {r['mutated']}" for r in recs]
    (out / "results.txt").write_text("\n".join(lines) + "\n")
    print(f"mutation: {len(recs)} mutants in {wall:.0f} s: {counts}; {out}/results.json")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
