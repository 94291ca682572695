#!/usr/bin/env python3
"""Validates every report.json under a directory against docs/report-schema.json and checks
that every junit.xml parses as XML with the expected structure.

usage: validate.py SCHEMA DIR
"""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET

try:
    import jsonschema
except ImportError:
    sys.exit("validate.py: python3-jsonschema is missing (apt-get install python3-jsonschema)")


def main():
    schema_path, root = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    schema = json.loads(schema_path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = []
    reports = sorted(root.rglob("report.json"))
    if len(reports) < 3:
        errors.append(f"{root}: expected at least 3 report.json fixtures, found {len(reports)}")
    for p in reports:
        doc = json.loads(p.read_text())
        for e in validator.iter_errors(doc):
            errors.append(f"{p}: {'/'.join(map(str, e.path))}: {e.message}")
        # A negative test: the validator must reject a broken report, or it proves nothing.
        broken = dict(doc, verdict="maybe")
        if validator.is_valid(broken):
            errors.append(f"{p}: schema accepted verdict 'maybe'")
    junits = sorted(root.rglob("junit.xml"))
    if len(junits) < 4:
        errors.append(f"{root}: expected at least 4 junit.xml files, found {len(junits)}")
    for p in junits:
        try:
            tree = ET.parse(p)
        except ET.ParseError as e:
            errors.append(f"{p}: not well-formed XML: {e}")
            continue
        top = tree.getroot()
        if top.tag != "testsuites":
            errors.append(f"{p}: root element is {top.tag}, expected testsuites")
        for suite in top.iter("testsuite"):
            cases = suite.findall("testcase")
            if int(suite.get("tests", -1)) != len(cases):
                errors.append(f"{p}: testsuite {suite.get('name')!r}: tests= does not match")
            fails = sum(1 for c in cases if c.find("failure") is not None)
            if int(suite.get("failures", -1)) != fails:
                errors.append(f"{p}: testsuite {suite.get('name')!r}: failures= does not match")
    # The fixture 'basic' fails two checks; their one-line reasons are the failure messages.
    basic = root / "basic" / "report.json"
    if basic.exists():
        doc = json.loads(basic.read_text())
        tree = ET.parse(root / "basic" / "junit.xml")
        msgs = [f.get("message") for f in tree.getroot().iter("failure")]
        want = [c["reason"] for c in doc["checks"] if c["verdict"] == "fail"]
        if msgs != want:
            errors.append(f"basic/junit.xml: failure messages {msgs} != reasons {want}")
    xss = root / "xss" / "junit.xml"
    if xss.exists():
        names = [c.get("name") for c in ET.parse(xss).getroot().iter("testcase")]
        if "failure_detection <script>alert(1)</script>" not in names:
            errors.append(f"{xss}: hostile check name did not survive escaping: {names}")
    for e in errors:
        print("FAIL:", e)
    print(f"validated {len(reports)} report.json and {len(junits)} junit.xml files")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
