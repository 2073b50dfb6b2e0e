"""The README says what the code does: its option table is the options' one declaration
(sitegen.options) and its list of theme blocks is what the templates offer."""

import re
from pathlib import Path

from click.testing import CliRunner

from sitegen.cli import main
from sitegen.options import OPTIONS

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEMPLATES = ROOT / "themes" / "default" / "templates"
CLI_ONLY = {"-v", "--config"}  # rows of the table that are not build options


def _option_rows() -> dict[str, list[str]]:
    section = README[README.index("### Options and config file") :]
    rows = {}
    for line in section.splitlines()[2:]:
        if not line.startswith("| `-"):
            if rows:
                break
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))]
        flag = re.match(r"`(-[-\w]+)", cells[0]).group(1)
        rows[flag] = cells
    return rows


def _readme_default(o) -> str:
    if o.doc_default is not None:
        return o.doc_default
    if o.kind == "flag":
        return "off"
    return "—" if o.default is None else f"`{o.default}`"


def test_readme_option_table_is_the_options_declaration():
    rows = _option_rows()
    assert set(rows) == {o.flag for o in OPTIONS} | CLI_ONLY
    for o in OPTIONS:
        flag_cell, key_cell, default_cell = rows[o.flag][:3]
        assert flag_cell.startswith(f"`{o.flag}"), flag_cell
        if o.short:
            assert f"`{o.short}`" in flag_cell, flag_cell
        assert key_cell == f"`{o.key}`"
        assert default_cell == _readme_default(o), o.name


def test_every_option_is_a_flag_of_build_watch_and_publish():
    for verb in ("build", "watch", "publish"):
        text = CliRunner().invoke(main, [verb, "--help"]).output
        for o in OPTIONS:
            assert o.flag in text, (verb, o.flag)


def _template_blocks(name: str) -> set[str]:
    return set(re.findall(r"\{%[+-]?\s*block\s+(\w+)", (TEMPLATES / name).read_text()))


def test_readme_block_list_matches_the_templates():
    table = README[README.index("| template | blocks |") :]
    listed = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("| `"):
            break
        name, blocks = [c.strip() for c in line.strip("|").split("|")]
        listed[name.strip("`")] = set(re.findall(r"`(\w+)`", blocks))
    inherited = {"title", "crumbs", "content", "head", "body_class", "scripts"}  # the base's, filled by pages
    for name, blocks in listed.items():
        own = _template_blocks(name) - (inherited if name != "base.html" else set())
        assert own == blocks, name
    pages = {p.name for p in TEMPLATES.glob("*.html")} - {
        "macros.html",
        "run_row.html",
        "logged_models.html",
        "artifact_files.html",
    }
    assert set(listed) == pages
