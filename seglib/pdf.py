"""PDF copies of the report and the persona cards, where a renderer is installed.

The HTML pages are the deliverables; a PDF beside each (``report.pdf``,
``personas.pdf``) is printed from them by headless Chromium (Debian's ``chromium``
package, or Google Chrome), with the pages' own print styles (A4 portrait, page
numbers, one persona card per page). Chromium is not a dependency of the workbook:
without it the run says how to get it and goes on. (WeasyPrint was weighed: it needs
Pango from the system too, and does not print the page-number boxes the same way; one
renderer, tested, is better than two.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Executables tried for Chromium, in order (``SEGLIB_CHROMIUM`` first when set).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

HOW_TO_GET_ONE = ("no PDF renderer found: install Chromium (Debian/Ubuntu: "
                  "`sudo apt install chromium`; or set SEGLIB_CHROMIUM to a Chrome or "
                  "Chromium executable) to get report.pdf and personas.pdf beside the "
                  "HTML pages")


def chromium() -> str | None:
    """The path of a headless-capable Chromium, or None."""
    override = os.environ.get("SEGLIB_CHROMIUM")
    if override:
        return override if Path(override).is_file() else shutil.which(override)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def renderer() -> str | None:
    """``"chromium"`` or None: what :func:`to_pdf` would use."""
    return "chromium" if chromium() else None


def to_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path:
    """Print ``html_path`` to ``pdf_path`` (written whole or not at all).

    Raises
    ------
    RuntimeError
        Without a renderer, or when the renderer fails (its message included).
    """
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    partial = pdf_path.with_name(f".{pdf_path.name}.partial")
    browser = chromium()
    if not browser:
        raise RuntimeError(HOW_TO_GET_ONE)
    with tempfile.TemporaryDirectory(prefix="seglib-chromium-") as profile:
        args = [browser, "--headless", "--disable-gpu", "--no-sandbox",
                "--no-pdf-header-footer", "--hide-scrollbars",
                f"--user-data-dir={profile}", f"--print-to-pdf={partial}",
                html_path.as_uri()]
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            partial.unlink(missing_ok=True)
            raise RuntimeError(f"{browser} could not print {html_path.name}: {err}") from err
    if proc.returncode or not partial.is_file() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{browser} could not print {html_path.name}: {detail[0]}")
    os.replace(partial, pdf_path)
    return pdf_path
