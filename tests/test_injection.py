"""Text from the client's data and config is text, never live code, in every page of a run.

Script, event-handler and SVG-animation payloads are planted in the client's name, a
segment name, a brand, a category, a city and a column name; the run's pages must hold
none of them as markup, and, where Chromium is installed, opening them runs none of them
(each payload would write PWNED-<n> to the console).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from seglib import pdf

pytestmark = pytest.mark.slow

PAYLOADS = [
    "<script>console.log('PWNED-1')</script>",
    "<img src=x onerror=console.log('PWNED-2')>",
    "<svg onload=console.log('PWNED-3')>",
    "<svg><animate onbegin=console.log('PWNED-4') attributeName=x dur=1s>",
    "<a href=\"javascript:console.log('PWNED-5')\">x</a>",
    "<div onmouseover=console.log('PWNED-6')>y</div>",
]
PAGES = ("report.html", "personas.html", "workbook.html")
#: Live markup: a script element, an event-handler attribute or a javascript: URL.
LIVE = re.compile(r"<script|<[a-z][^>]*\son[a-z]+\s*=|<[a-z][^>]*\shref\s*=\s*[\"']?\s*"
                  r"javascript:", re.IGNORECASE)


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("injection")
    subprocess.run([sys.executable, "-m", "seglib.cli", "demo", "--out", str(folder),
                    "--customers", "800"], check=True, capture_output=True)
    customers = pd.read_csv(folder / "customers.csv")
    customers["city"] = customers["city"].replace({customers["city"].iloc[0]: PAYLOADS[1]})
    customers = customers.rename(columns={"household_size": PAYLOADS[3]})
    customers.to_csv(folder / "customers.csv", index=False)
    orders = pd.read_csv(folder / "orders.csv")
    orders["category"] = orders["category"].replace({"kitchen": PAYLOADS[0]})
    orders.to_csv(folder / "orders.csv", index=False)
    ratings = pd.read_csv(folder / "brand_ratings.csv")
    ratings["brand"] = ratings["brand"].replace({ratings["brand"].iloc[1]: PAYLOADS[2]})
    ratings.to_csv(folder / "brand_ratings.csv", index=False)
    config = yaml.safe_load((folder / "config.yaml").read_text())
    config["client"] = f"Acme {PAYLOADS[5]}"
    config.setdefault("segmentation", {})["names"] = {1: PAYLOADS[4], 2: PAYLOADS[0]}
    (folder / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    out = folder / "run"
    proc = subprocess.run([sys.executable, "-m", "seglib.cli", "run",
                           str(folder / "config.yaml"), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.mark.parametrize("page", PAGES)
def test_no_planted_payload_is_markup(planted_run, page):
    text = (planted_run / page).read_text(encoding="utf-8")
    assert not LIVE.findall(text), LIVE.findall(text)[:3]
    assert "<svg" not in text.lower() and "<animate" not in text.lower()
    assert "PWNED" in text  # the payloads are there, as text


@pytest.mark.skipif(pdf.chromium() is None,
                    reason="Chromium is not installed (apt install chromium): the pages are "
                           "checked as text only")
@pytest.mark.parametrize("page", PAGES)
def test_opening_the_pages_runs_none_of_the_payloads(planted_run, page, tmp_path):
    proc = subprocess.run(
        [pdf.chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
         "--v=0", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
         "--dump-dom", (planted_run / page).as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "PWNED" not in proc.stderr, [line for line in proc.stderr.splitlines() if "PWNED" in line]
    assert "PWNED" in proc.stdout  # the page loaded, with the payloads as text
