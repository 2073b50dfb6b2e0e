"""``trackreport publish``: put the built site on a GitHub Pages branch and push it.

The site is streamed into ``git fast-import`` with ghp-import's helpers (the library ``mkdocs
gh-deploy`` is built on), so the user's working tree, index, current branch and stash are never
touched and nothing is checked out in their folder. Each publish adds one commit on top of the
branch (the branch's history is kept); git's content addressing makes that commit's diff exactly
the files that changed. This module adds what ghp-import leaves to its caller: syncing with the
remote branch first, checks against GitHub Pages' limits, classified one-line errors, and safety
against interruption: the commit is made on a scratch ref (``refs/trackreport/publish-<pid>``),
the branch is moved to it with one ``update-ref`` once it is complete, and moved back when the
push fails, so a failed or killed publish never leaves the branch on a partial commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.process import checkpoint
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
    # No gc or maintenance started in the user's repository by publish's own git commands.
    OPTIONS = ("-c", "gc.auto=0", "-c", "maintenance.auto=false")

    def __init__(self, repo: Path):
        self.repo = repo
        self.command = ["git", "-C", str(repo), *self.OPTIONS]

    def run(self, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run([*self.command, *args], capture_output=True, text=True, env={**os.environ, **(env or {})})
        if check and proc.returncode != 0:
            lock = _LOCK_RE.search(proc.stderr)
            if lock:
                raise _lock_error(lock.group(1), self.repo)
            raise PublishError(f"git {args[0]} failed: {_first_line(proc.stderr)}")
        return proc

    def rev(self, ref: str, kind: str = "commit") -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{{kind}}}", check=False)
        return proc.stdout.strip() or None

    def config(self, key: str) -> str:
        return self.run("config", key, check=False).stdout.strip()


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


SCRATCH = "refs/trackreport/publish-"  # + pid: the commit is made here, then the branch moves to it
_LOCK_RE = re.compile(r"Unable to create '([^']+\.lock)': File exists")


def _lock_error(path: str, repo: Path) -> PublishError:
    return PublishError(
        f"git's lock file {path} exists: another git command is running in {repo}, or one was killed; "
        f"if none is running, remove {path} and publish again"
    )


def _check_locks(git: _Git, names: list[str]) -> None:
    """Stop before touching anything when git left a lock on what publish updates (a git
    killed with -9 leaves ``<ref>.lock``): named in the message, never removed here."""
    args = [a for n in names for a in ("--git-path", n)]
    for line in git.run("rev-parse", *args).stdout.splitlines():
        path = Path(line) if os.path.isabs(line) else git.repo / line
        if path.exists():
            raise _lock_error(str(path), git.repo)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except OSError:
        pass
    return pid != str(os.getpid())


def _clear_scratch(git: _Git) -> None:
    """Delete the scratch refs that killed publishes left (a lock git left on one stays)."""
    for name in git.run("for-each-ref", "--format=%(refname)", "refs/trackreport/", check=False).stdout.split():
        if name.startswith(SCRATCH) and not _alive(name[len(SCRATCH) :]):
            git.run("update-ref", "-d", name, check=False)


def _make_commit(git: _Git, site: Path, parent: str | None, message: str, cname: str | None) -> str:
    """Commit ``site`` (without trackreport's bookkeeping) with ``git fast-import`` on a scratch
    ref; the commit id. The stream is written with ghp-import's helpers (what ``mkdocs gh-deploy``
    does) into an unnamed temporary file first, and git reads it whole: a publish killed while
    writing it leaves nothing at all (a stream cut short would make fast-import commit part of
    the site, or die leaving a crash report in .git), one killed later at most a complete commit
    on the scratch ref, which no branch points to and the next publish deletes."""
    import ghp_import

    scratch = f"{SCRATCH}{os.getpid()}"
    name = os.environ.get("GIT_COMMITTER_NAME") or git.config("user.name") or "trackreport"
    email = os.environ.get("GIT_COMMITTER_EMAIL") or git.config("user.email") or "trackreport@localhost"
    data = message.encode()
    header = f"commit {scratch}\ncommitter {name} <{email}> {int(time.time())} {time.strftime('%z')}\n"
    with tempfile.TemporaryFile(prefix="trackreport-publish-") as stream:
        out = types.SimpleNamespace(stdin=stream)  # what ghp-import's helpers write to
        stream.write(f"{header}data {len(data)}\n".encode() + data + b"\n")
        stream.write((f"from {parent}\n" if parent else "").encode() + b"deleteall\n")
        for dirpath, dirs, files in os.walk(site):
            dirs.sort()
            for fname in sorted(files):
                if dirpath == str(site) and (fname == MARKER or fname.startswith(".trackreport-")):
                    continue  # the marker (store location, manifest) and build bookkeeping: never published
                path = os.path.join(dirpath, fname)
                ghp_import.add_file(out, path, Path(path).relative_to(site).as_posix())
                checkpoint("publish-stream")
        ghp_import.add_nojekyll(out)
        if cname is not None:
            ghp_import.add_cname(out, cname)
        stream.write(b"\n")
        stream.flush()
        stream.seek(0)
        command = [*git.command, "fast-import", "--quiet", "--force", "--date-format=raw"]
        proc = subprocess.Popen(command, stdin=stream, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        checkpoint("publish-importing")  # git reads the stream on its own from here
        text = proc.communicate()[1].decode("utf-8", "replace")
    if proc.returncode != 0:
        lock = _LOCK_RE.search(text)
        if lock:
            raise _lock_error(lock.group(1), git.repo)
        raise PublishError(f"git fast-import could not make the commit: {_first_line(text)}")
    commit = git.rev(scratch)
    git.run("update-ref", "-d", scratch, check=False)  # the id is enough; no branch points to it yet
    if commit is None:
        raise PublishError("git fast-import did not create the commit")
    checkpoint("publish-streamed")
    return commit


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
    the branch; copies others fetched, and the host's caches, are beyond reach).

    Killed at any moment, the branch is its old commit or the complete new one, the remote
    too, and the next publish finishes the job (tests/test_publish_kill.py)."""
    from sitegen.process import BuildLock
    from sitegen.writer import recover

    site = Path(site).resolve()
    if not site.is_dir():
        raise PublishError(f"no site in {site} (build it first, or drop --no-build)")
    if shutil.which("git") is None:
        raise PublishError("git is not installed or not on PATH")
    git, url = _open_repo(Path(repo).resolve(), remote, branch)
    result = PublishResult(remote, branch, url=pages_url(url, cname))
    ref = f"refs/heads/{branch}"
    if git.run("symbolic-ref", "-q", "HEAD", check=False).stdout.strip() == ref:
        raise PublishError(f"{branch} is the branch checked out in {git.repo}: switch to another (or use --branch)")
    _check_locks(git, [f"{ref}.lock", f"refs/remotes/{remote}/{branch}.lock", "packed-refs.lock"])
    _clear_scratch(git)
    before = git.rev(ref)
    # Start from what the remote has, so the push is a fast-forward (a branch deleted there: none).
    remote_tip = git.rev(f"refs/remotes/{remote}/{branch}") if not push or _fetch(git, remote, ref, branch) else None
    result.first_publish = remote_tip is None and before is None
    published = remote_tip if push else before  # what the new commit is compared with
    behind = ["merge-base", "--is-ancestor", str(before), str(remote_tip)]
    if fresh:
        parent = None
    elif remote_tip and (push or before is None or git.run(*behind, check=False).returncode == 0):
        parent = remote_tip  # behind or equal: build on the remote's tip
    else:
        parent = before
    with BuildLock(site):  # no build changes the site while it is read
        recover(site)  # a build killed while writing: never push half of it
        if not (site / "index.html").is_file():
            raise PublishError(f"no site in {site} (build it first, or drop --no-build)")
        result.warnings = check_site(site)
        commit = _make_commit(git, site, parent, message or "Update trackreport site", cname)
    if not fresh and parent is not None and git.rev(commit, "tree") == git.rev(parent, "tree"):
        commit = parent  # identical site: no empty commit
    if not fresh and commit == published:
        return result  # nothing changed, nothing to push
    result.commit = commit
    _count_changes(git, published, commit, result)
    git.run("update-ref", "-m", "trackreport publish", ref, commit, before or "")
    checkpoint("publish-committed")
    if push:
        args = ["push", "--porcelain", remote, f"{ref}:{ref}"]
        if force or fresh:
            args.insert(1, "--force")
        pushed = git.run(*args, check=False, env={"GIT_TERMINAL_PROMPT": "0"})
        if pushed.returncode != 0:
            _restore(git, ref, before, commit)
            raise _push_error(pushed.stderr + pushed.stdout, remote, git.repo)
        checkpoint("publish-pushed")
    return result


def _open_repo(repo_path: Path, remote: str, branch: str) -> tuple[_Git, str]:
    """The repository's top folder (as a _Git) and the remote's URL, or a PublishError."""
    if not repo_path.is_dir():
        raise PublishError(f"--repo {repo_path} is not a folder")
    top = _Git(repo_path).run("rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0:
        raise PublishError(f"{repo_path} is not inside a git repository (use --repo PATH)")
    git = _Git(Path(top.stdout.strip()))
    url = git.run("remote", "get-url", remote, check=False)
    if url.returncode != 0:
        raise PublishError(f"no remote named '{remote}' in {git.repo} (see git remote -v, or --remote)")
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch) or branch.startswith("-"):
        raise PublishError(f"not a usable branch name: {branch}")
    return git, url.stdout.strip()


def _fetch(git: _Git, remote: str, ref: str, branch: str) -> bool:
    """Fetch the remote's branch into its remote-tracking ref; whether the remote has it."""
    spec = f"+{ref}:refs/remotes/{remote}/{branch}"
    fetched = git.run("fetch", "--quiet", "--no-write-fetch-head", remote, spec, check=False)
    if fetched.returncode != 0 and "no-write-fetch-head" in fetched.stderr:  # git < 2.29
        fetched = git.run("fetch", "--quiet", remote, spec, check=False)
    if fetched.returncode != 0 and "couldn't find remote ref" not in fetched.stderr:
        raise _push_error(fetched.stderr, remote, git.repo, fetching=True)
    return fetched.returncode == 0


def _restore(git: _Git, ref: str, old: str | None, new: str) -> None:
    """Move ``ref`` back from ``new`` to ``old`` (not if something else moved it meanwhile)."""
    if old is None:
        git.run("update-ref", "-d", ref, new, check=False)
    else:
        git.run("update-ref", ref, old, new, check=False)


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


def _push_error(stderr: str, remote: str, repo: Path, fetching: bool = False) -> PublishError:
    lock = _LOCK_RE.search(stderr)
    if lock:
        return _lock_error(lock.group(1), repo)
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
