"""A wide customers file: 10,000 numeric columns x 500 customers through the collection stage.

Run by hand: ``.venv/bin/python benchmarks/bench_wide.py [columns] [rows]``. Prints the
seconds of ``collect.collect`` (reading, personal-data checks, number parsing, ledger),
the median of three runs. Results are written down in the README (Speed).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from seglib import collect
from seglib.config import load_config


def main(columns: int = 10_000, rows: int = 500) -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        table = pd.DataFrame(rng.integers(0, 100, (rows, columns)),
                             columns=[f"f{j}" for j in range(columns)])
        table.insert(0, "customer_id", [f"C{i}" for i in range(rows)])
        table.to_csv(folder / "c.csv", index=False)
        (folder / "config.yaml").write_text("client: wide\ndata:\n  customers: {path: c.csv}\n")
        config = load_config(folder / "config.yaml")
        seconds = []
        for _ in range(3):
            start = time.perf_counter()
            collected = collect.collect(config)
            seconds.append(time.perf_counter() - start)
        assert collected.customers.shape == (rows, columns + 1)
    print(f"{columns:,} columns x {rows:,} rows: collect {statistics.median(seconds):.1f} s "
          f"(runs: {', '.join(f'{s:.1f}' for s in seconds)})")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
