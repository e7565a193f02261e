"""Replace a generated block of a document with standard input.

Usage: replace_block.py FILE NAME < content
The block lies between the lines ``<!-- NAME -->`` and ``<!-- /NAME -->``; the markers
and everything around them stay. Tables in docs/ are written this way by make targets,
never typed by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path


def replace_block(text: str, name: str, content: str) -> str:
    start, end = f"<!-- {name} -->\n", f"<!-- /{name} -->"
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"expected one '{start.strip()}' ... '{end}' block")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}{content.rstrip()}\n{end}{tail}"


def main(argv: list[str]) -> int:
    path, name = Path(argv[0]), argv[1]
    try:
        path.write_text(replace_block(path.read_text(), name, sys.stdin.read()))
    except ValueError as e:
        print(f"replace_block: {path}: {e}", file=sys.stderr)
        return 1
    print(f"replace_block: {path}: block {name} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
