"""Refresh pose_ros/test/data/rosdep_keys.yaml from a clone of github.com/ros/rosdistro.

  python tools/rosdep_snapshot.py PATH_TO_ROSDISTRO_GIT_DIR

For every key in both package.xml files (and every key the ``modules`` map names) it
records what rosdep installs on each Ubuntu release (rosdep/base.yaml, python.yaml)
or, for a ROS package, its released version in each distro (<distro>/distribution.yaml),
with the rosdistro commit it read. test_package_metadata.py checks against that file,
so a new dependency is checked, offline, against facts anyone can re-read. The
hand-written ``modules`` (import name -> key) and ``no_key`` (import name -> why) stay.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "pose_ros" / "test" / "data" / "rosdep_keys.yaml"
PACKAGES = ("pose_ros", "pose_ros_msgs")
UBUNTU = ("jammy", "noble")
DISTROS = {"humble": "jammy", "jazzy": "noble", "kilted": "noble"}  # ROS distro -> Ubuntu
DEPEND_TAGS = ("depend", "build_depend", "buildtool_depend", "exec_depend", "test_depend",
               "build_export_depend", "buildtool_export_depend")
INSTALLERS = ("apt", "pip")
HEADER = """\
# What rosdep resolves each key of pose_ros's package.xml files to, read from
# github.com/ros/rosdistro at rosdistro_commit by tools/rosdep_snapshot.py (rerun it
# after adding a dependency). system_keys: Ubuntu release -> installer and packages;
# ros_packages: ROS distro -> released version. Hand-kept (the script keeps them):
# modules: each third-party module the code imports -> the rosdep key that installs it;
# no_key: the modules with no key to declare, and why.
"""


def package_keys() -> set[str]:
    keys = set()
    for name in PACKAGES:
        root = ET.parse(ROOT / name / "package.xml").getroot()
        keys |= {(e.text or "").strip() for tag in DEPEND_TAGS for e in root.iter(tag)}
    return keys - set(PACKAGES)


def resolve(rule: object, codename: str) -> str | None:
    """rosdep's rule for Ubuntu ``codename``: 'apt pkg ...' or 'pip pkg ...', or None."""
    if isinstance(rule, dict) and not any(k in rule for k in (*INSTALLERS, "packages")):
        rule = rule.get(codename, rule.get("*"))  # per-release rules
    if isinstance(rule, str):
        rule = [rule]
    if isinstance(rule, dict):
        installer = next((i for i in INSTALLERS if i in rule), "apt")
        packages = rule.get(installer, rule)
        names = packages["packages"] if isinstance(packages, dict) else packages
        return f"{installer} {' '.join(names)}"
    return f"apt {' '.join(rule)}" if isinstance(rule, list) else None


def main(rosdistro: Path) -> int:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(rosdistro), *args], check=True,
                              capture_output=True, text=True).stdout

    def read(path: str) -> dict:
        return yaml.safe_load(git("show", f"HEAD:{path}"))

    old = yaml.safe_load(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}
    modules = old.get("modules", {})
    keys = package_keys() | set(modules.values())
    rules = {**read("rosdep/base.yaml"), **read("rosdep/python.yaml")}
    released: dict[str, dict[str, str]] = {}
    for distro in DISTROS:
        for name, repo in read(f"{distro}/distribution.yaml")["repositories"].items():
            release = repo.get("release") or {}
            if release.get("version"):
                # without a package list, a release is one package named as its repository
                for pkg in release.get("packages", [name]):
                    released.setdefault(pkg, {})[distro] = release["version"]
    system = {k: {c: resolve(rules[k].get("ubuntu"), c) for c in UBUNTU}
              for k in sorted(keys) if k in rules}
    ros = {k: {d: released.get(k, {}).get(d) for d in DISTROS}
           for k in sorted(keys) if k not in rules}
    commit = git("rev-parse", "HEAD").strip()
    body = {"rosdistro_commit": commit, "ubuntu_of_distro": DISTROS, "system_keys": system,
            "ros_packages": ros, "modules": modules, "no_key": old.get("no_key", {})}
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(HEADER + yaml.safe_dump(body, sort_keys=False, width=100))
    print(f"wrote {SNAPSHOT} from rosdistro {commit}: {len(system)} system keys, "
          f"{len(ros)} ROS packages")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
