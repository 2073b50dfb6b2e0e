#!/usr/bin/env python3
"""Vendor third-party browser libraries from the npm registry into the default theme (and, for
the tests only, into tests/vendor/: never shipped in a site or the wheel).

Usage::

    python scripts/vendor.py            # fetch every package below, verify, write its files
    python scripts/vendor.py --check    # the committed files equal what the pinned tarballs give
    python scripts/vendor.py --offline  # the committed files have the checksums recorded below

Each package is pinned to an exact version and the sha256 of its registry tarball; a tarball
with another checksum is refused. The files copied (the licence among them) and their own
sha256 checksums are recorded here too, so the committed copies are checked without a network
(tests/test_vendor.py). Python's standard library only: contributors never need npm, users
never run this (docs/design.md §1).

To add a package: one more entry in PACKAGES (dest folder, tarball member → file name), run
this script once without ``installed`` checksums and paste the ones it prints.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REGISTRY = "https://registry.npmjs.org"

# name → what to take from which tarball, and where to put it (relative to the checkout).
PACKAGES: dict[str, dict] = {
    # uPlot: canvas line charts for long metric histories (themes/default/static/charts.js).
    "uplot": {
        "version": "1.6.32",
        "sha256": "4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d",
        "dest": "themes/default/static/vendor/uplot",
        "files": {
            "package/dist/uPlot.iife.min.js": "uPlot.iife.min.js",
            "package/dist/uPlot.min.css": "uPlot.min.css",
            "package/LICENSE": "LICENSE",
        },
        "installed": {
            "uPlot.iife.min.js": "19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f",
            "uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
            "LICENSE": "8f989229699b4fe2f1a0432d0e9edc338a8a911e250e2d1b01ecd770a5f5b1bd",
        },
    },
    # axe-core: the accessibility rules the browser tests run on every page kind
    # (tests/test_accessibility.py); tests only. MPL-2.0, its bundled code's licences beside it.
    "axe-core": {
        "version": "4.14.1",
        "sha256": "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745",
        "dest": "tests/vendor/axe-core",
        "files": {
            "package/axe.min.js": "axe.min.js",
            "package/LICENSE": "LICENSE",
            "package/LICENSE-3RD-PARTY.txt": "LICENSE-3RD-PARTY.txt",
        },
        "installed": {
            "axe.min.js": "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c",
            "LICENSE": "af175b9d96ee93c21a036152e1b905b0b95304d4ae8c2c921c7609100ba8df7e",
            "LICENSE-3RD-PARTY.txt": "4f8563870d0fca38bbc3e00b6f670cb7fa9f380ba9f26a7f7d1184a6b18b1653",
        },
    },
}


def tarball_url(name: str, version: str) -> str:
    """The registry's tarball address (a scoped name's tarball drops the scope)."""
    return f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(name: str, spec: dict, timeout: float = 60) -> bytes:
    url = tarball_url(name, spec["version"])
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        data = resp.read()
    got = sha256(data)
    if got != spec["sha256"]:
        raise SystemExit(f"{name} {spec['version']}: tarball sha256 {got}, pinned {spec['sha256']} ({url})")
    return data


def extract(name: str, spec: dict, tarball: bytes) -> dict[str, bytes]:
    """file name → content, for each file the package takes from its tarball."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for member, target in spec["files"].items():
            f = tar.extractfile(member)
            if f is None:
                raise SystemExit(f"{name}: {member} is not a file in the tarball")
            out[target] = f.read()
    return out


def offline_problems(root: Path = REPO) -> list[str]:
    """What differs between the committed files and the checksums recorded above."""
    problems = []
    for name, spec in PACKAGES.items():
        dest = root / spec["dest"]
        for target, want in spec["installed"].items():
            p = dest / target
            if not p.is_file():
                problems.append(f"{name}: {p.relative_to(root)} is missing")
            elif sha256(p.read_bytes()) != want:
                problems.append(f"{name}: {p.relative_to(root)} differs from the recorded checksum")
        if set(spec["installed"]) != set(spec["files"].values()):
            problems.append(f"{name}: 'installed' checksums do not cover exactly the files copied")
    return problems


def check_problems(root: Path = REPO, timeout: float = 60) -> list[str]:
    """What differs between the committed files and the pinned tarballs' files (network)."""
    problems = []
    for name, spec in PACKAGES.items():
        files = extract(name, spec, fetch(name, spec, timeout))
        for target, data in files.items():
            p = root / spec["dest"] / target
            if not p.is_file() or p.read_bytes() != data:
                problems.append(f"{name}: {p.relative_to(root)} is not the file of {name} {spec['version']}")
            if spec["installed"].get(target) != sha256(data):
                problems.append(f"{name}: the recorded checksum of {target} is not the tarball's ({sha256(data)})")
    return problems


def write(root: Path = REPO) -> None:
    for name, spec in PACKAGES.items():
        dest = root / spec["dest"]
        dest.mkdir(parents=True, exist_ok=True)
        for target, data in extract(name, spec, fetch(name, spec)).items():
            (dest / target).write_bytes(data)
            mark = "" if spec["installed"].get(target) == sha256(data) else "  <- record this checksum"
            print(f"{name} {spec['version']}: {spec['dest']}/{target} {sha256(data)}{mark}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare the committed files with the pinned tarballs")
    mode.add_argument("--offline", action="store_true", help="compare the committed files with recorded checksums")
    args = ap.parse_args(argv)
    if not (args.check or args.offline):
        write()
        return 0
    problems = offline_problems() + ([] if args.offline else check_problems())
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("vendored files are current: " + ", ".join(f"{n} {s['version']}" for n, s in PACKAGES.items()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
