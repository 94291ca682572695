#!/usr/bin/env python3
"""Tests of bench/crossval/render.py's judgement: a difference beyond 25% without an
explanation is flagged and fails --check, one with an explanation passes and shows it, an
explanation of a difference that is not there fails, and a bad explanations file is refused
with its name. Run: python3 bench/crossval/test_render.py (ctest crossval_render_test)."""
import contextlib
import io
import json
import pathlib
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import render  # noqa: E402


def results(lab_detect, sim_detect):
    def one(v, backend):
        return {"backend": backend, "measured": {}, "scenarios": {"crash-detect": {
            "N": 8, "verdict": "pass", "checks": {}, "load": {},
            "metrics": {"first_detection": v, "false_deaths": 0}}}}
    return {"sets": {"lab": one(lab_detect, "nfqueue"), "sim": one(sim_detect, "sim")}}


class Judgement(unittest.TestCase):
    def run_main(self, res, expl, argv):
        with tempfile.TemporaryDirectory() as d:
            d = pathlib.Path(d)
            (d / "results.json").write_text(json.dumps(res))
            (d / "explanations.json").write_text(json.dumps(expl))
            doc = d / "doc.md"
            doc.write_text(f"intro\n{render.BEGIN}\n{render.END}\ntail\n")
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                render.main(["--doc", str(doc)], d / "results.json", d / "explanations.json")
                rc = render.main(["--doc", str(doc), *argv], d / "results.json",
                                 d / "explanations.json")
            return rc, doc.read_text(), err.getvalue()

    def test_unexplained_difference_fails(self):
        rc, doc, err = self.run_main(results(1.0, 0.5), {}, ["--check"])
        self.assertEqual(rc, 1)
        self.assertIn("**UNEXPLAINED**", doc)
        self.assertIn("crash-detect/first_detection", err)
        self.assertIn("-50%", doc)

    def test_explained_difference_passes_and_is_shown(self):
        expl = {"reasons": {"cpu": "the lab waits for CPUs"},
                "differences": {"crash-detect/first_detection": "cpu"}}
        rc, doc, err = self.run_main(results(1.0, 0.5), expl, ["--check"])
        self.assertEqual(rc, 0, err)
        self.assertIn("| (a) |", doc)
        self.assertIn("(a) the lab waits for CPUs", doc)
        self.assertNotIn("**UNEXPLAINED**", doc)

    def test_within_limit_needs_nothing_and_an_explanation_of_it_is_stale(self):
        rc, doc, _ = self.run_main(results(1.0, 0.8), {}, ["--check"])
        self.assertEqual(rc, 0)
        self.assertIn("-20%", doc)
        expl = {"differences": {"crash-detect/first_detection": "text that no longer holds"}}
        rc, _, err = self.run_main(results(1.0, 0.8), expl, ["--check"])
        self.assertEqual(rc, 1)
        self.assertIn("no longer show", err)

    def test_zero_in_the_lab_is_a_difference(self):
        res = results(1.0, 1.0)
        res["sets"]["sim"]["scenarios"]["crash-detect"]["metrics"]["false_deaths"] = 2
        rc, doc, err = self.run_main(res, {}, ["--check"])
        self.assertEqual(rc, 1)
        self.assertIn("crash-detect/false_deaths", err)
        self.assertIn("lab 0", doc)

    def test_bad_explanation_key_is_refused_with_the_file(self):
        with self.assertRaises(SystemExit) as e:
            self.run_main(results(1.0, 1.0), {"differences": {"crash-detect/nonsense": "x"}},
                          ["--check"])
        self.assertIn("explanations.json", str(e.exception))
        self.assertIn("SCENARIO/METRIC", str(e.exception))


if __name__ == "__main__":
    unittest.main()
