#!/usr/bin/env python3
"""SWIM against the heartbeat detector: reads the detector-compare runs of
bench/detector-compare/run.sh, prints the side-by-side table and renders the section of
docs/conformance.md between "<!-- bench/detector-compare:begin -->" and
"<!-- bench/detector-compare:end -->".

    render.py --runs DIR [--nodes "10 25 50 100"] [--profiles "fast heartbeat"] [--write]
        read DIR/PROFILE-nN/report.json, print the table; --write also saves it in
        bench/detector-compare/results.json (as the set "sim" or "lab", by the runs' backend)
        and rewrites the document's section
    render.py [--doc docs/conformance.md]   rewrite the section from results.json
    render.py --check                       exit 1 if the section is stale
    render.py --print                       print the section

Every number comes from the runs' checks, none is re-derived here: detection times from
failure_detection (first_suspicion, first_detection, all_detected: seconds after each kill),
false positives from accuracy (false_deaths, false_suspicions: counts), load from message_load
(mean_bytes_sent_per_s, mean_pkts_sent_per_s per member, from 4 s on).
scripts/conformance-catalogue.py includes the same section, so a re-render of the whole
document keeps it.
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from docsection import arg, mean, splice, write_or_check  # noqa: E402
ROOT = HERE.parent.parent
RESULTS = HERE / "results.json"
BEGIN = "<!-- bench/detector-compare:begin -->"
END = "<!-- bench/detector-compare:end -->"
DETECTOR = {"fast": "SWIM", "heartbeat": "heartbeat"}


def collect(runs, nodes, profiles):
    info_file = runs / "run-info.json"
    info = json.loads(info_file.read_text()) if info_file.exists() else {}
    out = {"measured": info, "runs": []}
    for profile in profiles:
        for n in nodes:
            rep_file = runs / f"{profile}-n{n}" / "report.json"
            row = {"profile": profile, "detector": DETECTOR.get(profile, profile), "N": n}
            if not rep_file.exists():
                row["verdict"] = "not run"
                out["runs"].append(row)
                continue
            rep = json.loads(rep_file.read_text())
            out.setdefault("backend", rep.get("environment", {}).get("backend"))
            out.setdefault("cpus", rep.get("environment", {}).get("cpus"))
            row["verdict"] = rep.get("verdict")
            row["checks"] = {c["check"]: c["verdict"] for c in rep.get("checks", [])}
            for c in rep.get("checks", []):
                m = c.get("metrics") or {}
                if c["check"] == "failure_detection":
                    row["failures"] = [{k: f.get(k) for k in (
                        "node", "t", "status", "first_suspicion", "first_detection", "all_detected")}
                        for f in m.get("failures", [])]
                elif c["check"] == "accuracy":
                    for k in ("false_deaths", "false_suspicions", "node_hours"):
                        row[k] = m.get(k)
                elif c["check"] == "message_load":
                    for k in ("mean_bytes_sent_per_s", "mean_pkts_sent_per_s",
                              "mean_detector_bytes_sent_per_s"):
                        row[k] = m.get(k)
            out["runs"].append(row)
    return out


def f(v, spec="{:.2f}"):
    return "-" if v is None else spec.format(v)


def table(doc):
    rows = {(r["profile"], r["N"]): r for r in doc["runs"]}
    profiles = list(dict.fromkeys(r["profile"] for r in doc["runs"]))
    nodes = sorted({r["N"] for r in doc["runs"]})
    names = [DETECTOR.get(p, p) for p in profiles]
    head = ["N"]
    for what in ("detection: first / all (s)", "false deaths / suspicions",
                 "detector bytes/member/s", "all bytes/member/s", "packets/member/s"):
        head += [f"{nm} {what}" for nm in names]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n in nodes:
        cells = [str(n)]
        per = [rows.get((p, n), {}) for p in profiles]
        for r in per:
            fs = [x for x in r.get("failures", []) if x.get("status") == "detected"]
            cells.append(f"{f(mean(x['first_detection'] for x in fs))} / "
                         f"{f(mean(x['all_detected'] for x in fs))}"
                         + ("" if len(fs) == len(r.get("failures", [])) else
                            f" ({len(r.get('failures', [])) - len(fs)} not detected)"))
        for r in per:
            cells.append(f"{f(r.get('false_deaths'), '{}')} / {f(r.get('false_suspicions'), '{}')}")
        for r in per:
            cells.append(f(r.get("mean_detector_bytes_sent_per_s"), "{:.0f}"))
        for r in per:
            cells.append(f(r.get("mean_bytes_sent_per_s"), "{:.0f}"))
        for r in per:
            cells.append(f(r.get("mean_pkts_sent_per_s"), "{:.1f}"))
        out.append("| " + " | ".join(cells) + " |")
    growth = {"detector": [], "all": []}
    for p, nm in zip(profiles, names):
        lo, hi = rows.get((p, nodes[0]), {}), rows.get((p, nodes[-1]), {})
        for what, key in (("detector", "mean_detector_bytes_sent_per_s"),
                          ("all", "mean_bytes_sent_per_s")):
            a, b = lo.get(key), hi.get(key)
            if a and b:
                growth[what].append(f"{nm} {b / a:.2f}x")
    verdicts = []
    for p, nm in zip(profiles, names):
        for n in nodes:
            r = rows.get((p, n), {})
            bad = [c for c, v in (r.get("checks") or {}).items() if v != "pass"]
            verdicts.append(f"{nm} N={n}: {r.get('verdict', 'not run')}"
                            + (f" ({', '.join(bad)})" if bad else ""))
    return out, nodes, growth, verdicts


def set_text(doc):
    """One measured set: its provenance line, the table, the growth and the verdicts."""
    lines, nodes, growth, verdicts = table(doc)
    info = doc.get("measured", {})
    w = []
    lab = doc.get("backend") != "sim"
    w.append(f"### {'In the lab' if lab else 'In simulation'}: backend {doc.get('backend', '?')}")
    w.append("")
    w.append(f"Measured {info.get('started', '?')}, commit {info.get('commit', '?')}, seed "
             f"{info.get('seed', '?')}, backend **{doc.get('backend', '?')}**"
             + (f" (real gossip-node processes, one network namespace each, on "
                f"{doc.get('cpus', '?')} CPUs shared with other work)" if lab else
                " (the reference core in virtual time: deterministic, no CPU contention)") +
             f": `bench/detector-compare/run.sh --impairment {info.get('impairment', '?')}`.")
    w.append("")
    w.extend(lines)
    w.append("")
    if growth["detector"]:
        w.append(f"The detector's bytes per member per second from N = {nodes[0]} to N = "
                 f"{nodes[-1]}: " + ", ".join(growth["detector"]) + ".")
        w.append("")
    if growth["all"]:
        w.append(f"All bytes per member per second (detector, gossip of news, push-pull) from "
                 f"N = {nodes[0]} to N = {nodes[-1]}: " + ", ".join(growth["all"]) + ".")
        w.append("")
    w.append("Verdicts of the runs (each run's own checks): " + "; ".join(verdicts) + ".")
    w.append("")
    return w, nodes


def block(results):
    sets = results.get("sets", {})
    order = [k for k in ("lab", "sim") if k in sets]
    nodes = sorted({r["N"] for k in order for r in sets[k]["runs"]})
    w = []
    w.append(BEGIN)
    w.append("")
    w.append("## SWIM against the heartbeat detector (detector-compare)")
    w.append("")
    w.append("`scenarios/detector-compare.json` at N = " + ", ".join(map(str, nodes)) +
             ": 10% loss on every link from 4 s to 16 s, one node killed at 8 s and two more at "
             "12 s. SWIM is the reference's `fast` profile (probe every 100 ms, Lifeguard); the "
             "heartbeat detector is its `heartbeat` profile (`--detector heartbeat`: the same "
             "100 ms period and fanout 3, the whole member -> counter table to 3 random members "
             "every period, suspect after 4 silent periods, dead 4 later). Everything else "
             "(joins, push-pull every 3 s, gossip of news) is the same node. Rendered by "
             "`bench/detector-compare/render.py` from `bench/detector-compare/results.json`, "
             "written by `bench/detector-compare/run.sh` (one set per backend).")
    w.append("")
    w.append("Detection: seconds from each kill to the first observer's `dead` and to the last "
             "one's (failure_detection's first_detection and all_detected), mean of the three "
             "kills. False positives: accuracy's false deaths and false suspicions of live, "
             "reachable members over the run (a suspicion counts once per observer that "
             "printed it). Load: message_load's mean bytes and packets sent per member per "
             "second from 4 s on (the loss, the kills and their news included). The detector's "
             "bytes are the counters' `detector_bytes_sent`: the failure detector's own "
             "messages (SWIM: ping, ack, ping-req, nack; heartbeat: the table), without the "
             "updates piggybacked beside them and without push-pull; all bytes are every "
             "datagram and stream the node sent.")
    w.append("")
    for k in order:
        text, _ = set_text(sets[k])
        w.extend(text)
    w.append("Why: a heartbeat table holds every member: each period every member sends "
             "fanout x N entries (20 to 25 bytes each: the id, the incarnation, the counter, "
             "the age, the address), so its detector bytes grow like N while its packets stay "
             "nearly flat (one or two datagrams per target). SWIM's detector sends a ping and "
             "an ack per period (indirect probes after a loss) at any N: its detector bytes stay "
             "flat. SWIM's total bytes still grow with N, for reasons outside the detector: "
             "push-pull "
             "anti-entropy sends the whole membership (O(N) bytes) every 3 s (the heartbeat runs "
             "pay it too); under loss a larger cluster raises more suspicions and refutations, "
             "and every member carries each one (piggybacked: bytes more than packets); and an "
             "update's retransmissions grow like log N (12 up to N = 99, 18 at N = 100 in this "
             "profile).")
    w.append("")
    w.append(END)
    return "\n".join(w)


def load():
    return json.loads(RESULTS.read_text())


def main(argv):
    if "-h" in argv or "--help" in argv:
        print(__doc__.strip())
        return 0
    doc_path = pathlib.Path(arg(argv, "--doc", ROOT / "docs/conformance.md"))
    if "--runs" in argv:
        runs = pathlib.Path(arg(argv, "--runs"))
        nodes = [int(x) for x in arg(argv, "--nodes", "10 25 50 100").split()]
        profiles = arg(argv, "--profiles", "fast heartbeat").split()
        doc = collect(runs, nodes, profiles)
        lines, _, growth, verdicts = table(doc)
        print(f"detector-compare: backend {doc.get('backend')}, runs in {runs}")
        print("\n".join(lines))
        for what in ("detector", "all"):
            print(f"{what} bytes/member/s growth: " + ", ".join(growth[what]))
        print("\n".join(verdicts))
        if "--write" not in argv:
            return 0
        results = load() if RESULTS.exists() else {"sets": {}}
        results["sets"]["sim" if doc.get("backend") == "sim" else "lab"] = doc
        RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    blk = block(load())
    if "--print" in argv:
        print(blk)
        return 0
    text = doc_path.read_text()
    new = splice(text, BEGIN, END, blk, before="<!-- bench/mutation:begin -->")
    return write_or_check(doc_path, text, new, "detector-compare",
                          "bench/detector-compare/render.py", "--check" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
