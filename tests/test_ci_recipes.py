"""The CI recipes in docs/ci parse, and every trackreport command in them is accepted by the CLI."""

import shlex
from pathlib import Path

import pytest
import yaml

from sitegen.cli import main

CI = Path(__file__).resolve().parents[1] / "docs" / "ci"


def _commands(text: str) -> list[list[str]]:
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lstrip("-").strip()
        if line.startswith("run:"):
            line = line[4:].strip()
        if line.startswith("trackreport "):
            out.append(shlex.split(line)[1:])
    return out


def _accepts(args: list[str]) -> None:
    """Parse the arguments exactly as the command line would, without running anything."""
    name, *rest = args
    cmd = main.get_command(None, name)
    assert cmd is not None, f"no such command: trackreport {name}"
    cmd.make_context(name, rest)


def test_github_actions_workflow():
    doc = yaml.safe_load((CI / "github-pages.yml").read_text())
    steps = doc["jobs"]["build"]["steps"]
    uses = [s.get("uses", "") for s in steps] + [s.get("uses", "") for s in doc["jobs"]["deploy"]["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert doc["permissions"]["pages"] == "write" and doc["permissions"]["id-token"] == "write"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    cmds = [c for s in steps if "run" in s for c in _commands("run: " + s["run"])]
    assert cmds
    for args in cmds:
        _accepts(args)
        assert args[args.index("--out") + 1] == upload["with"]["path"]


def test_gitlab_job():
    doc = yaml.safe_load((CI / "gitlab-pages.yml").read_text())
    job = doc["pages"]
    assert job["artifacts"]["paths"] == ["public"]
    cmds = [c for line in job["script"] for c in _commands(line)]
    assert cmds and all(args[args.index("--out") + 1] == "public" for args in cmds)
    for args in cmds:
        _accepts(args)


def test_static_host_script():
    cmds = _commands((CI / "static-host.sh").read_text())
    assert cmds
    for args in cmds:
        _accepts(args)


def test_checker_rejects_a_bad_command():
    import click

    with pytest.raises(click.NoSuchOption, match="--no-such-flag"):
        _accepts(["build", "--no-such-flag"])
