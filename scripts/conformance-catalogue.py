#!/usr/bin/env python3
"""Writes docs/conformance.md: the suite's catalogue (scenario x property x
bound formula x source) with the values measured for one implementation.

    scripts/conformance-catalogue.py SUITE_DIR [> docs/conformance.md]

SUITE_DIR is the output of `gossiplab suite` (one run directory per
scenario, each with report.json). Scenarios without a run are listed with
'not run'.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    suite = pathlib.Path(sys.argv[1])
    out = []
    w = out.append
    scenarios = sorted((ROOT / "scenarios").glob("*.json"))
    impl = env = None
    for f in scenarios:
        rep = suite / f.stem / "report.json"
        if rep.exists():
            r = json.loads(rep.read_text())
            impl = impl or r.get("implementation", {}).get("name") or r.get("impl")
            env = env or r.get("environment")
    w("# The conformance suite")
    w("")
    w("Each scenario in `scenarios/` states what it proves and where the property comes from; its")
    w("bounds are expressions over the implementation's timing profile (docs/node-contract.md),")
    w("so the same file applies to every implementation. Definitions of the checks and their")
    w("default bounds: docs/checkers.md.")
    w("")
    w(f"Measured values: implementation `{impl or 'reference'}`, produced by")
    w("`gossiplab suite --out DIR` then `scripts/conformance-catalogue.py DIR > docs/conformance.md`")
    if env:
        w(f"(kernel {env.get('kernel', '?')}, backend {env.get('backend', '?')}, "
          f"{env.get('cpus', '?')} CPUs).")
    w("")
    w("| scenario | quick | check | bound (formula) | bound (s) | measured | verdict |")
    w("|---|---|---|---|---|---|---|")
    details = []
    for f in scenarios:
        sc = json.loads(f.read_text())
        # A sweep scenario has one run per node count: NAME-nN.
        runs = [(f.stem, suite / f.stem)] if not sc.get("sweep") else [
            (f"{f.stem} (N={n})", suite / f"{f.stem}-n{n}") for n in sc["sweep"]]
        for label, run in runs:
            rep = run / "report.json"
            results = {}
            if rep.exists():
                r = json.loads(rep.read_text())
                for c in r.get("checks", []):
                    results[c["check"]] = c
            for name, opts in sc.get("checks", {}).items():
                c = results.get(name, {})
                bound = c.get("bound") or {}
                expr = opts.get("bound", bound.get("expr", "default"))
                w(f"| {label} | {'yes' if sc.get('quick') else ''} | {name} | `{expr}` | "
                  f"{fmt(bound.get('value'))} | {fmt(c.get('measured'))} | "
                  f"{c.get('verdict', 'not run')} |")
        sweep = suite / f"{f.stem}-sweep.json"
        if sweep.exists():
            flat = json.loads(sweep.read_text()).get("load_flatness", {})
            w(f"| {f.stem} (across N) | | load_flatness | tolerance 25% | - | "
              f"{fmt((flat.get('metrics') or {}).get('spread'))} | {flat.get('verdict', '?')} |")
        details.append((f.stem, sc))
    w("")
    w("## The suite can fail: broken variants of the reference node")
    w("")
    w("`scenarios/tests/broken_variants_test.cpp` (ctest label `integration`) runs the reference")
    w("node with one mechanism disabled (`gossip-node --break MECH`, test-only) against the")
    w("scenario that protects it, and asserts the run fails on the named check with evidence")
    w("about the right node:")
    w("")
    w("| mechanism disabled | scenario | fails on |")
    w("|---|---|---|")
    w("| indirect probes (ping-req) | asymmetric-link | accuracy (false suspicions of n3) |")
    w("| refutation | pause-refute | suspicion_refutation (n4 declared dead) |")
    w("| suspicion (suspect means dead) | pause-refute | suspicion_refutation (n4 declared dead) |")
    w("| seed re-contact | partition-long-heal | partition_healing (the halves never re-merge) |")
    w("| gossip (fanout 1, 10x interval) | rumor-dissemination | dissemination (time to all) |")
    w("| push-pull anti-entropy | isolated-during-join | membership_convergence (n5 never learns n7) |")
    w("")
    w("## Scenarios")
    for name, sc in details:
        w("")
        w(f"### {name}")
        w("")
        w(sc.get("description", ""))
        w("")
        w(f"Source: {sc.get('source', '-')}.")
    # The seeds' and the papers' figures in simulation, rendered from
    # bench/figures/results.json (the same block bench/figures/render.py writes).
    import importlib.util  # noqa: E402
    spec = importlib.util.spec_from_file_location(
        "figures_render", ROOT / "bench/figures/render.py")
    figures_render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures_render)
    if figures_render.RESULTS.exists():
        w("")
        w(figures_render.block(figures_render.load()))
    # SWIM against the heartbeat detector, rendered from bench/detector-compare/results.json
    # (the same block bench/detector-compare/render.py writes).
    sys.path.insert(0, str(ROOT / "bench/detector-compare"))
    spec = importlib.util.spec_from_file_location(
        "detector_render", ROOT / "bench/detector-compare/render.py")
    detector_render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(detector_render)
    if detector_render.RESULTS.exists():
        w("")
        w(detector_render.block(detector_render.load()))
    # The mutation score, rendered from bench/mutation/results.json and triage.json (the same
    # block bench/mutation/render.py writes), so a re-render keeps it current, never stale.
    sys.path.insert(0, str(ROOT / "bench/mutation"))
    import render  # noqa: E402
    if (ROOT / "bench/mutation/results.json").exists():
        mdoc, triage = render.load([])
        w("")
        w(render.block(mdoc, triage))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
