"""Benchmark: the customer table and the RFM summary from a Parquet transaction log.

Run by hand (see benchmarks/README.md)::

    .venv/bin/python benchmarks/bench_rfm.py --data /work/benchdata --sizes 1m,10m --repeat 3

For every size and every tool, each repeat runs in a fresh subprocess, so start-up state
and peak memory belong to that tool alone. The child reports the wall time of the timed
region (``time.perf_counter``) and its peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes the interpreter and the
imports). Repeats are interleaved (tool A, B, C, A, B, C, ...) so that a noisy neighbour
hits every tool alike; the table shows the median of the repeats.

Tools (``--tools``, default all):

- ``seglib_collect``: ``seglib.collect.collect(load_config(yaml))`` on the Parquet file, from
  the call to the customer DataFrame (reading included); ``write_outputs`` timed apart.
- ``seglib_rfm``: ``seglib.rfm.rfm_summary(<parquet path>, ...)``, reading included.
- ``lifetimes``: ``pd.read_parquet`` + ``lifetimes.utils.summary_data_from_transaction_data``.
- ``pymc_marketing``: ``pd.read_parquet`` + ``pymc_marketing.clv.utils.rfm_summary``.
- ``duckdb``: one DuckDB SQL query from the Parquet file to a pandas DataFrame (a floor).

seglib and DuckDB run in the project's venv (``--seglib-python``); lifetimes and
pymc-marketing in the separate benchmark venv (``--peers-python``). Imports are outside
the timed region. Every tool gets the same end of observation: midnight after the last
transaction (lifetimes' ``observation_period_end``, seglib's ``as_of``).

On the ``--check-size`` data the summaries are compared with lifetimes': the same
customers, frequency, recency and T exactly equal, monetary value within 1e-6 relative.

This file is run by two interpreters; its top level imports the standard library only,
which also keeps the parent small (a child's ``ru_maxrss`` starts from the parent's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import inspect
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib  # benchmarks/ is on sys.path when a script runs
from benchlib import git_state as _git_state
from benchlib import peak_gb as _peak_gb
from benchlib import versions as _versions

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent


def run_child(python: str, job: str, timeout: float, **options) -> dict:
    """Run one job of this script in a fresh interpreter (see benchlib.run_child)."""
    return benchlib.run_child(__file__, python, job, timeout, **options)
TOOLS = ("seglib_collect", "seglib_rfm", "lifetimes", "pymc_marketing", "duckdb")
LABELS = {
    "seglib_collect": "seglib customer table (`collect`)",
    "seglib_write": "seglib `write_outputs` (apart)",
    "seglib_rfm": "seglib `rfm.rfm_summary`",
    "lifetimes": "lifetimes `summary_data_from_transaction_data`",
    "pymc_marketing": "pymc-marketing `clv.utils.rfm_summary`",
    "duckdb": "DuckDB SQL (floor)",
}
PEER_TOOLS = {"lifetimes", "pymc_marketing"}
VERSIONS = {
    "seglib_collect": ["stp-workbook", "pandas", "numpy", "pyarrow", "duckdb"],
    "seglib_rfm": ["stp-workbook", "pandas", "numpy", "pyarrow", "duckdb"],
    "duckdb": ["duckdb", "pandas"],
    "lifetimes": ["lifetimes", "pandas", "numpy", "pyarrow"],
    "pymc_marketing": ["pymc-marketing", "pymc", "pandas", "numpy", "pyarrow"],
}
TARGET_SECONDS = 15.0
TARGET_PEAK_GB = 3.0
SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]


# --------------------------------------------------------------------------- child side


def _dump(summary, path: str | None) -> None:
    """Write a summary in one shape (customer_id column, four float columns) for the check."""
    if not path:
        return
    table = summary if "customer_id" in summary.columns else summary.reset_index()
    table = table[["customer_id", *SUMMARY_COLUMNS]].copy()
    table["customer_id"] = table["customer_id"].astype(str)
    table.to_parquet(path, index=False)


def _child_seglib_collect(args: argparse.Namespace) -> dict:
    import yaml

    from seglib.collect import collect, write_outputs
    from seglib.config import load_config

    with tempfile.TemporaryDirectory(prefix="bench_collect_") as tmp:
        config_path = Path(tmp) / "config.yaml"
        config_path.write_text(yaml.safe_dump({
            "client": "bench",
            "data": {"transactions": {
                "path": str(Path(args.parquet).resolve()),
                "columns": {"customer_id": "customer_id", "date": "invoice_date",
                            "amount": "amount"},
            }},
        }), encoding="utf-8")
        config = load_config(config_path)
        start = time.perf_counter()
        collected = collect(config)
        customers = collected.customers
        seconds = time.perf_counter() - start
        peak_collect = _peak_gb()
        start = time.perf_counter()
        write_outputs(collected, Path(tmp) / "run")
        write_seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_gb": peak_collect, "write_seconds": write_seconds,
            "peak_gb_with_write": _peak_gb(), "customers": int(len(customers)),
            "as_of": None if collected.as_of is None else str(collected.as_of)}


def _child_seglib_rfm(args: argparse.Namespace) -> dict:
    import pandas as pd

    try:
        from seglib.rfm import rfm_summary
    except ImportError as err:
        return {"status": "not available", "detail": f"{type(err).__name__}: {err}"}
    as_of = pd.Timestamp(args.as_of)
    # freq="D" is the expected default; pass it only where the draft API takes it.
    options = {"freq": "D"} if "freq" in inspect.signature(rfm_summary).parameters else {}
    start = time.perf_counter()
    summary = rfm_summary(args.parquet, customer_id="customer_id", date="invoice_date",
                          amount="amount", as_of=as_of, **options)
    seconds = time.perf_counter() - start
    peak = _peak_gb()
    _dump(summary, args.dump)
    return {"seconds": seconds, "peak_gb": peak, "customers": int(len(summary))}


def _child_lifetimes(args: argparse.Namespace) -> dict:
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    as_of = pd.Timestamp(args.as_of)
    start = time.perf_counter()
    transactions = pd.read_parquet(args.parquet)
    summary = summary_data_from_transaction_data(
        transactions, "customer_id", "invoice_date", monetary_value_col="amount",
        observation_period_end=as_of, freq="D")
    seconds = time.perf_counter() - start
    peak = _peak_gb()
    _dump(summary, args.dump)
    return {"seconds": seconds, "peak_gb": peak, "customers": int(len(summary))}


def _child_pymc_marketing(args: argparse.Namespace) -> dict:
    import pandas as pd
    from pymc_marketing.clv.utils import rfm_summary

    as_of = pd.Timestamp(args.as_of)
    start = time.perf_counter()
    transactions = pd.read_parquet(args.parquet)
    summary = rfm_summary(transactions, "customer_id", "invoice_date",
                          monetary_value_col="amount", observation_period_end=as_of,
                          time_unit="D")
    seconds = time.perf_counter() - start
    peak = _peak_gb()
    _dump(summary, args.dump)
    return {"seconds": seconds, "peak_gb": peak, "customers": int(len(summary))}


#: The lifetimes conventions in SQL: one row per customer and calendar day (amounts summed),
#: frequency = repeat days, recency = last day - first day, T = end - first day, monetary =
#: mean spend of the repeat days (0 without repeats).
DUCKDB_SQL = """
WITH days AS (
    SELECT customer_id, date_trunc('day', invoice_date) AS day, sum(amount) AS amount
    FROM read_parquet($path)
    WHERE date_trunc('day', invoice_date) <= $as_of
    GROUP BY ALL
), per_customer AS (
    SELECT customer_id, count(*) - 1 AS repeat_days, min(day) AS first_day,
           max(day) AS last_day, sum(amount) AS total, arg_min(amount, day) AS first_amount
    FROM days
    GROUP BY customer_id
)
SELECT customer_id,
       repeat_days::DOUBLE AS frequency,
       date_diff('day', first_day, last_day)::DOUBLE AS recency,
       date_diff('day', first_day, $as_of)::DOUBLE AS T,
       CASE WHEN repeat_days = 0 THEN 0.0
            ELSE (total - first_amount) / repeat_days END AS monetary_value
FROM per_customer
ORDER BY customer_id
"""


def _child_duckdb(args: argparse.Namespace) -> dict:
    import duckdb
    import pandas as pd

    as_of = pd.Timestamp(args.as_of).to_pydatetime()
    start = time.perf_counter()
    summary = duckdb.connect().execute(
        DUCKDB_SQL, {"path": str(args.parquet), "as_of": as_of}).df()
    seconds = time.perf_counter() - start
    peak = _peak_gb()
    _dump(summary, args.dump)
    return {"seconds": seconds, "peak_gb": peak, "customers": int(len(summary))}


def _child_as_of(args: argparse.Namespace) -> dict:
    """Midnight after the last transaction, and the row count, from the Parquet file."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    dates = pq.read_table(args.parquet, columns=["invoice_date"])["invoice_date"]
    last = pc.max(dates).as_py()
    as_of = dt.datetime.combine(last.date() + dt.timedelta(days=1), dt.time())
    return {"as_of": as_of.isoformat(), "rows": len(dates),
            "customers": len(pc.unique(pq.read_table(args.parquet,
                                                     columns=["customer_id"])["customer_id"]))}


def _child_compare(args: argparse.Namespace) -> dict:
    """Compare each dumped summary with lifetimes' (exact counts and days, 1e-6 relative money)."""
    import numpy as np
    import pandas as pd

    reference = pd.read_parquet(args.reference).set_index("customer_id").sort_index()
    out = {}
    for path in args.others:
        tool = Path(path).stem
        other = pd.read_parquet(path).set_index("customer_id").sort_index()
        problems = []
        if not reference.index.equals(other.index):
            missing = reference.index.difference(other.index)
            extra = other.index.difference(reference.index)
            problems.append(f"customers differ: {len(missing)} missing, {len(extra)} extra")
        else:
            for column in ["frequency", "recency", "T"]:
                differ = reference[column].to_numpy() != other[column].to_numpy()
                if differ.any():
                    first = reference.index[differ][0]
                    problems.append(
                        f"{column}: {int(differ.sum())} customers differ, e.g. {first}: "
                        f"{reference.loc[first, column]} vs {other.loc[first, column]}")
            ref_money = reference["monetary_value"].to_numpy()
            money = other["monetary_value"].to_numpy()
            close = np.isclose(money, ref_money, rtol=1e-6, atol=0.0)
            if not close.all():
                first = reference.index[~close][0]
                problems.append(
                    f"monetary_value: {int((~close).sum())} customers differ beyond 1e-6 "
                    f"relative, e.g. {first}: {reference.loc[first, 'monetary_value']} vs "
                    f"{other.loc[first, 'monetary_value']}")
        out[tool] = {"match": not problems, "customers": int(len(other)),
                     "problems": problems}
    return out


CHILDREN = {
    "seglib_collect": _child_seglib_collect,
    "seglib_rfm": _child_seglib_rfm,
    "lifetimes": _child_lifetimes,
    "pymc_marketing": _child_pymc_marketing,
    "duckdb": _child_duckdb,
    "as_of": _child_as_of,
    "compare": _child_compare,
}


def child_main(argv: list[str]) -> None:
    """Run one task in this (fresh) process and print one JSON line as the last line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", required=True, choices=sorted(CHILDREN))
    parser.add_argument("--parquet")
    parser.add_argument("--as-of")
    parser.add_argument("--dump")
    parser.add_argument("--reference")
    parser.add_argument("--others", nargs="*", default=[])
    args = parser.parse_args(argv)
    peak_start = _peak_gb()
    try:
        result = {"status": "ok", **CHILDREN[args.child](args)}
    except Exception as err:  # report, never hide: the parent prints it
        import traceback

        result = {"status": "error", "detail": f"{type(err).__name__}: {err}",
                  "traceback": traceback.format_exc(limit=6)}
    result["peak_gb_at_start"] = peak_start
    result["versions"] = _versions(VERSIONS.get(args.child, []))
    result["python"] = platform.python_version()
    print("BENCH-RESULT " + json.dumps(result, default=str), flush=True)


# --------------------------------------------------------------------------- parent side


def seglib_fingerprint() -> str:
    """Short hash of seglib's source files: seglib is installed editable, and may change mid-run."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "seglib").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _machine(pythons: dict[str, str]) -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")
    total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().split("\n")
                    if line.startswith("model name")), cpu)
    versions = {}
    for name, python in pythons.items():
        try:
            versions[name] = subprocess.run(
                [python, "-c", "import platform; print(platform.python_version())"],
                capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            versions[name] = "not found"
    return {"nproc": len(os.sched_getaffinity(0)), "ram_gb": total_kb / 1024**2, "cpu": cpu,
            "os": platform.platform(), "pythons": versions}


def _fmt_seconds(values: list[float]) -> str:
    if not values:
        return ""
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.2f}"
    return f"{median:.2f} ({min(values):.2f}-{max(values):.2f})"


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return ""
    return f"{value / base:.2f}x"


def summarise(runs: list[dict]) -> dict:
    """Median seconds and the largest peak over the successful repeats of one tool."""
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        failure = runs[0] if runs else {"status": "not run", "detail": ""}
        return {"status": failure.get("status"), "detail": failure.get("detail", "")}
    return {"status": "ok", "seconds": [r["seconds"] for r in ok],
            "median": statistics.median(r["seconds"] for r in ok),
            "peak_gb": max(r["peak_gb"] for r in ok),
            "customers": ok[0].get("customers"), "versions": ok[0].get("versions", {}),
            "failed_repeats": len(runs) - len(ok),
            "write_seconds": [r["write_seconds"] for r in ok if "write_seconds" in r],
            "peak_gb_with_write": max(r.get("peak_gb_with_write", 0.0) for r in ok),
            "baseline_gb": statistics.median(r.get("peak_gb_at_start", 0.0) for r in ok)}


def markdown(results: dict, facts: dict, machine: dict, checks: dict, args: argparse.Namespace,
             started: str, loads: tuple[str, str], source: str) -> str:
    versions: dict[str, str] = {}
    lines = [
        "# RFM / customer-table benchmark results",
        "",
        f"Run {started} by `python benchmarks/bench_rfm.py --data {args.data} "
        f"--sizes {args.sizes} --repeat {args.repeat}`.",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram_gb']:.1f} GB RAM, "
        f"{machine['os']}; load average before / after: {loads[0]} / {loads[1]} "
        f"(shared machine: timings are noisy, read the ratios).",
        "",
        "Seconds: median of the repeats, (fastest-slowest) in brackets; each repeat is a fresh "
        "process. Peak GB: the largest `ru_maxrss` of the repeats (interpreter and imports "
        "included). Ratios: this tool's median over seglib's (over 1: slower than seglib). "
        "Every timed region starts from the Parquet file on disk: lifetimes and "
        "pymc-marketing include `pd.read_parquet`, seglib and DuckDB read the file "
        "themselves. Imports are not timed.",
        "",
        "| rows / customers | tool | seconds | peak GB | / seglib table | / seglib rfm_summary |",
        "|---|---|---|---|---|---|",
    ]
    notes = []
    for size, per_tool in results.items():
        fact = facts.get(size, {})
        shape = f"{fact.get('rows', 0):,} / {fact.get('customers', 0):,}"
        table = per_tool.get("seglib_collect", {})
        rfm = per_tool.get("seglib_rfm", {})
        base_table = table.get("median") if table.get("status") == "ok" else None
        base_rfm = rfm.get("median") if rfm.get("status") == "ok" else None
        for tool, summary in per_tool.items():
            if summary.get("status") != "ok":
                lines.append(f"| {shape} | {LABELS[tool]} | {summary.get('status')} | | | |")
                notes.append(f"{size} {tool}: {summary.get('status')}: {summary.get('detail')}")
                continue
            versions.update(summary.get("versions", {}))
            median = summary["median"]
            lines.append(
                f"| {shape} | {LABELS[tool]} | {_fmt_seconds(summary['seconds'])} | "
                f"{summary['peak_gb']:.2f} | {_ratio(median, base_table)} | "
                f"{_ratio(median, base_rfm)} |")
            if summary.get("customers") != fact.get("customers"):
                notes.append(f"{size} {tool}: {summary.get('customers')} customer rows, "
                             f"expected {fact.get('customers')}")
            if summary.get("failed_repeats"):
                notes.append(f"{size} {tool}: {summary['failed_repeats']} repeat(s) failed")
            if tool == "seglib_collect" and summary["write_seconds"]:
                lines.append(
                    f"| {shape} | {LABELS['seglib_write']} | "
                    f"{_fmt_seconds(summary['write_seconds'])} | "
                    f"{summary['peak_gb_with_write']:.2f} (collect + write) | | |")
    lines.append("")
    for size, per_tool in results.items():
        table = per_tool.get("seglib_collect", {})
        if size == "10m" and table.get("status") == "ok":
            ok = table["median"] < TARGET_SECONDS and table["peak_gb"] < TARGET_PEAK_GB
            lines.append(
                f"Target (10M rows: customer table under {TARGET_SECONDS:.0f} s and "
                f"{TARGET_PEAK_GB:.0f} GB peak): {'met' if ok else 'NOT met'} "
                f"({table['median']:.2f} s, {table['peak_gb']:.2f} GB).")
            lines.append("")
    if checks:
        lines.append(f"Correctness on {args.check_size} (against lifetimes; frequency, recency "
                     f"and T exactly equal, monetary value within 1e-6 relative):")
        lines.append("")
        for tool, check in checks.items():
            verdict = "match" if check.get("match") else "DIFFER"
            detail = "; ".join(check.get("problems", [])) or check.get("detail", "")
            lines.append(f"- {LABELS.get(tool, tool)}: {verdict}" + (f" ({detail})" if detail
                                                                     else ""))
        lines.append("")
    baselines = {tool: summary.get("baseline_gb") for per_tool in results.values()
                 for tool, summary in per_tool.items() if summary.get("status") == "ok"}
    if baselines:
        lines.append("Peak RSS right after start-up, before any import of the tool (GB): "
                     + ", ".join(f"{tool} {gb:.2f}" for tool, gb in baselines.items()) + ".")
        lines.append("")
    pythons = ", ".join(f"{name} {version}" for name, version in machine["pythons"].items())
    lines.append(f"Python: {pythons}. Packages: "
                 + ", ".join(f"{name} {version}" for name, version in sorted(versions.items()))
                 + ".")
    lines.append("")
    lines.append(source + ".")
    lines.append("")
    if notes:
        lines.append("Notes:")
        lines.append("")
        lines.extend(f"- {note}" for note in notes)
        lines.append("")
    return "\n".join(lines)


def parent_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="folder with tx_<size>.parquet from gen_tx.py")
    parser.add_argument("--sizes", default="1m,10m")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help=f"comma-separated subset of {', '.join(TOOLS)}")
    parser.add_argument("--seglib-python", default=str(REPO / ".venv" / "bin" / "python"))
    parser.add_argument("--peers-python",
                        default=str(REPO.parent / "bench-venv" / "bin" / "python"),
                        help="python of the venv with lifetimes and pymc-marketing")
    parser.add_argument("--check-size", default="1m",
                        help="size on which summaries are compared with lifetimes'")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per process")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.md")
    args = parser.parse_args(argv)
    chosen = {t.strip() for t in args.tools.split(",") if t.strip()}
    tools = [t for t in TOOLS if t in chosen]
    unknown = chosen - set(TOOLS)
    if unknown:
        parser.error(f"unknown tool(s) {sorted(unknown)}; choose from {', '.join(TOOLS)}")
    pythons = {"seglib venv": args.seglib_python, "peers venv": args.peers_python}
    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    results: dict[str, dict] = {}
    facts: dict[str, dict] = {}
    checks: dict[str, dict] = {}
    fingerprints = {seglib_fingerprint()}
    git_state = _git_state()
    with tempfile.TemporaryDirectory(prefix="bench_rfm_") as dumps:
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            parquet = args.data / f"tx_{size}.parquet"
            if not parquet.is_file():
                sys.exit(f"{parquet} not found: make it with gen_tx.py (see benchmarks/README.md)")
            fact = run_child(args.seglib_python, "as_of", args.timeout, parquet=parquet)
            if fact["status"] != "ok":
                sys.exit(f"cannot read {parquet}: {fact.get('detail')}")
            facts[size] = fact
            print(f"== {size}: {fact['rows']:,} rows, {fact['customers']:,} customers, "
                  f"end of observation {fact['as_of']}", flush=True)
            runs: dict[str, list[dict]] = {tool: [] for tool in tools}
            dumped: dict[str, str] = {}
            for repeat in range(args.repeat):
                for tool in tools:
                    earlier = runs[tool]
                    if earlier and earlier[0]["status"] not in ("ok",):
                        continue  # an error, a timeout or "not available": do not repeat it
                    dump = None
                    if size == args.check_size and repeat == 0 and tool != "seglib_collect":
                        dump = str(Path(dumps) / f"{tool}.parquet")
                    python = args.peers_python if tool in PEER_TOOLS else args.seglib_python
                    if tool.startswith("seglib"):
                        fingerprints.add(seglib_fingerprint())
                    result = run_child(python, tool, args.timeout, parquet=parquet,
                                       as_of=fact["as_of"], dump=dump)
                    runs[tool].append(result)
                    if result["status"] == "ok":
                        if dump:
                            dumped[tool] = dump
                        extra = (f", write_outputs {result['write_seconds']:.2f} s"
                                 if "write_seconds" in result else "")
                        print(f"   {tool:15s} run {repeat + 1}: {result['seconds']:7.2f} s, "
                              f"peak {result['peak_gb']:.2f} GB{extra}", flush=True)
                    else:
                        print(f"   {tool:15s} run {repeat + 1}: {result['status']}: "
                              f"{result.get('detail')}", flush=True)
                        if result.get("traceback"):
                            print("      " + result["traceback"].strip().replace("\n", "\n      "),
                                  flush=True)
            results[size] = {tool: summarise(runs[tool]) for tool in tools}
            if size == args.check_size:
                if "lifetimes" in dumped:
                    others = [dumped[t] for t in dumped if t != "lifetimes"]
                    check = run_child(args.seglib_python, "compare", args.timeout,
                                      reference=dumped["lifetimes"], others=others)
                    if check.get("status") == "ok":
                        checks = {t: check[t] for t in dumped if t != "lifetimes"}
                    else:
                        checks = {"compare": {"match": False, "detail": check.get("detail")}}
                    if "seglib_rfm" in tools and "seglib_rfm" not in dumped:
                        checks["seglib_rfm"] = {"match": False,
                                                "detail": "no seglib rfm_summary to compare"}
                else:
                    checks = {"lifetimes": {"match": False,
                                            "detail": "lifetimes did not run: nothing to compare"}}
    load_after = " ".join(f"{x:.1f}" for x in os.getloadavg())
    fingerprints.add(seglib_fingerprint())
    source = f"seglib source: {git_state}, sha256 of seglib/ {', '.join(sorted(fingerprints))}"
    if len(fingerprints) > 1:
        source += (" -- seglib/ CHANGED DURING THE RUN: the seglib rows mix code versions; "
                   "run again")
    text = markdown(results, facts, _machine(pythons), checks, args, started,
                    (load_before, load_after), source)
    print()
    print(text)
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    if "--child" in sys.argv[1:]:
        child_main(sys.argv[1:])
    else:
        parent_main(sys.argv[1:])
