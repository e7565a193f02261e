"""Check that a fully pinned requirements file installs from wheels on other machines.

For each target (CPU architecture, Python version) it selects the pins whose
environment markers hold *for that target*, asks pip whether every pin has a wheel
for it, and checks that every dependency those wheels declare is pinned too, at a
version that satisfies it. Only the package index's metadata is read (pip
``--dry-run`` uses the index's ``.metadata`` files): no wheel is downloaded.

Why markers are evaluated here: pip's ``--platform``/``--python-version`` choose
wheel tags and check Requires-Python, but pip evaluates environment markers against
the interpreter that runs it (seen with pip 23.2 and 26.3), so a file that chooses
``tensorflow`` by ``platform_machine`` would be checked for the wrong machine.

  python tools/check_requirement_wheels.py FILE [--target aarch64:3.10 ...]

Exit status: 0 all targets install, 1 some do not (one line each: target, package,
why), 2 the package index cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

DEFAULT_TARGETS = tuple(f"{arch}:{py}" for arch in ("x86_64", "aarch64")
                        for py in ("3.10", "3.11", "3.12"))
#: Oldest glibc of the targets: Ubuntu 22.04 (Humble, JetPack 6) has 2.35.
GLIBC_MINOR = 35
#: The oldest manylinux each architecture has wheels for, and its legacy aliases.
OLDEST_GLIBC_MINOR = {"x86_64": 5, "aarch64": 17}
LEGACY_MANYLINUX = {"x86_64": ("manylinux1", "manylinux2010", "manylinux2014"),
                    "aarch64": ("manylinux2014",)}
UNREACHABLE = 2
WHOLE_WHEEL = re.compile(r"Downloading (\S+\.whl) \(([^)]*)\)")


@dataclass(frozen=True)
class Target:
    machine: str  # platform_machine: x86_64 or aarch64
    python: str  # "3.10"

    def __str__(self) -> str:
        return f"linux {self.machine}, Python {self.python}"

    def marker_environment(self) -> dict[str, str]:
        # every marker variable, for the target rather than this machine
        return {"implementation_name": "cpython", "platform_python_implementation": "CPython",
                "os_name": "posix", "sys_platform": "linux", "platform_system": "Linux",
                "platform_machine": self.machine, "python_version": self.python,
                "python_full_version": f"{self.python}.0",
                "implementation_version": f"{self.python}.0", "platform_release": "",
                "platform_version": ""}

    def pip_tags(self) -> list[str]:
        """pip's options for wheels this target can install (pip does not widen
        ``--platform`` to older manylinux tags by itself)."""
        platforms = [f"manylinux_2_{minor}_{self.machine}"
                     for minor in range(GLIBC_MINOR, OLDEST_GLIBC_MINOR[self.machine] - 1, -1)]
        platforms += [f"{alias}_{self.machine}" for alias in LEGACY_MANYLINUX[self.machine]]
        abi = "cp" + self.python.replace(".", "")
        args = ["--python-version", self.python, "--implementation", "cp",
                "--abi", abi, "--abi", "abi3", "--abi", "none"]
        for platform in platforms:
            args += ["--platform", platform]
        return args


def parse_target(text: str) -> Target:
    machine, _, python = text.partition(":")
    if machine not in OLDEST_GLIBC_MINOR or not python.startswith("3."):
        raise argparse.ArgumentTypeError(f"target {text!r}: expected ARCH:PYTHON with ARCH one "
                                         f"of {sorted(OLDEST_GLIBC_MINOR)}, e.g. aarch64:3.10")
    return Target(machine, python)


def read_pins(path: Path) -> list[Requirement]:
    """The file's requirements; each must be a single ``name==version`` pin."""
    pins = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        spec = list(req.specifier)
        if (len(spec) != 1 or spec[0].operator != "==" or "*" in spec[0].version
                or req.extras or req.url):
            raise ValueError(f"{path}:{number}: {line!r} is not an exact pin (name==version)")
        pins.append(req)
    return pins


def pins_for(target: Target, pins: list[Requirement]) -> dict[str, Requirement]:
    """Canonical name -> the one pin whose marker holds for ``target``."""
    env = target.marker_environment()
    chosen: dict[str, Requirement] = {}
    for req in pins:
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = canonicalize_name(req.name)
        if name in chosen:
            raise ValueError(f"{target}: {req.name} is pinned twice ({chosen[name]} and {req})")
        chosen[name] = req
    return chosen


def unmet_dependencies(target: Target, chosen: dict[str, Requirement],
                       report: dict) -> list[str]:
    """Each dependency (markers evaluated for ``target``) that the pins miss or contradict."""
    env = dict(target.marker_environment(), extra="")
    problems = []
    for item in report["install"]:
        meta = item["metadata"]
        for text in meta.get("requires_dist", []):
            dep = Requirement(text)
            if dep.marker is not None and not dep.marker.evaluate(env):
                continue
            pin = chosen.get(canonicalize_name(dep.name))
            if pin is None:
                problems.append(f"{meta['name']} {meta['version']} requires {dep}, "
                                "which the file does not pin")
                continue
            version = Version(next(iter(pin.specifier)).version)
            if not dep.specifier.contains(version, prereleases=True):
                problems.append(f"{meta['name']} {meta['version']} requires {dep}, "
                                f"the file pins {pin.name}=={version}")
    return problems


def pip_failure(stderr: str) -> str:
    """pip's reason, naming the package: no wheel of it, or its Requires-Python."""
    errors = [line[len("ERROR: "):] for line in stderr.splitlines() if line.startswith("ERROR: ")]
    for error in errors:
        if error.startswith("No matching distribution found for "):
            return f"no wheel of {error.split(' for ', 1)[1]} for this target"
    return "pip: " + (" | ".join(errors) or stderr.strip().splitlines()[-1])


def check(target: Target, pins: list[Requirement]) -> list[str]:
    """Problems installing ``pins`` on ``target``; empty when it installs."""
    try:
        chosen = pins_for(target, pins)
    except ValueError as e:
        return [str(e)]
    # Without their markers: pip would evaluate them for this machine, not the target.
    pinned = [f"{req.name}{req.specifier}" for req in chosen.values()]
    with tempfile.TemporaryDirectory(prefix="wheelcheck_") as tmp:
        report_path = Path(tmp) / "report.json"
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
             "--no-deps", "--only-binary=:all:", "--use-feature=fast-deps",
             "--progress-bar", "off", "--disable-pip-version-check",
             *target.pip_tags(), "--target", str(Path(tmp) / "target"),
             "--report", str(report_path), *pinned],
            capture_output=True, text=True)
        if result.returncode != 0:
            return [pip_failure(result.stderr)]
        report = json.loads(report_path.read_text())
    got = {canonicalize_name(item["metadata"]["name"]) for item in report["install"]}
    skipped = [f"pip did not resolve {chosen[name]}" for name in sorted(set(chosen) - got)]
    downloads = [f"pip downloaded the whole wheel {name} ({size}) to read its metadata"
                 for name, size in WHOLE_WHEEL.findall(result.stdout)]
    return skipped + downloads + unmet_dependencies(target, chosen, report)


def index_reachable() -> bool:
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    try:
        with urllib.request.urlopen(f"{index}/pip/", timeout=20):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requirements", type=Path)
    parser.add_argument("--target", dest="targets", type=parse_target, action="append",
                        help=f"ARCH:PYTHON (default: {', '.join(DEFAULT_TARGETS)})")
    args = parser.parse_args(argv)
    targets = args.targets or [parse_target(t) for t in DEFAULT_TARGETS]
    try:
        pins = read_pins(args.requirements)
    except ValueError as e:
        print(f"check_requirement_wheels: {e}", file=sys.stderr)
        return 1
    if not index_reachable():
        print("check_requirement_wheels: the package index cannot be reached", file=sys.stderr)
        return UNREACHABLE
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        results = list(pool.map(lambda t: check(t, pins), targets))
    failed = 0
    for target, problems in zip(targets, results):
        print(f"{target}: {'installs' if not problems else 'DOES NOT INSTALL'}")
        for problem in problems:
            print(f"  {target}: {problem}")
        failed += bool(problems)
    print(f"{len(targets) - failed} of {len(targets)} targets install "
          f"({time.monotonic() - start:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
