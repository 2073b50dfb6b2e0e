"""The built site: links, relative URLs, escaping of untrusted store content, layout."""

import re

import pytest
from conftest import STORES
from sitecheck import broken_links, links_of, tags_of


@pytest.mark.parametrize("name", list(STORES))
def test_no_broken_internal_links(built_sites, name):
    site, _ = built_sites[name]
    assert broken_links(site) == []


@pytest.mark.parametrize("name", list(STORES))
def test_site_layout(built_sites, name):
    site, _ = built_sites[name]
    assert (site / ".nojekyll").is_file()
    assert (site / "index.html").is_file()
    assert (site / "static" / "style.css").is_file()
    for run_dir in (site / "experiments").glob("*/runs/*"):
        assert (run_dir / "index.html").is_file() and (run_dir / "run.json").is_file()


def test_broken_link_checker_catches_problems(tmp_path):
    (tmp_path / "index.html").write_text(
        '<a href="missing.html">x</a><img src="/abs.png"><script src="https://cdn.example/x.js"></script>'
    )
    problems = broken_links(tmp_path)
    assert len(problems) == 3


def _page_with(site, text):
    return next(p for p in site.glob("experiments/*/runs/*/index.html") if text in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["3.17.2-file", "3.17.2-sqlite"])
def test_untrusted_text_is_escaped(built_sites, name):
    site, _ = built_sites[name]
    edge = _page_with(site, "<title>edge-values").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in edge  # param value
    assert "<img src=x" not in edge
    assert "&lt;b&gt;mallory&lt;/b&gt;" in edge  # tag value
    parent = _page_with(site, "<title>sweep-parent").read_text(encoding="utf-8")
    assert "<strong>bold</strong>" in parent  # markdown rendered
    assert "<script>alert" not in parent  # never a live script
    description = re.search(r'aria-label="Description">(.*?)</section>', parent, re.S).group(1)
    assert "alert" not in description  # sanitizer dropped the script


@pytest.mark.parametrize("name", list(STORES))
def test_only_our_own_script_runs(built_sites, name):
    site, _ = built_sites[name]
    for page in site.rglob("*.html"):
        if "artifacts" in page.relative_to(site).parts:
            continue
        for tag, attrs in tags_of(page):
            if tag == "script":  # the theme's scripts and the site's data files, nothing inline
                src = attrs.get("src") or ""
                assert re.fullmatch(r"(\.\./)*static/[\w/.-]+\.js|runs\.js|series\.js", src), (page, src)
                target = (page.parent / src).resolve()
                assert target.is_file() and site.resolve() in target.parents, (page, src)
                assert attrs.get("type") in (None, "application/json"), page
            assert not [a for a in attrs if a.startswith("on")], f"{page}: event handler on <{tag}>"
            for a in ("href", "src", "action", "formaction"):
                assert not (attrs.get(a) or "").strip().lower().startswith("javascript:"), page


def test_html_artifact_is_sandboxed(built_sites):
    site, _ = built_sites["3.17.2-file"]
    edge = _page_with(site, "<title>edge-values")
    frames = [u for tag, u in links_of(edge) if tag == "iframe"]
    assert frames == ["artifacts/report.html"]
    html = edge.read_text(encoding="utf-8")
    tag = re.search(r"<iframe[^>]*>", html).group(0)
    assert "sandbox" in tag and "allow-scripts" not in tag


def test_artifacts_copied_with_spaces_and_nesting(built_sites):
    site, _ = built_sites["3.17.2-server"]
    edge = _page_with(site, "<title>edge-values")
    art = edge.parent / "artifacts"
    assert (art / "name with spaces.txt").read_text() == "spaces\n"
    assert (art / "reports" / "sub" / "x.txt").read_text() == "nested\n"
    assert 'href="artifacts/name%20with%20spaces.txt"' in edge.read_text(encoding="utf-8")


def test_runs_table_groups_children_under_parent(built_sites):
    site, _ = built_sites["3.17.2-file"]
    page = next(p for p in site.glob("experiments/*/index.html") if "<title>sweep ·" in p.read_text(encoding="utf-8"))
    html = page.read_text(encoding="utf-8")
    groups = re.findall(r'<tbody class="group">(.*?)</tbody>', html, re.S)
    parent_group = next(g for g in groups if "sweep-parent" in g)
    assert parent_group.count('class="child') == 4
    assert all("lr=" not in g for g in groups if g is not parent_group)


def test_deleted_hidden_by_default(corpus_copy, tmp_path):
    from conftest import store_uri

    from sitegen import BuildOptions, build

    result = build(BuildOptions(store=store_uri(corpus_copy, "3.17.2-file"), out=str(tmp_path / "s")))
    html = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "s").rglob("*.html"))
    assert "deleted-run" not in html and "to-be-deleted" not in html
    assert result.runs == 11 and result.experiments == 3


@pytest.mark.parametrize("name", ["3.17.2-file", "3.17.2-sqlite"])
def test_dataset_inputs_on_run_page(built_sites, name):
    site, _ = built_sites[name]
    page = _page_with(site, "emoji run").read_text(encoding="utf-8")
    section = re.search(r"<h2>Datasets.*?</section>", page, re.S).group(0)
    assert "<td>toy</td>" in section and "<td>training</td>" in section
    assert "mlflow_colspec" in section  # schema shown


@pytest.mark.parametrize("name", ["3.17.2-file", "3.17.2-sqlite"])
def test_description_not_repeated_among_tags(built_sites, name):
    site, _ = built_sites[name]
    parent = _page_with(site, "<title>sweep-parent").read_text(encoding="utf-8")
    assert "<strong>bold</strong>" in parent  # shown as the description
    tags = re.search(r'<h2 id="tags">.*?</section>', parent, re.S).group(0)
    assert "mlflow.note.content" not in tags and "Parent of the sweep" not in tags
    assert "mlflow.<wbr>user" in tags  # other system tags stay (names wrap after '.', '/', '_')
