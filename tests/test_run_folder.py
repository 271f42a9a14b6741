"""The run folder's contract: file promises, text customer ids, and stamps of provenance."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_with_segments, run_with_targeting
from seglib import lifecycle, persona, position, run_folder
from seglib.errors import DataError, SeglibError
from seglib.run_folder import FILES, NOTEBOOKS, RunFolder, to_ids

SEGMENTS = pd.DataFrame({"customer_id": ["007", "8", "9", "10"], "segment": [1, 1, 2, 0],
                         "segment_name": ["Loyal", "Loyal", "Bargain", "New / unclassified"]})
TARGETING = pd.DataFrame({"segment": [1, 2, 0], "segment_name": ["Loyal", "Bargain",
                                                                  "New / unclassified"],
                          "customers": [2, 1, 1], "attractiveness": [8.0, 4.0, 1.0],
                          "rank": [1, 2, np.nan], "selected": [True, False, False]})


def test_every_file_belongs_to_a_stage_with_a_notebook():
    assert set(NOTEBOOKS) == {f.stage for f in FILES.values()}
    assert list(NOTEBOOKS.values()) == sorted(NOTEBOOKS.values())
    for spec in FILES.values():
        assert spec.notebook.startswith("notebooks/0") and spec.what
        assert set(spec.unique) <= set(spec.columns) | set(spec.optional)
        assert set(spec.columns.values()) | set(spec.optional.values()) <= set(run_folder.KINDS)


@pytest.mark.parametrize("values, expected", [
    (pd.Series([17850, 12, 7], dtype="int64"), ["17850", "12", "7"]),
    (pd.Series([17850.0, np.nan]), ["17850", pd.NA]),
    (pd.Series(["0007", "12"], dtype=object), ["0007", "12"]),
    (pd.Series(["0007", None], dtype="str"), ["0007", pd.NA]),
    (pd.Series(["h_ab12"], dtype="string"), ["h_ab12"]),
])
def test_ids_become_text_whatever_their_type(values, expected):
    ids = to_ids(values)
    assert ids.dtype == "string"
    assert [None if v is pd.NA else v for v in ids] == [None if v is pd.NA else v
                                                        for v in expected]


def test_segments_written_with_integer_ids_read_back_as_text(tmp_path):
    segments = SEGMENTS.assign(customer_id=[7, 8, 9, 10])
    run = run_with_segments(tmp_path, segments)
    back = run.read_segments()
    assert back["customer_id"].dtype == "string"
    assert back["customer_id"].tolist() == ["10", "7", "8", "9"]  # sorted as text
    csv = pd.read_csv(tmp_path / "segments.csv", dtype=str)
    assert csv["customer_id"].tolist() == ["10", "7", "8", "9"]


def test_leading_zeros_survive_every_csv_of_the_run(tmp_path):
    run = run_with_segments(tmp_path, SEGMENTS)
    stages = SEGMENTS.assign(stage=["Lapsed", None, "At risk", "Awareness"],
                             previous_stage=[None] * 4)
    lifecycle.write_outputs(stages, run)
    back = RunFolder(tmp_path)
    back.read_segments()
    table = back.read_lifecycle()
    assert table["customer_id"].dtype == "string" and "007" in set(table["customer_id"])
    assert table.set_index("customer_id").loc["007", "stage"] == "Lapsed"
    assert pd.isna(table.set_index("customer_id").loc["8", "stage"])


def test_a_writer_refuses_a_frame_that_breaks_its_promise(tmp_path):
    run = run_with_segments(tmp_path, SEGMENTS)
    with pytest.raises(SeglibError, match="targeting.csv not written: column 'selected' is "
                                          "missing"):
        run.write_targeting(TARGETING.drop(columns="selected"))
    with pytest.raises(SeglibError, match="column 'customers' holds .* whole numbers expected"):
        run.write_targeting(TARGETING.assign(customers=["2", "1", "1"]))
    with pytest.raises(SeglibError, match="column 'segment' repeats the value 1"):
        run.write_targeting(pd.concat([TARGETING, TARGETING.head(1)]))
    assert not (tmp_path / "targeting.csv").exists()


def test_a_stamped_writer_needs_the_segments_read_first(tmp_path):
    run_with_segments(tmp_path, SEGMENTS)
    with pytest.raises(SeglibError, match="written from segments.parquet"):
        RunFolder(tmp_path).write_targeting(TARGETING)


def test_a_reader_refuses_a_file_edited_by_hand(tmp_path):
    run = run_with_targeting(tmp_path, SEGMENTS, TARGETING)
    path = tmp_path / "targeting.csv"
    path.write_text(path.read_text().replace("selected", "chosen"))  # renamed in a spreadsheet
    reader = RunFolder(tmp_path)
    with pytest.raises(DataError) as err:
        reader.read_targeting()
    message = str(err.value)
    assert "targeting.csv" in message and "column 'selected' is missing" in message
    assert "re-run notebooks/03_targeting.ipynb" in message
    assert run.path == tmp_path


def test_a_reader_names_the_column_of_the_wrong_type(tmp_path):
    run_with_segments(tmp_path, SEGMENTS)
    table = pd.read_parquet(tmp_path / "segments.parquet")
    table.assign(segment=table["segment"].astype(str)).to_parquet(tmp_path / "segments.parquet")
    with pytest.raises(DataError, match="segments.parquet: column 'segment' holds .* whole "
                                        "numbers expected.*re-run notebooks/02_segment.ipynb"):
        RunFolder(tmp_path).read_segments()


def test_a_missing_file_names_the_notebook_to_run(tmp_path):
    with pytest.raises(DataError, match="segments.parquet not found: run "
                                        "notebooks/02_segment.ipynb first"):
        RunFolder(tmp_path).read_segments()


def test_a_file_without_a_stamp_is_refused(tmp_path):
    SEGMENTS.to_parquet(tmp_path / "segments.parquet", index=False)
    with pytest.raises(DataError, match="not written by this version.*re-run "
                                        "notebooks/02_segment.ipynb"):
        RunFolder(tmp_path).read_segments()


def _resegment(folder):
    """02_segment run again by hand: other segments, new stamps."""
    other = SEGMENTS.assign(segment=[1, 2, 2, 0],
                            segment_name=["Loyal", "Bargain", "Bargain", "New / unclassified"])
    run = RunFolder(folder)
    run.read_customers()
    profiles = pd.DataFrame({"segment": [0, 1, 2], "segment_name": other["segment_name"].unique(),
                             "customers": [1, 1, 2], "share": [0.25, 0.25, 0.5]})
    run.write_segmentation(segments=other, profiles=profiles, model=None)


def test_targeting_from_earlier_segments_is_refused_downstream(tmp_path):
    run_with_targeting(tmp_path, SEGMENTS, TARGETING)
    assert RunFolder(tmp_path).read_targeting()["selected"].tolist() == [True, False, False]
    _resegment(tmp_path)
    # 04_position, 05_lifecycle and 06_personas read targeting.csv: each refuses it
    with pytest.raises(DataError, match="targeting.csv: computed from an earlier "
                                        "segments.parquet.*re-run notebooks/03_targeting.ipynb"):
        position.read_inputs(tmp_path)
    with pytest.raises(DataError, match="re-run notebooks/03_targeting.ipynb"):
        RunFolder(tmp_path).read_targeting()


def test_lifecycle_from_earlier_segments_is_refused_by_the_personas(tmp_path):
    run = run_with_targeting(tmp_path, SEGMENTS, TARGETING)
    stages = SEGMENTS.assign(stage="Lapsed", previous_stage=None)
    lifecycle.write_outputs(stages, run)
    reader = RunFolder(tmp_path)
    assert (reader.read_lifecycle()["stage"] == "Lapsed").all()
    _resegment(tmp_path)
    with pytest.raises(DataError, match="lifecycle.csv: computed from an earlier "
                                        "segments.parquet.*re-run notebooks/05_lifecycle.ipynb"):
        RunFolder(tmp_path).read_lifecycle()


def test_segments_from_an_earlier_collection_are_refused(tmp_path):
    run_with_segments(tmp_path, SEGMENTS)
    RunFolder(tmp_path).write_collected(
        customers=pd.DataFrame({"customer_id": ["1", "2"]}),
        ledger=pd.read_csv(tmp_path / "data_quality.csv"),
        dictionary=pd.read_csv(tmp_path / "data_dictionary.csv"), meta={"as_of": "2025-01-01"})
    with pytest.raises(DataError, match="segments.parquet: computed from an earlier "
                                        "customers.parquet.*re-run notebooks/02_segment.ipynb"):
        RunFolder(tmp_path).read_segments()


def test_personas_are_stamped_with_the_targeting_they_came_from(tmp_path):
    run = run_with_targeting(tmp_path, SEGMENTS, TARGETING)
    persona.write_outputs([], run)
    stamps = json.loads((tmp_path / "stamps.json").read_text())
    assert stamps["personas.json"]["from"]["targeting.csv"] == stamps["targeting.csv"]["stamp"]
    assert stamps["personas.html"]["stage"] == "personas"
    assert RunFolder(tmp_path).read_personas() == []


def test_a_file_the_stage_no_longer_makes_is_removed_with_its_stamp(tmp_path):
    run = run_with_segments(tmp_path, SEGMENTS)
    clv = pd.DataFrame({"customer_id": SEGMENTS["customer_id"], "p_alive": 0.5,
                        "expected_purchases": 1.0, "expected_spend": 10.0, "clv": 5.0,
                        "clv_method": "historical", "segment": SEGMENTS["segment"],
                        "segment_name": SEGMENTS["segment_name"]})
    run.write_targeting(TARGETING, clv)
    assert RunFolder(tmp_path).read_clv(["customer_id", "clv"])["clv"].tolist() == [5.0] * 4
    run.write_targeting(TARGETING)  # a later run without CLV
    assert not (tmp_path / "clv.parquet").exists()
    assert "clv.parquet" not in json.loads((tmp_path / "stamps.json").read_text())
    assert RunFolder(tmp_path).read_clv() is None


def test_clv_absent_because_targeting_never_ran_is_an_error(tmp_path):
    run_with_segments(tmp_path, SEGMENTS)
    with pytest.raises(DataError, match="targeting.csv not found: run "
                                        "notebooks/03_targeting.ipynb first"):
        RunFolder(tmp_path).read_clv()


def test_stamps_are_the_same_for_the_same_content(tmp_path):
    run_with_targeting(tmp_path / "a", SEGMENTS, TARGETING)
    run_with_targeting(tmp_path / "b", SEGMENTS, TARGETING)
    assert (tmp_path / "a" / "stamps.json").read_bytes() == \
        (tmp_path / "b" / "stamps.json").read_bytes()
