"""The circular's wording: the Jinja templates and the line-based body format the Word and HTML
writers lay out.

The templates ship inside the package (``pipeline/templates/``, package data, so that an installed
``screening`` finds them from any folder). An office that wants its own wording puts a copy of a
template in a ``templates/`` folder beside its config file: a template found there is used instead
of the shipped one of the same name, the others still come from the package.

Takes a template name, a context dict and the settings (where the config file is); gives rendered
text, and the body template's lines as blocks (:func:`parse_body`). The environment uses
StrictUndefined (a key missing from the context is an error, never an empty string) and
autoescapes HTML templates. Reads templates only; writes nothing.

Templates (the office can edit them without touching code):

* ``circular_body.txt.j2`` - the document itself, one paragraph per line, with simple markers
  (see :func:`parse_body`) telling the Word and HTML writers how to lay each line out;
* ``circular.html.j2`` - the HTML page (layout only; it renders the same paragraphs as Word);
* ``circular.txt.j2`` - the WeChat summary;
* ``mail_*.txt.j2`` - the emails (rendered by :mod:`pipeline.mail` with the same environment).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipeline.fmt import cn_count
from pipeline.settings import Settings

BODY_TEMPLATE = "circular_body.txt.j2"
HTML_TEMPLATE = "circular.html.j2"
TEXT_TEMPLATE = "circular.txt.j2"


# The templates shipped with the package (package data: pyproject.toml [tool.setuptools.package-data]).
PACKAGE_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
OVERRIDE_FOLDER = "templates"  # beside the config file: the office's own versions of some templates


def templates_dir(settings: Settings) -> Path | None:
    """The office's override folder, ``templates/`` beside the config file, when there is one."""
    if settings.source:
        beside = Path(settings.source).resolve().parent / OVERRIDE_FOLDER
        if beside.is_dir():
            return beside
    return None


def template_dirs(settings: Settings) -> list[Path]:
    """Where templates are looked up, in order: the override folder (if any), then the package's."""
    override = templates_dir(settings)
    return [override, PACKAGE_TEMPLATES] if override is not None else [PACKAGE_TEMPLATES]


def environment(settings: Settings) -> Environment:
    """The templates' environment: StrictUndefined, HTML autoescaped, the ``cn`` count filter."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs(settings)]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2", "htm")),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn"] = cn_count
    return env


def render(name: str, context: dict[str, Any], settings: Settings) -> str:
    """Render one template; a missing key raises ``jinja2.UndefinedError``."""
    return environment(settings).get_template(name).render(**context)


_MARKERS = {
    "@draft": "draft",
    "@office": "office",
    "@issue": "issue",
    "@number": "number",
    "@title": "title",
    "@recipients": "recipients",
    "@annex": "annex",
    "@seal": "seal",
    "@signature": "signature",
    "@date": "date",
    "@attachment": "attachment",
    "@attachment_title": "attachment_title",
    "@copy_to": "copy_to",
    "@printed": "printed",
}


def parse_body(text: str) -> list[dict[str, Any]]:
    """The rendered body template as blocks (kind, text, rows). One line = one paragraph:

    ``@draft`` the draft mark (征求意见稿), ``@office`` 发文机关标志 (one line per organ), ``@issue``
    期号, ``@number`` 发文字号, ``@title`` 标题 (may break at U+200B only), ``@recipients`` 主送机关,
    ``# `` 一级标题, ``## `` 二级标题, ``| a | b |`` a table row (consecutive rows make one table,
    the first is the header), ``@annex`` 附件说明 (one line per attachment), ``@seal`` 印章位置,
    ``@signature`` 署名 (one line per organ), ``@date`` 成文日期, ``@attachment`` 附件标识 (starts a
    new page), ``@attachment_title`` 附件标题, ``@copy_to`` 抄送 and ``@printed`` 印发机关|印发日期
    (版记), any other non-empty line a body paragraph. Blank lines are ignored."""
    blocks: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("|"):
            inner = line[1:-1] if line.endswith("|") and len(line) > 1 else line[1:]
            cells = [c.strip() for c in inner.split("|")]
            if blocks and blocks[-1]["kind"] == "table":
                blocks[-1]["rows"].append(cells)
            else:
                blocks.append({"kind": "table", "text": "", "rows": [cells]})
        elif line.startswith("## "):
            blocks.append({"kind": "heading2", "text": line[3:].strip(), "rows": []})
        elif line.startswith("# "):
            blocks.append({"kind": "heading1", "text": line[2:].strip(), "rows": []})
        elif line.startswith("@"):
            word, _, rest = line.partition(" ")
            if word not in _MARKERS:
                raise ValueError(f"模板 {BODY_TEMPLATE} 第{number}行：无法识别的标记 {word}。")
            blocks.append({"kind": _MARKERS[word], "text": rest.strip(), "rows": []})
        else:
            blocks.append({"kind": "paragraph", "text": line, "rows": []})
    return blocks


def body_blocks(context: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    """The body template rendered with ``context``, as blocks."""
    return parse_body(render(BODY_TEMPLATE, context, settings))
