"""Benchmark: the whole segmentation stage at 100k and 1M customers.

Run by hand (see benchmarks/README.md)::

    .venv/bin/python benchmarks/bench_segment.py --run-dir /work/benchdata/seg1m_run \\
        --customers 100000,1000000 --repeat 2

The customer table is the collection stage's output (``customers.parquet`` and
``collect.json`` in ``--run-dir``). If the folder has no ``customers.parquet`` and
``--collect-config`` names a config (``seglib demo --out DIR --customers 1000000`` writes one),
the collection stage is run once to make it. Smaller sizes are a seeded random sample of the
rows of that table (``--seed``), drawn before the timer starts.

Timed region: ``seglib.segment.segment_customers(customers, **segment.stage_arguments(params,
meta), random_state=seed)`` with ``params = SegmentationConfig.model_validate(...)`` and
``meta = {"columns": <collect.json columns>, "source_names": {}}``: the k sweep, the final
fit, bootstrap stability, profiles, names, the tree and the method comparison.
``segment.write_outputs(result, run_dir)`` is timed apart, into a temporary folder.

Configurations (``--configs``, default all):

- ``default``: ``{"k_max": 10}``; default bases (behavioural + demographic) and method
  ``auto``, which gives k-prototypes because some features are categories. This is the
  configuration of the 60-second requirement.
- ``kmeans``: the same features with ``method: kmeans`` (categories one-hot encoded).
- ``numeric``: ``features:`` the numeric columns of the default features only (method
  ``auto`` then gives k-means).

Every repeat of every configuration is a fresh subprocess; repeats are interleaved
(default, kmeans, numeric, default, ...), so a busy neighbour hits every configuration
alike. Peak memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` read inside the child
(interpreter, imports and the customer table included; the peak before the call is
printed too). A breakdown of the timed region comes from wrapping the stage's steps in
the child (``selection.sweep``, ``SegmentModel.fit``, ...): outermost calls only, so the
parts add up to the total, "other" being the rest.

``--profile`` adds one cProfile run of ``default`` at the largest size (not counted in the
timings) and prints the functions with the largest cumulative time.

This file's top level imports the standard library only, which keeps the parent small (a
child's ``ru_maxrss`` starts from the parent's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
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


def write_section(path: Path, text: str) -> None:
    """Put this script's section into results.md, replacing an earlier one, keeping the rest."""
    benchlib.write_section(path, text, START_MARK, END_MARK)
CONFIGS = ("default", "kmeans", "numeric")
LABELS = {
    "default": "default (`auto` = k-prototypes, behavioural + demographic)",
    "kmeans": "`method: kmeans`, same features",
    "numeric": "numeric features only (`auto` = k-means)",
}
TARGET_SECONDS = 60.0
TARGET_CUSTOMERS = 1_000_000
VERSIONS = ["stp-workbook", "scikit-learn", "numpy", "pandas", "scipy", "pyarrow",
            "threadpoolctl"]
#: The section this script owns in results.md (bench_rfm.py owns the text above it).
START_MARK = "<!-- bench_segment.py: start -->"
END_MARK = "<!-- bench_segment.py: end -->"
K_COLUMNS = ["k", "silhouette", "calinski_harabasz", "davies_bouldin", "stability",
             "smallest_share", "combined", "feasible"]


# --------------------------------------------------------------------------- child side


def _load(args: argparse.Namespace):
    """The customer table (sampled to ``--n`` rows) and collect.json's columns."""
    import numpy as np
    import pandas as pd

    run_dir = Path(args.run_dir)
    customers = pd.read_parquet(run_dir / "customers.parquet")
    meta = json.loads((run_dir / "collect.json").read_text(encoding="utf-8"))
    n = int(args.n)
    if n < len(customers):
        rows = np.sort(np.random.default_rng(int(args.seed)).choice(len(customers), size=n,
                                                                    replace=False))
        customers = customers.iloc[rows].reset_index(drop=True)
    return customers, {"columns": meta.get("columns", {}), "source_names": {}}


def _section(config: str, customers, meta: dict) -> dict:
    """The ``segmentation`` config section of one benchmark configuration."""
    section: dict = {"k_max": 10}
    if config == "kmeans":
        section["method"] = "kmeans"
    elif config == "numeric":
        from seglib.segment.features import resolve_features, split_kinds

        chosen = resolve_features(customers, bases=None, features=None,
                                  origin=meta["columns"], source_names=meta["source_names"])
        section["features"] = split_kinds(customers, chosen)[0]
    return section


class _Breakdown:
    """Wall time of the stage's steps (outermost wrapped calls only, so parts add up)."""

    STEPS = [  # (module, class or "", attribute, label)
        ("seglib.segment.selection", "", "sweep", "k sweep (fits, criteria, stability per k)"),
        ("seglib.segment", "SegmentModel", "fit", "final fit on all customers"),
        ("seglib.segment.selection", "", "bootstrap_stability", "final bootstrap stability"),
        ("seglib.segment", "SegmentModel", "classified", "unclassified rule"),
        ("seglib.segment", "SegmentModel", "transform", "preprocess (transform)"),
        ("seglib.segment", "SegmentModel", "reasons", "unclassified reasons"),
        ("seglib.segment.explain", "", "standardized_differences", "standardised differences"),
        ("seglib.segment.explain", "", "top_features", "top features"),
        ("seglib.segment", "", "profile", "profiles"),
        ("seglib.segment", "", "name_segments", "names"),
        ("seglib.segment.explain", "", "explain_tree", "decision tree"),
        ("seglib.segment", "", "compare", "method comparison"),
    ]

    def __init__(self) -> None:
        import functools
        import importlib

        self.seconds: dict[str, float] = {}
        self.depth = 0
        for module, cls, attr, label in self.STEPS:
            owner = importlib.import_module(module)
            if cls:
                owner = getattr(owner, cls)
            original = getattr(owner, attr)

            def wrapped(*a, __f=original, __label=label, **kw):
                self.depth += 1
                start = time.perf_counter()
                try:
                    return __f(*a, **kw)
                finally:
                    self.depth -= 1
                    if self.depth == 0:
                        self.seconds[__label] = (self.seconds.get(__label, 0.0)
                                                 + time.perf_counter() - start)

            setattr(owner, attr, functools.wraps(original)(wrapped))


def _child_segment(args: argparse.Namespace) -> dict:
    from seglib import segment
    from seglib.config import SegmentationConfig

    customers, meta = _load(args)
    params = SegmentationConfig.model_validate(_section(args.config, customers, meta))
    kwargs = segment.stage_arguments(params, meta)
    breakdown = _Breakdown() if not args.profile else None
    peak_before = _peak_gb()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    result = segment.segment_customers(customers, **kwargs, random_state=int(args.seed))
    seconds = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
    peak = _peak_gb()
    with tempfile.TemporaryDirectory(prefix="bench_segment_") as tmp:
        start = time.perf_counter()
        segment.write_outputs(result, Path(tmp))
        write_seconds = time.perf_counter() - start
    out = {"seconds": seconds, "write_seconds": write_seconds, "peak_gb_before": peak_before,
           "peak_gb": peak, "peak_gb_with_write": _peak_gb(), "customers": int(len(customers)),
           "method": result.method, "k": int(result.model.n_segments),
           "features": list(result.features),
           "sizes": {str(k): int(v) for k, v in
                     sorted(result.segments["segment"].value_counts().items())},
           "names": {str(k): v for k, v in result.names.items()},
           "stability": None if result.stability is None else result.stability.mean_ari}
    if result.k_table is not None:
        table = result.k_table
        out["k_table"] = json.loads(table[[c for c in K_COLUMNS if c in table]].to_json(
            orient="records"))
        out["sweep_sample"] = int(table["sweep_sample"].iloc[0])
    if breakdown is not None:
        parts = dict(breakdown.seconds)
        parts["other"] = seconds - sum(parts.values())
        out["breakdown"] = parts
    if profiler is not None:
        import io
        import pstats

        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(args.top)
        out["profile"] = text.getvalue()
    return out


def _child_facts(args: argparse.Namespace) -> dict:
    import pyarrow.parquet as pq

    run_dir = Path(args.run_dir)
    meta = pq.ParquetFile(run_dir / "customers.parquet").metadata
    return {"customers": meta.num_rows, "columns": meta.num_columns}


def _child_prepare(args: argparse.Namespace) -> dict:
    from seglib import collect
    from seglib.config import load_config

    start = time.perf_counter()
    collected = collect.collect(load_config(args.config_path))
    collect.write_outputs(collected, Path(args.run_dir))
    return {"seconds": time.perf_counter() - start, "customers": int(len(collected.customers))}


def child_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", required=True)
    parser.add_argument("--run-dir")
    parser.add_argument("--config")
    parser.add_argument("--config-path")
    parser.add_argument("--n", default="0")
    parser.add_argument("--seed", default="42")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    start_peak = _peak_gb()
    try:
        job = {"segment": _child_segment, "facts": _child_facts,
               "prepare": _child_prepare}[args.child]
        result = job(args)
        result.setdefault("status", "ok")
    except Exception as err:  # report, do not crash the parent
        import traceback

        result = {"status": "error", "detail": f"{type(err).__name__}: {err}",
                  "traceback": traceback.format_exc(limit=6)}
    result["peak_gb_at_start"] = start_peak
    result["versions"] = _versions(VERSIONS)
    print("BENCH-RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------- parent side


def seglib_fingerprint() -> str:
    """Short hash of seglib's source files: seglib is installed editable, and may change mid-run."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "seglib").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _machine(python: str) -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")
    total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().split("\n")
                    if line.startswith("model name")), cpu)
    try:
        version = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        version = "not found"
    return {"nproc": len(os.sched_getaffinity(0)), "ram_gb": total_kb / 1024**2, "cpu": cpu,
            "os": platform.platform(), "python": version}


def _fmt_seconds(values: list[float]) -> str:
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
    breakdown = {}
    for part in first.get("breakdown", {}):
        breakdown[part] = statistics.median(r["breakdown"].get(part, 0.0) for r in ok)
    return {"status": "ok", "seconds": [r["seconds"] for r in ok],
            "best": min(r["seconds"] for r in ok),
            "median": statistics.median(r["seconds"] for r in ok),
            "write_seconds": [r["write_seconds"] for r in ok],
            "peak_gb": max(r["peak_gb"] for r in ok),
            "peak_gb_before": max(r["peak_gb_before"] for r in ok),
            "peak_gb_with_write": max(r["peak_gb_with_write"] for r in ok),
            "customers": first["customers"], "method": first["method"], "k": first["k"],
            "ks": sorted({r["k"] for r in ok}), "sizes": first["sizes"], "names": first["names"],
            "stability": first.get("stability"), "k_table": first.get("k_table"),
            "sweep_sample": first.get("sweep_sample"), "features": first["features"],
            "breakdown": breakdown, "versions": first.get("versions", {}),
            "failed_repeats": len(runs) - len(ok)}


def _k_table_lines(rows: list[dict]) -> list[str]:
    cols = [c for c in K_COLUMNS if c in rows[0]]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        cells = []
        for c in cols:
            v = row.get(c)
            if v is None:
                cells.append("")
            elif isinstance(v, bool) or c == "k":
                cells.append(str(v))
            elif c == "smallest_share":
                cells.append(f"{v:.1%}")
            elif c == "calinski_harabasz":
                cells.append(f"{v:,.0f}")
            else:
                cells.append(f"{v:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _sizes_text(summary: dict) -> str:
    total = sum(summary["sizes"].values())
    return ", ".join(f"{seg} {n:,} ({n / total:.0%})" for seg, n in summary["sizes"].items())


def markdown(results: dict, machine: dict, args: argparse.Namespace, started: str,
             loads: tuple[str, str], source: str, profile: dict | None) -> str:
    versions: dict[str, str] = {}
    for per_config in results.values():
        for summary in per_config.values():
            versions.update(summary.get("versions", {}))
    command = (f"python benchmarks/bench_segment.py --run-dir {args.run_dir} "
               f"--customers {args.customers} --configs {args.configs} --repeat {args.repeat}"
               + (" --profile" if args.profile else ""))
    lines = [
        START_MARK,
        "",
        "## Segmentation stage",
        "",
        f"Run {started} by `{command}`.",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram_gb']:.1f} GB RAM, "
        f"{machine['os']}, Python {machine['python']}; "
        + ", ".join(f"{name} {version}" for name, version in sorted(versions.items()))
        + f". Load average before / after: {loads[0]} / {loads[1]} (shared machine: other "
        "jobs ran at the same time, so the timings are noisy).",
        "",
        "Timed: `segment.segment_customers(customers, **segment.stage_arguments(params, meta), "
        f"random_state={args.seed})` (k sweep {2}-10, final fit, bootstrap stability, profiles, "
        "names, tree, method comparison), from the customer table in memory; "
        "`segment.write_outputs` apart. Seconds: median of the repeats, (best-slowest) in "
        "brackets; each repeat is a fresh process. Peak GB: the largest `ru_maxrss` of the "
        "repeats after the call (interpreter, imports and the customer table included; "
        "\"before\" is the peak before the call). Smaller sizes are a seeded sample "
        f"(seed {args.seed}) of the rows of the 1M table.",
        "",
        "| customers | configuration | method | seconds | best | write_outputs s | peak GB "
        "(before) | k | segment sizes (0 = unclassified) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for size, per_config in results.items():
        for config, summary in per_config.items():
            if summary.get("status") != "ok":
                lines.append(f"| {size:,} | {LABELS[config]} | | {summary.get('status')} "
                             "| | | | | |")
                notes.append(f"{size:,} {config}: {summary.get('status')}: "
                             f"{summary.get('detail')}")
                continue
            ks = summary["ks"]
            k_text = str(summary["k"]) if len(ks) == 1 else "/".join(map(str, ks))
            lines.append(
                f"| {size:,} | {LABELS[config]} | {summary['method']} | "
                f"{_fmt_seconds(summary['seconds'])} | {summary['best']:.2f} | "
                f"{_fmt_seconds(summary['write_seconds'])} | {summary['peak_gb']:.2f} "
                f"({summary['peak_gb_before']:.2f}) | {k_text} | {_sizes_text(summary)} |")
            if summary["failed_repeats"]:
                notes.append(f"{size:,} {config}: {summary['failed_repeats']} repeat(s) failed")
    lines.append("")
    target = results.get(TARGET_CUSTOMERS, {}).get("default")
    if target and target.get("status") == "ok":
        met = target["median"] < TARGET_SECONDS
        best_met = target["best"] < TARGET_SECONDS
        verdict = ("met" if met else "met by the best run only" if best_met else "NOT met")
        lines.append(
            f"**Target (issue 5: 1M customers, whole stage with k 2-10 under "
            f"{TARGET_SECONDS:.0f} s): {verdict}** (median {target['median']:.2f} s, best "
            f"{target['best']:.2f} s over {len(target['seconds'])} run(s); write_outputs "
            f"{statistics.median(target['write_seconds']):.2f} s more).")
        lines.append("")
    for size, per_config in results.items():
        for config, summary in per_config.items():
            if summary.get("status") != "ok":
                continue
            lines.append(f"### {size:,} customers, {config}")
            lines.append("")
            lines.append(f"Features ({len(summary['features'])}): "
                         + ", ".join(f"`{f}`" for f in summary["features"]) + ".")
            lines.append("")
            if summary["breakdown"]:
                lines.append("Breakdown of the median run (seconds, medians of the repeats): "
                             + "; ".join(f"{part} {sec:.2f}"
                                         for part, sec in summary["breakdown"].items()
                                         if sec >= 0.005) + ".")
                lines.append("")
            if summary.get("k_table"):
                sample = summary.get("sweep_sample")
                lines.append(f"k table (recommended k = {summary['k']}; sweep on "
                             f"{sample:,} customers; final stability ARI "
                             f"{summary['stability']:.3f}):" if summary.get("stability")
                             is not None else f"k table (recommended k = {summary['k']}):")
                lines.append("")
                lines.extend(_k_table_lines(summary["k_table"]))
                lines.append("")
    if profile is not None:
        lines.append(f"### cProfile, {profile['size']:,} customers, default configuration "
                     f"({profile.get('seconds', 0):.1f} s under the profiler)")
        lines.append("")
        lines.append("```")
        lines.extend(_profile_rows(profile.get("profile", profile.get("detail", "")),
                                   args.top).splitlines())
        lines.append("```")
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


def _profile_rows(text: str, top: int) -> str:
    """The header and rows of a pstats listing, paths shortened."""
    keep, started = [], False
    for line in text.splitlines():
        if line.strip().startswith("ncalls"):
            started = True
        if started and line.strip():
            keep.append(line.replace(str(REPO) + "/", "").replace(
                str(Path(sys.prefix)) + "/", ""))
    return "\n".join(keep[:top + 1])


def parent_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", type=Path, required=True,
                        help="folder with customers.parquet and collect.json (collection stage)")
    parser.add_argument("--collect-config", type=Path,
                        help="config to run the collection stage with when --run-dir has no "
                             "customers.parquet (e.g. the config.yaml of `seglib demo`)")
    parser.add_argument("--customers", default="100000,1000000",
                        help="comma-separated sizes; each at most the table's rows")
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated subset of {', '.join(CONFIGS)}")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42,
                        help="random_state of the stage and seed of the row samples")
    parser.add_argument("--profile", action="store_true",
                        help="one more run of `default` at the largest size under cProfile")
    parser.add_argument("--top", type=int, default=30, help="rows of the cProfile listing")
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"))
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per process")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.md")
    args = parser.parse_args(argv)
    chosen = {c.strip() for c in args.configs.split(",") if c.strip()}
    unknown = chosen - set(CONFIGS)
    if unknown:
        parser.error(f"unknown configuration(s) {sorted(unknown)}; choose from "
                     f"{', '.join(CONFIGS)}")
    configs = [c for c in CONFIGS if c in chosen]
    sizes = sorted({int(float(s.strip().lower().replace("m", "e6").replace("k", "e3")))
                    for s in args.customers.split(",") if s.strip()})
    run_dir = args.run_dir.resolve()
    if not (run_dir / "customers.parquet").is_file():
        if args.collect_config is None:
            sys.exit(f"{run_dir}/customers.parquet not found: give --collect-config (see "
                     "benchmarks/README.md)")
        print(f"== collection stage from {args.collect_config} into {run_dir}", flush=True)
        prepared = run_child(args.python, "prepare", args.timeout, run_dir=run_dir,
                             config_path=args.collect_config.resolve())
        if prepared["status"] != "ok":
            sys.exit(f"collection failed: {prepared.get('detail')}\n"
                     f"{prepared.get('traceback', '')}")
        print(f"   {prepared['customers']:,} customers in {prepared['seconds']:.1f} s", flush=True)
    facts = run_child(args.python, "facts", args.timeout, run_dir=run_dir)
    if facts["status"] != "ok":
        sys.exit(f"cannot read {run_dir}/customers.parquet: {facts.get('detail')}")
    too_big = [s for s in sizes if s > facts["customers"]]
    if too_big:
        sys.exit(f"--customers {too_big} exceed the {facts['customers']:,} rows of the table")
    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    fingerprints = {seglib_fingerprint()}
    git_state = _git_state()
    results: dict[int, dict] = {}
    for size in sizes:
        print(f"== {size:,} customers ({facts['customers']:,} in the table, "
              f"{facts['columns']} columns)", flush=True)
        runs: dict[str, list[dict]] = {c: [] for c in configs}
        for repeat in range(args.repeat):
            for config in configs:
                if runs[config] and runs[config][0]["status"] != "ok":
                    continue
                fingerprints.add(seglib_fingerprint())
                result = run_child(args.python, "segment", args.timeout, run_dir=run_dir,
                                   config=config, n=size, seed=args.seed)
                runs[config].append(result)
                if result["status"] != "ok":
                    print(f"   {config:8s} run {repeat + 1}: {result['status']}: "
                          f"{result.get('detail')}", flush=True)
                    if result.get("traceback"):
                        print("      " + result["traceback"].strip().replace("\n", "\n      "),
                              flush=True)
                    continue
                parts = ", ".join(f"{p.split(' (')[0]} {s:.1f}"
                                  for p, s in result.get("breakdown", {}).items() if s >= 0.05)
                print(f"   {config:8s} run {repeat + 1}: {result['seconds']:7.2f} s "
                      f"(+ write_outputs {result['write_seconds']:.2f} s), peak "
                      f"{result['peak_gb']:.2f} GB (before {result['peak_gb_before']:.2f}), "
                      f"{result['method']} k={result['k']}", flush=True)
                print(f"            {parts}", flush=True)
        results[size] = {c: summarise(runs[c]) for c in configs}
    profile = None
    if args.profile:
        size = max(sizes)
        print(f"== cProfile: default, {size:,} customers", flush=True)
        fingerprints.add(seglib_fingerprint())
        profile = run_child(args.python, "segment", args.timeout, run_dir=run_dir,
                            config="default", n=size, seed=args.seed, profile=True, top=args.top)
        profile["size"] = size
        print(profile.get("profile") or profile.get("detail"), flush=True)
    load_after = " ".join(f"{x:.1f}" for x in os.getloadavg())
    fingerprints.add(seglib_fingerprint())
    source = f"seglib source: {git_state}, sha256 of seglib/ {', '.join(sorted(fingerprints))}"
    if len(fingerprints) > 1:
        source += (" -- seglib/ CHANGED DURING THE RUN: the rows mix code versions; run again")
    text = markdown(results, _machine(args.python), args, started, (load_before, load_after),
                    source, profile)
    print()
    print(text)
    write_section(args.out, text)
    print(f"written to {args.out}")


if __name__ == "__main__":
    if "--child" in sys.argv[1:]:
        child_main(sys.argv[1:])
    else:
        parent_main(sys.argv[1:])
