#!/usr/bin/env python3
"""The seeds' and the papers' figures at their own sizes, measured in simulation: reads the
runs of bench/figures/run.sh, prints the tables and renders the section of docs/conformance.md
between "<!-- bench/figures:begin -->" and "<!-- bench/figures:end -->".

    render.py --runs DIR [--only NAME,...] [--write]
        read DIR/NAME.json (what run.sh measured of each run) and DIR/NAME/report.json, print
        the tables; --write also saves them in bench/figures/results.json (with --only, the
        other runs keep their recorded results) and rewrites the document's section
    render.py [--doc docs/conformance.md]   rewrite the section from results.json
    render.py --check                       exit 1 if the section is stale
    render.py --print                       print the section

The measured numbers come from the runs' checks (dissemination's per-rumor time to all,
failure_detection's first suspicion and first detection in probe periods, message_load's
per-member rates); the model columns are the formulas named in each table, computed here. A
run that did not finish (memory or time cap) has no report: its row says "not reached" with
the reason run.sh measured (how far virtual time got, wall and CPU seconds, peak RSS).
scripts/conformance-catalogue.py includes the same section, so a re-render of the whole
document keeps it.
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
BEGIN = "<!-- bench/figures:begin -->"
END = "<!-- bench/figures:end -->"
SWIM_FIRST_DETECTION = math.e / (math.e - 1)
# The simulator's unshaped link, one way (docs/simulation.md, "What it models").
LINK_DELAY = 100e-6


def collect_run(runs, name):
    meta_file = runs / f"{name}.json"
    if not meta_file.exists():
        return None
    row = json.loads(meta_file.read_text())
    row["options"] = row.get("options", "").replace(str(ROOT) + "/", "")
    row["log_tail"] = [x.replace(str(ROOT) + "/", "") for x in row.get("log_tail", [])]
    if row.get("report"):
        row.pop("log_tail", None)  # a finished run's log says nothing the report does not
    rep_file = runs / name / "report.json"
    if not rep_file.exists():
        return row
    rep = json.loads(rep_file.read_text())
    prof = rep.get("implementation", {}).get("profile") or {}
    row["profile"] = {k: prof.get(k) for k in ("name", "probe_interval", "gossip_interval",
                                               "fanout")} if isinstance(prof, dict) else prof
    row["verdict"] = rep.get("verdict")
    row["duration_s"] = rep.get("duration_s")
    row["checks"] = {c["check"]: c["verdict"] for c in rep.get("checks", [])}
    for c in rep.get("checks", []):
        m = c.get("metrics") or {}
        if c["check"] == "dissemination":
            rumors = m.get("rumors", [])
            done = [r for r in rumors if r.get("delivery_ratio") == 1.0]
            row["rumors"] = len(rumors)
            row["rumors_complete"] = len(done)
            row["time_to_all_median"] = median(r.get("p100") for r in done)
            row["p50_median"] = median(r.get("p50") for r in done)
            row["p95_median"] = median(r.get("p95") for r in done)
            row["time_to_all_max"] = max((r["p100"] for r in done if r.get("p100") is not None),
                                         default=None)
            row["expected"] = median(r.get("expected") for r in rumors)
            row["targets"] = median(r.get("targets") for r in rumors)
            row["msgs_per_rumor"] = m.get("msgs_per_rumor")
        elif c["check"] == "failure_detection":
            fs = [f for f in m.get("failures", []) if f.get("status") == "detected"]
            row["failures"] = len(m.get("failures", []))
            row["detected"] = len(fs)
            keys = ("first_suspicion_periods", "first_detection_periods", "first_suspicion",
                    "first_detection", "all_detected")
            for k in keys:
                row[k] = mean(f.get(k) for f in fs)
            row["kills"] = [{k: x.get(k) for k in keys} for x in fs]
        elif c["check"] == "message_load":
            for k in ("mean_pkts_sent_per_s", "mean_detector_pkts_sent_per_s",
                      "mean_bytes_sent_per_s", "mean_detector_bytes_sent_per_s"):
                row[k] = m.get(k)
    return row


def collect(runs, names, old, only):
    def info(name):
        f = runs / name
        return json.loads(f.read_text()) if f.exists() else {}
    measured = info("run-info.json")
    out = {"measured": measured, "runs": dict(old.get("runs", {}) if only else {})}
    # The same set read again keeps the record of its partial re-runs; a re-run (--only) keeps
    # the set's provenance and adds its own.
    reruns = old.get("reruns", []) if old.get("measured") == measured or only else []
    if only:
        out["measured"] = old.get("measured", measured)
        rerun = info("rerun-info.json")
        reruns = reruns + [dict(rerun, runs=rerun.get("runs", names))]
    if reruns:
        out["reruns"] = reruns
    for name in names:
        row = collect_run(runs, name)
        if row is not None:
            out["runs"][name] = row
    return out


def f(v, spec="{:.2f}"):
    return "-" if v is None else spec.format(v)


def not_reached(r):
    """Why a run has no result, from what run.sh measured."""
    if r is None:
        return "not run"
    why = []
    if r.get("out_of_memory"):
        where = "in the simulation" if r.get("sim_s") is None else "in the checks"
        why.append(f"out of memory {where}, at the {r.get('mem_gib')} GiB address-space cap")
    elif r.get("timed_out"):
        why.append(f"stopped at the {r.get('timeout_s')} s wall-clock cap")
    else:
        why.append(f"exit {r.get('exit')}")
    t = r.get("last_t")
    why.append("virtual time reached " + ("nothing" if t is None else f"{t:g} s")
               + (f" of {r['sim_s']:g}" if r.get("sim_s") else ""))
    why.append(f"after {f(r.get('wall_s'), '{:.0f}')} s wall, {f(r.get('cpu_s'), '{:.0f}')} s CPU, "
               f"peak RSS {f(r.get('peak_rss_mib'), '{:,}')} MiB")
    if r.get("history_bytes"):
        why.append(f"history {r['history_bytes'] / 1e6:,.0f} MB")
    return "not reached (" + "; ".join(why) + ")"


def done(r):
    return r is not None and r.get("verdict") is not None


def sizes(runs, prefix):
    return sorted(r["N"] for k, r in runs.items() if k == f"{prefix}-n{r['N']}")


def hops(seconds):
    return None if seconds is None else seconds / LINK_DELAY


def rounds_table(runs):
    out = ["| N | rumors complete | hops to half of the members (p50 / link delay) | log_3(N) "
           "| time to 95% (s, median) | time to all, median / max (s) | time to all in gossip "
           "intervals | model: (log_3(N) + ln(N)) gossip intervals (s) | verdict |",
           "|---|---|---|---|---|---|---|---|---|"]
    for n in sizes(runs, "rumor-dissemination"):
        r = runs[f"rumor-dissemination-n{n}"]
        log3 = f"{math.log(n, 3):.2f}"
        if not done(r):
            out.append(f"| {n:,} | {not_reached(r)} | | {log3} | | | | | - |")
            continue
        gi = (r.get("profile") or {}).get("gossip_interval")
        intervals = r["time_to_all_median"] / gi if gi and r.get("time_to_all_median") else None
        out.append(f"| {n:,} | {r['rumors_complete']} of {r['rumors']} | "
                   f"{f(hops(r.get('p50_median')), '{:.1f}')} | {log3} | "
                   f"{f(r.get('p95_median'), '{:.4f}')} | "
                   f"{f(r.get('time_to_all_median'), '{:.4f}')} / "
                   f"{f(r.get('time_to_all_max'), '{:.4f}')} | {f(intervals, '{:.1f}')} | "
                   f"{f(r.get('expected'), '{:.3f}')} | {r['verdict']} |")
    return out


def seed_table(runs):
    out = ["| N | period, fanout | rumors complete | time to all, median / max (s) | seed: "
           "ln(N) / (k * f) (s) | verdict |", "|---|---|---|---|---|---|"]
    for n in sizes(runs, "seed-rumor-dissemination"):
        r = runs[f"seed-rumor-dissemination-n{n}"]
        if not done(r):
            out.append(f"| {n:,} | 1 s, 3 | {not_reached(r)} | | {math.log(n) / 3:.2f} | - |")
            continue
        p = r.get("profile") or {}
        k, gi = p.get("fanout"), p.get("gossip_interval")
        seed = math.log(n) / (k * (1 / gi)) if k and gi else None
        out.append(f"| {n:,} | {f(gi, '{:g}')} s, {k} | {r['rumors_complete']} of {r['rumors']} | "
                   f"{f(r.get('time_to_all_median'), '{:.2f}')} / "
                   f"{f(r.get('time_to_all_max'), '{:.2f}')} | {f(seed)} | {r['verdict']} |")
    return out


def detection_table(runs):
    out = ["| N | runs (seeds) | kills detected | first suspicion (probe periods): mean (min - "
           "max) | first `dead` (probe periods, mean) | last observer's `dead` (s, mean) | SWIM "
           "e/(e-1) | verdicts |", "|---|---|---|---|---|---|---|---|"]
    for n in sizes(runs, "crash-detect"):
        r = runs[f"crash-detect-n{n}"]
        if not done(r):
            out.append(f"| {n:,} | 1 | {not_reached(r)} | | | | {SWIM_FIRST_DETECTION:.2f} | - |")
            continue
        # The main run and the same N at other seeds (crash-detect-nN-sS): every kill counts.
        rs = [r] + [x for k, x in sorted(runs.items())
                    if k.startswith(f"crash-detect-n{n}-s") and done(x)]
        kills = [k for x in rs for k in x.get("kills", [])]
        fsp = [k["first_suspicion_periods"] for k in kills
               if k.get("first_suspicion_periods") is not None]
        verdicts = sorted({x["verdict"] for x in rs})
        seeds = sorted(x.get("seed", 1) for x in rs)
        out.append(f"| {n:,} | {len(rs)} ({seeds[0]}" + (f"-{seeds[-1]}" if len(seeds) > 1 else "")
                   + f") | {sum(x.get('detected') or 0 for x in rs)} of "
                   f"{sum(x.get('failures') or 0 for x in rs)} | {f(mean(fsp))} "
                   f"({f(min(fsp, default=None))} - {f(max(fsp, default=None))}) | "
                   f"{f(mean(k.get('first_detection_periods') for k in kills))} | "
                   f"{f(mean(k.get('all_detected') for k in kills))} | "
                   f"{SWIM_FIRST_DETECTION:.2f} | {', '.join(verdicts)} |")
    return out


def load_table(runs):
    out = ["| N | packets/member/s | detector packets/member/s | bytes/member/s | detector "
           "bytes/member/s |", "|---|---|---|---|---|"]
    for n in sizes(runs, "rumor-dissemination"):
        r = runs[f"rumor-dissemination-n{n}"]
        if not done(r):
            out.append(f"| {n:,} | {not_reached(r)} | | | |")
            continue
        out.append(f"| {n:,} | {f(r.get('mean_pkts_sent_per_s'), '{:.1f}')} | "
                   f"{f(r.get('mean_detector_pkts_sent_per_s'), '{:.1f}')} | "
                   f"{f(r.get('mean_bytes_sent_per_s'), '{:,.0f}')} | "
                   f"{f(r.get('mean_detector_bytes_sent_per_s'), '{:,.0f}')} |")
    return out


def load_summary(runs):
    """One sentence per rate: its value at the smallest and the largest N measured."""
    ns = [n for n in sizes(runs, "rumor-dissemination")
          if done(runs[f"rumor-dissemination-n{n}"])]
    if len(ns) < 2:
        return []
    lo, hi = runs[f"rumor-dissemination-n{ns[0]}"], runs[f"rumor-dissemination-n{ns[-1]}"]
    parts = []
    for key, what in (("mean_detector_pkts_sent_per_s", "the detector's packets"),
                      ("mean_pkts_sent_per_s", "all packets"),
                      ("mean_detector_bytes_sent_per_s", "the detector's bytes"),
                      ("mean_bytes_sent_per_s", "all bytes")):
        a, b = lo.get(key), hi.get(key)
        if a and b:
            parts.append(f"{what} {a:,.1f} to {b:,.1f} ({b / a:.2f}x)")
    return [f"Per member per second from N = {ns[0]:,} to N = {ns[-1]:,}: " + "; ".join(parts) +
            ". SWIM's constant load is the detector's: one probe and its ack per period, "
            "whatever N. The rest grows with N for reasons outside the detector: push-pull "
            "sends the whole membership (O(N) bytes) every 3 s, the joins at the start are "
            "news every member carries, and an update is retransmitted "
            "retransmit_mult × ⌈log10(N + 1)⌉ times.", ""]


def grouped(names):
    """Run names, the ones of one scenario and N at several seeds (NAME-sS) said once."""
    seeds = {}
    for name in names:
        m = re.fullmatch(r"(.*)-s(\d+)", name)
        base, seed = (m.group(1), int(m.group(2))) if m else (name, None)
        seeds.setdefault(base, []).append(seed)
    out = []
    for base, ss in seeds.items():
        ss = sorted(x for x in ss if x is not None)
        out.append(base + (f" at seeds {', '.join(map(str, ss))}" if ss else ""))
    return "; ".join(out)


def block(results):
    runs = results.get("runs", {})
    info = results.get("measured", {})
    w = [BEGIN, "", "## The seeds' and the papers' figures at their own sizes", ""]
    w.append("Measured in simulation (`--impairment sim`: the reference core in virtual time, "
             "docs/simulation.md) by `bench/figures/run.sh`, rendered by "
             "`bench/figures/render.py` from `bench/figures/results.json`: "
             f"measured {info.get('started', '?')}, commit {info.get('commit', '?')}, seed "
             f"{info.get('seed', '?')}, {info.get('machine', '?')}, limits per run "
             f"{info.get('timeout_s', '?')} s wall and {info.get('mem_gib', '?')} GiB of address "
             "space. Each run is an existing scenario with `--nodes N`; a run that did not "
             "finish within the limits says how far it got, and has no number."
             + "".join(f" Added or re-run later ({x.get('started', '?')}, commit "
                       f"{x.get('commit', '?')}): {grouped(x.get('runs', []))}."
                       for x in results.get("reruns", [])))
    w.append("")
    w.append("### Rounds to full dissemination against log_fanout(N)")
    w.append("")
    w.append("`rumor-dissemination --nodes N`, profile `fast` (gossip every 20 ms to fanout 3, "
             "probe every 100 ms; news also rides on probes and push-pull), rumors at 5/s from "
             "3 s to 11 s. The reference node sends a gossip round at once when news reaches "
             "an idle queue (its next round is then already due); a member whose queue still "
             "holds earlier news (an update is sent retransmit_mult × ⌈log10(N + 1)⌉ times) "
             "passes it on at its next timed round, within 20 ms. So a rumor spreads first as a "
             "wave of hops, one link delay each (100 µs on the simulator's unshaped links), "
             "every idle member that gets it sending it to 3 others at once: these hops are the "
             "epidemic model's rounds. Hops to half of the members is dissemination's per-rumor "
             "p50 (seconds from the broadcast to the delivery at half of the targets) over the "
             "link delay, the median over the rumors that reached every target: the figure to "
             "set against log_3(N). The members the wave does not reach (a target that already "
             "has the rumor passes it on no further, a busy member waits for its round) get it "
             "in the next gossip rounds, which set the time to 95% and to all (p95, p100). The "
             "model column is dissemination's `expected`, (log_3(N) + ln(N)) gossip intervals: "
             "the time the checker's model allows when every round waits for the timer.")
    w.append("")
    w.extend(rounds_table(runs))
    w.append("")
    w.append("### Time to all against the seed's log(N)/(k·f)")
    w.append("")
    w.append("The seed: \"250 nodes, 1 s period, fanout 3 ≈ 1.8 s\" (ln(250) / (3 × 1/s) = 1.84 "
             "s). `rumor-dissemination --nodes N --impl bench/figures/seed-impl/impl.json`: the "
             "reference node with the `lan` profile and a 1 s gossip period (`--gossip-interval "
             "1s --fanout 3`; its probe period is 1 s too). Times are over the rumors that "
             "reached every target; the wave described above applies here too, its hops 100 µs "
             "each, its stragglers waiting for 1 s rounds.")
    w.append("")
    w.extend(seed_table(runs))
    w.append("")
    w.append("### First detection against SWIM's e/(e−1) ≈ 1.58 protocol periods")
    w.append("")
    w.append("`crash-detect --nodes N`, profile `fast` (probe period 100 ms, probe timeout 50 "
             "ms, Lifeguard suspicion): one kill at 4 s, two at 9 s, 3 kills a run; where runs "
             "are cheap the row also holds the same N at other seeds, every kill counted. First "
             "suspicion is failure_detection's first_suspicion_periods: the time from the kill "
             "to the first member's `suspect`, in probe periods. SWIM's e/(e−1) counts whole "
             "periods until the first one in which some member probes the dead one (each of "
             "N − 1 members picks one target a period: probability 1 − (1 − 1/(N − 1))^(N − 1) "
             "→ 1 − 1/e per period), the detecting period included. Measured from the kill, with "
             "every member probing on its own phase, the probes of a dead member come about as "
             "a Poisson stream of one per period (each member probes it once per N − 1 periods "
             "of its shuffled round-robin), so the first one starts about one period after the "
             "kill, and it suspects one period after it starts (the direct ack's timeout, then "
             "the indirect probes until the period's end; the shortest first suspicion cannot "
             "be under one period): about 2 periods at any N for this measurement. First `dead` "
             "comes a suspicion timeout later, which grows with log N by design "
             "(suspicion_mult × log10(N) × probe period, shortened by confirmations).")
    w.append("")
    w.extend(detection_table(runs))
    w.append("")
    w.append("### Per-member load against group size (SWIM: constant)")
    w.append("")
    w.append("From the `rumor-dissemination` runs above (message_load: packets and bytes sent "
             "per member per second over each node's life, the joins and the rumors included); "
             "the detector's share is the counters' `detector_pkts_sent` and "
             "`detector_bytes_sent` (ping, ack, ping-req, nack, without what they piggyback).")
    w.append("")
    w.extend(load_table(runs))
    w.append("")
    w.extend(load_summary(runs))
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
        old = load() if RESULTS.exists() else {}
        names = (arg(argv, "--only").split(",") if "--only" in argv else
                 sorted(p.stem for p in runs.glob("*-n*.json")))
        results = collect(runs, names, old, "--only" in argv)
        for t in (rounds_table, seed_table, detection_table, load_table):
            print("\n".join(t(results["runs"])))
            print()
        if "--write" not in argv:
            return 0
        RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    blk = block(load())
    if "--print" in argv:
        print(blk)
        return 0
    text = doc_path.read_text()
    new = splice(text, BEGIN, END, blk, before="<!-- bench/detector-compare:begin -->")
    return write_or_check(doc_path, text, new, "figures", "bench/figures/render.py",
                          "--check" in argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
