"""The whole chain on customer ids that are integers, or integers in one source and text in another.

The demo retailer's ids (``C0000178``, ``O00000001``) become the integers 178 and 1 in every
source. Two runs through ``seglib run``:

- ``parquet``: every source a Parquet file with int64 ids;
- ``csv_mixed``: the orders, web and service files as CSV of integers, the customers, the
  survey and the brand ratings as Parquet whose ids are text ("178").

Both must complete, hold ``customer_id`` as text in every file of the run, and (the same
customers, the same data) give byte-identical segments, targeting and lifecycle files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import file_hash
from seglib.cli import main

pytestmark = pytest.mark.slow

SOURCES = ("customers", "transactions", "survey", "service", "web", "brand_ratings")


def _as_integers(ids: pd.Series) -> pd.Series:
    """``C0000178`` -> 178 (int64); blanks stay blank."""
    return pd.to_numeric(ids.astype("string").str.lstrip("COR"), errors="raise").astype("Int64")


def _client(demo_dir: Path, folder: Path, parquet: set[str], text_ids: set[str]) -> Path:
    """The demo sources with integer ids: ``parquet`` sources as Parquet, the rest CSV."""
    folder.mkdir()
    config = yaml.safe_load((demo_dir / "config.yaml").read_text(encoding="utf-8"))
    for name in SOURCES:
        src = config["data"][name]
        table = pd.read_csv(demo_dir / src["path"], dtype={"customer_id": "string",
                                                           "order_id": "string"})
        table["customer_id"] = _as_integers(table["customer_id"])
        if name == "transactions":
            table["order_id"] = _as_integers(table["order_id"])
        if name in text_ids:
            table["customer_id"] = table["customer_id"].astype("string")
        stem = Path(src["path"]).stem
        if name in parquet:
            src["path"] = f"{stem}.parquet"
            table.to_parquet(folder / src["path"], index=False)
        else:
            src["path"] = f"{stem}.csv"
            table.to_csv(folder / src["path"], index=False)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(demo_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("integer_ids")
    made = {}
    for label, parquet, text_ids in [
        ("parquet", set(SOURCES), set()),
        ("csv_mixed", {"customers", "survey", "brand_ratings"},
         {"customers", "survey", "brand_ratings"}),
    ]:
        config = _client(demo_dir, root / f"client_{label}", parquet, text_ids)
        inputs = {p: file_hash(p) for p in config.parent.iterdir()}
        out = root / f"run_{label}"
        assert main(["run", str(config), "--out", str(out)]) == 0, label
        assert {p: file_hash(p) for p in inputs} == inputs, "an input file was modified"
        made[label] = out
    return made


def test_the_sources_really_hold_integer_and_text_ids(runs):
    client = runs["parquet"].parent / "client_parquet"
    assert pq.read_schema(client / "orders.parquet").field("customer_id").type == "int64"
    assert pq.read_schema(client / "orders.parquet").field("order_id").type == "int64"
    mixed = runs["csv_mixed"].parent / "client_csv_mixed"
    assert pq.read_schema(mixed / "customers.parquet").field("customer_id").type in ("string",
                                                                                    "large_string")
    assert pd.read_csv(mixed / "orders.csv")["customer_id"].dtype == "int64"


@pytest.mark.parametrize("label", ["parquet", "csv_mixed"])
def test_customer_id_is_text_in_every_file_of_the_run(runs, label, demo_dir):
    run = runs[label]
    expected = set(_as_integers(pd.read_csv(demo_dir / "customers.csv",
                                            dtype={"customer_id": "string"})["customer_id"])
                   .astype(str))
    for name in ("customers.parquet", "transactions.parquet", "segments.parquet", "clv.parquet"):
        ids = pd.read_parquet(run / name, columns=["customer_id"])["customer_id"]
        assert pd.api.types.is_string_dtype(ids.dtype), (name, ids.dtype)
        assert ids.str.fullmatch(r"[1-9][0-9]*").all(), name
        assert set(ids) <= expected, name
    customers = pd.read_parquet(run / "customers.parquet", columns=["customer_id"])
    assert set(customers["customer_id"]) == expected
    for name in ("segments.csv", "lifecycle.csv"):
        ids = pd.read_csv(run / name, dtype={"customer_id": "string"})["customer_id"]
        assert set(ids) == expected, name
    # the CRM export: text ids, as the customers file spelled them (no "178.0")
    segments = pd.read_csv(run / "segments.csv", dtype=str)
    assert not segments["customer_id"].str.contains(r"\.").any()
    assert (run / "report.html").is_file() and (run / "personas.json").is_file()


def test_ids_typed_differently_in_the_sources_give_the_same_run(runs):
    for name in ("customers.parquet", "segments.csv", "segment_profiles.csv", "targeting.csv",
                 "lifecycle.csv", "personas.json"):
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(runs["parquet"] / name),
                                          pd.read_parquet(runs["csv_mixed"] / name))
        else:
            assert file_hash(runs["parquet"] / name) == file_hash(runs["csv_mixed"] / name), name


def test_integer_ids_segment_like_the_text_ids(runs, demo_run):
    """The same customers under their demo text ids fall in the same segments."""
    from sklearn.metrics import adjusted_rand_score

    text = pd.read_csv(demo_run / "segments.csv", dtype={"customer_id": "string"})
    text["customer_id"] = _as_integers(text["customer_id"]).astype(str)
    ints = pd.read_csv(runs["parquet"] / "segments.csv", dtype={"customer_id": "string"})
    both = text.merge(ints, on="customer_id", suffixes=("_text", "_int"))
    assert len(both) == len(text) == len(ints)
    assert adjusted_rand_score(both["segment_text"], both["segment_int"]) > 0.95
