#!/usr/bin/env python3
"""Renders docs/conformance-results.md from suite runs: verdicts and key metrics per implementation.

Reads RUNS/IMPL-main/SCENARIO/report.json (the project's scenarios/) and RUNS/IMPL-extra/...
(bench/conformance/scenarios/), plus each run's history.jsonl for the adapters' start latency.
Every number in the document comes from those files; the hand-written analysis is appended
from --notes verbatim.

--also LABEL=DIR adds another set of the same suites (another seed, or the same seed again):
the stability table compares every verdict across the sets. --rates DIR holds extra single
runs (RATES/ANY/report.json, e.g. from bench/conformance/rates.sh) that count toward the rate
of a verdict that differs between sets. Each set's run-info.json (written by run.sh) names
the commit and seed it ran.
"""

import argparse
import datetime
import json
import os
import statistics
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def checks_of(report):
    return {c.get("check"): c for c in (report or {}).get("checks", [])}


def fmt(x, unit=" s", digits=2):
    if x is None:
        return "–"
    if isinstance(x, (int,)) and not isinstance(x, bool):
        return "%d%s" % (x, unit)
    return ("%." + str(digits) + "f%s") % (x, unit)


def start_latency(run_dir):
    """Median seconds from the controller's node_start to the node's `started` event."""
    starts, lat = {}, []
    try:
        with open(os.path.join(run_dir, "history.jsonl")) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if e.get("kind") == "action" and e.get("action") == "node_start":
                    starts[e.get("node")] = e.get("t")
                elif (e.get("kind") == "event" and e.get("event", {}).get("type") == "started"
                      and e.get("node") in starts):
                    lat.append(e["t"] - starts.pop(e["node"]))
    except OSError:
        return None
    return statistics.median(lat) if lat else None


def read_history(run_dir):
    try:
        with open(os.path.join(run_dir, "history.jsonl")) as f:
            return [json.loads(l) for l in f if l.strip().startswith("{")]
    except (OSError, ValueError):
        return []


def recovery(run_dir, fault, end_action):
    """Seconds from the end of the last FAULT until every affected view is alive for good.

    Computed from the history alone (no bound needed, so it also measures implementations whose
    checker verdict is unknown): for a partition, the views across the cut; for a pause, every
    other node's view of the paused node. Views that never left `alive` count as 0; views not
    alive at the run's end are reported as never.
    """
    h = read_history(run_dir)
    start = end = None
    pairs = []
    nodes = next((e.get("nodes", []) for e in h if e.get("action") == "run_start"), [])
    for e in h:
        if e.get("kind") != "action":
            continue
        if e.get("action") == fault:
            start = e["t"]
            if fault == "partition":
                groups = e.get("groups") or []
                pairs = [(o, m) for g in groups for o in g for h2 in groups if h2 is not g
                         for m in h2]
            else:
                pairs = [(o, e["node"]) for o in nodes if o != e.get("node")]
        elif e.get("action") == end_action and start is not None:
            end = e["t"]
    if start is None or end is None or not pairs:
        return None
    last = {}  # (observer, member) -> (state, t) of the latest event
    left_alive = set()
    for e in h:
        if e.get("kind") != "event" or e.get("event", {}).get("type") != "member":
            continue
        k = (e["node"], e["event"].get("member"))
        if e["t"] >= start and e["event"].get("state") != "alive":
            left_alive.add(k)
        last[k] = (e["event"].get("state"), e["t"])
    lags, never = [], 0
    for k in pairs:
        st = last.get(k)
        if st is None or st[0] != "alive":
            never += 1
        elif k in left_alive:
            lags.append(max(0.0, st[1] - end))
        else:
            lags.append(0.0)
    return {"lag": max(lags) if lags and not never else None, "never": never,
            "views": len(pairs), "changed": len([k for k in pairs if k in left_alive])}


def recovery_cell(r):
    if r is None:
        return "–"
    if r["never"]:
        return "never: %d of %d views still not alive at the end" % (r["never"], r["views"])
    if not r["changed"]:
        return "no view changed"
    return "%s (%d of %d views had changed)" % (fmt(r["lag"]), r["changed"], r["views"])


class Runs:
    def __init__(self, root, impls, label=""):
        self.root, self.impls, self.label = root, impls, label
        self.info = load(os.path.join(root, "run-info.json")) or {}
        self.reports = {}  # (impl, scenario) -> (report, run_dir, set)
        self.na = {}  # (impl, scenario) -> why the suite did not run it (not-applicable.json)
        self.scenarios = []
        for impl in impls:
            for s in ("main", "extra"):
                d = os.path.join(root, "%s-%s" % (impl, s))
                if not os.path.isdir(d):
                    continue
                for name, why in (load(os.path.join(d, "not-applicable.json")) or {}).items():
                    self.na[(impl, name)] = why
                    if (s, name) not in self.scenarios:
                        self.scenarios.append((s, name))
                for name in sorted(os.listdir(d)):
                    rd = os.path.join(d, name)
                    rep = load(os.path.join(rd, "report.json"))
                    if rep is None:
                        continue
                    self.reports[(impl, name)] = (rep, rd, s)
                    if (s, name) not in self.scenarios:
                        self.scenarios.append((s, name))
        self.scenarios.sort(key=lambda x: (x[0] != "main", x[1]))

    def get(self, impl, scenario):
        r = self.reports.get((impl, scenario))
        if r is None and (impl, scenario) in self.na:
            return {"verdict": "not applicable", "reason": self.na[(impl, scenario)],
                    "checks": []}
        return r[0] if r else None

    def check(self, impl, scenario, name):
        return checks_of(self.get(impl, scenario)).get(name)


def verdict_cell(rep):
    if rep is None:
        return "not run"
    v = rep.get("verdict", "?")
    if v == "not applicable":
        return "not applicable (%s)" % rep.get("reason", "")
    bad = [c["check"] for c in rep.get("checks", []) if c.get("verdict") == "fail"]
    unk = [c["check"] for c in rep.get("checks", []) if c.get("verdict") == "unknown"]
    cell = "**%s**" % v if v == "fail" else v
    if bad:
        cell += " (fail: %s)" % ", ".join(bad)
    if unk:
        cell += " (unknown: %s)" % ", ".join(unk)
    return cell


def measured_vs_bound(c):
    if not c:
        return "–"
    m = c.get("measured")
    b = (c.get("bound") or {}).get("value") if isinstance(c.get("bound"), dict) else None
    if m is None and c.get("verdict") == "fail":
        return "not reached (bound %s)" % fmt(b)
    if m is None:
        return "– (%s)" % c.get("verdict", "?")
    return "%s / %s" % (fmt(m), fmt(b))


def heal_cell(c):
    if not c:
        return "–"
    changes = (c.get("metrics") or {}).get("changes") or []
    heals = [ch for ch in changes if ch.get("kind") == "heal"] or changes
    parts = []
    for ch in heals:
        lags = ch.get("lags") or {}
        missing = [k for k, v in lags.items() if v is None]
        if ch.get("convergence") is not None:
            parts.append("%s (bound %s)" % (fmt(ch["convergence"]), fmt(ch.get("bound"))))
        elif missing:
            parts.append("not converged: %d of %d views (%s)" % (len(missing), len(lags),
                                                                 ch.get("status", "?")))
        else:
            parts.append(ch.get("status", "?"))
    return "; ".join(parts) if parts else measured_vs_bound(c)


def refute_cell(c):
    if not c:
        return "–"
    eps = (c.get("metrics") or {}).get("episodes") or []
    out = []
    for ep in eps:
        lags = [v for v in (ep.get("alive_again_after") or {}).values() if v is not None]
        dead = len(ep.get("declared_dead_by") or [])
        sus = ep.get("suspected_by")
        s = "%s %.1f s: " % (ep.get("class", "?"), ep.get("duration", 0))
        s += "alive again everywhere after %s" % fmt(max(lags)) if lags else "no view changed"
        s += ", dead at %d" % dead
        if sus is not None:
            s += ", suspected by %d" % len(sus)
        out.append(s)
    return "; ".join(out) if out else measured_vs_bound(c)


def metric_rows(runs):
    """(label, scenario, function(impl) -> text) for the side-by-side table."""
    def m(scn, chk, f):
        return lambda impl: f(runs.check(impl, scn, chk))

    def metric(scn, chk, key, unit="", digits=2):
        def g(c):
            v = ((c or {}).get("metrics") or {}).get(key)
            return fmt(v, unit, digits) if isinstance(v, (int, float)) else "–"
        return m(scn, chk, g)

    def latency(scn):
        def g(impl):
            r = runs.reports.get((impl, scn))
            return fmt(start_latency(r[1])) if r else "–"
        return g

    def rec(scn, fault, end):
        def g(impl):
            r = runs.reports.get((impl, scn))
            return recovery_cell(recovery(r[1], fault, end)) if r else "–"
        return g

    return [
        ("Join: slowest view convergence / bound", "join-all",
         m("join-all", "membership_convergence", measured_vs_bound)),
        ("Adapter start latency (node_start → started, median)", "join-all", latency("join-all")),
        ("Detection: all live nodes declared the crash (worst) / bound", "crash-detect",
         m("crash-detect", "failure_detection", measured_vs_bound)),
        ("Detection: mean first detection (protocol periods; SWIM ≈ 1.58)", "crash-detect",
         metric("crash-detect", "failure_detection", "mean_first_detection_periods", "", 2)),
        ("False deaths under 10% loss", "lossy-network",
         metric("lossy-network", "accuracy", "false_deaths", "", 0)),
        ("False suspicions under 10% loss", "lossy-network",
         metric("lossy-network", "accuracy", "false_suspicions", "", 0)),
        ("Rumor delivery ratio under 10% loss", "lossy-network",
         metric("lossy-network", "dissemination", "delivery_ratio", "", 3)),
        ("Refutation after a short pause (from history)", "pause-refute",
         rec("pause-refute", "pause", "resume")),
        ("Refutation: suspicion_refutation check", "pause-refute",
         m("pause-refute", "suspicion_refutation", refute_cell)),
        ("Rejoin after a long pause (from history)", "pause-long-rejoin",
         rec("pause-long-rejoin", "pause", "resume")),
        ("Heal after a partition (from history)", "partition-halves-heal",
         rec("partition-halves-heal", "partition", "heal")),
        ("Heal: partition_healing check", "partition-halves-heal",
         m("partition-halves-heal", "partition_healing", heal_cell)),
        ("Heal after a long partition (from history)", "partition-long-heal",
         rec("partition-long-heal", "partition", "heal")),
        ("Heal after 45 s apart, beyond dead retention (from history)",
         "partition-beyond-retention", rec("partition-beyond-retention", "partition", "heal")),
        ("Heal beyond dead retention: partition_healing check", "partition-beyond-retention",
         m("partition-beyond-retention", "partition_healing", heal_cell)),
        ("Dissemination: slowest rumor to all / bound", "rumor-dissemination",
         m("rumor-dissemination", "dissemination", measured_vs_bound)),
        ("Dissemination: delivery ratio", "rumor-dissemination",
         metric("rumor-dissemination", "dissemination", "delivery_ratio", "", 3)),
        ("Messages per rumor (all packets / rumors)", "rumor-dissemination",
         metric("rumor-dissemination", "dissemination", "msgs_per_rumor", "", 1)),
        ("Packets/s per node (max)", "rumor-dissemination",
         metric("rumor-dissemination", "message_load", "max_pkts_sent_per_s", "", 1)),
    ]


def rate_runs(rates_dir):
    """(impl, scenario) -> [(seed, verdict, failing checks)] of every run under RATES_DIR."""
    out = {}
    if not rates_dir or not os.path.isdir(rates_dir):
        return out
    for name in sorted(os.listdir(rates_dir)):
        rep = load(os.path.join(rates_dir, name, "report.json"))
        if rep is None:
            continue
        key = (rep.get("environment", {}).get("impl"), (rep.get("scenario") or {}).get("name"))
        out.setdefault(key, []).append((rep.get("seed"), rep.get("verdict"), failing(rep)))
    return out


def failing(rep):
    return [c["check"] for c in (rep or {}).get("checks", []) if c.get("verdict") in
            ("fail", "unknown")]


def short(rep):
    if rep is None:
        return "–"
    v = rep.get("verdict", "?")
    return "**%s**" % v if v not in ("pass", "not applicable") else v


def set_name(r):
    seed = r.info.get("seed")
    return r.label or ("seed %s" % seed if seed is not None else r.root)


def render_stability(runs, also, rates, impls):
    """The verdict of every scenario x implementation in every set, and the rate of each that
    differs (the sets' runs plus --rates runs)."""
    sets = [runs] + also
    L = ["## Stability: the same suites at another seed and again at the same seed", ""]
    L.append("Each cell lists the verdict of: %s. A verdict that differs between them is a "
             "probabilistic property of the implementation (or of the machine); its rate over "
             "every run made is in the next table." % "; ".join(
                 "%s (commit %s)" % (set_name(r), r.info.get("commit", "?")) for r in sets))
    L.append("")
    L.append("| scenario | " + " | ".join(impls) + " |")
    L.append("|---|" + "---|" * len(impls))
    unstable = []
    same = {i: [0, 0] for i in impls}
    for _, s in runs.scenarios:
        cells = []
        for i in impls:
            reps = [r.get(i, s) for r in sets]
            vs = [rep.get("verdict") for rep in reps if rep is not None]
            cell = " · ".join(short(rep) for rep in reps)
            if len(vs) == len(sets) and len(set(vs)) > 1:
                cell += " (differs)"
                unstable.append((i, s, reps))
            if len(vs) == len(sets):
                same[i][0] += len(set(vs)) == 1
                same[i][1] += 1
            cells.append(cell)
        L.append("| %s | %s |" % (s, " | ".join(cells)))
    L.append("")
    L.append("Verdicts equal in every set: " + "; ".join(
        "%s %d of %d" % (i, same[i][0], same[i][1]) for i in impls if same[i][1]) + ".")
    L.append("")
    L.append("### Rates of the verdicts that differ")
    L.append("")
    if not unstable:
        L.append("None: every verdict is the same in every set.")
        L.append("")
        return L
    L.append("| implementation | scenario | runs | fail or unknown | what failed (run: checks) |")
    L.append("|---|---|---|---|---|")
    for i, s, reps in unstable:
        seen = [(set_name(r), rep.get("verdict"), failing(rep)) for r, rep in zip(sets, reps)]
        seen += [("seed %s" % x[0],) + tuple(x[1:]) for x in rates.get((i, s), [])]
        bad = [x for x in seen if x[1] != "pass"]
        what = "; ".join("%s: %s" % (x[0], ", ".join(x[2]) or x[1]) for x in bad)
        n = len(seen)
        L.append("| %s | %s | %d%s | %d of %d | %s |" % (
            i, s, n, "" if n >= 5 else " (fewer than 5: rate not measured)", len(bad), n, what))
    L.append("")
    return L


def render(runs, notes, also=(), rates=None, sections=()):
    impls = [i for i in runs.impls if any(k[0] == i for k in runs.reports)]
    L = []
    L.append("# Conformance results: reference, Serf, memberlist")
    L.append("")
    L.append("Generated by `bench/conformance/run.sh` (bench/conformance/results.py; "
             "bench/conformance/render.sh re-renders this document from its recorded sets) from "
             "real runs%s, rendered %s. Re-run it to refresh every number below; the analysis "
             "at the end is hand-written (bench/conformance/findings.md)." %
             (" started %s" % runs.info["started"] if runs.info.get("started") else "",
              datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")))
    L.append("")
    L.append("| implementation | version | timing profile (default) | features | backend | kernel "
             "| cpus |")
    L.append("|---|---|---|---|---|---|---|")
    for impl in impls:
        rep = next((r[0] for k, r in runs.reports.items() if k[0] == impl), {})
        imp, env = rep.get("implementation", {}), rep.get("environment", {})
        prof = imp.get("profile", {})
        others = sorted(k[1] for k, r in runs.reports.items()
                        if k[0] == impl and r[0].get("implementation", {}).get("profile") != prof)
        prof = ", ".join("%s %s" % (k, "null" if v is None else v) for k, v in prof.items())
        if others:
            prof += " (another profile in: %s)" % ", ".join(others)
        L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            impl, env.get("impl_version", ""), prof, ", ".join(imp.get("features", [])),
            env.get("backend", ""), env.get("kernel", ""), env.get("cpus", "")))
    L.append("")
    main = [s for t, s in runs.scenarios if t == "main"]
    extra = [s for t, s in runs.scenarios if t == "extra"]
    L.append("Scenarios run: %d from `scenarios/` (%s)%s; the tables below are %s%s." % (
        len(main), ", ".join(main),
        (" and %d from `bench/conformance/scenarios/` (%s)" % (len(extra), ", ".join(extra)))
        if extra else "", set_name(runs),
        (" at commit %s" % runs.info["commit"]) if runs.info.get("commit") else ""))
    L.append("")
    L.append("## Verdicts")
    L.append("")
    L.append("| scenario | " + " | ".join(impls) + " |")
    L.append("|---|" + "---|" * len(impls))
    for _, s in runs.scenarios:
        L.append("| %s | %s |" % (s, " | ".join(verdict_cell(runs.get(i, s)) for i in impls)))
    L.append("")
    if also:
        L += render_stability(runs, list(also), rates or {}, impls)
    L.append("## Key metrics side by side")
    L.append("")
    L.append("| metric | scenario | " + " | ".join(impls) + " |")
    L.append("|---|---|" + "---|" * len(impls))
    for label, scn, f in metric_rows(runs):
        if not any(runs.get(i, scn) for i in impls):
            continue
        L.append("| %s | %s | %s |" % (label, scn, " | ".join(f(i) for i in impls)))
    L.append("")
    L.append("## Slower than the model (guarantee met)")
    L.append("")
    L.append("Each timing check is decided by its guarantee and compares every item with the "
             "epidemic model (docs/checkers.md, Guarantee and model): misses of items, the mean "
             "ratio measured/predicted, the worst. An enforced model (rumor-dissemination, "
             "glomers-broadcast, scale-sweep) fails on a miss; elsewhere it is a finding.")
    L.append("")
    L.append("| scenario | check | " + " | ".join(impls) + " |")
    L.append("|---|---|" + "---|" * len(impls))
    for _, s in runs.scenarios:
        names = []
        for i in impls:
            for c in (runs.get(i, s) or {}).get("checks", []):
                if isinstance(c.get("model"), dict) and c["model"].get("misses") and \
                        c["check"] not in names:
                    names.append(c["check"])
        for n in names:
            cells = []
            for i in impls:
                m = ((runs.get(i, s) and checks_of(runs.get(i, s)).get(n)) or {}).get("model")
                if not isinstance(m, dict):
                    cells.append("–")
                    continue
                w = m.get("worst") or {}
                cells.append("%d of %d, mean %.2fx%s%s" % (
                    m.get("misses", 0), m.get("items", 0), m.get("mean_ratio") or 0,
                    (", worst %.1fx" % w["ratio"]) if w.get("ratio") else "",
                    " (enforced)" if m.get("enforced") else ""))
            L.append("| %s | %s | %s |" % (s, n, " | ".join(cells)))
    L.append("")
    L.append("## Not applicable (a feature the implementation lacks)")
    L.append("")
    seen = {}
    for impl in impls:
        for _, s in runs.scenarios:
            for c in (runs.get(impl, s) or {}).get("checks", []):
                for why in c.get("not_applicable") or []:
                    seen.setdefault((impl, c.get("check"), why), []).append(s)
    for (impl, check, why), scns in sorted(seen.items()):
        L.append("- **%s / %s**: %s (%d scenario(s): %s)" % (impl, check, why, len(scns),
                                                            ", ".join(scns)))
    if not seen:
        L.append("None.")
    L.append("")
    L.append("## Every failing check, as the checker put it")
    L.append("")
    for impl in impls:
        for _, s in runs.scenarios:
            for c in (runs.get(impl, s) or {}).get("checks", []):
                if c.get("verdict") == "fail":
                    reason = c.get("reason", "").replace("|", "/")
                    if len(reason) > 320:
                        reason = reason[:317] + "..."
                    L.append("- **%s / %s / %s**: %s" % (impl, s, c.get("check"), reason))
    L.append("")
    for sec in sections:  # generated elsewhere from their own runs (e.g. state_results.py)
        L.append(sec.rstrip())
        L.append("")
    if notes:
        L.append(notes.rstrip())
        L.append("")
    return "\n".join(L)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", required=True)
    p.add_argument("--impls", default="reference serf memberlist")
    p.add_argument("--notes", default="")
    p.add_argument("--out", required=True)
    p.add_argument("--label", default="", help="name of the --runs set (default: its seed)")
    p.add_argument("--also", action="append", default=[], metavar="LABEL=DIR",
                   help="another set of the same suites to compare verdicts with")
    p.add_argument("--rates", default="", help="directory of extra runs for rates")
    p.add_argument("--section", action="append", default=[], metavar="FILE",
                   help="a generated markdown section to include (e.g. state-results.md)")
    a = p.parse_args()
    runs = Runs(a.runs, a.impls.split(), a.label)
    also = []
    for x in a.also:
        label, sep, d = x.partition("=")
        if not sep or not os.path.isdir(d):
            sys.stderr.write("results.py: --also %s: expected LABEL=DIR with DIR a directory\n" % x)
            return 2
        also.append(Runs(d, a.impls.split(), label))
    if not runs.reports:
        sys.stderr.write("results.py: no report.json under %s/IMPL-main|extra/SCENARIO/\n" % a.runs)
        return 2
    notes = ""
    if a.notes and os.path.exists(a.notes):
        with open(a.notes) as f:
            notes = f.read()
    sections = []
    for path in a.section:
        if not os.path.isfile(path):
            sys.stderr.write("results.py: --section %s: no such file\n" % path)
            return 2
        with open(path) as f:
            sections.append(f.read())
    with open(a.out, "w") as f:
        f.write(render(runs, notes, also, rate_runs(a.rates), sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
