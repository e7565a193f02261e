"""Make tensorrt-stubs parse: `make lint` runs this on .ws/type-stubs after installing them.

Every published tensorrt-stubs (10.8 to 10.13) is generated from the pybind11 signatures
and has a few lines that are not Python: a parameter named ``in`` (a keyword), and a
parameter without a default after ones with a default (``add_scale_nd``). mypy stops at
the first such line, so nothing is checked against them. This rewrites exactly those
lines, found by parsing (``in`` becomes ``in_``; the later parameters get ``= ...``), and
fails if the file still does not parse, so a new stubs release with other faults is seen.

    python tools/fix_tensorrt_stubs.py .ws/type-stubs
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

KEYWORD_PARAMETER = re.compile(r"([(,]\s*)in:")
MAX_FIXES = 50  # the 10.x stubs need five


def split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def defaults_after_defaults(line: str) -> str:
    """A ``def`` line whose parameters after the first default all get one."""
    head, sep, rest = line.partition("(")
    params, close, tail = rest.rpartition(") ->")
    fixed, seen_default = [], False
    for param in split_top_level(params):
        seen_default = seen_default or "=" in param
        fixed.append(param if "=" in param or not seen_default else f"{param} = ...")
    return head + sep + ",".join(fixed) + close + tail


def fix(source: str) -> tuple[str, int]:
    lines = source.splitlines()
    for count in range(MAX_FIXES + 1):
        try:
            ast.parse("\n".join(lines))
            return "\n".join(lines) + "\n", count
        except SyntaxError as e:
            n = (e.lineno or 0) - 1
            line = lines[n]
            if KEYWORD_PARAMETER.search(line):
                lines[n] = KEYWORD_PARAMETER.sub(r"\1in_:", line)
            elif "non-default argument" in e.msg and line.lstrip().startswith("def "):
                lines[n] = defaults_after_defaults(line)
            else:
                raise SystemExit(f"fix_tensorrt_stubs: line {e.lineno} cannot be fixed "
                                 f"({e.msg}): {line.strip()[:120]}") from e
    raise SystemExit(f"fix_tensorrt_stubs: more than {MAX_FIXES} faulty lines")


def main(folder: str) -> int:
    for stub in sorted(Path(folder).rglob("*.pyi")):
        fixed, count = fix(stub.read_text())
        if count:
            stub.write_text(fixed)
            print(f"fix_tensorrt_stubs: {count} line(s) of {stub} made to parse")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
