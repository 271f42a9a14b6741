"""Benchmark: the whole chain (`seglib run`) on large data, beside the CLV summary of the peers.

Run by hand (see benchmarks/README.md)::

    .venv/bin/python benchmarks/bench_chain.py --log /work/benchdata/tx_10m.parquet \\
        --repeat 3

``--log`` is a Parquet transaction log (the shared generator's ``customer_id``,
``invoice_date``, ``amount``); without an ``order_id`` column, a copy with the row number as
order id is written to the scratch folder first and every tool reads that copy.
Each repeat runs, each in a fresh process and interleaved so that a busy neighbour
slows every tool alike:

- ``seglib run`` on a config that maps the log (integer customer ids, order ids): every
  stage's wall time and peak memory from the run's ``manifest.json`` (a stage's time is
  its notebook as run: kernel start, imports, work, plots, files), the whole run's wall
  time and the peak of its largest process;
- lifetimes' ``summary_data_from_transaction_data`` and pymc-marketing's ``rfm_summary``
  (``pd.read_parquet`` included, imports not) and a bare DuckDB query (the floor), run by
  ``bench_rfm.py``'s children in the peers' venv.

``--demo-sizes 10k,100k`` also runs the chain on the demo retailer at those sizes
(``seglib demo --customers N``) and reports the growth exponent of each stage between
sizes. Results go to ``benchmarks/results.md`` (section ``bench_chain``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib  # benchmarks/ is on sys.path when a script runs

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RFM_SCRIPT = BENCH_DIR / "bench_rfm.py"
PEERS = ("lifetimes", "pymc_marketing", "duckdb")
PEER_LABELS = {"lifetimes": "lifetimes 0.11.3 `summary_data_from_transaction_data`",
               "pymc_marketing": "pymc-marketing `rfm_summary`",
               "duckdb": "bare DuckDB query (floor)"}
START = "<!-- bench_chain: start -->"
END = "<!-- bench_chain: end -->"


def run_chain(seglib: str, config: Path, out: Path, timeout: float) -> dict:
    """``seglib run CONFIG --out OUT`` in a fresh process; stage times from the manifest."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    try:
        proc = subprocess.run([seglib, "run", str(config), "--out", str(out)], cwd=REPO,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "detail": f"killed after {timeout:.0f} s"}
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    result = {"status": "ok" if proc.returncode == 0 else "error", "seconds": seconds,
              "exit_code": proc.returncode,
              # the largest process of all children so far: the run or one of its kernels
              "peak_gb": peak / 1024**2 if peak > before else None,
              "stages": {s["name"]: {"seconds": s.get("seconds"), "peak_gb": s.get("peak_gb"),
                                     "status": s.get("status")}
                         for s in manifest.get("stages", [])}}
    if proc.returncode:
        result["detail"] = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
    return result


def log_config(log: Path, folder: Path) -> Path:
    """A config for the log: integer customer ids, order ids, dates as ``invoice_date``."""
    path = folder / "bench-log.yaml"
    path.write_text(
        "client: bench-log\ncurrency: USD\ndata:\n  transactions:\n"
        f"    path: {json.dumps(str(log.resolve()))}\n"
        "    columns: {date: invoice_date}\n", encoding="utf-8")
    return path


def with_order_ids(log: Path, work: Path, python: str) -> Path:
    """The log itself when it has an ``order_id`` column, else a copy in ``work`` with one.

    The shared generator writes no order id; the copy adds the row number (int64, in file
    order), as benchmarks/README.md describes. Every tool then reads the same file.
    """
    code = ("import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq\n"
            "src, dst = sys.argv[1], sys.argv[2]\n"
            "names = pq.ParquetFile(src).schema_arrow.names\n"
            "if 'order_id' in names: print(src); sys.exit()\n"
            "t = pq.read_table(src)\n"
            "t = t.append_column('order_id', pa.array(np.arange(1, t.num_rows + 1)))\n"
            "pq.write_table(t, dst); print(dst)\n")
    target = work / f"{log.stem}_orders.parquet"
    if target.is_file() and target.stat().st_mtime >= log.stat().st_mtime:
        return target
    out = subprocess.run([python, "-c", code, str(log), str(target)], check=True,
                         capture_output=True, text=True).stdout.strip()
    return Path(out)


def as_of_of(log: Path, python: str, timeout: float) -> str:
    found = benchlib.run_child(RFM_SCRIPT, python, "as_of", timeout, parquet=log)
    if found.get("status") != "ok":
        raise SystemExit(f"cannot read {log}: {found.get('detail')}")
    return found["as_of"]


def exponent(small: float, large: float, n_small: int, n_large: int) -> float | None:
    """How time grows with customers: log(t2 / t1) / log(n2 / n1) (1 = linear)."""
    if not small or not large or small <= 0 or large <= 0:
        return None
    return math.log(large / small) / math.log(n_large / n_small)


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def markdown(log_runs: list[dict], peers: dict[str, list[dict]], demos: dict[int, list[dict]],
             facts: dict) -> str:
    lines = [START, "## The whole chain (`bench_chain.py`)", "",
             f"Run on {facts['date']}, {facts['machine']}; {facts['git']}. Median of "
             f"{facts['repeat']} interleaved repeats, each a fresh process.", ""]
    if log_runs:
        lines += [f"**The shared log** `{facts['log']}` ({facts['rows']:,} lines, "
                  f"{facts['customers']:,} customers, integer customer ids, order ids), "
                  "`seglib run` with the default config:", "",
                  "| stage | seconds (median) | all repeats | peak GB |", "|---|---|---|---|"]
        names = list(log_runs[0].get("stages", {}))
        for name in names:
            times = [r["stages"].get(name, {}).get("seconds") for r in log_runs]
            peaks = [r["stages"].get(name, {}).get("peak_gb") for r in log_runs]
            lines.append(f"| {name} | {median(times):.1f} | "
                         f"{', '.join(f'{t:.1f}' for t in times if t is not None)} | "
                         f"{max((p for p in peaks if p is not None), default=0):.2f} |")
        total = [r.get("seconds") for r in log_runs]
        lines.append(f"| **whole run** (`seglib run`, report included) | {median(total):.1f} | "
                     f"{', '.join(f'{t:.1f}' for t in total)} | "
                     f"{max((r.get('peak_gb') or 0) for r in log_runs):.2f} |")
        lines += ["", "On the same file in the same run (`pd.read_parquet` included):", "",
                  "| tool | seconds (median) | all repeats | peak GB | collect stage is |",
                  "|---|---|---|---|---|"]
        collect = median([r["stages"].get("collect", {}).get("seconds") for r in log_runs])
        for tool in PEERS:
            runs = [r for r in peers.get(tool, []) if r.get("status") == "ok"]
            if not runs:
                detail = (peers.get(tool) or [{}])[0].get("detail", "not run")
                lines.append(f"| {PEER_LABELS[tool]} | - | {detail} | | |")
                continue
            seconds = median([r["seconds"] for r in runs])
            ratio = seconds / collect if collect else float("nan")
            word = "faster" if ratio >= 1 else "slower"
            factor = ratio if ratio >= 1 else 1 / ratio
            shown = ", ".join(f"{r['seconds']:.1f}" for r in runs)
            lines.append(f"| {PEER_LABELS[tool]} | {seconds:.1f} | {shown} | "
                         f"{max(r['peak_gb'] for r in runs):.2f} | {factor:.2f}x {word} |")
    if demos:
        sizes = sorted(demos)
        lines += ["", "**The demo retailer** (`seglib demo --customers N`, about 12 orders each), "
                  "seconds per stage (median) and the growth exponent between sizes "
                  "(1 = linear in customers):", ""]
        stages = list(next(iter(demos.values()))[0].get("stages", {}))
        header = "| stage | " + " | ".join(f"{n:,}" for n in sizes)
        header += "".join(f" | exponent {a:,} -> {b:,}" for a, b in zip(sizes, sizes[1:],
                                                                        strict=False))
        lines += [header + " |", "|---" * (1 + len(sizes) + len(sizes) - 1) + "|"]
        for stage in [*stages, "whole run"]:
            cells = []
            for n in sizes:
                if stage == "whole run":
                    cells.append(median([r.get("seconds") for r in demos[n]]))
                else:
                    cells.append(median([r["stages"].get(stage, {}).get("seconds")
                                         for r in demos[n]]))
            row = f"| {stage} | " + " | ".join(f"{c:.1f}" if c else "-" for c in cells)
            for (a, ta), (b, tb) in zip(zip(sizes, cells, strict=True),
                                        list(zip(sizes, cells, strict=True))[1:], strict=False):
                e = exponent(ta, tb, a, b)
                row += f" | {e:.2f}" if e is not None else " | -"
            lines.append(row + " |")
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, help="Parquet transaction log with order ids")
    parser.add_argument("--demo-sizes", default="", help="e.g. 10k,100k,1m")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--seglib", default=str(REPO / ".venv" / "bin" / "seglib"))
    parser.add_argument("--seglib-python", default=str(REPO / ".venv" / "bin" / "python"))
    parser.add_argument("--peers-python", default=str(REPO.parent / "bench-venv" / "bin" /
                                                      "python"))
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.md")
    args = parser.parse_args(argv)
    work = Path(args.work or tempfile.mkdtemp(prefix="bench_chain_"))
    work.mkdir(parents=True, exist_ok=True)
    peers = [p for p in args.peers.split(",") if p]
    facts = {"date": dt.date.today().isoformat(), "repeat": args.repeat,
             "git": benchlib.git_state(),
             "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f}"
                        f" GB, Python {platform.python_version()}"}
    log_runs, peer_runs, demos = [], {p: [] for p in peers}, {}
    if args.log:
        args.log = with_order_ids(args.log, work, args.seglib_python)
        config = log_config(args.log, work)
        facts["as_of"] = as_of_of(args.log, args.seglib_python, args.timeout)
        counted = benchlib.run_child(RFM_SCRIPT, args.seglib_python, "as_of", args.timeout,
                                     parquet=args.log)
        facts.update(log=args.log.name, rows=counted["rows"], customers=counted["customers"])
        for k in range(args.repeat):
            result = run_chain(args.seglib, config, work / "log-run", args.timeout)
            log_runs.append(result)
            print(f"[{k + 1}] seglib run: {result.get('seconds', 0):.1f} s "
                  f"({result['status']}); "
                  + ", ".join(f"{n} {s['seconds']}" for n, s in result.get("stages", {}).items()),
                  flush=True)
            for tool in peers:
                python = args.seglib_python if tool == "duckdb" else args.peers_python
                found = benchlib.run_child(RFM_SCRIPT, python, tool, args.timeout,
                                           parquet=args.log, as_of=facts["as_of"])
                peer_runs[tool].append(found)
                print(f"[{k + 1}] {tool}: {found.get('seconds', 0):.1f} s ({found['status']})",
                      flush=True)
    for size in [s for s in args.demo_sizes.split(",") if s]:
        n = int(float(size.lower().replace("k", "e3").replace("m", "e6")))
        folder = work / f"demo-{n}"
        if not (folder / "config.yaml").is_file():
            subprocess.run([args.seglib, "demo", "--out", str(folder), "--customers", str(n)],
                           check=True, capture_output=True, cwd=REPO)
        demos[n] = []
        for k in range(args.repeat):
            result = run_chain(args.seglib, folder / "config.yaml", work / f"run-{n}",
                               args.timeout)
            demos[n].append(result)
            print(f"[{k + 1}] demo {n:,}: {result.get('seconds', 0):.1f} s ({result['status']})",
                  flush=True)
    text = markdown(log_runs, peer_runs, demos, facts)
    print(text)
    benchlib.write_section(args.out, text, START, END)
    print(f"written to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
