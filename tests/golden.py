"""Checked-in expectations of whole sites: a digest of every file trackreport writes for each
store of tests/corpus, sample_mlruns and tests/field_cases, so a change meant to keep the
output (a restructure) is proven byte-identical, and a change meant to alter it shows exactly
which files it alters.

    python tests/golden.py            # compare (what the test does), print the differences
    python tests/golden.py --update   # record the current output as the expectation

Normalised before hashing: trackreport's version string, and the temporary folder the stores
were copied to (pages name recorded and resolved local paths). The site's marker file (the
incremental-build manifest, not part of the site) is left out.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
EXPECTED = HERE / "golden_sites.json"
# name → (folder copied, store URI inside the copy)
STORES = {
    "1.30.1-file": (HERE / "corpus" / "1.30.1" / "file", "mlruns"),
    "3.17.2-file": (HERE / "corpus" / "3.17.2" / "file", "mlruns"),
    "3.17.2-sqlite": (HERE / "corpus" / "3.17.2" / "sqlite", "sqlite:///{d}/mlflow.db"),
    "3.17.2-server": (HERE / "corpus" / "3.17.2" / "server", "sqlite:///{d}/mlflow.db"),
    "sample": (HERE.parent / "sample_mlruns", "."),
    # a logged model and the model registry (MLflow 3.17): registry and logged-model pages
    "registry": (HERE / "stores" / "registry-3.17.2", "mlruns"),
    **{
        f"field-{p.name[:2]}": (p, "mlruns")
        for p in sorted((HERE / "field_cases").iterdir())
        if (p / "mlruns").is_dir()
    },
}


def _digest(data: bytes, replace: list[tuple[bytes, bytes]]) -> str:
    for old, new in replace:
        data = data.replace(old, new)
    return hashlib.sha256(data).hexdigest()[:16]


def site_digests(work: Path) -> dict[str, dict[str, str]]:
    """Build every store (copied into ``work``) and digest each output file."""
    from sitegen import BuildOptions, __version__, build

    out: dict[str, dict[str, str]] = {}
    for name, (src, uri) in STORES.items():
        copy = work / name / "store"
        shutil.copytree(src, copy)
        site = work / name / "site"
        store = uri.format(d=copy) if "{d}" in uri else str(copy / uri)
        build(BuildOptions(store=store, out=str(site), include_deleted=True, jobs=1))
        replace = [
            (str(work).encode(), b"<WORK>"),
            (f"trackreport {__version__}".encode(), b"trackreport <V>"),
            (f"v{__version__}".encode(), b"v<V>"),
            (f'"{__version__}"'.encode(), b'"<V>"'),
        ]
        files = {}
        for dirpath, _dirs, names in os.walk(site):
            for n in names:
                p = Path(dirpath, n)
                rel = p.relative_to(site).as_posix()
                if rel != ".trackreport-site":
                    files[rel] = _digest(p.read_bytes(), replace)
        out[name] = dict(sorted(files.items()))
    return out


def differences(expected: dict, got: dict) -> list[str]:
    lines = []
    for name in sorted(set(expected) | set(got)):
        e, g = expected.get(name, {}), got.get(name, {})
        for rel in sorted(set(e) | set(g)):
            if e.get(rel) != g.get(rel):
                what = "missing" if rel not in g else "new" if rel not in e else "differs"
                lines.append(f"{name}: {rel} {what}")
    return lines


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        got = site_digests(Path(tmp))
    if "--update" in sys.argv:
        EXPECTED.write_text(json.dumps(got, indent=0, sort_keys=True) + "\n")
        print(f"recorded {sum(map(len, got.values()))} files of {len(got)} sites in {EXPECTED}")
        return 0
    diff = differences(json.loads(EXPECTED.read_text()), got)
    print("\n".join(diff) or "identical")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    sys.exit(main())
