"""Shared fixtures: small hand-made sources and the demo data at teaching size."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The demo retailer at 1,000 customers with its config (generated once per session)."""
    from seglib import synth
    from seglib.config import demo_config_text

    out = tmp_path_factory.mktemp("demo")
    paths = synth.write_demo(out, n_customers=1000, seed=42)
    (out / "config.yaml").write_text(
        demo_config_text({k: p.name for k, p in paths.items()}, locale="en", seed=42,
                         our_brand=synth.our_brand("en")), encoding="utf-8")
    return out


def write_config(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tiny_sources(tmp_path) -> Path:
    """Hand-made customers and orders whose RFM values are easy to compute by hand."""
    pd.DataFrame({
        "id": ["A", "B", "C"],
        "Full Name": ["Ann Real", "Bob Real", "Cy Real"],
        "Email": ["ann@example.com", "bob@example.com", None],
        "age": [30, 40, 50],
        "income": [30000, 60000, 90000],
    }).to_csv(tmp_path / "customers.csv", index=False)
    pd.DataFrame({
        "order": ["1", "2", "3", "4", "5", "6", "6"],
        "cust": ["A", "A", "B", None, "B", "B", "B"],
        "when": ["2025-01-01", "2025-01-11", "2025-01-05", "2025-01-06", "2025-01-20",
                 "2025-01-30", "2025-01-30"],
        "value": ["10", "30", "100", "7", "50", "-20", "-20"],
        "channel": ["web", "Store", "store", "store", "phone", "store", "store"],
    }).to_csv(tmp_path / "orders.csv", index=False)
    write_config(tmp_path, """
client: tiny
data:
  customers: {path: customers.csv, columns: {customer_id: id}}
  transactions:
    path: orders.csv
    columns: {customer_id: cust, order_id: order, date: when, amount: value}
""")
    return tmp_path
