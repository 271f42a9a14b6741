"""Figures of 01_collect."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

#: At most this many customers go into a histogram (a seeded sample above it).
MAX_POINTS = 200_000


def rfm_distributions(customers: pd.DataFrame, random_state: int = 0) -> plt.Figure | None:
    """Histograms of recency, frequency and monetary value (None without transactions).

    Above :data:`MAX_POINTS` buying customers, a seeded sample of that size is
    drawn: the shape of a distribution does not need every customer.
    """
    if "n_orders" not in customers:
        return None
    buyers = customers.loc[customers["n_orders"] > 0]
    if len(buyers) > MAX_POINTS:
        buyers = buyers.sample(MAX_POINTS, random_state=random_state)
    panels = [("recency_days", "Days since last order", False),
              ("n_orders", "Orders per customer (log scale)", True),
              ("revenue", "Revenue per customer (log scale)", True)]
    panels = [p for p in panels if p[0] in buyers]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (column, title, log) in zip(axes[0], panels, strict=True):
        values = buyers[column].astype("float64").dropna().to_numpy()
        if log:
            values = values.clip(min=1)
            low, high = values.min(initial=1.0), values.max(initial=1.0)
            bins = np.geomspace(low, max(high, low * 1.01), 41)
            ax.set_xscale("log")
        else:
            bins = 40
        ax.hist(values, bins=bins, color="#4C72B0", edgecolor="white", linewidth=0.5)
        ax.set_title(title)
        ax.set_xlabel("")
        ax.set_ylabel("customers")
    fig.tight_layout()
    return fig
