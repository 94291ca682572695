#!/usr/bin/env python3
"""Prints a markdown table comparing two suite directories (e.g. the quick suite on the
netem and on the nfqueue backend, in the same VM guest): per scenario, the verdict and each
check that did not pass, with its bound and measured value.

    bench/impairment/suite-compare.py NAME_A SUITE_DIR_A NAME_B SUITE_DIR_B
"""
import json
import pathlib
import sys


def load(d):
    out = {}
    for p in sorted(pathlib.Path(d).glob("*/report.json")):
        r = json.loads(p.read_text())
        bad = []
        for c in r["checks"]:
            if c["verdict"] != "pass":
                b = (c.get("bound") or {}).get("value")
                m = c.get("measured")
                f = lambda v: "-" if v is None else ("%.3g" % v if isinstance(v, float) else str(v))
                bad.append("%s %s (bound %s, measured %s)" % (c["check"], c["verdict"], f(b), f(m)))
        out[p.parent.name] = (r["verdict"], bad)
    return out


def main():
    if len(sys.argv) != 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    na, a, nb, b = sys.argv[1], load(sys.argv[2]), sys.argv[3], load(sys.argv[4])
    print("| scenario | %s | %s |" % (na, nb))
    print("|---|---|---|")
    for s in sorted(set(a) | set(b)):
        cell = lambda x: "-" if x is None else (x[0] + ("" if not x[1] else ": " + "; ".join(x[1])))
        print("| %s | %s | %s |" % (s, cell(a.get(s)), cell(b.get(s))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
