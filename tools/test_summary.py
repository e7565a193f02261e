"""Print one line per test leg, ``name: N passed, N failed, N skipped``, and the total.

Usage: test_summary.py NAME=PYTEST_LOG ...  A leg whose log is missing or has no
pytest closing line counts as failed: a leg that never ran must not look green.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# pytest's closing line: "=== 3 passed, 1 skipped in 2.0s ===", or without the rules
# under -q
CLOSING = re.compile(r"^=*\s*(\d+ (?:passed|failed|errors?|skipped).* in [\d.]+s\b.*?|"
                     r"no tests ran.*?)\s*=*$")
COUNTS = ("passed", "failed", "skipped")


def counts(log: Path) -> dict[str, int] | None:
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    closing = [m.group(1) for m in map(CLOSING.match, lines) if m]
    if not closing:
        return None
    found = {k: 0 for k in COUNTS}
    for number, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", closing[-1]):
        key = "failed" if word.startswith("error") else word
        found[key] += int(number)
    return found


def main(argv: list[str]) -> int:
    total = {k: 0 for k in COUNTS}
    print("== test summary")
    for arg in argv:
        name, _, log = arg.partition("=")
        found = counts(Path(log))
        if found is None:
            print(f"{name}: did not run ({log} has no pytest summary)")
            total["failed"] += 1
            continue
        print(f"{name}: " + ", ".join(f"{found[k]} {k}" for k in COUNTS))
        for k in COUNTS:
            total[k] += found[k]
    print("all: " + ", ".join(f"{total[k]} {k}" for k in COUNTS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
