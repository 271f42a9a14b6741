"""Stage 6, the customer lifecycle: where each customer is now.

Rules, in order (the first that matches wins), with the day thresholds from
the config:

1. ``prospect``: known (in the customers file) but never bought.
2. ``new``: first purchase within ``new_days`` of the end of observation.
3. ``active``: last purchase within ``active_days``.
4. ``at risk``: last purchase within ``lapsed_days``.
5. ``lapsed``: no purchase for more than ``lapsed_days``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

STAGES = ("prospect", "new", "active", "at risk", "lapsed")


def has_history(customers: pd.DataFrame) -> bool:
    """True when the customer table has purchase history to assign stages from."""
    return "n_orders" in customers and "recency_days" in customers


def assign_stages(customers: pd.DataFrame, *, new_days: int = 60, active_days: int = 90,
                  lapsed_days: int = 365) -> pd.Series:
    """Return each customer's lifecycle stage (an ordered categorical)."""
    orders = customers["n_orders"].fillna(0) if "n_orders" in customers else None
    if orders is None or "recency_days" not in customers:
        raise ValueError("lifecycle stages need n_orders and recency_days (transactions)")
    recency = customers["recency_days"]
    tenure = customers["tenure_days"] if "tenure_days" in customers else recency
    conditions = [
        orders <= 0,
        tenure <= new_days,
        recency <= active_days,
        recency <= lapsed_days,
    ]
    stage = np.select(conditions, list(STAGES[:4]), default="lapsed")
    return pd.Series(pd.Categorical(stage, categories=STAGES, ordered=True),
                     index=customers.index, name="stage")


def lifecycle_table(customers: pd.DataFrame, segments: pd.DataFrame | None,
                    **rules: int) -> pd.DataFrame:
    """One row per customer: id, stage, segment, and the recency and orders behind the stage.

    Without transactions there is no purchase history: the stage is left empty.
    """
    if has_history(customers):
        table = pd.DataFrame({"customer_id": customers["customer_id"],
                              "stage": assign_stages(customers, **rules),
                              "n_orders": customers["n_orders"].fillna(0).astype("int64"),
                              "recency_days": customers["recency_days"]})
    else:
        table = pd.DataFrame({"customer_id": customers["customer_id"],
                              "stage": pd.Categorical([None] * len(customers), categories=STAGES,
                                                      ordered=True)})
    if segments is not None:
        table = table.merge(segments[["customer_id", "segment", "segment_name"]],
                            on="customer_id", how="left")
    return table.sort_values("customer_id", kind="stable").reset_index(drop=True)


def stage_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Customers per stage, with their share."""
    counts = table["stage"].value_counts(sort=False).rename("customers").to_frame()
    total = counts["customers"].sum()
    counts["share"] = (counts["customers"] / total).round(3) if total else 0.0
    return counts


def stage_by_segment(table: pd.DataFrame) -> pd.DataFrame:
    """Counts of customers per segment and stage, with totals."""
    return pd.crosstab(table["segment_name"], table["stage"], margins=True, margins_name="total",
                       dropna=False)


def write_outputs(table: pd.DataFrame, run_dir: Path) -> dict[str, Path]:
    """Write ``lifecycle.csv``."""
    path = Path(run_dir) / "lifecycle.csv"
    out = table.copy()
    out["stage"] = out["stage"].astype(str)
    out.to_csv(path, index=False)
    return {"lifecycle": path}
