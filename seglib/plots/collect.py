"""Figures of 01_collect."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def rfm_distributions(customers: pd.DataFrame) -> plt.Figure | None:
    """Histograms of recency, frequency and monetary value (None without transactions).

    The counts are computed with NumPy over every buying customer and drawn as
    bars, so a million customers cost a few milliseconds and the figure stays small.
    Orders and revenue are binned on a log scale (their tails are long), the axis
    labelled in plain numbers.
    """
    if "n_orders" not in customers:
        return None
    panels = [("recency_days", "Days since last order", False),
              ("n_orders", "Orders per customer (log scale)", True),
              ("revenue", "Revenue per customer (log scale)", True)]
    panels = [p for p in panels if p[0] in customers]
    buying = customers["n_orders"].to_numpy() > 0
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (column, title, log) in zip(axes[0], panels, strict=True):
        values = customers[column].to_numpy(dtype="float64", na_value=np.nan)[buying]
        values = values[np.isfinite(values)]
        if log:
            values = np.log10(values.clip(min=1))
        counts, edges = np.histogram(values, bins=40 if len(values) else np.arange(41))
        ax.stairs(counts, edges, fill=True, color="#4C72B0")
        if log:
            low, high = (int(np.floor(edges[0])), int(np.ceil(edges[-1]))) if len(values) \
                else (0, 1)
            ticks = np.arange(low, max(high, low + 1) + 1)
            ax.set_xticks(ticks, [f"{10.0 ** t:,.0f}" for t in ticks])
            ax.set_xlim(edges[0], edges[-1])
        ax.set_title(title)
        ax.set_xlabel("")
        ax.set_ylabel("customers")
    fig.tight_layout()
    return fig
