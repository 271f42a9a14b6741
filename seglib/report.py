"""Turn the executed notebooks of a run into one self-contained HTML report.

The report is for a client who does not read code: code cell sources and
prompts never appear, markdown cells are rendered, and the outputs of code
cells are kept in the order of preference ``image/png`` > ``image/jpeg`` >
``image/svg+xml`` > ``text/html`` > ``text/markdown`` > ``text/plain``.
Standard output is kept; standard error, errors, JavaScript and widgets are
dropped. The page holds no reference to any external resource: images are
``data:`` URIs and the CSS is inline, so the file can be mailed or printed.

Cells tagged ``remove-cell`` (or ``remove_cell``) are omitted, and the
outputs of cells tagged ``remove-output`` (or ``remove_output``) are omitted.
"""

from __future__ import annotations

import base64
import errno
import html
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mistune
import nbformat
import nh3

if int(mistune.__version__.split(".")[0]) < 3:  # pragma: no cover - depends on the env
    raise ImportError(
        f"seglib.report needs mistune>=3, found mistune {mistune.__version__}; "
        "run `pip install 'mistune>=3,<4'`"
    )

__all__ = ["STYLE", "build_report"]

_REMOVE_CELL_TAGS = frozenset({"remove-cell", "remove_cell"})
_REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})

#: Output MIME types the report can show, best first.
_MIME_PRIORITY = (
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "text/html",
    "text/markdown",
    "text/plain",
)

_MARKDOWN_PLUGINS = ("table", "strikethrough", "math", "url")

#: Markdown images are kept only if they are already embedded.
_EMBEDDED_IMAGE_PREFIXES = (
    "data:image/png;",
    "data:image/jpeg;",
    "data:image/gif;",
    "data:image/webp;",
    "data:image/svg+xml;",
)

#: What HTML outputs of the notebooks (pandas tables) may keep: nh3 (a maintained
#: sanitiser, Rust's ammonia) drops every other tag and attribute, event handlers,
#: ``javascript:`` links and SVG; ``<style>`` and ``<script>`` go with their content.
_OUTPUT_TAGS = {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup",
                "col", "div", "span", "p", "br", "b", "i", "strong", "em", "code", "pre",
                "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "sub", "sup", "small"}
_OUTPUT_ATTRIBUTES = {"*": {"class", "title"}, "th": {"colspan", "rowspan", "style"},
                      "td": {"colspan", "rowspan", "style"}, "tr": {"style"},
                      "table": {"border"}}


def sanitise_html(fragment: str) -> str:
    """``fragment`` with only the tags and attributes a table or a note needs.

    Inline styles keep only ``text-align`` (pandas aligns its headers with it).
    """
    return nh3.clean(fragment, tags=_OUTPUT_TAGS, attributes=_OUTPUT_ATTRIBUTES,
                     clean_content_tags={"script", "style"}, url_schemes=set(),
                     filter_style_properties={"text-align"}, link_rel=None)


#: HTML that runs code or loads something from outside the page.
_ACTIVE_HTML_RE = re.compile(
    r"<\s*/?\s*(?:script|link|iframe|frame|object|embed|base|meta|applet)\b"
    r"|<[^>]*\s(?:src|srcset|poster|xlink:href)\s*=\s*[\"']?(?!\s*(?:data:|#))"
    r"|@import"
    r"|url\(\s*[\"']?\s*(?:[a-z][a-z0-9+.-]*:)?//",
    re.IGNORECASE,
)
_ANSI_ESCAPE_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_DEFAULT_REPR_RE = re.compile(r"\A<[\w.]+(?: object)? at 0x[0-9a-fA-F]+>\Z")
_TAG_RE = re.compile(r"<[^>]*>")

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body {
  margin: 0; background: #fff; color: #1f2328;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
        Arial, "Noto Sans", sans-serif;
}
main.report { max-width: 1100px; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.6em 0 0.6em; }
h1 { font-size: 1.9rem; } h2 { font-size: 1.45rem; } h3 { font-size: 1.2rem; }
a { color: #0b5cad; }
header.report-header { border-bottom: 2px solid #d0d7de; margin-bottom: 1.5rem; }
header.report-header h1 { margin-top: 0; font-size: 2.2rem; }
table.report-meta { margin: 0 0 1.2rem; font-size: 0.875rem; border-collapse: collapse; }
table.report-meta th, table.report-meta td {
  padding: 0.15rem 1rem 0.15rem 0; border: 0; text-align: left; vertical-align: top;
  background: none;
}
table.report-meta th { color: #57606a; font-weight: 600; }
nav.toc { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px;
          padding: 0.8rem 1.5rem; margin-bottom: 2rem; }
nav.toc h2 { margin: 0.2rem 0 0.5rem; font-size: 1.1rem; }
nav.toc ol { margin: 0; padding-left: 1.4rem; list-style: none; }
nav.toc > ol { padding-left: 0.2rem; }
nav.toc ol ol { list-style: disc; font-size: 0.95em; }
section.notebook { border-top: 1px solid #d0d7de; padding-top: 0.5rem; margin-top: 2.5rem; }
img.report-logo { float: right; max-height: 4.5rem; max-width: 14rem; margin: 0 0 0.5rem 1rem; }
p.report-subtitle { margin: 0.2rem 0; font-size: 1.15rem; color: #57606a; }
section.executive-summary { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px;
                            padding: 0.5rem 1.5rem 1rem; margin-bottom: 2rem; }
section.executive-summary h1 { margin-top: 0.6rem; }
section.executive-summary h2 { font-size: 1.15rem; margin: 1.1em 0 0.3em; }
section.executive-summary ul { margin: 0; padding-left: 1.2rem; }
section.executive-summary p.lead { font-size: 1.1rem; }
section.finding { border-top: 1px solid #d0d7de; padding-top: 0.5rem; margin-top: 2.5rem; }
table.people th.num, table.people td.num { text-align: right; white-space: nowrap; }
table.people thead th { text-align: left; }
figure { margin: 1rem 0; text-align: center; }
figcaption { color: #57606a; font-size: 0.9rem; margin-top: 0.3rem; }
.output { margin: 0.8rem 0; overflow-x: auto; }
img { max-width: 100%; height: auto; }
.output-image { text-align: center; }
pre { background: #f6f8fa; border-radius: 6px; padding: 0.7rem 0.9rem; overflow-x: auto;
      font: 0.85rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      white-space: pre-wrap; word-wrap: break-word; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem;
        font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; vertical-align: top; }
thead th { background: #eaeef2; }
tbody tr:nth-child(even) { background: #f6f8fa; }
table.dataframe { border: 1px solid #d0d7de; }
table.dataframe td, table.dataframe thead th { text-align: right; }
table.dataframe tbody th { text-align: left; font-weight: 600; }
table.dataframe td.text { text-align: left; }
blockquote { margin: 1rem 0; padding: 0 1rem; color: #57606a; border-left: 4px solid #d0d7de; }
.math { font-family: "Cambria Math", "STIX Two Math", serif; }
div.math { margin: 0.8rem 0; text-align: center; }
.missing-image { font-style: italic; color: #57606a; }
@page { size: A4 portrait; margin: 16mm 14mm 18mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 9pt;
                        color: #57606a; } }
@media print {
  body { font-size: 10.5pt; }
  main.report { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  section.notebook, section.finding { break-before: page; page-break-before: always;
                                     border-top: 0; margin-top: 0; }
  nav.toc { break-inside: avoid; break-before: page; }
  section.executive-summary { border: 0; background: none; padding: 0; font-size: 9.5pt; }
  section.executive-summary h1 { font-size: 16pt; margin: 0.4em 0 0.3em; }
  section.executive-summary h2 { font-size: 11pt; margin: 0.7em 0 0.2em; }
  section.executive-summary p.lead { font-size: 10.5pt; }
  header.report-header h1 { font-size: 20pt; }
  section.finding .persona-card { font-size: 6.9pt; break-before: page; }
  section.finding .persona-card h3 { font-size: 12pt; }
  section.finding .persona-card:first-of-type { break-before: auto; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  img, svg, tr, pre { break-inside: avoid; page-break-inside: avoid; }
  img { max-height: 230mm; }
  /* wide tables wrap instead of running off the page */
  .output { overflow: visible; }
  table { width: 100%; table-layout: auto; font-size: 8pt; }
  th, td { padding: 0.15rem 0.3rem; overflow-wrap: break-word; word-break: normal;
           hyphens: auto; }
  table.dataframe td:not(.text) { white-space: nowrap; }
  figure { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


@dataclass(frozen=True)
class _Heading:
    """A markdown heading of a notebook: its level, anchor id and plain text."""

    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class _Section:
    """One notebook rendered as a ``<section>``, with its headings for the TOC."""

    section_id: str
    label: str
    body: str
    headings: tuple[_Heading, ...]


class _ReportRenderer(mistune.HTMLRenderer):
    """Mistune renderer for trusted project markdown in a self-contained page.

    Headings get ids unique within the page and are recorded for the table of
    contents; images that are not embedded become their alt text; raw HTML
    is shown as text, never as markup. Math keeps its ``$``
    delimiters as text (there is no MathJax), so "$5 and $10" reads right.
    """

    def __init__(self, id_prefix: str, used_ids: set[str], headings: list[_Heading]) -> None:
        super().__init__(escape=False)
        self._id_prefix = id_prefix
        self._used_ids = used_ids
        self._headings = headings

    def heading(self, text: str, level: int, **attrs: Any) -> str:
        plain = _plain_text(text)
        anchor = _unique_id(f"{self._id_prefix}-{_slugify(plain)}", self._used_ids)
        self._headings.append(_Heading(level, anchor, plain))
        return f'<h{level} id="{anchor}">{text}</h{level}>\n'

    def image(self, text: str, url: str, title: str | None = None) -> str:
        if url.strip().lower().startswith(_EMBEDDED_IMAGE_PREFIXES):
            return super().image(text, url, title)
        return f'<span class="missing-image">{html.escape(_plain_text(text))}</span>'

    def block_html(self, html_text: str) -> str:
        # Raw HTML in markdown is shown as text, never as markup (the project's markdown
        # needs none, and markdown outputs may carry text from the client's data); HTML
        # that would run code or load a resource is dropped altogether.
        return "" if _is_active_html(html_text) else f"<p>{html.escape(html_text)}</p>\n"

    def inline_html(self, html_text: str) -> str:
        return "" if _is_active_html(html_text) else html.escape(html_text)

    def block_math(self, text: str) -> str:
        return f'<div class="math">$${html.escape(text)}$$</div>\n'

    def inline_math(self, text: str) -> str:
        return f'<span class="math">${html.escape(text)}$</span>'


def build_report(
    notebooks: Sequence[Path],
    out_path: Path,
    *,
    title: str,
    meta: Mapping[str, str] | None = None,
    subtitle: Sequence[str] = (),
    front: str = "",
    front_label: str = "",
    meta_heading: str = "",
    contents_label: str = "Contents",
    lang: str = "en",
) -> Path:
    """Write one self-contained HTML page from executed notebooks; return out_path.

    Parameters
    ----------
    notebooks : sequence of Path
        Executed notebooks, in the order they appear in the report. Each one
        becomes a ``<section>`` whose id is derived from the file name.
    out_path : Path
        The HTML file to write. It is written to a temporary file in the same
        folder and moved onto ``out_path``, so readers never see half a report.
    title : str
        Report title, shown as text (it is HTML-escaped).
    meta : mapping of str to str, optional
        Facts about the run (client, run id, created, seed, seglib version),
        shown in order as a small table: under the title, or with ``meta_heading``
        at the end of the report under that heading. Keys and values are
        HTML-escaped.
    subtitle : sequence of str
        Lines under the title on the cover (the client, the dates); escaped.
    front : str
        An HTML section shown first, before the contents (the executive summary),
        listed in the contents as ``front_label``. It must be built with every text
        escaped (see :func:`seglib.summary.to_html`).
    contents_label, lang : str
        The heading of the contents, and the page's language (``<html lang>``).

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    FileNotFoundError
        If one of ``notebooks`` does not exist; nothing is written then.

    Notes
    -----
    Code cell sources, prompts, ``stderr`` streams, error outputs, JavaScript
    and widget outputs are never shown. Per output the first available of
    ``image/png``, ``image/jpeg``, ``image/svg+xml``, ``text/html``,
    ``text/markdown`` and ``text/plain`` is shown; ``text/html`` that needs
    scripts or external resources is skipped in favour of the next one.
    Cells tagged ``remove-cell``/``remove_cell`` are omitted, as are the
    outputs of cells tagged ``remove-output``/``remove_output``.

    Examples
    --------
    >>> build_report(sorted(run_dir.glob("notebooks/*.ipynb")),  # doctest: +SKIP
    ...              run_dir / "report.html", title="Acme: STP report",
    ...              meta={"client": "acme", "run": "2024-06-01T10-00"})
    """
    out_path = Path(out_path)
    paths = [Path(path) for path in notebooks]
    loaded = [_read_notebook(path) for path in paths]
    used_ids: set[str] = set()
    sections = [
        _render_section(notebook, path, used_ids)
        for notebook, path in zip(loaded, paths, strict=True)
    ]
    page = _render_page(title, dict(meta or {}), sections, subtitle=subtitle, front=front,
                        front_label=front_label, meta_heading=meta_heading,
                        contents_label=contents_label, lang=lang)
    _write_atomic(out_path, page)
    return out_path


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4, naming the path if it is missing."""
    if not path.is_file():
        raise FileNotFoundError(errno.ENOENT, "notebook not found", str(path))
    return nbformat.read(path, as_version=4)


def _render_section(notebook: nbformat.NotebookNode, path: Path, used_ids: set[str]) -> _Section:
    """Render the visible cells of one notebook as the body of a section."""
    section_id = _unique_id(_slugify(path.stem), used_ids)
    headings: list[_Heading] = []
    parts: list[str] = []
    for cell in notebook.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & _REMOVE_CELL_TAGS:
            continue
        if cell.get("cell_type") == "markdown":
            rendered = _render_markdown(
                _text(cell.get("source", "")), section_id, used_ids, headings
            )
            parts.append(f'<div class="markdown">\n{rendered}</div>')
        elif cell.get("cell_type") == "code" and not tags & _REMOVE_OUTPUT_TAGS:
            parts.extend(_render_outputs(cell.get("outputs", []), section_id, used_ids))
    return _Section(section_id, path.stem, "\n".join(parts), tuple(headings))


def _render_markdown(
    source: str, id_prefix: str, used_ids: set[str], headings: list[_Heading]
) -> str:
    """Render trusted markdown to HTML, appending its headings to ``headings``."""
    renderer = _ReportRenderer(id_prefix, used_ids, headings)
    markdown = mistune.create_markdown(renderer=renderer, plugins=list(_MARKDOWN_PLUGINS))
    return markdown(source)


def _render_outputs(
    outputs: Iterable[Mapping[str, Any]], section_id: str, used_ids: set[str]
) -> list[str]:
    """Render the outputs of one code cell, merging consecutive stdout chunks."""
    parts: list[str] = []
    stdout: list[str] = []

    def render_markdown(source: str) -> str:
        return _render_markdown(source, section_id, used_ids, headings=[])

    def flush_stdout() -> None:
        text = _clean_terminal_text("".join(stdout))
        stdout.clear()
        if text.strip():
            parts.append(f'<div class="output output-stream">{_pre(text)}</div>')

    for output in outputs:
        output_type = output.get("output_type")
        if output_type == "stream":
            if output.get("name") == "stdout":
                stdout.append(_text(output.get("text", "")))
            continue
        flush_stdout()
        if output_type in ("display_data", "execute_result"):
            rendered = _render_mimebundle(
                output.get("data", {}), output.get("metadata", {}), render_markdown
            )
            if rendered:
                parts.append(rendered)
    flush_stdout()
    return parts


def _render_mimebundle(
    data: Mapping[str, Any],
    metadata: Mapping[str, Any],
    render_markdown: Callable[[str], str],
) -> str | None:
    """Render the best MIME type of one display output, or None to drop it."""
    if any(mime.startswith("application/vnd.jupyter.widget") for mime in data):
        return None
    for mime in _MIME_PRIORITY:
        if mime not in data:
            continue
        value = _text(data[mime])
        if mime in ("image/png", "image/jpeg"):
            return _image(mime, "".join(value.split()), metadata.get(mime, {}))
        if mime == "image/svg+xml":
            encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
            return _image(mime, encoded, metadata.get(mime, {}))
        if mime == "text/html":
            if _is_active_html(value):
                continue
            clean = sanitise_html(value)
            return f'<div class="output output-html">\n{_align_text_cells(clean)}\n</div>'
        if mime == "text/markdown":
            return f'<div class="output output-markdown">\n{render_markdown(value)}</div>'
        text = _clean_terminal_text(value)
        if not text.strip() or _DEFAULT_REPR_RE.match(text.strip()):
            return None
        return f'<div class="output output-text">{_pre(text)}</div>'
    return None


_CELL = re.compile(r"<td>(.*?)</td>", re.DOTALL)
_NUMBER_CELL = re.compile(r"^\s*(?:[-+]?[\d,.\s]*\d[\d,.]*\s*%?|nan|NaN|<NA>|None|True|False|"
                          r"\.\.\.|…)?\s*$")


def _align_text_cells(table_html: str) -> str:
    """Left-align table cells holding words; numbers stay right-aligned to compare digits."""
    def align(match: re.Match) -> str:
        if _NUMBER_CELL.match(match.group(1)):
            return match.group(0)
        return f'<td class="text">{match.group(1)}</td>'

    return _CELL.sub(align, table_html)


def _image(mime: str, base64_data: str, image_metadata: Mapping[str, Any]) -> str:
    """Return an ``<img>`` holding base64 image data as a data URI."""
    src = html.escape(f"data:{mime};base64,{base64_data}")
    size = "".join(
        f' {name}="{image_metadata[name]}"'
        for name in ("width", "height")
        if isinstance(image_metadata.get(name), int)
    )
    return f'<div class="output output-image"><img src="{src}" alt="Figure"{size}></div>'


def _render_page(title: str, meta: Mapping[str, str], sections: Sequence[_Section], *,
                 subtitle: Sequence[str] = (), front: str = "", front_label: str = "",
                 meta_heading: str = "", contents_label: str = "Contents",
                 lang: str = "en") -> str:
    """Assemble the whole HTML document."""
    escaped_title = html.escape(title)
    body = "\n".join(
        f'<section class="notebook" id="{section.section_id}">\n{section.body}\n</section>'
        for section in sections
    )
    lines = "".join(f'<p class="report-subtitle">{html.escape(line)}</p>\n' for line in subtitle)
    cover_meta = "" if meta_heading else _render_meta(meta)
    about = ""
    if meta_heading and meta:
        about = (f'<section class="notebook about" id="about-this-run">\n'
                 f"<h1>{html.escape(meta_heading)}</h1>\n{_render_meta(meta)}</section>\n")
    extra_first = [(front_label, "executive-summary")] if front and front_label else []
    extra_last = [(meta_heading, "about-this-run")] if about else []
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escaped_title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        '<main class="report">\n'
        f'<header class="report-header">\n<h1 class="report-title">{escaped_title}</h1>\n'
        f"{lines}{cover_meta}</header>\n"
        f"{front}\n"
        f"{_render_toc(sections, contents_label, extra_first, extra_last)}{body}\n{about}"
        "</main>\n</body>\n</html>\n"
    )


def _render_meta(meta: Mapping[str, str]) -> str:
    """Render run facts as an escaped key/value table, or nothing."""
    if not meta:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{html.escape(str(key))}</th><td>{html.escape(str(value))}</td></tr>\n'
        for key, value in meta.items()
    )
    return f'<table class="report-meta">\n<tbody>\n{rows}</tbody>\n</table>\n'


def _render_toc(sections: Sequence[_Section], label: str = "Contents",
                first: Sequence[tuple[str, str]] = (),
                last: Sequence[tuple[str, str]] = ()) -> str:
    """Render the table of contents: one entry per notebook, its H2s nested.

    ``first`` and ``last`` are (text, anchor) entries before and after the notebooks.
    """
    if not sections and not first and not last:
        return ""
    items = [f'<li><a href="#{anchor}">{html.escape(text)}</a></li>' for text, anchor in first]
    for section in sections:
        top = _toc_heading(section.headings)
        if top is None:
            items.append(
                f'<li><a href="#{section.section_id}">{html.escape(section.label)}</a></li>'
            )
            continue
        start = section.headings.index(top) + 1
        children = "".join(
            f'<li><a href="#{heading.anchor}">{html.escape(heading.text)}</a></li>'
            for heading in section.headings[start:]
            if heading.level <= 2
        )
        nested = f"<ol>{children}</ol>" if children else ""
        items.append(f'<li><a href="#{top.anchor}">{html.escape(top.text)}</a>{nested}</li>')
    items += [f'<li><a href="#{anchor}">{html.escape(text)}</a></li>' for text, anchor in last]
    entries = "\n".join(items)
    return (
        f'<nav class="toc" aria-label="{html.escape(label)}">\n<h2>{html.escape(label)}</h2>\n'
        f"<ol>\n{entries}\n</ol>\n</nav>\n"
    )


def _toc_heading(headings: Sequence[_Heading]) -> _Heading | None:
    """Return a notebook's first H1, else its first H2, else None."""
    for level in (1, 2):
        for heading in headings:
            if heading.level == level:
                return heading
    return None


def _write_atomic(out_path: Path, text: str) -> None:
    """Write UTF-8 text to a temporary sibling, then move it onto out_path."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    temp_path = out_path.with_name(f".{out_path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, out_path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise


def _text(value: Any) -> str:
    """Return notebook text that may be stored as a list of lines as one string."""
    if isinstance(value, list):
        return "".join(value)
    return str(value)


def _clean_terminal_text(text: str) -> str:
    """Drop ANSI colour codes and keep what a terminal shows after a carriage return."""
    text = _ANSI_ESCAPE_RE.sub("", text).replace("\r\n", "\n")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def _pre(text: str) -> str:
    """Return text escaped in a ``<pre>`` block."""
    return f"<pre>{html.escape(text.rstrip())}</pre>"


def _is_active_html(fragment: str) -> bool:
    """Tell whether HTML would run code or load a resource from outside the page."""
    return _ACTIVE_HTML_RE.search(fragment) is not None


def _plain_text(rendered: str) -> str:
    """Return the visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(_TAG_RE.sub("", rendered)).split())


def _slugify(text: str) -> str:
    """Return an ASCII id fragment for text, Vietnamese diacritics folded."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(char for char in folded if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "section"


def _unique_id(base: str, used_ids: set[str]) -> str:
    """Return base, or base with a numeric suffix, not yet in used_ids; record it."""
    candidate, number = base, 2
    while candidate in used_ids:
        candidate, number = f"{base}-{number}", number + 1
    used_ids.add(candidate)
    return candidate


#: The report's style sheet (screen and print), shared with the client's report.
STYLE = _CSS
