#!/usr/bin/env python3
"""Renders the conformance cases with Python Jinja2 and writes expected.json beside this file.

    python3 gen.py            regenerate expected.json
    python3 gen.py --check    regenerate in memory; exit 1 with a summary if expected.json differs
    python3 gen.py --show N   print the expectation of the cases whose name starts with N

Besides the output or error, each case that compiles (and names no in-memory templates) records
names: the sorted jinja2.meta.find_undeclared_variables of its template.

Every case is rendered by a default jinja2.Environment() (no autoescape, default Undefined,
keep_trailing_newline=False); a case with "templates" gets a DictLoader over them and nothing else.
"""

import json
import os
import sys

import jinja2
from jinja2 import meta

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import cases as case_source  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected.json")
MODES = (None, "json", "url", "header")


def check_version():
    if not jinja2.__version__.startswith("3.1."):
        sys.exit(f"gen.py: need Jinja2 3.1.x, found {jinja2.__version__}")


def render_case(c):
    """Returns the expectation for one case (its name, template and context included)."""
    out = {"name": c["name"], "template": c["template"], "context": c["context"]}
    if c.get("mode") is not None:
        out["mode"] = c["mode"]
    if c.get("templates") is not None:
        out["templates"] = c["templates"]
    if c.get("unsupported"):
        # The engine refuses the feature by design; Python's outcome is kept for the reader.
        out["unsupported"] = True
    data = json.loads(c["context"])
    if not isinstance(data, dict):
        raise ValueError(f"{c['name']}: context is not a JSON object")
    if c.get("templates") is not None:
        env = jinja2.Environment(loader=jinja2.DictLoader(c["templates"]))
    else:
        env = jinja2.Environment()
    try:
        tmpl = env.from_string(c["template"])
    except Exception as e:  # noqa: BLE001 - any compile failure is the expectation
        out["error"] = "compile"
        out["python_error"] = f"{type(e).__name__}: {e}"
        return out
    if c.get("templates") is None:
        # Template.Names is specified as meta.find_undeclared_variables; Python gives a set.
        out["names"] = sorted(meta.find_undeclared_variables(env.parse(c["template"])))
    try:
        text = tmpl.render(data)
    except Exception as e:  # noqa: BLE001 - any render failure is the expectation
        out["error"] = "render"
        out["python_error"] = f"{type(e).__name__}: {e}"
        return out
    validate_output(c, text)
    out["output"] = text
    return out


def validate_output(c, text):
    """Rejects expectations that could not hold in Go: object addresses, wrong-mode output."""
    name = c["name"]
    if " at 0x" in text:
        raise ValueError(f"{name}: output depends on object addresses: {text!r}")
    mode = c.get("mode")
    if mode not in MODES:
        raise ValueError(f"{name}: unknown mode {mode!r}")
    if mode == "json":
        json.loads(text)
    elif mode == "header":
        if any(ch in text for ch in "\r\n\0"):
            raise ValueError(f"{name}: header output has CR, LF or NUL")
    elif mode == "url":
        if any(ch in text for ch in " \"<>\\^`{|}") or any(ord(ch) > 126 for ch in text):
            raise ValueError(f"{name}: url output has characters the engine would encode")


def generate():
    check_version()
    seen = set()
    results = []
    for c in case_source.CASES:
        if c["name"] in seen:
            raise ValueError(f"duplicate case name {c['name']}")
        seen.add(c["name"])
        results.append(render_case(c))
    return {"jinja2": jinja2.__version__, "cases": results}


def dump(doc):
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def comparable(c):
    # python_error is informative: its wording may change between Python versions.
    return {k: v for k, v in c.items() if k != "python_error"}


def check(doc):
    try:
        with open(EXPECTED, encoding="utf-8") as f:
            old = json.load(f)
    except FileNotFoundError:
        print("expected.json is missing: run gen.py")
        return 1
    old_cases = {c["name"]: c for c in old.get("cases", [])}
    new_cases = {c["name"]: c for c in doc["cases"]}
    problems = []
    for name in new_cases:
        if name not in old_cases:
            problems.append(f"new case not in expected.json: {name}")
        elif comparable(old_cases[name]) != comparable(new_cases[name]):
            o, n = old_cases[name], new_cases[name]
            keys = sorted(k for k in set(o) | set(n) if k != "python_error" and o.get(k) != n.get(k))
            detail = "; ".join(f"{k}: {o.get(k)!r} -> {n.get(k)!r}" for k in keys)
            problems.append(f"changed: {name}: {detail}")
    for name in old_cases:
        if name not in new_cases:
            problems.append(f"case in expected.json but not in cases.py: {name}")
    if [c["name"] for c in old.get("cases", [])] != [c["name"] for c in doc["cases"]] and not problems:
        problems.append("case order differs")
    if problems:
        print(f"expected.json drifted ({len(problems)} differences); run gen.py and review:")
        for p in problems[:40]:
            print("  " + p)
        if len(problems) > 40:
            print(f"  ... and {len(problems) - 40} more")
        return 1
    print(f"expected.json is up to date ({len(doc['cases'])} cases, Jinja2 {jinja2.__version__})")
    return 0


def main(argv):
    doc = generate()
    if argv[1:2] == ["--check"]:
        return check(doc)
    if argv[1:2] == ["--show"]:
        prefix = argv[2] if len(argv) > 2 else ""
        for c in doc["cases"]:
            if c["name"].startswith(prefix):
                print(json.dumps(c, ensure_ascii=False))
        return 0
    if len(argv) > 1:
        sys.exit(__doc__)
    with open(EXPECTED, "w", encoding="utf-8") as f:
        f.write(dump(doc))
    n_err = sum(1 for c in doc["cases"] if "error" in c)
    print(f"wrote {EXPECTED}: {len(doc['cases'])} cases ({n_err} expect an error)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
