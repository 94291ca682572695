#!/usr/bin/env python3
"""The lab against the simulation: reads the quick-suite runs of bench/crossval/run.sh, puts
each scenario's metrics from the two backends side by side, and renders the section of
docs/simulation.md between "<!-- bench/crossval:begin -->" and "<!-- bench/crossval:end -->".

    render.py --runs DIR [--sets "lab sim"] [--spread "2 3 ..."] [--write]
        read DIR/SET/SCENARIO/report.json (and for the simulation's spread over seeds,
        DIR/sim-seedS/SCENARIO/report.json), print the table; --write also saves the sets in
        bench/crossval/results.json (a set not in --sets keeps its recorded copy) and
        rewrites the document's section
    render.py [--doc docs/simulation.md]   rewrite the section from results.json
    render.py --check                      exit 1 if the section is stale, a difference
                                           beyond 25% has no explanation, or an explanation
                                           explains no such difference
    render.py --print                      print the section

Every number but one comes from the runs' checks (see METRICS); the start spread is read from
history.jsonl's node_start actions. A difference is (sim - lab) / lab; beyond LIMIT (25%) it
needs an entry in bench/crossval/explanations.json keyed "SCENARIO/METRIC": its value is a
reason's id (in "reasons", whose text may refer to another as {note:ID}) or the text itself.
The renderer marks a difference without one as UNEXPLAINED in the document and --check fails
on it, so a new measurement cannot leave the text behind.
"""
import json
import math
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from docsection import arg, mean, median, splice, write_or_check  # noqa: E402
ROOT = HERE.parent.parent
RESULTS = HERE / "results.json"
EXPLANATIONS = HERE / "explanations.json"
BEGIN = "<!-- bench/crossval:begin -->"
END = "<!-- bench/crossval:end -->"
LIMIT = 0.25


def checks_of(rep):
    return {c["check"]: c for c in rep.get("checks", [])}


def detection(key):
    def get(checks):
        fs = (checks.get("failure_detection", {}).get("metrics") or {}).get("failures", [])
        return mean(f.get(key) for f in fs if f.get("status") == "detected")
    return get


def convergence(check, kind):
    def get(checks):
        ch = (checks.get(check, {}).get("metrics") or {}).get("changes", [])
        return mean(c.get("convergence") for c in ch
                    if c.get("kind") == kind and c.get("status") == "converged")
    return get


def refutation(checks):
    eps = (checks.get("suspicion_refutation", {}).get("metrics") or {}).get("episodes", [])
    lags = [v for e in eps for v in (e.get("alive_again_after") or {}).values()
            if isinstance(v, (int, float))]
    return max(lags) if lags else None


def time_to_all(checks):
    rumors = (checks.get("dissemination", {}).get("metrics") or {}).get("rumors", [])
    return median(r.get("p100") for r in rumors if r.get("delivery_ratio") == 1.0)


def first_delivery(checks):
    rumors = (checks.get("dissemination", {}).get("metrics") or {}).get("rumors", [])
    return median(r.get("first") for r in rumors)


def spawn_span(history):
    """Seconds from the first to the last of the nodes' initial starts (node_start actions
    planned at 0): the lab spawns its processes one after another, the simulator at once."""
    ts = []
    if not history.exists():
        return None
    with history.open() as f:
        for line in f:
            if '"node_start"' not in line:
                continue
            a = json.loads(line)
            if a.get("action") == "node_start" and a.get("planned") == 0 and not a.get("restart"):
                ts.append(a["t"])
    return max(ts) - min(ts) if len(ts) > 1 else None


def metric(check, key):
    def get(checks):
        return (checks.get(check, {}).get("metrics") or {}).get(key)
    return get


# (id, label, how to read it from a report's checks). The ids key explanations.json.
METRICS = [
    ("spawn_span", "start: the first to the last node's initial start (s)", None),
    ("first_suspicion", "detection: kill to first suspicion (s, mean)",
     detection("first_suspicion")),
    ("first_detection", "detection: kill to first `dead` (s, mean)", detection("first_detection")),
    ("all_detected", "detection: kill to the last observer's `dead` (s, mean)",
     detection("all_detected")),
    ("join_convergence", "convergence: a start until all see it and it sees all (s, mean)",
     convergence("membership_convergence", "start")),
    ("crash_convergence", "convergence: a crash until all see it dead (s, mean)",
     convergence("membership_convergence", "crash")),
    ("leave_convergence", "convergence: a leave until all see it left (s, mean)",
     convergence("membership_convergence", "leave")),
    ("heal_convergence", "convergence: a heal until all pairs see each other (s, mean)",
     convergence("partition_healing", "heal")),
    ("refutation", "refutation: resume until the last observer sees it alive again (s)",
     refutation),
    ("first_delivery", "rumor: broadcast to the first other node's delivery (s, median)",
     first_delivery),
    ("time_to_all", "rumor: time to all (s, median)", time_to_all),
    ("msgs_per_rumor", "messages per rumor (all packets / rumors)",
     metric("dissemination", "msgs_per_rumor")),
    ("pkts_per_member_s", "packets sent per member per second",
     metric("message_load", "mean_pkts_sent_per_s")),
    ("false_suspicions", "false suspicions (count)", metric("accuracy", "false_suspicions")),
    ("false_deaths", "false deaths (count)", metric("accuracy", "false_deaths")),
]
LABELS = {m[0]: m[1] for m in METRICS}


def collect_set(runs, name):
    info_file = runs / f"{name}-info.json"
    info = json.loads(info_file.read_text()) if info_file.exists() else {}
    if "command" in info:
        info["command"] = info["command"].replace(str(ROOT) + "/", "")
    out = {"measured": info, "scenarios": {}}
    for rep_file in sorted((runs / name).glob("*/report.json")):
        rep = json.loads(rep_file.read_text())
        checks = checks_of(rep)
        env = rep.get("environment", {})
        out.setdefault("backend", env.get("backend"))
        out.setdefault("cpus", env.get("cpus"))
        out.setdefault("kernel", env.get("kernel"))
        load = (checks.get("run_health", {}).get("metrics") or {}).get("load") or {}
        row = {
            "N": len((rep.get("scenario", {}).get("resolved", {}).get("nodes")) or [])
            or rep.get("scenario", {}).get("resolved", {}).get("cluster", {}).get("nodes"),
            "verdict": rep.get("verdict"),
            "checks": {c: v.get("verdict") for c, v in checks.items()},
            "load": {k: load.get(k) for k in ("samples", "starved", "limit",
                                              "controller_lag_max", "node_wait_max")},
            "metrics": {},
        }
        for mid, _, get in METRICS:
            v = get(checks) if get else spawn_span(rep_file.parent / "history.jsonl")
            if v is not None:
                row["metrics"][mid] = v
        out["scenarios"][rep_file.parent.name] = row
    return out


def spread_of(runs, seeds, main):
    """Per scenario and metric, [min, max] over the simulation at the main seed and SEEDS."""
    sets = [main] + [collect_set(runs, f"sim-seed{s}") for s in seeds]
    out = {}
    for st in sets:
        for sc, row in st.get("scenarios", {}).items():
            for mid, v in row.get("metrics", {}).items():
                lo, hi = out.setdefault(sc, {}).setdefault(mid, [v, v])
                out[sc][mid] = [min(lo, v), max(hi, v)]
    return out


def difference(lab, sim):
    """(sim - lab) / lab; 0 when both are 0, inf when only lab is 0."""
    if lab == 0:
        return 0.0 if sim == 0 else math.inf
    return (sim - lab) / abs(lab)


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, int):
        return str(v)
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 0.01:
        return f"{v:.3f}"
    return f"{v:.2g}"


def pct(d):
    if d is None:
        return "-"
    if math.isinf(d):
        return "lab 0"
    return f"{d * 100:+.0f}%"


def compare(results, explanations):
    """Rows of (scenario, metric id, lab, sim, difference, explanation id or text or None,
    flagged, the simulation's [min, max] over seeds or None), plus the explanations no row
    used."""
    sets = results.get("sets", {})
    lab = sets.get("lab", {}).get("scenarios", {})
    sim = sets.get("sim", {}).get("scenarios", {})
    spread = sets.get("sim", {}).get("spread", {}).get("scenarios", {})
    given = explanations.get("differences", {})
    used = set()
    rows = []
    for sc in sorted(set(lab) | set(sim)):
        lm = lab.get(sc, {}).get("metrics", {})
        sm = sim.get(sc, {}).get("metrics", {})
        for mid, _, _ in METRICS:
            if mid not in lm and mid not in sm:
                continue
            a, b = lm.get(mid), sm.get(mid)
            d = difference(a, b) if a is not None and b is not None else None
            flagged = d is None or abs(d) > LIMIT
            key = f"{sc}/{mid}"
            why = given.get(key) if flagged else None
            if why is not None:
                used.add(key)
            rows.append((sc, mid, a, b, d, why, flagged, spread.get(sc, {}).get(mid)))
    unused = sorted(set(given) - used)
    return rows, unused


def reason_letters(rows, explanations):
    """Each reason id used, in order of first use, gets a letter."""
    reasons = explanations.get("reasons", {})
    letters = {}
    for *_, why, _flagged, _spread in rows:
        if why in reasons and why not in letters:
            letters[why] = chr(ord("a") + len(letters))
    return letters


def table(results, explanations):
    rows, unused = compare(results, explanations)
    letters = reason_letters(rows, explanations)
    seeds = results.get("sets", {}).get("sim", {}).get("spread", {}).get("seeds") or []
    span = f"sim, seeds {min(seeds)}-{max(seeds)}: min - max" if seeds else "sim over seeds"
    out = [f"| scenario | metric | lab | sim | sim vs lab | why | {span} |",
           "|---|---|---|---|---|---|---|"]
    unexplained = []
    last = None
    for sc, mid, a, b, d, why, flagged, rng in rows:
        if not flagged:
            cell = ""
        elif why is None:
            cell = "**UNEXPLAINED**"
            unexplained.append(f"{sc}/{mid}")
        elif why in letters:
            cell = f"({letters[why]})"
        else:
            cell = why
        n = results["sets"].get("lab", results["sets"].get("sim", {})).get("scenarios", {}).get(
            sc, {}).get("N")
        label = f"{sc} (N = {n})" if n else sc
        out.append(f"| {label if sc != last else ''} | {LABELS[mid]} | {fmt(a)} | {fmt(b)} | "
                   f"{pct(d)} | {cell} | {fmt(rng[0]) + ' - ' + fmt(rng[1]) if rng else '-'} |")
        last = sc
    return out, letters, unexplained, unused


def provenance(s, name):
    info = s.get("measured", {})
    lab = name == "lab"
    what = (f"real gossip-node processes, one network namespace each, on {s.get('cpus', '?')} "
            "CPUs shared with other work, at normal priority" if lab else
            "the reference core in virtual time: deterministic, no CPU time")
    verdicts = [f"{sc} {r.get('verdict')}" for sc, r in sorted(s.get("scenarios", {}).items())]
    text = (f"**{'Lab' if lab else 'Simulation'}**: measured {info.get('started', '?')}, commit "
            f"{info.get('commit', '?')}, seed {info.get('seed', '?')}, backend "
            f"`{s.get('backend', '?')}` ({what}), "
            f"`{info.get('command', '?').replace(str(ROOT) + '/', '')}` (exit "
            f"{info.get('exit', '?')}); load average {info.get('load_before', '?')} before, "
            f"{info.get('load_after', '?')} after. Verdicts: {', '.join(verdicts)}.")
    if lab:
        starved = [f"{sc} {r['load'].get('starved')} of {r['load'].get('samples')} "
                   f"(controller lag max {fmt(r['load'].get('controller_lag_max'))} s, "
                   f"node wait max {fmt(r['load'].get('node_wait_max'))} s)"
                   for sc, r in sorted(s.get("scenarios", {}).items()) if r.get("load")]
        if starved:
            text += (" The lab's load samples at or over the profile's probe timeout "
                     f"(run_health, docs/checkers.md \"Starved runs\"): {'; '.join(starved)}.")
    return text


def block(results, explanations):
    lines, letters, unexplained, _ = table(results, explanations)
    sets = results.get("sets", {})
    reasons = explanations.get("reasons", {})
    w = [BEGIN, ""]
    w.append("Rendered by `bench/crossval/render.py` from `bench/crossval/results.json` (written "
             "by `bench/crossval/run.sh`: the quick suite, `gossiplab suite --quick`, at each "
             "scenario's own node count and profile, once in the lab and once with "
             "`--impairment sim`, same seed) and `bench/crossval/explanations.json`. Every "
             "number is read from the runs' report.json: detection from failure_detection "
             "(seconds after each kill, mean of the kills), convergence from "
             "membership_convergence and partition_healing (each change's slowest observer, "
             "mean of the changes of that kind), refutation from suspicion_refutation, time to "
             "all from dissemination (the median over the rumors of the last target's "
             "delivery), messages per rumor from dissemination (every packet of the run over "
             "the rumors), load from message_load, false positives from accuracy. A "
             f"difference beyond {LIMIT * 100:.0f}% carries its explanation; one without is "
             "marked UNEXPLAINED (the ctest `crossval_doc_fresh` fails on it).")
    w.append("")
    for name in ("lab", "sim"):
        if name in sets:
            w.append(provenance(sets[name], name))
            w.append("")
    w.extend(lines)
    w.append("")
    rows, _ = compare(results, explanations)
    within = sum(1 for r in rows if not r[6])
    w.append(f"{within} of {len(rows)} rows agree within {LIMIT * 100:.0f}%; the other "
             f"{len(rows) - within} differ by more"
             + (", each with its explanation below." if not unexplained else
                f", {len(unexplained)} of them without an explanation yet."))
    w.append("")
    # A reason may refer to another as {note:ID}: it becomes that note's letter.
    for rid in list(letters):
        for ref in re.findall(r"\{note:(\w+)\}", reasons[rid]):
            if ref in reasons and ref not in letters:
                letters[ref] = chr(ord("a") + len(letters))
    for rid, letter in letters.items():
        text = re.sub(r"\{note:(\w+)\}", lambda m: f"({letters.get(m.group(1), '?')})",
                      reasons[rid])
        w.append(f"({letter}) {text}")
        w.append("")
    if unexplained:
        w.append(f"UNEXPLAINED: {', '.join(unexplained)}: these differences beyond "
                 f"{LIMIT * 100:.0f}% have no entry in bench/crossval/explanations.json yet.")
        w.append("")
    w.append(END)
    return "\n".join(w)


def load_json(path, default):
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise SystemExit(f"render.py: {path}: line {e.lineno}, column {e.colno}: expected "
                         f"JSON ({e.msg})")


def main(argv, results_path=RESULTS, explanations_path=EXPLANATIONS):
    if "-h" in argv or "--help" in argv:
        print(__doc__.strip())
        return 0
    doc_path = pathlib.Path(arg(argv, "--doc", ROOT / "docs/simulation.md"))
    results = load_json(results_path, {"sets": {}})
    explanations = load_json(explanations_path, {})
    for key, why in explanations.get("differences", {}).items():
        if "/" not in key or key.split("/", 1)[1] not in LABELS:
            raise SystemExit(f"render.py: {explanations_path}: differences: '{key}': expected "
                             f"SCENARIO/METRIC with METRIC one of {', '.join(LABELS)}")
        if not isinstance(why, str) or not why.strip():
            raise SystemExit(f"render.py: {explanations_path}: differences: '{key}': expected "
                             "a reason id or a non-empty text")
    if "--runs" in argv:
        runs = pathlib.Path(arg(argv, "--runs"))
        for name in arg(argv, "--sets", "lab sim").split():
            if not (runs / name).is_dir():
                raise SystemExit(f"render.py: {runs / name}: no such run directory")
            results.setdefault("sets", {})[name] = collect_set(runs, name)
            seeds = [int(x) for x in arg(argv, "--spread", "").split()]
            if name == "sim" and seeds:
                main_set = results["sets"]["sim"]
                main_seed = main_set.get("measured", {}).get("seed", 1)
                main_set["spread"] = {"seeds": sorted({main_seed, *seeds}),
                                      "scenarios": spread_of(runs, seeds, main_set)}
        lines, letters, unexplained, unused = table(results, explanations)
        print(f"crossval: runs in {runs}")
        print("\n".join(lines))
        for u in unexplained:
            print(f"UNEXPLAINED (beyond {LIMIT * 100:.0f}%): {u}")
        for u in unused:
            print(f"explanation without such a difference: {u}")
        if "--write" not in argv:
            return 0
        results_path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    blk = block(results, explanations)
    if "--print" in argv:
        print(blk)
        return 0
    text = doc_path.read_text()
    new = splice(text, BEGIN, END, blk, doc_path=doc_path)
    if "--check" in argv:
        _, _, unexplained, unused = table(results, explanations)
        bad = 0
        bad = write_or_check(doc_path, text, new, "crossval", "bench/crossval/render.py", True)
        for u in unexplained:
            print(f"render.py: {u}: the lab and the simulation differ by more than "
                  f"{LIMIT * 100:.0f}% and {explanations_path} does not say why",
                  file=sys.stderr)
            bad = 1
        for u in unused:
            print(f"render.py: {explanations_path}: '{u}' explains a difference the results "
                  f"no longer show (within {LIMIT * 100:.0f}%, or not measured): remove it",
                  file=sys.stderr)
            bad = 1
        return bad
    doc_path.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
