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


def renderer(name):
    """bench/NAME/render.py as a module (its directory name is not an identifier)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"render_{name.replace('-', '_')}",
                                                  ROOT / "bench" / name / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    # The sections the bench renderers write (bench/*/render.py: the same blocks), so that a
    # re-render of the whole document keeps them current, never stale: the seeds' and the
    # papers' figures, SWIM against the heartbeat detector, the mutation score.
    figures = renderer("figures")
    if figures.RESULTS.exists():
        w("")
        w(figures.block(figures.load()))
    detector = renderer("detector-compare")
    if detector.RESULTS.exists():
        w("")
        w(detector.block(detector.load()))
    mutation = renderer("mutation")
    if (ROOT / "bench/mutation/results.json").exists():
        mdoc, triage = mutation.load([])
        w("")
        w(mutation.block(mdoc, triage))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
