"""``trackreport publish``: put the built site on a GitHub Pages branch and push it.

The commit is made with ghp-import (the library ``mkdocs gh-deploy`` is built on): it
streams the site into ``git fast-import``, so the user's working tree, index, current
branch and stash are never touched and nothing is checked out in their folder. Each
publish adds one commit on top of the branch (the branch's history is kept); git's
content addressing makes that commit's diff exactly the files that changed. This module
adds what ghp-import leaves to its caller: syncing with the remote branch first, checks
against GitHub Pages' limits, classified one-line errors, and undoing the local branch
update when the push fails, so a failed publish changes nothing locally.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.writer import MARKER

MB = 1000 * 1000
HARD_FILE_LIMIT = 100 * MB  # GitHub refuses larger files
WARN_FILE_LIMIT = 50 * MB  # GitHub warns about larger files
WARN_SITE_LIMIT = 1000 * MB  # GitHub Pages' published site limit

# Exit codes of `trackreport publish` (documented in --help and the README).
from sitegen.errors import EXIT_PUSH_FAILED, EXIT_REJECTED, PublishError  # noqa: E402


@dataclass
class PublishResult:
    remote: str
    branch: str
    commit: str | None = None  # None: nothing changed, nothing pushed
    files_changed: int = 0
    bytes_changed: int = 0
    first_publish: bool = False
    url: str | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.commit is None:
            return f"nothing changed since the last publish to {self.remote}/{self.branch}"
        return (
            f"published {self.files_changed} changed files ({_human(self.bytes_changed)}) "
            f"to {self.remote}/{self.branch} as {self.commit[:10]}"
        )


def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


class _Git:
    def __init__(self, repo: Path):
        self.repo = repo

    def run(self, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            ["git", "-C", str(self.repo), *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
        )
        if check and proc.returncode != 0:
            raise PublishError(f"git {args[0]} failed: {_first_line(proc.stderr)}")
        return proc

    def rev(self, ref: str, kind: str = "commit") -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{{kind}}}", check=False)
        return proc.stdout.strip() or None


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    lines = [ln[len("fatal: ") :] if ln.startswith("fatal: ") else ln for ln in lines]
    return lines[0] if lines else "unknown error"


def check_site(site: Path) -> list[str]:
    """GitHub Pages' limits: raise for files over 100 MB, warn for 50 MB and a 1 GB site."""
    too_big, big, total = [], [], 0
    for dirpath, _dirs, files in os.walk(site):
        for name in files:
            p = Path(dirpath, name)
            size = p.stat().st_size
            total += size
            if size > HARD_FILE_LIMIT:
                too_big.append((p.relative_to(site).as_posix(), size))
            elif size > WARN_FILE_LIMIT:
                big.append((p.relative_to(site).as_posix(), size))
    if too_big:
        listing = ", ".join(f"{p} ({_human(s)})" for p, s in too_big)
        raise PublishError(
            f"GitHub refuses files over 100 MB: {listing}; rebuild with "
            "--max-artifact-size 50MB to list such artifacts instead of copying them"
        )
    warnings = [f"{p} is {_human(s)}: GitHub warns about files over 50 MB" for p, s in big]
    if total > WARN_SITE_LIMIT:
        warnings.append(
            f"the site is {_human(total)}: GitHub Pages sites should stay under 1 GB (see --max-artifact-size)"
        )
    return warnings


def pages_url(remote_url: str, cname: str | None = None) -> str | None:
    """Where GitHub Pages will serve the site, for a GitHub remote (or the custom domain)."""
    if cname:
        return f"https://{cname.strip().strip('/')}/"
    m = re.search(r"github\.com[:/]+([^/]+)/([^/]+?)(?:\.git)?/?$", remote_url)
    if not m:
        return None
    owner, repo = m.group(1), m.group(2)
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{repo}/"


@contextlib.contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _site_copy(site: Path) -> tempfile.TemporaryDirectory:
    """The site without trackreport's own bookkeeping (hard links, nothing copied)."""
    tmp = tempfile.TemporaryDirectory(prefix="trackreport-publish-")
    for dirpath, _dirs, files in os.walk(site):
        rel = os.path.relpath(dirpath, site)
        target = Path(tmp.name, rel)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if rel == "." and name == MARKER:
                continue
            src = os.path.join(dirpath, name)
            try:
                os.link(src, target / name)
            except OSError:
                shutil.copy2(src, target / name)
    return tmp


def publish(
    site: str | os.PathLike,
    *,
    repo: str | os.PathLike = ".",
    remote: str = "origin",
    branch: str = "gh-pages",
    message: str | None = None,
    cname: str | None = None,
    force: bool = False,
    push: bool = True,
    fresh: bool = False,
) -> PublishResult:
    """Commit ``site`` on top of ``branch`` (created if needed) and push it to ``remote``.

    ``fresh``: replace the branch's whole history with one commit holding the site, and
    force-push it (what was published before, a secret among it, is then in no commit of
    the branch; copies others fetched, and the host's caches, are beyond reach)."""
    import ghp_import

    site = Path(site).resolve()
    from sitegen.writer import recover

    recover(site)  # a build killed while writing: never push half of it
    if not (site / "index.html").is_file():
        raise PublishError(f"no site in {site} (build it first, or drop --no-build)")
    if shutil.which("git") is None:
        raise PublishError("git is not installed or not on PATH")
    repo_path = Path(repo).resolve()
    if not repo_path.is_dir():
        raise PublishError(f"--repo {repo_path} is not a folder")
    git = _Git(repo_path)
    top = git.run("rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0:
        raise PublishError(f"{repo_path} is not inside a git repository (use --repo PATH)")
    repo_path = Path(top.stdout.strip())
    git = _Git(repo_path)
    url = git.run("remote", "get-url", remote, check=False)
    if url.returncode != 0:
        raise PublishError(f"no remote named '{remote}' in {repo_path} (see git remote -v, or --remote)")
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch) or branch.startswith("-"):
        raise PublishError(f"not a usable branch name: {branch}")
    result = PublishResult(remote, branch, url=pages_url(url.stdout.strip(), cname))
    result.warnings = check_site(site)

    ref = f"refs/heads/{branch}"
    before = git.rev(ref)
    if push:  # start from what the remote has, so the push is a fast-forward
        fetched = git.run("fetch", "--quiet", remote, f"+{ref}:refs/remotes/{remote}/{branch}", check=False)
        if fetched.returncode != 0 and "couldn't find remote ref" not in fetched.stderr:
            raise _push_error(fetched.stderr, remote, fetching=True)
    remote_tip = git.rev(f"refs/remotes/{remote}/{branch}")
    result.first_publish = remote_tip is None and before is None
    env_keys = {}
    if not git.run("config", "user.name", check=False).stdout.strip():
        env_keys["GIT_COMMITTER_NAME"] = "trackreport"
    if not git.run("config", "user.email", check=False).stdout.strip():
        env_keys["GIT_COMMITTER_EMAIL"] = "trackreport@localhost"
    base = before
    if remote_tip and not force:
        if before is None or git.run("merge-base", "--is-ancestor", before, remote_tip, check=False).returncode == 0:
            base = remote_tip  # behind or equal: build on the remote's tip
    copy = _site_copy(site)
    try:
        old_env = {k: os.environ.get(k) for k in env_keys}
        os.environ.update(env_keys)
        try:
            if base != before:
                git.run("update-ref", ref, base)
            with _cwd(repo_path):
                ghp_import.ghp_import(
                    copy.name,
                    mesg=message or "Update trackreport site",
                    remote=remote,
                    branch=branch,
                    push=False,
                    force=False,
                    nojekyll=True,
                    cname=cname,
                    no_history=fresh,
                )
        finally:
            for k, v in old_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    except ghp_import.GhpError as e:
        _restore(git, ref, before)
        raise PublishError(f"could not make the commit: {e}") from e
    except BaseException:
        _restore(git, ref, before)
        raise
    finally:
        copy.cleanup()
    after = git.rev(ref)
    if after is None or after == base:
        _restore(git, ref, before)
        raise PublishError("git fast-import did not create the commit (see git's message above)")
    if not fresh and base is not None and git.rev(after, "tree") == git.rev(base, "tree"):
        _restore(git, ref, before)  # identical site: no empty commit, nothing to push
        return result
    result.commit = after
    _count_changes(git, base, after, result)
    if push:
        args = ["push", "--porcelain", remote, f"{ref}:{ref}"]
        if force or fresh:
            args.insert(1, "--force")
        pushed = git.run(*args, check=False, env={"GIT_TERMINAL_PROMPT": "0"})
        if pushed.returncode != 0:
            _restore(git, ref, before)
            raise _push_error(pushed.stderr + pushed.stdout, remote)
    return result


def _restore(git: _Git, ref: str, old: str | None) -> None:
    if old is None:
        git.run("update-ref", "-d", ref, check=False)
    else:
        git.run("update-ref", ref, old, check=False)


def _count_changes(git: _Git, base: str | None, after: str, result: PublishResult) -> None:
    if base is None:
        listing = git.run("ls-tree", "-r", "-l", after).stdout.splitlines()
        result.files_changed = len(listing)
        result.bytes_changed = sum(int(line.split()[3]) for line in listing if line.split()[3].isdigit())
        return
    names = git.run("diff", "--name-status", "--no-renames", base, after).stdout.splitlines()
    result.files_changed = len(names)
    sizes = git.run("ls-tree", "-r", "-l", after).stdout.splitlines()
    size_of = {}
    for line in sizes:
        meta, _, path = line.partition("\t")
        parts = meta.split()
        if len(parts) == 4 and parts[3].isdigit():
            size_of[path] = int(parts[3])
    result.bytes_changed = sum(size_of.get(n.split("\t", 1)[1], 0) for n in names if "\t" in n)


def _push_error(stderr: str, remote: str, fetching: bool = False) -> PublishError:
    text = stderr.lower()
    if any(s in text for s in ("non-fast-forward", "fetch first", "[rejected]")):
        return PublishError(
            f"push to {remote} rejected: the remote branch has commits this one "
            "does not; pull them (git fetch) or publish with --force to overwrite",
            EXIT_REJECTED,
        )
    if "[remote rejected]" in text:
        reason = re.search(r"\[remote rejected\][^(]*\(([^)]*)\)", stderr)
        return PublishError(
            f"push to {remote} refused by the remote" + (f": {reason.group(1)}" if reason else ""), EXIT_REJECTED
        )
    if any(
        s in text
        for s in (
            "authentication failed",
            "permission denied",
            "could not read username",
            "403",
            "401",
            "terminal prompts disabled",
            "publickey",
        )
    ):
        return PublishError(
            f"authentication to {remote} failed: check your git credentials ({_first_line(stderr)})", EXIT_PUSH_FAILED
        )
    what = "fetch from" if fetching else "push to"
    return PublishError(f"{what} {remote} failed: {_first_line(stderr)}", EXIT_PUSH_FAILED)


def first_publish_hint(result: PublishResult) -> str:
    return (
        f"first publish of branch '{result.branch}': on GitHub, open the repository's "
        f"Settings → Pages and choose 'Deploy from a branch' → {result.branch} / (root)"
    )
