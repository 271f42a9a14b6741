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


@pytest.fixture(scope="session")
def demo_run(demo_dir, tmp_path_factory) -> Path:
    """``seglib run`` on the demo at 1,000 customers (once per session)."""
    from seglib.cli import main

    out = tmp_path_factory.mktemp("runs") / "first"
    assert main(["run", str(demo_dir / "config.yaml"), "--out", str(out)]) == 0
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


def collected_run(folder: Path, customers: pd.DataFrame):
    """A run folder holding only a collection stage's files, the customers read back."""
    from seglib.run_folder import RunFolder

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    RunFolder(folder).write_collected(
        customers=customers,
        ledger=pd.DataFrame({"source": [], "rule": [], "rows": pd.Series([], dtype="int64"),
                             "revenue": [], "action": [], "examples": []}),
        dictionary=pd.DataFrame({"column": ["customer_id"], "meaning": ["id"], "unit": ["id"],
                                 "source": ["all"], "filled": [1.0]}),
        meta={})
    run = RunFolder(folder)
    run.read_customers()
    return run


def run_with_segments(folder: Path, segments: pd.DataFrame,
                      customers: pd.DataFrame | None = None):
    """A run folder holding ``segments`` (and a customer table), read back as a stage does.

    The returned :class:`~seglib.run_folder.RunFolder` has read the customers and the
    segments, so what a test writes through it is stamped with that segmentation.
    """
    from seglib.run_folder import RunFolder

    writer = collected_run(folder, segments[["customer_id"]] if customers is None else customers)
    sizes = segments.groupby(["segment", "segment_name"]).size().rename("customers")
    profiles = sizes.reset_index().assign(share=lambda t: t["customers"] / t["customers"].sum())
    writer.write_segmentation(segments=segments, profiles=profiles, model=None)
    run = RunFolder(folder)
    run.read_customers()
    run.read_segments()
    return run


def run_with_targeting(folder: Path, segments: pd.DataFrame, targeting: pd.DataFrame,
                       customers: pd.DataFrame | None = None):
    """:func:`run_with_segments` plus a targeting table, read back as 06_personas does."""
    from seglib.run_folder import RunFolder

    run = run_with_segments(folder, segments, customers)
    sizes = segments["segment"].value_counts()
    full = targeting.assign(**{
        "customers": targeting.get("customers", targeting["segment"].map(sizes).fillna(0)
                                   .astype("int64")),
        "attractiveness": targeting.get("attractiveness", 5.0),
        "rank": targeting.get("rank", range(1, len(targeting) + 1)),
    })
    run.write_targeting(full)
    reader = RunFolder(folder)
    reader.read_segments()
    reader.read_targeting()
    return reader
