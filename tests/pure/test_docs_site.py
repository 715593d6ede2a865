"""The documentation as a site (mkdocs.yml, `./bin/docs`): it builds in strict mode with README.md as the home
page, every page of docs/ and ARCHITECTURE.md, their links mapped to the site; and a broken link, a missing anchor
or a page left out of the nav fails the build."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import REPO

# What the site is built from: the same files copied elsewhere build the same site.
SOURCES = ["mkdocs.yml", "README.md", "ARCHITECTURE.md", "docs", "tools/mkdocs_hooks.py"]


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "mkdocs", "build", "--strict"),
            *("--config-file", str(root / "mkdocs.yml"), "--site-dir", str(site)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_sources(root: Path) -> Path:
    for name in SOURCES:
        source, target = REPO / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    return root


def warnings(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in result.stderr.splitlines() if line.startswith("WARNING")]


def test_the_docs_build_as_a_site_in_strict_mode(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = build(REPO, site)
    assert (result.returncode, warnings(result)) == (0, []), result.stderr
    pages = {page.name for page in site.glob("*.html")}
    assert {f"{page.stem}.html" for page in (REPO / "docs").glob("*.md")} <= pages
    assert {"index.html", "ARCHITECTURE.html"} <= pages
    home = (site / "index.html").read_text(encoding="utf-8")
    assert '<h1 id="guardduty-alerts">guardduty-alerts' in home  # the README is the home page
    # The README's links to docs/channels.md and the pages' to ../ARCHITECTURE.md point at the site's pages.
    assert 'href="channels.html"' in home and 'href="docs/' not in home
    development = (site / "development.html").read_text(encoding="utf-8")
    assert 'href="ARCHITECTURE.html"' in development and 'href="../ARCHITECTURE' not in development
    # Headings get GitHub's anchors, which the pages link: `--aws` keeps its three hyphens.
    assert 'id="preview---aws"' in (site / "verify.html").read_text(encoding="utf-8")
    # Every fenced block is a code block, those inside list items too (plain Python-Markdown would show
    # docs/verify.md's steps as one inline `<code>sh ...` run of text).
    fence_lines = sum(
        len(re.findall(r"^[ \t]*```", page.read_text(encoding="utf-8"), flags=re.MULTILINE))
        for page in [REPO / "README.md", REPO / "ARCHITECTURE.md", *(REPO / "docs").glob("*.md")]
    )
    html = {page.name: page.read_text(encoding="utf-8") for page in site.glob("*.html")}
    inline = sorted(name for name, text in html.items() if re.search(r"<code>(sh|bash|hcl|yaml|text|json)\n", text))
    assert (sum(text.count("<pre") for text in html.values()), inline) == (fence_lines // 2, [])


def test_fails_on_a_broken_link_a_missing_anchor_or_a_page_outside_the_nav(tmp_path: Path) -> None:
    root = copy_sources(tmp_path / "repo")
    with (root / "docs" / "delivery.md").open("a", encoding="utf-8") as page:
        page.write("\n[gone](nowhere.md) [no anchor](channels.md#no-such-heading) [code](../tools/demo.py)\n")
    (root / "docs" / "orphan.md").write_text("# Orphan\n\nA page nobody put in the nav.\n", encoding="utf-8")
    result = build(root, tmp_path / "site")
    assert result.returncode == 1
    assert sorted(warnings(result)) == [
        "WARNING - Doc file 'delivery.md' contains a link '../tools/demo.py', but the target is not found among "
        "documentation files.",
        "WARNING - Doc file 'delivery.md' contains a link 'channels.md#no-such-heading', but the doc 'channels.md' "
        "does not contain an anchor '#no-such-heading'.",
        "WARNING - Doc file 'delivery.md' contains a link 'nowhere.md', but the target is not found among "
        "documentation files.",
        'WARNING - The following pages exist in the docs directory, but are not included in the "nav" configuration:',
    ]
    assert "\n  - orphan.md\n" in result.stderr  # the list of pages follows the warning
    assert "Aborted with 4 warnings in strict mode!" in result.stdout
