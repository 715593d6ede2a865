"""MkDocs hooks (mkdocs.yml): the site's home page is README.md and ARCHITECTURE.md is a page, although both live
beside docs/ rather than in it, and headings get GitHub's anchors, so the links the pages use on GitHub work on
the site unchanged.

On GitHub, README.md links `docs/channels.md` and the pages link `../ARCHITECTURE.md`; on the site every page
sits in one folder, so each link to one of these files is rewritten to the page's name there. A link to any
other file outside docs/ is left alone, and the strict build fails on it as on any broken link.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

# Files from outside docs/ that are pages of the site: repository path -> name on the site.
OUTSIDE_PAGES = {"README.md": "index.md", "ARCHITECTURE.md": "ARCHITECTURE.md"}
LINK = re.compile(r"(\]\()([^)\s#]*)(#[^)\s]*)?(\))")


def github_slug(value: str, separator: str) -> str:
    """A heading's anchor as GitHub makes it: lowercase, punctuation other than - and _ dropped, each space a
    hyphen (Python-Markdown's own slugify collapses `--aws` into `-aws`); tests/pure/test_docs.py checks the
    links against the same rule."""
    return re.sub(r"[^\w\- ]", "", value.lower()).replace(" ", separator)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    config.mdx_configs.setdefault("toc", {})["slugify"] = github_slug
    return config


def _root(config: MkDocsConfig) -> Path:
    """The repository: the folder of mkdocs.yml."""
    return Path(config.config_file_path).resolve().parent


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for source, name in OUTSIDE_PAGES.items():
        files.append(File.generated(config, name, abs_src_path=str(_root(config) / source)))
    return files


def _repository_path(page: Page, config: MkDocsConfig) -> PurePosixPath:
    """Where the page's Markdown is in the repository (its links are relative to that)."""
    return PurePosixPath(Path(page.file.abs_src_path or "").resolve().relative_to(_root(config)).as_posix())


def _site_name(target: PurePosixPath) -> str | None:
    """The name on the site of a repository path a link points at, if it is a page there."""
    text = target.as_posix()
    if text in OUTSIDE_PAGES:
        return OUTSIDE_PAGES[text]
    if text == "docs":
        return "index.md"
    if target.parent == PurePosixPath("docs"):
        return target.name
    return None


def _normalise(path: PurePosixPath) -> PurePosixPath:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return PurePosixPath(*parts)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files, **_: Any) -> str:
    folder = _repository_path(page, config).parent

    def rewrite(match: re.Match[str]) -> str:
        opening, target, anchor, closing = match.groups()
        if not target or re.match(r"^[a-z]+:", target):
            return match.group(0)
        name = _site_name(_normalise(folder / target))
        return f"{opening}{name}{anchor or ''}{closing}" if name else match.group(0)

    return LINK.sub(rewrite, markdown)
