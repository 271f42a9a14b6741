"""Benchmark: fitting BG/NBD + Gamma-Gamma and the 12-month CLV at 100k and 1M customers.

Run by hand (see benchmarks/README.md)::

    .venv/bin/python benchmarks/bench_clv.py --data /work/benchdata --customers 100000,1000000 \\
        --repeat 3

Requirement (issue 6): fitting BG/NBD + Gamma-Gamma on 1 million customers takes under 30 s
on the 2-core machine.

Data sources (``--sources``, default both):

- ``tx``: the RFM summary (``seglib.rfm.rfm_summary(..., freq="D")``, daily units, end of
  observation = midnight after the last transaction) of the synthetic transaction logs of
  ``../shared/bench/gen_tx.py``: ``tx_1m.parquet`` for 100k customers and ``tx_10m.parquet``
  for 1M customers. This is the source of the 30-second requirement.
- ``demo``: the ``clv_frequency``, ``clv_recency``, ``clv_T`` and ``clv_monetary_value``
  columns of the customer table of the 1M-customer demo (``--demo-customers``, made by
  ``bench_segment.py``), customers without a purchase (missing values) left out; 1M means
  all the rest, smaller sizes a seeded sample (``--seed``) of them.

The summaries are computed once per run, before any timing, by a seglib child, and saved
as ``.npz`` files in a temporary folder, so every tool reads the same numbers (the lifetimes
venv needs no pyarrow).

Timed, in each child, one step after the other, from the arrays in memory (imports and
loading not timed):

- seglib (``.venv``): ``BetaGeoModel().fit(frequency, recency, T)``;
  ``GammaGammaModel().fit(frequency, monetary_value)`` (it keeps the customers with
  frequency > 0 and monetary_value > 0 itself); ``customer_lifetime_value(bgnbd, gg,
  frequency, recency, T, monetary_value, horizon_months=12)`` (10 % yearly discount,
  30.4375-day months) for all customers.
- lifetimes 0.11.3 (``--peers-python``): ``BetaGeoFitter().fit(frequency, recency, T)``;
  ``GammaGammaFitter().fit(...)`` on the customers with frequency > 0 and monetary_value > 0
  (the selection is timed too); ``ggf.customer_lifetime_value(bgf, ..., time=12,
  discount_rate=1.1 ** (1 / 12) - 1, freq="D")`` for all customers (lifetimes' months are
  30 days, so its CLV is a little lower than seglib's by construction).

Both tools use penalizer 0 (``--penalizer`` changes it for both). Every repeat of every tool
is a fresh subprocess; repeats are interleaved (seglib, lifetimes, seglib, ...), so a busy
neighbour hits both alike. Peak memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` read
inside the child after the last step (interpreter, imports and the data included).

This file's top level imports the standard library only, which keeps the parent small (a
child's ``ru_maxrss`` starts from the parent's) and lets the lifetimes venv run it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import statistics
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


def write_section(path: Path, text: str) -> None:
    """Put this script's section into results.md, replacing an earlier one, keeping the rest."""
    benchlib.write_section(path, text, START_MARK, END_MARK)
SOURCES = ("tx", "demo")
TOOLS = ("seglib", "lifetimes")
TX_FILES = {100_000: "tx_1m.parquet", 1_000_000: "tx_10m.parquet"}
TARGET_SECONDS = 30.0
TARGET_CUSTOMERS = 1_000_000
BGNBD = ("r", "alpha", "a", "b")
GAMMA_GAMMA = ("p", "q", "v")
STEPS = ("bgnbd", "gamma_gamma", "clv")
STEP_LABELS = {"bgnbd": "BG/NBD fit", "gamma_gamma": "Gamma-Gamma fit",
               "clv": "12-month CLV, all customers"}
VERSIONS = ["stp-workbook", "lifetimes", "numpy", "scipy", "pandas", "autograd", "duckdb"]
#: The section this script owns in results.md (the other scripts own the rest).
START_MARK = "<!-- bench_clv.py: start -->"
END_MARK = "<!-- bench_clv.py: end -->"
COLUMNS = ("frequency", "recency", "T", "monetary_value")


# --------------------------------------------------------------------------- child side


def _child_prepare(args: argparse.Namespace) -> dict:
    """Write the (frequency, recency, T, monetary_value) arrays of one source and size."""
    import numpy as np

    n = int(args.n)
    facts: dict = {}
    if args.source == "tx":
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from seglib.rfm import rfm_summary

        parquet = Path(args.data) / TX_FILES[n]
        last = pc.max(pq.read_table(parquet, columns=["invoice_date"])["invoice_date"]).as_py()
        as_of = dt.datetime.combine(last.date() + dt.timedelta(days=1), dt.time())
        start = time.perf_counter()
        summary = rfm_summary(parquet, customer_id="customer_id", date="invoice_date",
                              amount="amount", as_of=as_of, freq="D")
        facts.update(rfm_seconds=time.perf_counter() - start, as_of=as_of.isoformat(),
                     file=str(parquet), rows=pq.ParquetFile(parquet).metadata.num_rows)
        arrays = {c: summary[c].to_numpy(dtype=float) for c in COLUMNS}
    else:
        import pandas as pd

        table = pd.read_parquet(args.demo_customers, columns=["clv_" + c for c in COLUMNS])
        facts["table_rows"] = len(table)
        table = table.dropna()
        facts["sampled"] = n < len(table)
        if n < len(table):
            rows = np.sort(np.random.default_rng(int(args.seed)).choice(len(table), size=n,
                                                                        replace=False))
            table = table.iloc[rows]
        facts["file"] = str(args.demo_customers)
        arrays = {c: table["clv_" + c].to_numpy(dtype=float) for c in COLUMNS}
    x, t_x, age, m = (arrays[c] for c in COLUMNS)
    repeat = x > 0
    facts.update(
        customers=int(x.size), repeat_customers=int(repeat.sum()),
        gamma_gamma_customers=int((repeat & (m > 0)).sum()),
        distinct_histories=int(len(np.unique(np.stack([x, t_x, age]), axis=1).T)),
        mean_frequency=float(x.mean()), max_frequency=float(x.max()),
        max_T=float(age.max()), mean_monetary_repeat=float(m[repeat].mean()),
        corr_log_m_frequency=float(np.corrcoef(np.log(m[repeat & (m > 0)]),
                                               x[repeat & (m > 0)])[0, 1]))
    np.savez(args.out_file, **arrays)
    return facts


def _child_fit(args: argparse.Namespace) -> dict:
    import numpy as np

    data = np.load(args.in_file)
    x, t_x, age, m = (np.ascontiguousarray(data[c]) for c in COLUMNS)
    penalizer = float(args.penalizer)
    monthly = 1.1 ** (1 / 12) - 1
    if args.tool == "seglib":
        from seglib.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value

        steps = {
            "bgnbd": lambda s: BetaGeoModel(penalizer=penalizer).fit(x, t_x, age),
            "gamma_gamma": lambda s: GammaGammaModel(penalizer=penalizer).fit(x, m),
            "clv": lambda s: customer_lifetime_value(s["bgnbd"], s["gamma_gamma"], x, t_x, age,
                                                     m, horizon_months=12),
        }

        def params(model):
            return dict(model.params_)
    else:
        import pandas as pd
        from lifetimes import BetaGeoFitter, GammaGammaFitter

        f, r, T, mv = (pd.Series(v) for v in (x, t_x, age, m))

        def gamma_gamma(s):
            used = (f > 0) & (mv > 0)
            return GammaGammaFitter(penalizer_coef=penalizer).fit(f[used], mv[used])

        steps = {
            "bgnbd": lambda s: BetaGeoFitter(penalizer_coef=penalizer).fit(f, r, T),
            "gamma_gamma": gamma_gamma,
            "clv": lambda s: s["gamma_gamma"].customer_lifetime_value(
                s["bgnbd"], f, r, T, mv, time=12, discount_rate=monthly, freq="D").to_numpy(),
        }

        def params(model):
            return {k: float(v) for k, v in model.params_.items()}
    peak_before = _peak_gb()
    done: dict = {}
    result: dict = {"seconds": {}, "params": {}, "errors": {}}
    for step in STEPS:
        if step == "clv" and not {"bgnbd", "gamma_gamma"} <= done.keys():
            continue
        start = time.perf_counter()
        try:
            done[step] = steps[step](done)
        except Exception as err:  # a model that does not fit is a result, not a crash
            result["errors"][step] = {"type": type(err).__name__,
                                      "message": " ".join(str(err).split())[:300],
                                      "seconds": time.perf_counter() - start}
            continue
        result["seconds"][step] = time.perf_counter() - start
        if step != "clv":
            result["params"][step] = params(done[step])
    if "clv" in done:
        clv = np.asarray(done["clv"], dtype=float)
        result["clv"] = {"sum": float(clv.sum()), "mean": float(clv.mean()),
                         "max": float(clv.max())}
    result.update(peak_gb=_peak_gb(), peak_gb_before=peak_before, customers=int(x.size))
    return result


def child_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", required=True)
    parser.add_argument("--tool")
    parser.add_argument("--source")
    parser.add_argument("--data")
    parser.add_argument("--demo-customers")
    parser.add_argument("--n", default="0")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--penalizer", default="0.0")
    parser.add_argument("--in-file")
    parser.add_argument("--out-file")
    args = parser.parse_args(argv)
    start_peak = _peak_gb()
    try:
        job = {"prepare": _child_prepare, "fit": _child_fit}[args.child]
        result = job(args)
        result.setdefault("status", "ok")
    except Exception as err:  # report, do not crash the parent
        import traceback

        result = {"status": "error", "detail": f"{type(err).__name__}: {err}",
                  "traceback": traceback.format_exc(limit=6)}
    result["peak_gb_at_start"] = start_peak
    result["versions"] = _versions(VERSIONS)
    result["python"] = platform.python_version()
    print("BENCH-RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------- parent side


def seglib_files() -> dict[str, str]:
    """sha256 of each of seglib's source files: seglib is installed editable, and may change
    mid-run."""
    return {str(path.relative_to(REPO)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted((REPO / "seglib").rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts}


def seglib_fingerprint(files: dict[str, str]) -> str:
    """Short hash of all of seglib's source files."""
    digest = hashlib.sha256()
    for name, file_hash in files.items():
        digest.update(name.encode())
        digest.update(file_hash.encode())
    return digest.hexdigest()[:12]


#: The seglib files the timed code runs (a change elsewhere in seglib/ does not touch it).
MEASURED_FILES = ("seglib/__init__.py", "seglib/clv.py", "seglib/rfm.py", "seglib/errors.py")


def _changed(snapshots: list[dict[str, str]]) -> list[str]:
    names = set().union(*snapshots)
    return sorted(n for n in names if len({snap.get(n) for snap in snapshots}) > 1)


def _machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")
    total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().split("\n")
                    if line.startswith("model name")), cpu)
    return {"nproc": len(os.sched_getaffinity(0)), "ram_gb": total_kb / 1024**2, "cpu": cpu,
            "os": platform.platform()}


def _fmt(values: list[float]) -> str:
    """Median, then (best-slowest) when there are several runs."""
    if not values:
        return ""
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.2f}"
    return f"{median:.2f} ({min(values):.2f}-{max(values):.2f})"


def summarise(runs: list[dict]) -> dict:
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        failure = runs[0] if runs else {"status": "not run", "detail": ""}
        return {"status": failure.get("status"), "detail": failure.get("detail", "")}
    first = ok[0]
    seconds = {}
    for step in STEPS:
        values = [r["seconds"][step] for r in ok if step in r["seconds"]]
        if values:
            seconds[step] = values
    both = [r["seconds"]["bgnbd"] + r["seconds"]["gamma_gamma"] for r in ok
            if {"bgnbd", "gamma_gamma"} <= r["seconds"].keys()]
    total = [sum(r["seconds"][s] for s in STEPS) for r in ok
             if set(STEPS) <= r["seconds"].keys()]
    return {"status": "ok", "seconds": seconds, "both": both, "total": total,
            "peak_gb": max(r["peak_gb"] for r in ok),
            "peak_gb_before": max(r["peak_gb_before"] for r in ok),
            "params": first["params"], "errors": first["errors"], "clv": first.get("clv"),
            "customers": first["customers"], "versions": first.get("versions", {}),
            "python": first.get("python"), "failed_repeats": len(runs) - len(ok),
            "params_vary": any(r["params"] != first["params"] for r in ok)}


def _cell(summary: dict, step: str) -> str:
    if step in summary["seconds"]:
        return _fmt(summary["seconds"][step])
    error = summary["errors"].get(step)
    if error:
        return f"{error['type']} after {error['seconds']:.2f}"
    return "not run"


def _params_text(params: dict) -> str:
    return ", ".join(f"{k} {v:.6g}" for k, v in params.items())


def compare(seg: dict, peer: dict) -> list[str]:
    """Lines comparing the fitted parameters and CLV of seglib and lifetimes."""
    lines = []
    for step, names in (("bgnbd", BGNBD), ("gamma_gamma", GAMMA_GAMMA)):
        a, b = seg["params"].get(step), peer["params"].get(step)
        if not a or not b:
            lines.append(f"{STEP_LABELS[step]}: no comparison (seglib "
                         f"{'fitted' if a else 'failed'}, lifetimes "
                         f"{'fitted' if b else 'failed'})")
            continue
        rel = {n: abs(a[n] - b[n]) / abs(b[n]) for n in names}
        worst = max(rel, key=rel.get)
        lines.append(f"{STEP_LABELS[step]}: largest relative parameter difference "
                     f"{rel[worst]:.1e} ({worst})")
    if seg.get("clv") and peer.get("clv"):
        ratio = seg["clv"]["sum"] / peer["clv"]["sum"] - 1
        lines.append(f"CLV total: seglib {seg['clv']['sum']:,.0f}, lifetimes "
                     f"{peer['clv']['sum']:,.0f} ({ratio:+.2%}; 30.4375- vs 30-day months)")
    return lines


def markdown(results: dict, facts: dict, args: argparse.Namespace, started: str,
             loads: tuple[str, str], source: str, peers_python: str | None) -> str:
    versions: dict[str, str] = {}
    pythons: dict[str, str] = {}
    for per_tool in results.values():
        for tool, summary in per_tool.items():
            versions.update(summary.get("versions", {}))
            if summary.get("python"):
                pythons[tool] = summary["python"]
    machine = _machine()
    command = (f"python benchmarks/bench_clv.py --data {args.data} --customers {args.customers} "
               f"--sources {args.sources} --tools {args.tools} --repeat {args.repeat}"
               + (f" --penalizer {args.penalizer:g}" if args.penalizer else "")
               + (f" --peers-python {peers_python}" if peers_python and "lifetimes"
                  in args.tools else ""))
    lines = [
        START_MARK,
        "",
        "## CLV models",
        "",
        f"Run {started} by `{command}`.",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram_gb']:.1f} GB RAM, "
        f"{machine['os']}; Python "
        + ", ".join(f"{version} ({tool})" for tool, version in sorted(pythons.items()))
        + "; " + ", ".join(f"{name} {version}" for name, version in sorted(versions.items()))
        + f". Load average before / after: {loads[0]} / {loads[1]} (shared machine: other "
        "jobs ran at the same time, so the timings are noisy).",
        "",
        "Timed, one step after the other in the same process, from the summary arrays in "
        "memory: the BG/NBD fit, the Gamma-Gamma fit (customers with frequency > 0 and "
        "monetary_value > 0), and the 12-month CLV of all customers (10 % a year discount). "
        f"Penalizer {args.penalizer:g} for both tools. Seconds: median of the repeats, "
        "(best-slowest) in brackets; each repeat is a fresh process. \"both fits\" is BG/NBD + "
        "Gamma-Gamma, \"total\" adds the CLV. Peak GB: the largest `ru_maxrss` of the repeats "
        "after the last step (interpreter, imports and data included; in brackets, before the "
        "first step). A model that fails shows the exception and the seconds until it was raised.",
        "",
    ]
    lines.append("Data:")
    lines.append("")
    for (src, size), fact in facts.items():
        if fact.get("status") != "ok":
            lines.append(f"- {src} {size:,}: {fact.get('status')}: {fact.get('detail')}")
            continue
        if src == "tx":
            where = (f"`rfm_summary` of `{Path(fact['file']).name}` ({fact['rows']:,} rows, "
                     f"as_of {fact['as_of']}, {fact['rfm_seconds']:.2f} s, not timed below)")
        else:
            where = (f"seeded sample (seed {args.seed}) of the customers with a purchase in "
                     f"the `clv_*` columns of `{fact['file']}`" if fact["sampled"] else
                     f"`clv_*` columns of `{fact['file']}`, the customers with a purchase "
                     f"({fact['table_rows']:,} rows in all)")
        lines.append(
            f"- {src} {size:,}: {where}: {fact['customers']:,} customers, "
            f"{fact['repeat_customers']:,} with a repeat purchase "
            f"({fact['gamma_gamma_customers']:,} for Gamma-Gamma), "
            f"{fact['distinct_histories']:,} distinct (frequency, recency, T); mean frequency "
            f"{fact['mean_frequency']:.2f} (max {fact['max_frequency']:.0f}), longest T "
            f"{fact['max_T']:.0f} days, mean monetary value of repeat customers "
            f"{fact['mean_monetary_repeat']:.2f}, correlation of log monetary value with "
            f"frequency {fact['corr_log_m_frequency']:+.2f}.")
    lines += [
        "",
        "| data | customers | tool | BG/NBD fit s | Gamma-Gamma fit s | both fits s | "
        "best both | CLV 12 months s | total s | peak GB (before) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for (src, size), per_tool in results.items():
        for tool, summary in per_tool.items():
            label = "seglib" if tool == "seglib" else "lifetimes 0.11.3"
            if summary.get("status") != "ok":
                lines.append(f"| {src} | {size:,} | {label} | {summary.get('status')} "
                             "| | | | | | |")
                notes.append(f"{src} {size:,} {tool}: {summary.get('status')}: "
                             f"{summary.get('detail')}")
                continue
            both = (f"{_fmt(summary['both'])} | {min(summary['both']):.2f}"
                    if summary["both"] else " | ")
            lines.append(
                f"| {src} | {summary['customers']:,} | {label} | {_cell(summary, 'bgnbd')} | "
                f"{_cell(summary, 'gamma_gamma')} | {both} | {_cell(summary, 'clv')} | "
                f"{_fmt(summary['total'])} | {summary['peak_gb']:.2f} "
                f"({summary['peak_gb_before']:.2f}) |")
            for step, error in summary["errors"].items():
                notes.append(f"{src} {size:,} {tool}: {STEP_LABELS[step]} failed: "
                             f"{error['type']}: {error['message']}")
            if summary["failed_repeats"]:
                notes.append(f"{src} {size:,} {tool}: {summary['failed_repeats']} repeat(s) "
                             "failed")
            if summary["params_vary"]:
                notes.append(f"{src} {size:,} {tool}: the fitted parameters differ between "
                             "repeats (first run shown)")
    lines.append("")
    target = results.get(("tx", TARGET_CUSTOMERS), {}).get("seglib")
    if target and target.get("status") == "ok" and target["both"]:
        median, best = statistics.median(target["both"]), min(target["both"])
        verdict = ("met" if median < TARGET_SECONDS else
                   "met by the best run only" if best < TARGET_SECONDS else "NOT met")
        text = (f"**Target (issue 6: BG/NBD + Gamma-Gamma fits on 1M customers under "
                f"{TARGET_SECONDS:.0f} s): {verdict}** (seglib, `tx` 1,000,000: median "
                f"{median:.2f} s, best {best:.2f} s over {len(target['both'])} run(s)")
        if target["total"]:
            text += (f"; with the 12-month CLV of all customers median "
                     f"{statistics.median(target['total']):.2f} s")
        lines.append(text + f"; peak {target['peak_gb']:.2f} GB).")
        lines.append("")
    elif "tx" in args.sources and TARGET_CUSTOMERS in args.sizes:
        lines.append("**Target (issue 6): not measured** (the seglib fits at 1M customers "
                     "did not both succeed; see the notes).")
        lines.append("")
    lines.append("Fitted parameters (first run; BG/NBD times in days, Gamma-Gamma money in "
                 "the data's unit) and comparison with lifetimes:")
    lines.append("")
    for (src, size), per_tool in results.items():
        seg, peer = per_tool.get("seglib"), per_tool.get("lifetimes")
        parts = []
        for tool, summary in per_tool.items():
            if summary.get("status") != "ok":
                continue
            fitted = "; ".join(f"{STEP_LABELS[s]} {_params_text(summary['params'][s])}"
                               for s in ("bgnbd", "gamma_gamma") if s in summary["params"])
            parts.append(f"  - {tool}: {fitted or 'nothing fitted'}")
        lines.append(f"- {src} {size:,}:")
        lines.extend(parts)
        if seg and peer and seg.get("status") == "ok" and peer.get("status") == "ok":
            lines.extend(f"  - {line}" for line in compare(seg, peer))
    lines.append("")
    lines.append(source + ".")
    lines.append("")
    if notes:
        lines.append("Notes:")
        lines.append("")
        lines.extend(f"- {note}" for note in notes)
        lines.append("")
    lines.append(END_MARK)
    return "\n".join(lines)


def _default_peers() -> str:
    for candidate in (REPO.parent / "bench-venv" / "bin" / "python",
                      Path("/tmp/lt-venv/bin/python")):
        if candidate.is_file():
            return str(candidate)
    return str(REPO.parent / "bench-venv" / "bin" / "python")


def _line(tool: str, repeat: int, result: dict) -> str:
    if result["status"] != "ok":
        return f"   {tool:9s} run {repeat + 1}: {result['status']}: {result.get('detail')}"
    steps = ", ".join(f"{s} {result['seconds'][s]:.2f} s" if s in result["seconds"] else
                      f"{s} {result['errors'][s]['type']}" if s in result["errors"] else
                      f"{s} not run" for s in STEPS)
    return f"   {tool:9s} run {repeat + 1}: {steps}; peak {result['peak_gb']:.2f} GB"


def parent_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/benchdata"),
                        help="folder with tx_1m.parquet and tx_10m.parquet (gen_tx.py)")
    parser.add_argument("--demo-customers", type=Path,
                        default=Path("/work/benchdata/seg1m_run/customers.parquet"),
                        help="customer table of the 1M-customer demo (clv_* columns)")
    parser.add_argument("--customers", default="100000,1000000",
                        help="comma-separated sizes; tx knows 100000 and 1000000")
    parser.add_argument("--sources", default=",".join(SOURCES),
                        help=f"comma-separated subset of {', '.join(SOURCES)}")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help=f"comma-separated subset of {', '.join(TOOLS)}")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42, help="seed of the demo samples")
    parser.add_argument("--penalizer", type=float, default=0.0,
                        help="L2 penalizer of both models, for both tools")
    parser.add_argument("--seglib-python", default=str(REPO / ".venv" / "bin" / "python"))
    parser.add_argument("--peers-python", default=_default_peers(),
                        help="a python with lifetimes 0.11.3 (default ../bench-venv, else "
                             "/tmp/lt-venv)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per process")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.md")
    args = parser.parse_args(argv)
    sources = [s for s in SOURCES if s in {x.strip() for x in args.sources.split(",")}]
    tools = [t for t in TOOLS if t in {x.strip() for x in args.tools.split(",")}]
    if not sources or not tools:
        parser.error("no known source or tool chosen")
    args.sizes = sorted({int(float(s.strip().lower().replace("m", "e6").replace("k", "e3")))
                         for s in args.customers.split(",") if s.strip()})
    if "tx" in sources and set(args.sizes) - set(TX_FILES):
        parser.error(f"the tx source has only {sorted(TX_FILES)} customers")
    pythons = {"seglib": args.seglib_python, "lifetimes": args.peers_python}
    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    snapshots = [seglib_files()]
    git_state = _git_state()
    facts: dict = {}
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench_clv_") as tmp:
        for src in sources:
            for size in args.sizes:
                path = Path(tmp) / f"{src}_{size}.npz"
                fact = run_child(args.seglib_python, "prepare", args.timeout, source=src,
                                 n=size, data=args.data, demo_customers=args.demo_customers,
                                 seed=args.seed, out_file=path)
                facts[(src, size)] = fact
                if fact["status"] != "ok":
                    print(f"== {src} {size:,}: cannot prepare: {fact.get('detail')}", flush=True)
                    continue
                print(f"== {src} {size:,}: {fact['customers']:,} customers "
                      f"({fact['repeat_customers']:,} repeat, {fact['distinct_histories']:,} "
                      "distinct histories)", flush=True)
                runs: dict[str, list[dict]] = {t: [] for t in tools}
                for repeat in range(args.repeat):
                    for tool in tools:
                        if runs[tool] and runs[tool][0]["status"] != "ok":
                            continue
                        if tool == "seglib":
                            snapshots.append(seglib_files())
                        result = run_child(pythons[tool], "fit", args.timeout, tool=tool,
                                           in_file=path, penalizer=args.penalizer)
                        runs[tool].append(result)
                        print(_line(tool, repeat, result), flush=True)
                        if result.get("traceback"):
                            print("      " + result["traceback"].strip().replace("\n", "\n      "),
                                  flush=True)
                results[(src, size)] = {t: summarise(runs[t]) for t in tools}
    load_after = " ".join(f"{x:.1f}" for x in os.getloadavg())
    snapshots.append(seglib_files())
    fingerprints = sorted({seglib_fingerprint(snap) for snap in snapshots})
    source = f"seglib source: {git_state}, sha256 of seglib/ {', '.join(fingerprints)}"
    changed = _changed(snapshots)
    if changed:
        measured = [name for name in changed if name in MEASURED_FILES]
        source += (" -- seglib/ CHANGED DURING THE RUN (" + ", ".join(changed) + "): "
                   + ("the rows mix code versions of the measured code; run again" if measured
                      else f"not in the measured code ({', '.join(MEASURED_FILES)} unchanged)"))
    text = markdown(results, facts, args, started, (load_before, load_after), source,
                    args.peers_python if "lifetimes" in tools else None)
    print()
    print(text)
    write_section(args.out, text)
    print(f"written to {args.out}")


if __name__ == "__main__":
    if "--child" in sys.argv[1:]:
        child_main(sys.argv[1:])
    else:
        parent_main(sys.argv[1:])
