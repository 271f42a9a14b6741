import base64
import io
import os
import re
from pathlib import Path

import matplotlib
import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from seglib import report
from seglib.report import build_report

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SECRET_SOURCE = "rfm = seglib_secret_source_marker(transactions, as_of)"


def tiny_png_base64() -> str:
    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    ax.bar(["a", "b"], [1, 2])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def tiny_svg() -> str:
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [1, 0])
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return buffer.getvalue()


def segment_sizes() -> pd.DataFrame:
    return pd.DataFrame(
        {"customers": [1204, 377], "clv_12m": [88.25, 412.5]},
        index=pd.Index(["loyal", "at_risk"], name="segment"),
    )


def code(source="x = 1", outputs=(), tags=()):
    cell = new_code_cell(source, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def write_notebook(path: Path, cells) -> Path:
    notebook = new_notebook(cells=list(cells))
    nbformat.write(notebook, path)
    return path


def build(tmp_path, cells, name="01_segment.ipynb", **kwargs) -> str:
    notebook = write_notebook(tmp_path / name, cells)
    out = tmp_path / "out" / "report.html"
    kwargs.setdefault("title", "STP report")
    assert build_report([notebook], out, **kwargs) == out
    return out.read_text(encoding="utf-8")


def toc_of(page: str) -> str:
    return page.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]


def rich_notebook_cells():
    sizes = segment_sizes()
    return [
        code('client = "acme"', tags=["parameters"]),
        code('client = "acme-injected"', tags=["injected-parameters"]),
        new_markdown_cell("# Customer segments\n\nWho buys, how often, how much.\n\n## Sizes"),
        code(
            SECRET_SOURCE,
            outputs=[
                new_output("stream", name="stdout", text="fitted 2 segments\n"),
                new_output("stream", name="stderr", text="FutureWarning: groupby default\n"),
                new_output(
                    "execute_result",
                    data={"text/html": sizes._repr_html_(), "text/plain": repr(sizes)},
                    execution_count=1,
                ),
                new_output(
                    "display_data",
                    data={"image/png": tiny_png_base64(), "text/plain": "<Figure size 20x20>"},
                ),
                new_output("display_data", data={"image/svg+xml": tiny_svg()}),
            ],
        ),
        new_markdown_cell("## Reading the chart\n\nLoyal customers dominate."),
    ]


def test_code_sources_and_parameters_never_appear(tmp_path):
    page = build(tmp_path, rich_notebook_cells())
    assert "seglib_secret_source_marker" not in page
    assert "acme-injected" not in page
    assert 'client = "acme"' not in page
    assert "In&nbsp;[" not in page and "In [" not in page and "Out[" not in page


def test_markdown_heading_rendered_with_id_and_linked_from_toc(tmp_path):
    page = build(tmp_path, rich_notebook_cells())
    assert '<h1 id="01-segment-customer-segments">Customer segments</h1>' in page
    assert "<p>Who buys, how often, how much.</p>" in page
    toc = toc_of(page)
    links = re.findall(r'href="#([^"]+)">([^<]+)</a>', toc)
    assert links == [
        ("01-segment-customer-segments", "Customer segments"),
        ("01-segment-sizes", "Sizes"),
        ("01-segment-reading-the-chart", "Reading the chart"),
    ]
    assert '<section class="notebook" id="01-segment">' in page


def test_toc_falls_back_to_first_h2_then_to_section(tmp_path):
    h2_only = write_notebook(
        tmp_path / "02_target.ipynb",
        [new_markdown_cell("### Detail\n\n## Targets\n\n## Scores")],
    )
    no_heading = write_notebook(tmp_path / "03_position.ipynb", [new_markdown_cell("Just text.")])
    out = tmp_path / "report.html"
    build_report([h2_only, no_heading], out, title="t")
    links = re.findall(r'href="#([^"]+)">([^<]+)</a>', toc_of(out.read_text(encoding="utf-8")))
    assert links == [
        ("02-target-targets", "Targets"),
        ("02-target-scores", "Scores"),
        ("03-position", "03_position"),
    ]


def test_same_headings_in_two_notebooks_get_distinct_ids(tmp_path):
    first = write_notebook(tmp_path / "a.ipynb", [new_markdown_cell("# Summary")])
    (tmp_path / "again").mkdir()
    second = write_notebook(tmp_path / "again" / "a.ipynb", [new_markdown_cell("# Summary")])
    out = tmp_path / "report.html"
    build_report([first, second], out, title="t")
    page = out.read_text(encoding="utf-8")
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert '<section class="notebook" id="a">' in page
    assert '<section class="notebook" id="a-2">' in page
    assert re.findall(r'href="#([^"]+)"', toc_of(page)) == ["a-summary", "a-2-summary"]


def test_png_is_embedded_as_data_uri_and_beats_text_plain(tmp_path):
    png = tiny_png_base64()
    page = build(
        tmp_path,
        [
            code(
                outputs=[new_output("display_data", data={"image/png": png, "text/plain": "<Fig>"})]
            )
        ],
    )
    assert f'<img src="data:image/png;base64,{png}"' in page
    assert "&lt;Fig&gt;" not in page
    assert '<img src="http' not in page


def test_svg_is_embedded_as_data_uri(tmp_path):
    svg = tiny_svg()
    page = build(
        tmp_path, [code(outputs=[new_output("display_data", data={"image/svg+xml": svg})])]
    )
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    assert f'src="data:image/svg+xml;base64,{encoded}"' in page
    assert "<svg" not in page


def test_dataframe_html_table_is_kept_instead_of_text_plain(tmp_path):
    sizes = segment_sizes()
    page = build(
        tmp_path,
        [
            code(
                outputs=[
                    new_output(
                        "execute_result",
                        data={"text/html": sizes._repr_html_(), "text/plain": "PLAIN-REPR"},
                        execution_count=3,
                    )
                ]
            )
        ],
    )
    assert '<table border="1" class="dataframe">' in page
    assert "<th>at_risk</th>" in page
    assert "<td>1204</td>" in page
    assert "PLAIN-REPR" not in page


def test_stdout_kept_escaped_and_stderr_dropped(tmp_path):
    page = build(tmp_path, rich_notebook_cells())
    assert "<pre>fitted 2 segments</pre>" in page
    assert "FutureWarning" not in page
    page = build(
        tmp_path,
        [code(outputs=[new_output("stream", name="stdout", text="a < b & \x1b[31mred\x1b[0m\n")])],
    )
    assert "<pre>a &lt; b &amp; red</pre>" in page


def test_consecutive_stdout_chunks_are_merged_and_progress_collapsed(tmp_path):
    outputs = [
        new_output("stream", name="stdout", text="step 1\n"),
        new_output("stream", name="stderr", text="warn\n"),
        new_output("stream", name="stdout", text="10%\r50%\r100%\ndone\n"),
    ]
    page = build(tmp_path, [code(outputs=outputs)])
    assert "<pre>step 1\n100%\ndone</pre>" in page


def test_remove_tags_drop_cells_and_outputs(tmp_path):
    def printing(text, tags):
        return code(outputs=[new_output("stream", name="stdout", text=text + "\n")], tags=tags)

    cells = [
        new_markdown_cell("# Kept"),
        new_markdown_cell("HIDDEN-MARKDOWN"),
        printing("HIDDEN-CELL", ["remove-cell"]),
        printing("HIDDEN-UNDERSCORE", ["remove_cell"]),
        printing("HIDDEN-OUTPUT", ["remove-output"]),
        printing("HIDDEN-OUTPUT2", ["remove_output"]),
        printing("VISIBLE-OUTPUT", ["remove-input"]),
    ]
    cells[1].metadata["tags"] = ["remove-cell"]
    page = build(tmp_path, cells)
    for hidden in ("HIDDEN-MARKDOWN", "HIDDEN-CELL", "HIDDEN-UNDERSCORE", "HIDDEN-OUTPUT"):
        assert hidden not in page
    assert "<pre>VISIBLE-OUTPUT</pre>" in page


def test_errors_javascript_widgets_and_object_reprs_are_dropped(tmp_path):
    outputs = [
        new_output("error", ename="ValueError", evalue="BAD-VALUE", traceback=["TRACEBACK-LINE"]),
        new_output("display_data", data={"application/javascript": "alert('JS-CODE')"}),
        new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2},
                "text/plain": "WIDGET-REPR",
            },
        ),
        new_output("execute_result", data={"text/plain": "<seglib.Model object at 0x7f3a2c>"}),
        new_output("execute_result", data={"text/plain": "42 customers"}),
    ]
    page = build(tmp_path, [code(outputs=outputs)])
    for dropped in ("BAD-VALUE", "TRACEBACK-LINE", "JS-CODE", "WIDGET-REPR", "0x7f3a2c"):
        assert dropped not in page
    assert "<pre>42 customers</pre>" in page


def test_html_needing_scripts_falls_back_to_text_plain(tmp_path):
    data = {
        "text/html": '<div id="plot"></div><script src="https://cdn.example/plotly.js"></script>',
        "text/plain": "Figure({'data': []})",
    }
    page = build(tmp_path, [code(outputs=[new_output("display_data", data=data)])])
    assert "cdn.example" not in page
    assert "<pre>Figure({&#x27;data&#x27;: []})</pre>" in page


def test_text_markdown_output_is_rendered(tmp_path):
    data = {"text/markdown": "**Loyal** is the *largest* segment", "text/plain": "md"}
    page = build(tmp_path, [code(outputs=[new_output("display_data", data=data)])])
    assert "<strong>Loyal</strong> is the <em>largest</em> segment" in page


def test_markdown_cannot_pull_in_external_resources(tmp_path):
    source = (
        "# Notes\n\n![logo](https://example.com/logo.png)\n\n"
        '<script src="https://cdn.example/x.js"></script>\n\n'
        "Prices $5 and $10 stay readable."
    )
    page = build(tmp_path, [new_markdown_cell(source)])
    assert '<span class="missing-image">logo</span>' in page
    assert "example.com" not in page and "cdn.example" not in page
    assert re.sub(r"<[^>]+>", "", page).count("Prices $5 and $10 stay readable.") == 1


def test_title_and_meta_are_escaped(tmp_path):
    page = build(
        tmp_path,
        [new_markdown_cell("# Body")],
        title="<script>alert('title')</script>",
        meta={"client": "<script>alert('meta')</script>", "run & seed": "7"},
    )
    assert "<title>&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;</title>" in page
    assert "<td>&lt;script&gt;alert(&#x27;meta&#x27;)&lt;/script&gt;</td>" in page
    assert '<th scope="row">run &amp; seed</th><td>7</td>' in page
    assert "<script" not in page


def test_page_is_self_contained(tmp_path):
    page = build(tmp_path, rich_notebook_cells(), meta={"seglib": "0.1.0"})
    lowered = page.lower()
    for forbidden in ("<script", "<link", "http://", "https://", 'src="//', "mathjax", "require"):
        assert forbidden not in lowered
    assert re.findall(r'src="([a-z]+:[^;,]+)', page) == ["data:image/png", "data:image/svg+xml"]
    assert '<meta charset="utf-8">' in page
    assert "@media print" in page and "page-break-before: always" in page


def test_vietnamese_text_round_trips_as_utf8(tmp_path):
    page = build(
        tmp_path,
        [new_markdown_cell("# Phân khúc khách hàng\n\nKhách hàng trung thành chiếm đa số.")],
        title="Báo cáo STP — Cửa hàng Đà Nẵng",
        meta={"khách hàng": "Công ty Ánh Dương"},
    )
    assert "<title>Báo cáo STP — Cửa hàng Đà Nẵng</title>" in page
    assert '<h1 id="01-segment-phan-khuc-khach-hang">Phân khúc khách hàng</h1>' in page
    assert "Khách hàng trung thành chiếm đa số." in page
    assert "<td>Công ty Ánh Dương</td>" in page
    assert "Phân khúc khách hàng</a>" in toc_of(page)


def test_missing_notebook_raises_and_writes_nothing(tmp_path):
    present = write_notebook(tmp_path / "01_collect.ipynb", [new_markdown_cell("# Collect")])
    missing = tmp_path / "02_segment.ipynb"
    out = tmp_path / "report.html"
    with pytest.raises(FileNotFoundError, match="02_segment.ipynb") as excinfo:
        build_report([present, missing], out, title="t")
    assert excinfo.value.filename == str(missing)
    assert not out.exists()


def test_existing_report_is_replaced_atomically(tmp_path):
    notebook = write_notebook(tmp_path / "01_collect.ipynb", [new_markdown_cell("# Fresh")])
    out_dir = tmp_path / "run"
    out_dir.mkdir()
    out = out_dir / "report.html"
    out.write_text("OLD REPORT", encoding="utf-8")
    old_inode = out.stat().st_ino
    build_report([notebook], out, title="t")
    assert "OLD REPORT" not in out.read_text(encoding="utf-8")
    assert '<h1 id="01-collect-fresh">Fresh</h1>' in out.read_text(encoding="utf-8")
    assert out.stat().st_ino != old_inode
    assert [path.name for path in out_dir.iterdir()] == ["report.html"]


def test_failed_write_keeps_old_report_and_leaves_no_temp_file(tmp_path, monkeypatch):
    notebook = write_notebook(tmp_path / "01_collect.ipynb", [new_markdown_cell("# Fresh")])
    out_dir = tmp_path / "run"
    out_dir.mkdir()
    out = out_dir / "report.html"
    out.write_text("OLD REPORT", encoding="utf-8")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        build_report([notebook], out, title="t")
    assert out.read_text(encoding="utf-8") == "OLD REPORT"
    assert [path.name for path in out_dir.iterdir()] == ["report.html"]


def test_report_file_is_readable_by_others_like_a_normal_file(tmp_path):
    notebook = write_notebook(tmp_path / "01_collect.ipynb", [new_markdown_cell("# Fresh")])
    out = tmp_path / "report.html"
    build_report([notebook], out, title="t")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_raw_html_in_markdown_output_is_shown_as_text_never_markup(tmp_path):
    text = ('Brand <svg onload=alert(5)>Posh</svg> and <a href="javascript:alert(1)">x</a> '
            "</p><h1>PWNED</h1>")
    data = {"text/markdown": text, "text/plain": "md"}
    page = build(tmp_path, [code(outputs=[new_output("display_data", data=data)])])
    assert "<svg" not in page and "<h1>PWNED" not in page and 'href="javascript' not in page
    assert "&lt;svg onload=alert(5)&gt;" in page and "PWNED" in page


def test_table_cells_of_words_are_left_aligned_numbers_right():
    from seglib.report import _align_text_cells

    html = "<tr><td>1,234.50</td><td>age in years</td><td>0.93</td><td>NaN</td><td>-5%</td></tr>"
    aligned = _align_text_cells(html)
    assert '<td class="text">age in years</td>' in aligned
    for number in ("1,234.50", "0.93", "NaN", "-5%"):
        assert f"<td>{number}</td>" in aligned


@pytest.mark.parametrize("payload, gone", [
    ('<div onmouseover="alert(1)">Loyal</div>', "onmouseover"),
    ('<a href="javascript:alert(2)">Loyal</a>', "javascript:"),
    ('<svg><animate onbegin="alert(3)" attributeName="x"/></svg>Loyal', "onbegin"),
    ('<img src=x onerror="alert(4)">Loyal', "onerror"),
    ('<table><tr><td style="background:url(//evil.example/x)">Loyal</td></tr></table>',
     "evil.example"),
    ('<style>td{color:red}</style><p>Loyal</p>', "color:red"),
])
def test_html_outputs_are_sanitised(tmp_path, payload, gone):
    """An HTML output (a table of client text) keeps its text, never live code."""
    data = {"text/html": payload, "text/plain": "x"}
    page = build(tmp_path, [code(outputs=[new_output("display_data", data=data)])])
    assert gone not in page and "<script" not in page
    if '<div class="output output-html">' in page:  # kept as sanitised HTML, text and all
        assert "Loyal" in page.split('<div class="output output-html">', 1)[1]
    else:  # HTML that loads a resource falls back to its plain text
        assert "<pre>x</pre>" in page


def test_pandas_tables_survive_the_sanitiser(tmp_path):
    table = pd.DataFrame({"segment": ["<b>Loyal</b>", "Bargain"], "share": [0.6, 0.4]})
    data = {"text/html": table.to_html(), "text/plain": "x"}
    page = build(tmp_path, [code(outputs=[new_output("display_data", data=data)])])
    assert '<table border="1" class="dataframe">' in page
    assert "&lt;b&gt;Loyal&lt;/b&gt;" in page  # pandas escaped it; still text
    assert '<th>segment</th>' in page and '<td>0.6</td>' in page
