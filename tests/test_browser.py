"""The report as a client opens it: headless Chromium, where it is installed.

Chromium is an optional extra (``apt install chromium``); without it these tests skip and
say so. With it: the page loads without console errors, every image is an embedded image
that decodes, a screenshot is saved in the test's temp folder, and the run printed
``report.pdf`` and ``personas.pdf`` (one page per persona card).
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess

import pytest
from PIL import Image

from seglib import pdf

pytestmark = pytest.mark.slow

BROWSER = pdf.chromium()
needs_chromium = pytest.mark.skipif(
    BROWSER is None, reason="Chromium is not installed (apt install chromium): the report "
                            "is not opened in a browser and no PDF is written")


def _pages(path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))


@needs_chromium
def test_report_opens_without_console_errors_and_a_screenshot_is_taken(demo_run, tmp_path):
    shot = tmp_path / "report.png"
    proc = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1280,2400",
         (demo_run / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines()
               if "CONSOLE" in line or "Uncaught" in line or "ERR_FILE_NOT_FOUND" in line]
    assert not console, console
    image = Image.open(shot)
    assert image.size == (1280, 2400)
    colours = image.convert("L").getextrema()
    assert colours[0] < 100 < colours[1], "the screenshot is blank"


@pytest.mark.parametrize(("name", "at_least"), [("report.html", 4), ("workbook.html", 10)])
def test_every_image_of_the_report_is_embedded_and_decodes(demo_run, name, at_least):
    page = (demo_run / name).read_text(encoding="utf-8")
    sources = re.findall(r'<img[^>]*\ssrc="([^"]+)"', page)
    assert len(sources) >= at_least
    for src in sources:
        assert src.startswith("data:image/png;base64,"), src[:40]
        Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).verify()


@needs_chromium
def test_the_run_prints_the_report_and_one_page_per_persona_card(demo_run):
    manifest = json.loads((demo_run / "manifest.json").read_text())
    assert manifest["pdf"] == {"renderer": "chromium",
                               "written": ["report.pdf", "personas.pdf"]}
    personas = json.loads((demo_run / "personas.json").read_text())
    assert _pages(demo_run / "personas.pdf") == len(personas)
    assert _pages(demo_run / "report.pdf") >= 10
    assert (demo_run / "report.pdf").read_bytes().startswith(b"%PDF")


def test_without_a_renderer_the_run_says_how_to_get_one(monkeypatch, tmp_path):
    from seglib.workbook import _write_pdfs

    monkeypatch.setattr(pdf, "chromium", lambda: None)
    said = []
    assert _write_pdfs(tmp_path, said.append) == {"renderer": None, "written": []}
    assert len(said) == 1 and "apt install chromium" in said[0]
    assert not list(tmp_path.iterdir())
