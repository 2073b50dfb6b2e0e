"""A client over an fsspec filesystem (gcsfs, adlfs): list a folder's files, download one."""

from __future__ import annotations

import logging

# What fsspec implementations log on failures (tracebacks included) is reported by the build
# as one warning instead; without a handler of their own Python would print it to stderr.
for _name in ("fsspec", "gcsfs", "adlfs", "azure"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

# What tells two versions of an object apart, in the order they are recorded.
VERSION_FIELDS = ("etag", "md5Hash", "generation", "last_modified")


def version(info: dict) -> str:
    return "|".join(str(info[k]) for k in VERSION_FIELDS if info.get(k) is not None)


class FsspecClient:
    def __init__(self, fs, endpoint: str):
        self.fs, self.endpoint = fs, endpoint

    def list(self, root: str):
        for path, info in self.fs.find(root, detail=True).items():
            path = path.rstrip("/")
            if info.get("type") == "file" and path.startswith(root + "/"):
                yield path[len(root) + 1 :], int(info.get("size") or 0), version(info)

    def download(self, root: str, rel: str, local: str) -> None:
        self.fs.get_file(f"{root}/{rel}", local)
