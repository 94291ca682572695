#!/usr/bin/env python3
"""Renders the mutation score section of docs/conformance.md from a run's results.json and the
survivors' triage (bench/mutation/triage.json), between the markers
"<!-- bench/mutation:begin -->" and "<!-- bench/mutation:end -->".

    bench/mutation/render.py [RESULTS] [--doc docs/conformance.md]   rewrite the block
    bench/mutation/render.py [RESULTS] --check                       exit 1 if the doc is stale
    bench/mutation/render.py [RESULTS] --print                       print the block

RESULTS defaults to bench/mutation/results.json (the committed copy of a run's output).
scripts/conformance-catalogue.py includes the same block, so a re-render of the whole document
keeps it. The score is killed / (total - stillborn - equivalent); equivalence is a judgement
recorded in triage.json with its reason, never a guess of this script.
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from docsection import splice, write_or_check  # noqa: E402
ROOT = HERE.parent.parent
BEGIN = "<!-- bench/mutation:begin -->"
END = "<!-- bench/mutation:end -->"


def score(doc, triage):
    ms = doc["mutants"]
    killed = [m for m in ms if m["outcome"] == "killed"]
    still = [m for m in ms if m["outcome"] == "stillborn"]
    surv = [m for m in ms if m["outcome"] == "survived"]
    equiv = [m for m in surv if triage.get(m["id"], {}).get("class") == "equivalent"]
    denom = len(ms) - len(still) - len(equiv)
    return killed, still, surv, equiv, denom


def block(doc, triage):
    killed, still, surv, equiv, denom = score(doc, triage)
    out = []
    w = out.append
    w(BEGIN)
    w("")
    w("## Mutation score")
    w("")
    w("How much of a SWIM implementation the suite protects: mutants of the reference node's core "
      "are generated systematically (`bench/mutation/mutants.py`: flipped comparisons, conditions "
      "replaced by true or false, deleted sends and enqueues, constants ±1, swapped arguments of "
      "one type; ids `FILE:LINE:COL:OPERATOR`) and each is run against the whole suite under the "
      "simulation backend, which is deterministic: a verdict is never the machine's load. A "
      "mutant is killed when a scenario that passes unmutated does not pass. Rendered by "
      "`bench/mutation/render.py` from `bench/mutation/results.json` and "
      "`bench/mutation/triage.json`.")
    w("")
    w(f"Measured {doc['date']}, commit {doc['commit']}, {doc['machine']}: `{doc['command']}` "
      f"({len(doc['mutants']) if doc.get('ids_note') else doc['sample'] or 'all'} of {doc['population']} mutants, {'listed ids' if doc.get('ids_note') else 'seed ' + str(doc['seed'])}, "
      f"files {', '.join(f.split('/')[-1] for f in doc['files'])}; {doc['jobs']} jobs, "
      f"{doc['wall_s'] + doc.get('prior_wall_s', 0):.0f} s wall, {doc['mean_wall_per_mutant_s']} s per mutant: one compile, "
      f"one link, the suite in ~{doc['baseline_suite_s']} s).")
    w("")
    sc = 100.0 * len(killed) / denom if denom else 0.0
    w("| mutants | killed | survived | equivalent (of the survivors) | stillborn | score killed / (total − stillborn − equivalent) |")
    w("|---|---|---|---|---|---|")
    w(f"| {len(doc['mutants'])} | {len(killed)} | {len(surv)} | {len(equiv)} | {len(still)} | "
      f"**{sc:.1f}%** ({len(killed)} / {denom}) |")
    w("")
    if doc.get("ids_note"):
        w(doc["ids_note"])
        w("")
    prev = set(doc.get("previously_survived") or [])
    now_killed = [m for m in killed if m["id"] in prev]
    if prev:
        w(f"Of the {len(prev)} mutants that survived the whole suite in the earlier run, "
          f"{len(now_killed)} are killed now, by the scenarios and checks added or tightened since (each "
          "tied to the property it protects, docs/checkers.md and the catalogue above):")
        w("")
        w("| mutant | change | killed by (scenario/check) |")
        w("|---|---|---|")
        for m in now_killed:
            by = ", ".join(k["scenario"] + "/" + "+".join(c["check"] for c in (k["checks"] or [{"check": k["verdict"]}]))
                           for k in m["killed_by"])
            if m.get("reason", "").startswith(("crash", "timeout")):
                # The suite aborted (a sanitizer's report, say): every scenario after it is
                # missing, which says less than why it stopped.
                why = m["reason"]
                if "exit -6" in why:  # SIGABRT: what the sanitized build does on a report
                    last = why.split(":", 1)[1].strip() if ":" in why else ""
                    what = ("UndefinedBehaviorSanitizer" if "UndefinedBehaviorSanitizer" in last
                            else "a sanitizer or a debug-container assertion")
                    why = f"aborted (SIGABRT) by {what}"
                by = "the suite stopped: " + why
            ch = f"`{m['orig'][:60]}` → `{m['mutated'][:60]}`".replace("|", "\\|")
            w(f"| `{m['id'].replace('reference-node/src/', '')}` | {ch} | {by} |")
        w("")
    if doc.get("not_run"):
        w(f"**{doc['not_run']} mutants of the sample were not run** (the run stopped at its "
          f"budget of {doc.get('budget_s') or '-'} s; it resumed an earlier part, "
          f"`{'--resume' if doc.get('resumed_from') else ''}`): the counts cover the "
          f"{len(doc['mutants'])} it finished, taken in a seeded random order after the first "
          f"part's file order.")
        w("")
    if doc.get("interrupted"):
        w("**The run was interrupted: the counts cover only the mutants it finished.**")
        w("")
    # per operator and per file
    ops = {}
    for m in doc["mutants"]:
        op = m["op"].split(".")[0]
        d = ops.setdefault(op, {"killed": 0, "survived": 0, "stillborn": 0})
        d[m["outcome"]] += 1
    w("| operator | killed | survived | stillborn |")
    w("|---|---|---|---|")
    for op in sorted(ops):
        d = ops[op]
        w(f"| {op} | {d['killed']} | {d['survived']} | {d['stillborn']} |")
    w("")
    kills = {}
    for m in killed:
        for k in m["killed_by"]:
            if k["verdict"] in ("missing", "unreadable"):
                kills["no report (gossiplab crashed or timed out)"] = kills.get("no report (gossiplab crashed or timed out)", 0) + 1
                continue
            for c in k["checks"] or [{"check": k["verdict"]}]:
                kills[c["check"]] = kills.get(c["check"], 0) + 1
    if kills:
        w("Checks that killed mutants (a mutant counts once per scenario it failed): " +
          ", ".join(f"{c} {n}" for c, n in sorted(kills.items(), key=lambda x: -x[1])) + ".")
        w("")
    w("What the simulation cannot observe, and so no mutant of it is run here: the driver "
      "(`reference-node/src/driver/main.cpp`: sockets, TCP framing, stdin commands) is not in the "
      "simulated path, and the simulator restarts a node at the same address with a clock-based "
      "incarnation floor, as the lab does. A `--lab` mode for survivors is not yet there.")
    w("")
    w("### Survivors and their triage")
    w("")
    w("`equivalent`: no run of the reference with the configurations the suite uses (profiles, "
      "no `--break`) can tell the mutant from the original (the reason says why). `blind spot`: a behaviour no scenario exercises (the property it names is what "
      "a new scenario or check must protect). `hostile input`: defensive decoding of malformed "
      "packets, which no scenario sends (the simulated network drops a corrupted datagram as a "
      "UDP checksum would); the codec's unit tests and `bench/fuzz` cover it.")
    w("")
    w("| mutant | change | triage | why |")
    w("|---|---|---|---|")
    for m in surv:
        t = triage.get(m["id"], {})
        cls = t.get("class", "not triaged")
        why = t.get("why", "")
        ch = f"`{m['orig'][:70]}` → `{m['mutated'][:70]}`".replace("|", "\\|")
        w(f"| `{m['id'].replace('reference-node/src/', '')}` | {ch} | {cls} | {why.replace('|', '/')} |")
    w("")
    classes = {}
    for m in surv:
        c = triage.get(m["id"], {}).get("class", "not triaged")
        classes[c] = classes.get(c, 0) + 1
    w("Survivors by triage: " + ", ".join(f"{c} {n}" for c, n in sorted(classes.items())) + ".")
    w("")
    w(END)
    return "\n".join(out)


def load(argv):
    res = next((a for a in argv if not a.startswith("--") and a.endswith(".json")), None)
    res = pathlib.Path(res) if res else HERE / "results.json"
    doc = json.loads(res.read_text())
    tri = HERE / "triage.json"
    triage = json.loads(tri.read_text()) if tri.exists() else {}
    return doc, triage


def main(argv):
    if "-h" in argv or "--help" in argv:
        print(__doc__.strip())
        return 0
    doc_path = ROOT / "docs/conformance.md"
    if "--doc" in argv:
        doc_path = pathlib.Path(argv[argv.index("--doc") + 1])
    doc, triage = load(argv)
    blk = block(doc, triage)
    if "--print" in argv:
        print(blk)
        return 0
    text = doc_path.read_text()
    new = splice(text, BEGIN, END, blk)
    return write_or_check(doc_path, text, new, "mutation", "bench/mutation/render.py",
                          "--check" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
