"""The half-monthly circular (通报): a Word document in official-document layout (GB/T 9704),
a printable HTML page and a short plain-text summary for the office's WeChat group.

Takes the summary dict (``Analysis.summary`` / summary.json) and the settings only, so the circular
carries community-level figures and never a woman's name, ID or phone. Gives the three files in a
folder (:func:`write_circular`), named by :mod:`pipeline.outputs.names`.

* :mod:`.context` - summary + settings -> the templates' context (pure);
* :mod:`.render` - the Jinja templates in ``templates/`` and the body's line format;
* :mod:`.docx` - the Word document.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pipeline.outputs.circular.context import circular_context, default_date, document_number
from pipeline.outputs.circular.docx import SIZE_TITLE, TYPE_WIDTH_PT, build_docx, title_lines, write_docx
from pipeline.outputs.circular.render import (
    BODY_TEMPLATE,
    HTML_TEMPLATE,
    TEXT_TEMPLATE,
    body_blocks,
    parse_body,
    render,
    template_dirs,
    templates_dir,
)
from pipeline.outputs.names import circular_names
from pipeline.settings import Settings

__all__ = [
    "BODY_TEMPLATE",
    "HTML_TEMPLATE",
    "TEXT_TEMPLATE",
    "body_blocks",
    "build_docx",
    "circular_context",
    "default_date",
    "document_number",
    "parse_body",
    "render",
    "template_dirs",
    "templates_dir",
    "write_circular",
    "write_docx",
    "write_html",
    "write_text",
]


def write_html(path: Path, context: dict[str, Any], settings: Settings) -> Path:
    blocks = body_blocks(context, settings)
    for block in blocks:  # the title in the lines the Word document breaks it into
        if block["kind"] == "title":
            block["lines"] = title_lines(block["text"], SIZE_TITLE.pt, TYPE_WIDTH_PT)
    html = render(HTML_TEMPLATE, {**context, "blocks": blocks}, settings)
    path.write_text(html, encoding="utf-8", newline="\n")
    return path


def write_text(path: Path, context: dict[str, Any], settings: Settings) -> Path:
    text = render(TEXT_TEMPLATE, context, settings)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_circular(
    folder: Path,
    summary: dict[str, Any],
    settings: Settings,
    as_of: dt.date,
    number: str | None = None,
    date: dt.date | None = None,
) -> list[Path]:
    """``通报_<as-of>.docx``, ``通报_<as-of>.html`` and ``通报摘要_<as-of>.txt`` in ``folder``.
    Before the first circular period has ended, the documents say so (no ranking yet). ``date`` is
    the 成文日期 (default: the day after the period end)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = circular_names(as_of)
    context = circular_context(summary, settings, number=number, date=date)
    return [
        write_docx(folder / names.docx, context, settings),
        write_html(folder / names.html, context, settings),
        write_text(folder / names.text, context, settings),
    ]
