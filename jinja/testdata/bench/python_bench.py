#!/usr/bin/env python3
"""Times Python Jinja2 rendering the seed 000 body with the same inputs as BenchmarkSeedBody.

The template is compiled once and rendered as text: Python Jinja2 has no JSON mode, and the
template's // comments only matter to a JSON parser, so only the render is timed.
Prints the median of 5 repeats in microseconds per render.
"""

import json
import os
import statistics
import sys
import timeit

import jinja2

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    with open(os.path.join(HERE, "seed_body.j2"), encoding="utf-8") as f:
        source = f.read()
    with open(os.path.join(HERE, "context.json"), encoding="utf-8") as f:
        data = json.load(f)
    template = jinja2.Environment().from_string(source)
    render = lambda: template.render(data)  # noqa: E731
    render()
    number = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    runs = timeit.repeat(render, number=number, repeat=5)
    per_op = [r / number * 1e6 for r in runs]
    print(f"python {sys.version.split()[0]} jinja2 {jinja2.__version__}: "
          f"median {statistics.median(per_op):.2f} us/op over 5 repeats of {number} renders "
          f"(min {min(per_op):.2f}, max {max(per_op):.2f})")


if __name__ == "__main__":
    main()
