"""The run folder: every file a stage hands to the next, one reader and one writer each.

A run folder (``reports/<client>/<run>/``) holds what every stage wrote. This
module owns the folder's file names and, for every file, the columns and types it
promises (:data:`FILES`). The writer of a file checks the frame against that
promise before writing (a broken promise is a bug: :class:`SeglibError`); the
reader checks the file against it after reading (a file edited by hand or left
by another version is bad input: :class:`DataError` naming the file, the column
and the notebook to re-run). Stages and notebooks read and write only through a
:class:`RunFolder`.

``customer_id`` is text in every file of a run (pandas ``string``), whatever the
client's sources held: integers, text with leading zeros, pseudonyms.

**Stamps.** ``stamps.json`` records, for each file, a stamp of its content (the
first 16 hex digits of its SHA-256) and the stamps of the files it was computed
from. A :class:`RunFolder` remembers what it read; what it writes is stamped with
that. A reader refuses a file computed from an earlier version of one of its
inputs: after 02_segment is re-run, the targeting table of the earlier segments is
refused until 03_targeting is re-run, and so on down the chain.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seglib.errors import DataError, SeglibError

#: The stage notebooks, in the order of the chain, by stage name.
NOTEBOOKS = {
    "collect": "01_collect.ipynb",
    "segment": "02_segment.ipynb",
    "targeting": "03_targeting.ipynb",
    "position": "04_position.ipynb",
    "lifecycle": "05_lifecycle.ipynb",
    "personas": "06_personas.ipynb",
}

STAMPS = "stamps.json"

#: Column kinds a file can promise. ``id`` is text (pandas ``string``); ``text``
#: is text or missing; ``key`` text or whole numbers (order ids keep the source's
#: type); ``int``, ``number``, ``bool``, ``datetime`` as named.
KINDS = ("id", "key", "text", "int", "number", "bool", "datetime")


@dataclass(frozen=True)
class RunFile:
    """One file of a run folder and what it promises.

    ``columns`` are required (name -> kind), ``optional`` are checked when they are
    there; other columns are allowed unless ``closed``. ``unique`` columns hold no
    repeated value; ``not_null`` columns no missing one.
    """

    name: str
    stage: str
    columns: Mapping[str, str] = field(default_factory=dict)
    optional: Mapping[str, str] = field(default_factory=dict)
    closed: bool = False
    unique: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    what: str = ""

    @property
    def notebook(self) -> str:
        """``notebooks/0N_<stage>.ipynb``, the notebook that writes the file."""
        return f"notebooks/{NOTEBOOKS[self.stage]}"

    @property
    def kind(self) -> str:
        """``parquet``, ``csv``, ``json``, ``html`` or ``joblib`` (from the name)."""
        return self.name.rsplit(".", 1)[-1]


_ID = {"customer_id": "id"}
_SEGMENT = {"segment": "int", "segment_name": "text"}


def _files(*files: RunFile) -> dict[str, RunFile]:
    return {f.name: f for f in files}


#: Every file a stage writes into the run folder, by name.
FILES: dict[str, RunFile] = _files(
    # 01_collect
    RunFile("customers.parquet", "collect", _ID,
            {"n_orders": "int", "revenue": "number", "gross_revenue": "number",
             "recency_days": "number", "tenure_days": "number", "first_purchase": "datetime",
             "last_purchase": "datetime", "clv_frequency": "number", "clv_recency": "number",
             "clv_T": "number", "clv_monetary_value": "number", "repeat_customer": "bool"},
            unique=("customer_id",), not_null=("customer_id",),
            what="the customer table: one row per customer"),
    RunFile("transactions.parquet", "collect",
            {"row_no": "int", "customer_id": "id", "date": "datetime", "amount": "number",
             "line_status": "text"},
            {"order_id": "key", "channel": "text", "category": "text", "margin": "number",
             "quantity": "number", "unit_price": "number", "special_occasion": "bool",
             "returned": "bool", "cancelled": "bool"},
            unique=("row_no",), not_null=("row_no", "date", "amount", "line_status"),
            what="every transaction line read, with its cleaning status"),
    RunFile("data_quality.csv", "collect",
            {"source": "text", "rule": "text", "rows": "int", "revenue": "number",
             "action": "text", "examples": "text"}, closed=True,
            what="the data-quality ledger"),
    RunFile("data_dictionary.csv", "collect",
            {"column": "text", "meaning": "text", "unit": "text", "source": "text",
             "filled": "number"}, closed=True, unique=("column",),
            what="the data dictionary of the customer table"),
    RunFile("collect.json", "collect", what="how each source was read, end of observation"),
    RunFile("brand_ratings.parquet", "collect", {"brand": "text"},
            {"customer_id": "id", "respondent_id": "text"}, not_null=("brand",),
            what="the brand ratings, one row per rating"),
    RunFile("survey_factors.csv", "collect", {"item": "text"}, unique=("item",),
            what="the survey's factor loadings"),
    # 02_segment
    RunFile("segments.parquet", "segment", {**_ID, **_SEGMENT, "unclassified_reason": "text"},
            closed=True,
            unique=("customer_id",), not_null=("customer_id", "segment", "segment_name"),
            what="each customer's segment"),
    RunFile("segments.csv", "segment", {**_ID, **_SEGMENT, "unclassified_reason": "text"},
            closed=True,
            unique=("customer_id",), not_null=("customer_id", "segment", "segment_name"),
            what="each customer's segment, for the CRM"),
    RunFile("segment_profiles.csv", "segment",
            {**_SEGMENT, "customers": "int", "share": "number"}, unique=("segment",),
            what="the segment profiles"),
    RunFile("k_selection.csv", "segment", {"k": "int", "feasible": "bool"}, unique=("k",),
            what="the criteria of every number of segments tried"),
    RunFile("segment_rules.csv", "segment", {**_SEGMENT, "rule": "text"},
            what="the decision tree's rules per segment"),
    RunFile("segment_top_features.csv", "segment",
            {**_SEGMENT, "rank": "int", "feature": "text", "text": "text"},
            what="the features that set each segment apart"),
    RunFile("segment_model.joblib", "segment", what="the fitted segment model"),
    # 03_targeting
    RunFile("targeting.csv", "targeting",
            {**_SEGMENT, "customers": "int", "attractiveness": "number", "rank": "number",
             "selected": "bool"}, unique=("segment",), what="the targeting table"),
    RunFile("clv.parquet", "targeting",
            {**_ID, "p_alive": "number", "expected_purchases": "number",
             "expected_spend": "number", "clv": "number", "clv_method": "text", **_SEGMENT},
            unique=("customer_id",), not_null=("customer_id",),
            what="each customer's lifetime value"),
    # 04_position
    RunFile("positioning.csv", "position", {"brand": "text", "dim1": "number", "dim2": "number"},
            what="the perceptual map's brands"),
    RunFile("positioning_attributes.csv", "position",
            {"attribute": "text", "dim1": "number", "dim2": "number"},
            what="the perceptual map's attributes"),
    RunFile("positioning_mds.csv", "position",
            {"brand": "text", "dim1": "number", "dim2": "number", "stress": "number"},
            what="the MDS map"),
    RunFile("positioning_white_space.csv", "position",
            {"attribute": "text", "dim1": "number", "dim2": "number", "open": "bool"},
            what="the attribute directions no brand owns"),
    RunFile("positioning_segments.csv", "position",
            {**_SEGMENT, "brand": "text", "dim1": "number", "dim2": "number"},
            what="each target segment's view of the brands"),
    RunFile("positioning_targets.csv", "position", {**_SEGMENT, "statement": "text"},
            unique=("segment",), what="the target segments' positioning"),
    # 05_lifecycle
    RunFile("lifecycle.csv", "lifecycle",
            {**_ID, "stage": "text", "previous_stage": "text", **_SEGMENT}, closed=True,
            unique=("customer_id",), not_null=("customer_id",),
            what="each customer's lifecycle stage"),
    RunFile("lifecycle_transitions.csv", "lifecycle",
            {"from": "text", "to": "text", "customers": "int", "movement": "text"},
            closed=True, what="the moves between lifecycle stages"),
    RunFile("lifecycle_plan.csv", "lifecycle",
            {**_SEGMENT, "stage": "text", "customers": "int", "action": "text",
             "channel": "text", "moment": "text"}, what="the lifecycle plan"),
    # 06_personas
    RunFile("personas.json", "personas", what="the personas"),
    RunFile("personas.html", "personas", what="the printable persona cards"),
)


def _sha256(path: Path) -> str:
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def stamp_of(path: Path) -> str:
    """The first 16 hex digits of a file's SHA-256."""
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:16]


def to_ids(values: pd.Series) -> pd.Series:
    """Customer ids as pandas ``string``, however they were typed.

    Integers become their digits (``17850``), whole floats lose the ``.0``, text is
    kept as it is (leading zeros included); missing stays missing.
    """
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(
            values.dtype):
        return values.astype("string")
    if pd.api.types.is_bool_dtype(values.dtype):
        raise SeglibError(f"customer ids of type bool ({values.name})")
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype("Int64").astype("string")
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.dropna()
        if (whole == whole.round()).all() and (whole.abs() < 2**53).all():
            return values.astype("Int64").astype("string")
    return values.astype("string")


# --------------------------------------------------------------------------- checks


def _kind_of(values: pd.Series) -> str:
    """The kind a column holds, in the words of :data:`KINDS` (``other`` if none)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "text" if pd.api.types.is_string_dtype(dtype.categories.dtype) or \
            pd.api.types.is_object_dtype(dtype.categories.dtype) else "other"
    if pd.api.types.is_string_dtype(dtype):
        return "text"
    if pd.api.types.is_object_dtype(dtype):
        filled = values.dropna()
        if filled.map(lambda v: isinstance(v, str)).all():
            return "text"
        if filled.map(lambda v: isinstance(v, bool | np.bool_)).all():
            return "bool"
    return "other"


def _accepts(kind: str, values: pd.Series) -> bool:
    found = _kind_of(values)
    if values.isna().all():  # an empty column has no type to check
        return True
    if kind == "id":
        return found == "text"
    if kind == "key":
        return found in ("text", "int")
    if kind == "number":
        return found in ("int", "number")
    if kind == "int":
        return found == "int"
    return found == kind


_KIND_WORDS = {"id": "text ids", "key": "ids (text or whole numbers)", "text": "text",
               "int": "whole numbers", "number": "numbers", "bool": "true/false values",
               "datetime": "dates"}


def problems(spec: RunFile, frame: pd.DataFrame) -> list[str]:
    """What in ``frame`` breaks the promise of ``spec`` (empty when nothing does)."""
    found = []
    for column, kind in spec.columns.items():
        if column not in frame.columns:
            found.append(f"column {column!r} is missing ({_KIND_WORDS[kind]} expected)")
    promised = {**spec.optional, **spec.columns}
    for column, kind in promised.items():
        if column in frame.columns and not _accepts(kind, frame[column]):
            found.append(f"column {column!r} holds {frame[column].dtype} values; "
                         f"{_KIND_WORDS[kind]} expected")
    if spec.closed:
        extra = [c for c in frame.columns if c not in promised]
        if extra:
            found.append(f"unexpected column(s) {', '.join(map(repr, extra))}")
    for column in spec.not_null:
        if column in frame.columns and frame[column].isna().any():
            row = int(frame[column].isna().to_numpy().argmax())
            found.append(f"column {column!r} has {int(frame[column].isna().sum())} blank "
                         f"value(s), first at row {row + 1}")
    for column in spec.unique:
        if column in frame.columns and not frame[column].is_unique:
            value = frame.loc[frame[column].duplicated(), column].iloc[0]
            value = value.item() if hasattr(value, "item") else value
            found.append(f"column {column!r} repeats the value {value!r}")
    return found


# --------------------------------------------------------------------------- the folder


def pending_path(path: Path) -> Path:
    """Where a deliverable waits until its run is complete: ``.report.pending.html``.

    The extension stays, so a browser still reads the page as HTML (for the PDF).
    """
    path = Path(path)
    return path.with_name(f".{path.stem}.pending{path.suffix}")


def run_in_progress(folder: Path) -> bool:
    """True while ``seglib run`` is filling the folder (its manifest says "running")."""
    manifest = Path(folder) / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("status") == "running"
    except (OSError, ValueError):
        return False


class RunFolder:
    """Read and write the files of one run folder, checking each against :data:`FILES`.

    One instance per stage run: it remembers the stamp of every file it read, and
    stamps what it writes with them (see the module docstring).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._read: dict[str, str] = {}
        self._pending: dict[str, tuple] = {}

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def file(self, name: str) -> Path:
        """The path of one of the run's files (by its name in :data:`FILES`)."""
        if name not in FILES:
            raise SeglibError(f"{name!r} is not a file of the run folder")
        return self.path / name

    def exists(self, name: str) -> bool:
        """True when the run folder holds the file."""
        return self.file(name).is_file()

    # ----------------------------------------------------------------------- stamps

    def stamps(self) -> dict[str, dict]:
        """``stamps.json``: per file, its stamp and the stamps of what it was computed from."""
        path = self.path / STAMPS
        if not path.is_file():
            return {}
        try:
            stamps = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise DataError(f"{path}: cannot be read ({err}); re-run the workbook") from err
        return stamps if isinstance(stamps, dict) else {}

    def stamp(self, name: str) -> str | None:
        """The stamp recorded for a file (None when it has none)."""
        entry = self.stamps().get(name)
        return entry.get("stamp") if isinstance(entry, dict) else None

    def _record(self, names: Iterable[str], inputs: Mapping[str, str] | None = None,
                paths: Mapping[str, Path] | None = None) -> None:
        stamps = self.stamps()
        sources = dict(self._read if inputs is None else inputs)
        for name in names:
            where = (paths or {}).get(name, self.path / name)
            stamps[name] = {"stamp": stamp_of(where), "stage": FILES[name].stage,
                            "from": {k: v for k, v in sorted(sources.items()) if k != name}}
        _write_text(self.path / STAMPS, json.dumps(dict(sorted(stamps.items())), indent=2))

    def forget(self, names: Iterable[str]) -> None:
        """Delete files of an earlier run of a stage that this run did not write again."""
        stamps = self.stamps()
        changed = False
        for name in names:
            self.file(name).unlink(missing_ok=True)
            changed |= stamps.pop(name, None) is not None
        if changed:
            _write_text(self.path / STAMPS, json.dumps(dict(sorted(stamps.items())), indent=2))

    def _check_provenance(self, spec: RunFile) -> str:
        """The file's stamp, after checking it was computed from the current inputs."""
        stamps = self.stamps()
        entry = stamps.get(spec.name)
        path = self.path / spec.name
        if not isinstance(entry, dict) or "stamp" not in entry:
            raise DataError(f"{path}: not written by this version of the workbook (no stamp in "
                            f"{STAMPS}); re-run {spec.notebook}")
        for source, stamp in (entry.get("from") or {}).items():
            current = stamps.get(source, {}).get("stamp") if isinstance(
                stamps.get(source), dict) else None
            if current != stamp:
                upstream = FILES[source].notebook if source in FILES else source
                raise DataError(
                    f"{path}: computed from an earlier {source} (re-run of {upstream}); "
                    f"re-run {spec.notebook} so that it matches")
        return entry["stamp"]

    # ----------------------------------------------------------------------- frames

    def _frame(self, name: str, *, optional: bool = False,
               columns: list[str] | None = None) -> pd.DataFrame | None:
        spec = FILES[name]
        path = self.path / name
        if not path.is_file():
            if optional:
                return None
            raise DataError(f"{path} not found: run {spec.notebook} first (or `seglib run` "
                            f"the config)")
        stamp = self._check_provenance(spec)
        try:
            frame = self._load(spec, path, columns)
        except (OSError, ValueError, ImportError) as err:
            raise DataError(f"{path}: cannot be read ({type(err).__name__}: {err}); re-run "
                            f"{spec.notebook}") from err
        for column, kind in {**spec.optional, **spec.columns}.items():
            if kind == "id" and column in frame.columns and (
                    pd.api.types.is_string_dtype(frame[column].dtype)
                    or frame[column].isna().all()):
                frame[column] = frame[column].astype("string")
        check = spec if columns is None else RunFile(
            spec.name, spec.stage, {c: k for c, k in spec.columns.items() if c in columns},
            {c: k for c, k in spec.optional.items() if c in columns},
            unique=tuple(c for c in spec.unique if c in columns),
            not_null=tuple(c for c in spec.not_null if c in columns))
        found = problems(check, frame)
        if found:
            raise DataError(f"{path}: {found[0]}; this file is not as {spec.notebook} writes "
                            f"it: re-run {spec.notebook}")
        self._read[name] = stamp
        return frame

    @staticmethod
    def _load(spec: RunFile, path: Path, columns: list[str] | None) -> pd.DataFrame:
        if spec.kind == "parquet":
            if columns is not None:
                import pyarrow.parquet as pq

                present = set(pq.read_schema(path).names)
                columns = [c for c in columns if c in present]
            return pd.read_parquet(path, columns=columns)
        promised = {**spec.optional, **spec.columns}
        text = {c: "string" for c, k in promised.items() if k in ("id", "text")}
        return pd.read_csv(path, dtype=text, usecols=columns,
                           keep_default_na=False, na_values=[""])

    def _write_frames(self, frames: Mapping[str, pd.DataFrame | None],
                      inputs: Mapping[str, str] | None = None) -> dict[str, Path]:
        """Check and write frames (None: the file is not part of this run; it is removed)."""
        written = {}
        for name, frame in frames.items():
            spec = FILES[name]
            if frame is None:
                self.forget([name])
                continue
            ids = {column: to_ids(frame[column])
                   for column, kind in {**spec.optional, **spec.columns}.items()
                   if kind == "id" and column in frame.columns
                   and frame[column].dtype != "string"}
            if ids:
                frame = frame.assign(**ids)
            found = problems(spec, frame)
            if found:
                raise SeglibError(f"{name} not written: {found[0]} (a bug in {spec.notebook}'s "
                                  f"code)")
            path = self.path / name
            partial = path.with_name(f".{name}.partial")
            if spec.kind == "parquet":
                frame.to_parquet(partial, index=False)
            else:
                frame.to_csv(partial, index=False)
            os.replace(partial, path)
            written[name] = path
        if written:
            self._record(written, inputs)
        return written

    # ----------------------------------------------------------------------- 01_collect

    def write_collected(self, *, customers: pd.DataFrame, ledger: pd.DataFrame,
                        dictionary: pd.DataFrame, meta: Mapping[str, Any],
                        brand_ratings: pd.DataFrame | None = None,
                        factors: pd.DataFrame | None = None,
                        transactions: TransactionWriter | None = None,
                        background: bool = False) -> dict[str, Path]:
        """Write every file of 01_collect (the stage that reads no file of the run).

        With ``background``, the transaction lines are written while the caller goes
        on (DuckDB works outside Python's lock), and :meth:`finish` waits for them:
        until then the file is a hidden ``.partial`` with no stamp, which no reader
        accepts.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        self._read = {}
        meta = {**meta, "transactions": transactions is not None}
        written = self._write_frames({
            "customers.parquet": customers, "data_quality.csv": ledger,
            "data_dictionary.csv": dictionary, "brand_ratings.parquet": brand_ratings,
            "survey_factors.csv": factors}, inputs={})
        written["collect.json"] = self._write_json("collect.json", meta, inputs={})
        if transactions is None:
            self.forget(["transactions.parquet"])
        else:
            self.forget(["transactions.parquet"])
            written["transactions.parquet"] = self._write_transactions(transactions, background)
        return written

    def _write_transactions(self, writer: TransactionWriter, background: bool) -> Path:
        import threading

        spec = FILES["transactions.parquet"]
        found = problems(spec, writer.schema)
        if found:
            raise SeglibError(f"transactions.parquet not written: {found[0]} (a bug in "
                              f"{spec.notebook}'s code)")
        path = self.path / spec.name
        partial = path.with_name(f".{spec.name}.partial")
        errors: list[BaseException] = []

        def write() -> None:
            try:
                writer.write(partial)
            except BaseException as err:  # handed to finish(), which raises it
                errors.append(err)

        if not background:
            write()
            self._complete(spec.name, partial, errors)
            return path
        thread = threading.Thread(target=write, name="seglib-write-transactions", daemon=True)
        thread.start()
        self._pending[spec.name] = (thread, partial, errors)
        return path

    def _complete(self, name: str, partial: Path, errors: list[BaseException]) -> None:
        if errors:
            partial.unlink(missing_ok=True)
            err = errors[0]
            raise DataError(f"{self.path / name} could not be written ({type(err).__name__}: "
                            f"{err}); check the free space and permissions of the run "
                            f"folder") from err
        os.replace(partial, self.path / name)
        self._record([name], inputs={} if FILES[name].stage == "collect" else None)

    def finish(self) -> pd.DataFrame:
        """Wait for files still being written; return what the stage wrote, for reading.

        One row per file of the run folder written so far: its name, what it holds,
        the stage that wrote it and its size.
        """
        for name, (thread, partial, errors) in list(self._pending.items()):
            thread.join()
            del self._pending[name]
            self._complete(name, partial, errors)
        stamps = self.stamps()
        rows = [{"file": name, "what": FILES[name].what, "stage": entry.get("stage", ""),
                 "size": _size_text((self.path / name).stat().st_size)}
                for name, entry in stamps.items() if name in FILES and (self.path / name).is_file()]
        return pd.DataFrame(rows, columns=["file", "what", "stage", "size"]).set_index("file")

    def read_customers(self) -> pd.DataFrame:
        """The customer table of 01_collect."""
        return self._frame("customers.parquet")

    def read_collect_meta(self) -> dict:
        """``collect.json``: end of observation, sources, how each was read, column origins."""
        return self._json("collect.json")

    def read_categories(self) -> dict[str, str]:
        """Each purchase category as the client wrote it -> its ``category_share_`` column."""
        return dict(self.read_collect_meta().get("categories") or {})

    def read_collected(self) -> tuple[pd.DataFrame, dict]:
        """The customer table and the collection facts later stages build on."""
        return self.read_customers(), self.read_collect_meta()

    def read_transactions(self, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The transaction lines with their status (None when the run has no transactions)."""
        if not self.exists("transactions.parquet") and self.read_collect_meta().get(
                "transactions"):
            raise DataError(f"{self.path / 'transactions.parquet'} not found although the run "
                            f"has transactions: run {FILES['transactions.parquet'].notebook} "
                            f"to its last cell")
        return self._frame("transactions.parquet", optional=True, columns=columns)

    def read_ledger(self) -> pd.DataFrame:
        """The data-quality ledger."""
        return self._frame("data_quality.csv")

    def read_dictionary(self) -> pd.DataFrame:
        """The data dictionary of the customer table."""
        return self._frame("data_dictionary.csv")

    def read_brand_ratings(self) -> pd.DataFrame | None:
        """The brand ratings (None when the client gave none)."""
        return self._frame("brand_ratings.parquet", optional=True)

    def read_survey_factors(self) -> pd.DataFrame | None:
        """The survey's factor loadings (None when the survey had too few items)."""
        return self._frame("survey_factors.csv", optional=True)

    # ----------------------------------------------------------------------- 02_segment

    def write_segmentation(self, *, segments: pd.DataFrame, profiles: pd.DataFrame,
                           model: object, k_table: pd.DataFrame | None = None,
                           rules: pd.DataFrame | None = None,
                           top_features: pd.DataFrame | None = None) -> dict[str, Path]:
        """Write every file of 02_segment; segments sorted by customer id."""
        import joblib

        self._require_read("customers.parquet", "segments.parquet")
        segments = segments[["customer_id", "segment", "segment_name"]
                            + (["unclassified_reason"] if "unclassified_reason" in segments
                               else [])].copy()
        if "unclassified_reason" not in segments:
            segments["unclassified_reason"] = ""
        segments["customer_id"] = to_ids(segments["customer_id"])
        segments = segments.sort_values("customer_id", kind="stable").reset_index(drop=True)
        written = self._write_frames({
            "segments.parquet": segments, "segments.csv": segments,
            "segment_profiles.csv": profiles, "k_selection.csv": k_table,
            "segment_rules.csv": rules, "segment_top_features.csv": top_features})
        path = self.path / "segment_model.joblib"
        partial = path.with_name(".segment_model.joblib.partial")
        joblib.dump(model, partial)
        os.replace(partial, path)
        self._record(["segment_model.joblib"])
        written["segment_model.joblib"] = path
        return written

    def read_segments(self) -> pd.DataFrame:
        """Each customer's segment (``customer_id, segment, segment_name``)."""
        return self._frame("segments.parquet")

    def read_segment_profiles(self) -> pd.DataFrame:
        """The segment profiles of 02_segment."""
        return self._frame("segment_profiles.csv")

    def _manifest_sha256(self, name: str) -> str | None:
        """The sha256 a complete run's manifest lists for ``name`` (None: not listed)."""
        manifest = self.path / "manifest.json"
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("status") != "complete":
            return None
        return (data.get("outputs") or {}).get(name)

    def read_model(self, expected_type: type | None = None, version: object = None):
        """The fitted segment model, after checking its stamp (the file is a pickle).

        The file is loaded only when its content has the stamp recorded when it was
        written and, in a finished run, the sha256 its manifest lists: a model file
        changed or replaced since is refused before it is unpickled.
        """
        import joblib

        spec = FILES["segment_model.joblib"]
        path = self.path / spec.name
        if not path.is_file():
            raise DataError(f"{path} not found: run {spec.notebook} first (or `seglib run` "
                            f"the config)")
        recorded = self._check_provenance(spec)
        if stamp_of(path) != recorded:
            raise DataError(f"{path}: its content is not the model {spec.notebook} saved (the "
                            f"stamp differs from {STAMPS}); it is not loaded. Re-run "
                            f"{spec.notebook}")
        listed = self._manifest_sha256(spec.name)
        if listed is not None and _sha256(path) != listed:
            raise DataError(f"{path}: its content is not the model this run finished with (its "
                            f"sha256 differs from manifest.json); it is not loaded (a model "
                            f"file is a pickle, which runs code when loaded). Re-run "
                            f"{spec.notebook}")
        try:
            model = joblib.load(path)
        except Exception as err:  # pickles of another seglib version, a truncated file
            raise DataError(
                f"{path} cannot be read by this version of seglib ({type(err).__name__}: "
                f"{err}); it was probably saved by another version: re-run {spec.notebook} "
                "(`seglib run` the config)") from err
        if expected_type is not None and (not isinstance(model, expected_type)
                                          or getattr(model, "version_", None) != version):
            raise DataError(
                f"{path} was saved by another version of seglib (model format "
                f"{getattr(model, 'version_', 'unknown')}, this one reads {version}); re-run "
                f"{spec.notebook} (`seglib run` the config)")
        self._read[spec.name] = recorded
        return model

    # ----------------------------------------------------------------------- 03_targeting

    def write_targeting(self, targeting: pd.DataFrame,
                        clv: pd.DataFrame | None = None) -> dict[str, Path]:
        """Write ``targeting.csv`` and, when CLV was computed, ``clv.parquet``."""
        self._require_read("segments.parquet", "targeting.csv")
        if clv is not None:
            clv = clv.copy()
            clv["customer_id"] = to_ids(clv["customer_id"])
            clv = clv.sort_values("customer_id", kind="stable").reset_index(drop=True)
        return self._write_frames({"targeting.csv": targeting, "clv.parquet": clv})

    def read_targeting(self) -> pd.DataFrame:
        """The targeting table of 03_targeting, one row per segment."""
        return self._frame("targeting.csv")

    def read_clv(self, columns: list[str] | None = None) -> pd.DataFrame | None:
        """Each customer's CLV (None when the run could not compute it)."""
        if not self.exists("clv.parquet"):
            self._check_stage_ran("targeting.csv")
        return self._frame("clv.parquet", optional=True, columns=columns)

    # ----------------------------------------------------------------------- 04_position

    def write_positioning(self, frames: Mapping[str, pd.DataFrame | None]) -> dict[str, Path]:
        """Write the positioning files (``positioning*.csv``; None: not made in this run)."""
        names = [n for n, f in FILES.items() if f.stage == "position"]
        unknown = set(frames) - set(names)
        if unknown:
            raise SeglibError(f"not positioning files: {', '.join(sorted(unknown))}")
        return self._write_frames({n: frames.get(n) for n in names})

    def read_positioning_targets(self) -> pd.DataFrame | None:
        """Each target segment's positioning (None when there was no map)."""
        return self._frame("positioning_targets.csv", optional=True)

    # ----------------------------------------------------------------------- 05_lifecycle

    def write_lifecycle(self, stages: pd.DataFrame, transitions: pd.DataFrame,
                        plan: pd.DataFrame | None = None) -> dict[str, Path]:
        """Write ``lifecycle.csv``, ``lifecycle_transitions.csv`` and the plan."""
        self._require_read("segments.parquet", "lifecycle.csv")
        stages = stages.copy()
        stages["customer_id"] = to_ids(stages["customer_id"])
        for column in ("stage", "previous_stage"):
            stages[column] = stages[column].astype("string")
        return self._write_frames({"lifecycle.csv": stages,
                                   "lifecycle_transitions.csv": transitions,
                                   "lifecycle_plan.csv": plan})

    def read_lifecycle(self) -> pd.DataFrame:
        """Each customer's lifecycle stage now and one period earlier."""
        return self._frame("lifecycle.csv")

    def read_white_space(self) -> pd.DataFrame | None:
        """The attribute directions of the perceptual map and whether a brand owns each."""
        return self._frame("positioning_white_space.csv", optional=True)

    def read_lifecycle_plan(self) -> pd.DataFrame | None:
        """The lifecycle plan per target segment and stage (None without targets)."""
        return self._frame("lifecycle_plan.csv", optional=True)

    # ----------------------------------------------------------------------- 06_personas

    def write_personas(self, personas: list[dict], cards_html: str) -> dict[str, Path]:
        """Write ``personas.json`` and the printable ``personas.html``."""
        self._require_read("targeting.csv", "personas.json")
        written = {"personas.json": self._write_json("personas.json", personas)}
        path = self.path / "personas.html"
        if run_in_progress(self.path):  # a deliverable: named when the whole run is complete
            path = pending_path(path)
        _write_text(path, cards_html)
        self._record(["personas.html"], paths={"personas.html": path})
        written["personas.html"] = path
        return written

    def read_personas(self) -> list[dict]:
        """The personas of 06_personas."""
        return self._json("personas.json")

    # ----------------------------------------------------------------------- helpers

    def _require_read(self, source: str, name: str) -> None:
        if source not in self._read:
            raise SeglibError(f"{name} is written from {source}: read it through the same "
                              f"RunFolder first")

    def _check_stage_ran(self, name: str) -> None:
        """A file that may be absent is absent for a reason only if its stage ran."""
        if not self.exists(name):
            spec = FILES[name]
            raise DataError(f"{self.path / name} not found: run {spec.notebook} first (or "
                            f"`seglib run` the config)")
        self._check_provenance(FILES[name])

    def _write_json(self, name: str, value: Any, inputs: Mapping[str, str] | None = None
                    ) -> Path:
        path = self.path / name
        _write_text(path, json.dumps(value, indent=2, ensure_ascii=False, default=str))
        self._record([name], inputs)
        return path

    def _json(self, name: str) -> Any:
        spec = FILES[name]
        path = self.path / name
        if not path.is_file():
            raise DataError(f"{path} not found: run {spec.notebook} first (or `seglib run` "
                            f"the config)")
        stamp = self._check_provenance(spec)
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise DataError(f"{path}: cannot be read ({err}); re-run {spec.notebook}") from err
        self._read[name] = stamp
        return value


class TransactionWriter:
    """Writes ``transactions.parquet`` from a relation that DuckDB holds.

    ``schema`` is a one-row frame with the relation's columns, each of the pandas
    type its DuckDB type becomes, checked against the file's promise before
    anything is written.
    """

    _KINDS = (("BOOLEAN", True), ("TIMESTAMP", pd.Timestamp("2000-01-01")),
              ("DATE", pd.Timestamp("2000-01-01")), ("VARCHAR", "x"), ("INT", 1),
              ("DOUBLE", 1.5), ("FLOAT", 1.5), ("DECIMAL", 1.5), ("REAL", 1.5))

    def __init__(self, con, sql: str, lock=None) -> None:
        import threading

        self.con = con
        self.sql = sql
        self.lock = lock or threading.Lock()
        types = con.execute(f"DESCRIBE SELECT * FROM ({sql})").fetchall()
        row = {}
        for name, kind, *_ in types:
            value = next((v for key, v in self._KINDS if key in kind.upper()), object())
            row[name] = pd.Series([value], dtype="string" if value == "x" else None)
        self.schema = pd.DataFrame(row)

    def write(self, path: Path) -> None:
        """COPY the relation to ``path`` as Parquet, on all of DuckDB's threads.

        Parquet format 2 pages, and dictionaries only for columns of a few values
        (statuses, channels): ten million lines with distinct ids are written in
        about two thirds of the time, in less than half the space. In the background
        too, all threads: what the notebook does meanwhile (tables, a plot) is light,
        and one thread made the stage wait longer for the file (measured: 0.2 s more
        on the 10M-line benchmark log).
        """
        target = "'" + str(path).replace("'", "''") + "'"
        with self.lock:
            self.con.execute(f"COPY ({self.sql}) TO {target} (FORMAT parquet, "
                             f"PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 4096)")


def _size_text(size: int) -> str:
    """``12.3 MB``: a file size for people."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} GB"


def _write_text(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
