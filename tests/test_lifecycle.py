import numpy as np
import pandas as pd
import pytest

from conftest import run_with_segments, write_config
from seglib import lifecycle, plots
from seglib.config import LifecycleConfig, load_config, template_text
from seglib.errors import ConfigError

# one row per rule, with the stage each hand-made history must get (default rules)
HISTORIES = [
    # id, n_orders, recency_days, mean gap, orders/year, extra columns, expected stage
    ("aware", 0, None, None, None, {}, "Awareness"),
    ("browsing", 0, None, None, None, {"web_sessions": 3}, "Engagement & evaluation"),
    ("clicked", 0, None, None, None, {"web_sessions": 0, "web_email_clicks": 1},
     "Engagement & evaluation"),
    ("refunded", 0, None, None, None, {"refunds": 50.0}, "Lapsed"),
    ("returned", 0, None, None, None, {"returns_rate": 1.0, "web_sessions": 9}, "Lapsed"),
    ("first", 1, 10, None, 12.2, {}, "First purchase"),
    ("first_edge", 1, 60, None, 6.1, {}, "First purchase"),
    ("first_no_second", 1, 61, None, 6.0, {}, "At risk"),
    ("repeat", 3, 20, 30.0, 4.0, {}, "Post-purchase / repeat"),
    ("repeat_gap_edge", 4, 40, 20.0, 6.0, {}, "Post-purchase / repeat"),
    ("longer_than_usual", 4, 41, 20.0, 6.0, {}, "At risk"),
    ("loyal_by_orders", 12, 5, 30.0, 6.0, {}, "Loyal & advocate"),
    ("loyal_by_rate", 3, 5, 10.0, 15.0, {}, "Loyal & advocate"),
    ("rate_needs_three", 2, 5, 10.0, 24.0, {}, "Post-purchase / repeat"),
    ("advocate", 2, 10, 30.0, 3.0, {"referrals": 1}, "Loyal & advocate"),
    ("reviewer", 2, 10, 30.0, 3.0, {"reviews": 2}, "Loyal & advocate"),
    ("influencer", 2, 10, 30.0, 3.0, {"social_followers": 5000}, "Post-purchase / repeat"),
    ("loyal_gone_quiet", 20, 91, 60.0, 10.0, {}, "At risk"),
    ("at_risk_edge", 5, 365, 200.0, 2.0, {}, "At risk"),
    ("lapsed", 5, 366, 200.0, 2.0, {}, "Lapsed"),
]


def hand_made_customers(rows=HISTORIES) -> tuple[pd.DataFrame, list[str]]:
    records = [{"customer_id": cid, "n_orders": n, "recency_days": r,
                "mean_days_between_purchases": gap, "orders_per_year": rate, **extra}
               for cid, n, r, gap, rate, extra, _ in rows]
    customers = pd.DataFrame(records)
    for column in ("recency_days", "mean_days_between_purchases", "orders_per_year"):
        customers[column] = customers[column].astype(float)
    return customers, [row[-1] for row in rows]


def test_stages_from_hand_made_histories():
    customers, expected = hand_made_customers()
    stages = lifecycle.assign_stages(customers)
    assert dict(zip(customers["customer_id"], stages.astype(str), strict=True)) == dict(
        zip(customers["customer_id"], expected, strict=True))
    assert list(stages.cat.categories) == list(lifecycle.STAGES)
    assert stages.cat.ordered and stages.name == "stage"


def test_stages_need_only_the_customer_table_columns_it_has():
    # no gap, rate, web or advocacy columns: the rules still apply to orders and recency
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
                              "n_orders": [0, 1, 2, 15, 3], "recency_days": [None, 5, 5, 5, 400]})
    stages = lifecycle.assign_stages(customers)
    assert list(stages.astype(str)) == ["Awareness", "First purchase", "Post-purchase / repeat",
                                        "Loyal & advocate", "Lapsed"]
    with pytest.raises(ValueError, match="n_orders and recency_days"):
        lifecycle.assign_stages(customers[["customer_id", "n_orders"]])


def test_rules_are_configurable_and_checked():
    customers, _ = hand_made_customers()
    stages = lifecycle.assign_stages(
        customers, active_days=100, new_days=100, gap_multiple=3.0, loyal_orders=20,
        loyal_orders_per_year=20.0, engagement_columns=["web_email_clicks"],
        advocacy_columns=["reviews"])
    got = dict(zip(customers["customer_id"], stages.astype(str), strict=True))
    assert got["first_no_second"] == "First purchase"            # within new_days=100
    assert got["longer_than_usual"] == "Post-purchase / repeat"  # 41 <= 3 x 20
    assert got["loyal_gone_quiet"] == "Loyal & advocate"         # 91 <= 100 days, 20 orders
    assert got["loyal_by_orders"] == "Post-purchase / repeat"    # 12 < 20 orders
    assert got["loyal_by_rate"] == "Post-purchase / repeat"      # 15 < 20 a year
    assert got["browsing"] == "Awareness" and got["clicked"] == "Engagement & evaluation"
    assert got["advocate"] == "Post-purchase / repeat" and got["reviewer"] == "Loyal & advocate"
    with pytest.raises(ConfigError, match="loyal_orders: Input should be greater than or equal"):
        lifecycle.assign_stages(customers, loyal_orders=1)
    with pytest.raises(ConfigError, match="lifecycle: loyal_days: unknown key"):
        lifecycle.assign_stages(customers, loyal_days=30)


@pytest.mark.parametrize("section, expected", [
    ("{transition_days: 0}", "lifecycle.transition_days: Input should be greater than or equal to 1"),
    ("{gap_multiple: 0.5}", "lifecycle.gap_multiple: Input should be greater than or equal to 1"),
    ("{loyal_orders: '5'}", "lifecycle.loyal_orders: Input should be a valid integer"),
    ("{loyal_orders_per_year: 0}", "lifecycle.loyal_orders_per_year: Input should be greater than 0"),
    ("{engagement_columns: web_sessions}", "lifecycle.engagement_columns: Input should be a valid list"),
    ("{advocacy_columns: ['']}", "lifecycle.advocacy_columns: column names must not be blank"),
    ("{at_risk_day: 30}", "lifecycle.at_risk_day: unknown key"),
])
def test_config_errors_name_the_key(tmp_path, section, expected):
    (tmp_path / "customers.csv").write_text("customer_id,age\na,30\n")
    path = write_config(tmp_path, "client: a\ndata: {customers: {path: customers.csv}}\n"
                        f"lifecycle: {section}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: {expected}")


def test_config_defaults_and_template_agree(tmp_path):
    defaults = LifecycleConfig()
    assert (defaults.new_days, defaults.active_days, defaults.lapsed_days) == (60, 90, 365)
    assert (defaults.gap_multiple, defaults.loyal_orders, defaults.loyal_orders_per_year,
            defaults.transition_days) == (2.0, 12, 12.0, 90)
    assert defaults.engagement_columns == ["web_sessions", "web_email_opens", "web_email_clicks"]
    assert defaults.advocacy_columns == ["referrals", "reviews", "social_mentions"]
    template = template_text("a")
    for key in LifecycleConfig.model_fields:
        assert f"\n  {key}: " in template, key


# --------------------------------------------------------------------------- transitions

AS_OF = pd.Timestamp("2025-07-01")  # transition_days=90: the earlier cut-off is 2025-04-02


def hand_made_lines() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lines for six customers whose stage moves in known ways between the two cut-offs."""
    orders = {
        # skipped: unknown activity, nothing before the cut-off, one order since
        "skipper": ["2025-06-20"],
        # went back: loyal by rate at the cut-off (3 orders in 3 weeks), slower since
        "slower": ["2025-03-05", "2025-03-15", "2025-03-25", "2025-06-25"],
        # next stage: first purchase at the cut-off, a second order since
        "second": ["2025-03-20", "2025-06-15"],
        # won back: at risk at the cut-off (silent since December), bought again
        "returner": ["2024-11-01", "2024-12-01", "2025-06-20"],
    }
    rows = [{"customer_id": cid, "order_id": f"{cid}{k}", "date": pd.Timestamp(day),
             "amount": 10.0, "line_status": "purchase"}
            for cid, days in orders.items() for k, day in enumerate(days)]
    rows += [  # two lines of one order count once; a line on the end date is after the data
        {"customer_id": "second", "order_id": "second1", "date": pd.Timestamp("2025-06-15 18:00"),
         "amount": 5.0, "line_status": "purchase"},
        {"customer_id": "second", "order_id": "late", "date": AS_OF,
         "amount": 5.0, "line_status": "purchase"},
        # stayed lapsed: returned the only order, before the cut-off
        {"customer_id": "sent_back", "order_id": "r1", "date": pd.Timestamp("2025-01-10"),
         "amount": 30.0, "line_status": "returned"},
    ]
    customers = pd.DataFrame({
        "customer_id": ["skipper", "slower", "second", "returner", "browser", "sent_back"],
        "web_sessions": [0, 5, 1, 0, 2, 0],
    })
    return customers, pd.DataFrame(rows)


def test_history_at_a_cut_off_ignores_later_lines():
    customers, lines = hand_made_lines()
    before = lifecycle.customer_history(lines, customers["customer_id"], "2025-04-02")
    before = before.set_index("customer_id")
    assert before["n_orders"].to_dict() == {"skipper": 0, "slower": 3, "second": 1,
                                            "returner": 2, "browser": 0, "sent_back": 0}
    assert before.loc["slower", "recency_days"] == 8 and before.loc["slower", "tenure_days"] == 28
    assert before.loc["slower", "orders_per_year"] == pytest.approx(3 / (30 / 365))
    assert before.loc["slower", "mean_days_between_purchases"] == 10
    assert before.loc["returner", "recency_days"] == 122
    assert before.loc["sent_back", "returns_rate"] == 1.0
    assert np.isnan(before.loc["second", "mean_days_between_purchases"])
    now = lifecycle.customer_history(lines, customers["customer_id"], AS_OF).set_index(
        "customer_id")
    assert now.loc["second", "n_orders"] == 2 and now.loc["second", "recency_days"] == 16
    assert now.loc["slower", "orders_per_year"] == pytest.approx(4 / (118 / 365))


def test_transitions_from_hand_made_lines_count_skips_and_steps_back():
    customers, lines = hand_made_lines()
    now = lifecycle.customers_at(customers, lines, AS_OF)
    segments = pd.DataFrame({"customer_id": list(customers["customer_id"]),
                             "segment": [1, 1, 2, 2, 0, 0],
                             "segment_name": ["A", "A", "B", "B", "New", "New"]})
    table = lifecycle.lifecycle_table(now, segments, lines, AS_OF, loyal_orders_per_year=20.0)
    assert table["stage"].dtype == table["previous_stage"].dtype == pd.CategoricalDtype(
        lifecycle.STAGES, ordered=True)
    got = table.set_index("customer_id")[["previous_stage", "stage"]].astype(str)
    assert got.to_dict("index") == {
        "browser": {"previous_stage": "Engagement & evaluation",
                    "stage": "Engagement & evaluation"},
        "returner": {"previous_stage": "At risk", "stage": "Post-purchase / repeat"},
        "second": {"previous_stage": "First purchase", "stage": "Post-purchase / repeat"},
        "sent_back": {"previous_stage": "Lapsed", "stage": "Lapsed"},
        "skipper": {"previous_stage": "Awareness", "stage": "First purchase"},
        "slower": {"previous_stage": "Loyal & advocate", "stage": "Post-purchase / repeat"},
    }
    matrix = lifecycle.transition_matrix(table)
    assert list(matrix.index) == list(lifecycle.STAGES) == list(matrix.columns)
    assert matrix.to_numpy().sum() == 6
    expected = {("Awareness", "First purchase"): 1, ("Loyal & advocate", "Post-purchase / repeat"): 1,
                ("First purchase", "Post-purchase / repeat"): 1,
                ("At risk", "Post-purchase / repeat"): 1,
                ("Engagement & evaluation", "Engagement & evaluation"): 1, ("Lapsed", "Lapsed"): 1}
    assert {(a, b): int(matrix.loc[a, b]) for a in matrix.index for b in matrix.columns
            if matrix.loc[a, b]} == expected
    moves = lifecycle.transitions(table)
    assert list(moves.columns) == ["from", "to", "customers", "movement"]
    assert moves.set_index(["from", "to"])["movement"].to_dict() == {
        ("Awareness", "First purchase"): "skipped a stage",
        ("Engagement & evaluation", "Engagement & evaluation"): "stayed",
        ("First purchase", "Post-purchase / repeat"): "next stage",
        ("Loyal & advocate", "Post-purchase / repeat"): "went back",
        ("At risk", "Post-purchase / repeat"): "won back",
        ("Lapsed", "Lapsed"): "stayed",
    }
    counts = lifecycle.movement_counts(table)["customers"].to_dict()
    assert counts == {"stayed": 2, "next stage": 1, "skipped a stage": 1, "went back": 1,
                      "won back": 1, "new since the cut-off": 0}
    stage_counts = lifecycle.stage_counts(table)
    assert list(stage_counts.index) == list(lifecycle.STAGES)
    assert stage_counts.loc["Post-purchase / repeat", ["customers", "customers_before", "change"]
                            ].tolist() == [3, 0, 3]


@pytest.mark.parametrize("before, after, expected", [
    ("Awareness", "Engagement & evaluation", "next stage"),
    ("Engagement & evaluation", "Loyal & advocate", "skipped a stage"),
    ("First purchase", "Loyal & advocate", "skipped a stage"),
    ("Post-purchase / repeat", "At risk", "next stage"),
    ("First purchase", "At risk", "next stage"),
    ("Awareness", "At risk", "skipped a stage"),
    ("Post-purchase / repeat", "Lapsed", "skipped a stage"),
    ("At risk", "Lapsed", "next stage"),
    ("Lapsed", "Loyal & advocate", "won back"),
    ("Loyal & advocate", "First purchase", "went back"),
    ("Lapsed", "Lapsed", "stayed"),
    (None, "Lapsed", ""),
])
def test_movement_kinds(before, after, expected):
    assert lifecycle.movement(before, after) == expected


# --------------------------------------------------------------------------- plan and files


def plan_inputs():
    customers = pd.DataFrame({
        "customer_id": list("abcdefg"),
        "revenue": [100.0, 300.0, 50.0, 0.0, 80.0, 20.0, 10.0],
        "online_share": [0.9, 0.8, 0.1, 0.0, 0.2, 0.5, 0.5],
        "store_share": [0.1, 0.2, 0.1, 0.0, 0.8, 0.5, 0.5],
        "phone_share": [0.0, 0.0, 0.8, 0.0, 0.0, 0.0, 0.0],
    })
    table = pd.DataFrame({
        "customer_id": list("abcdefg"),
        "stage": pd.Categorical(["Loyal & advocate", "Loyal & advocate", "At risk", "Awareness",
                                 "First purchase", "Lapsed", "Lapsed"],
                                categories=lifecycle.STAGES, ordered=True),
        "segment": [2, 2, 2, 2, 1, 3, 0],
        "segment_name": ["Web fans"] * 4 + ["Store", "Other", "New"],
    })
    targeting = pd.DataFrame({"segment": [1, 2, 3], "segment_name": ["Store", "Web fans", "Other"],
                              "rank": [2, 1, 3], "selected": [True, True, False]})
    clv = pd.DataFrame({"customer_id": list("abcdefg"),
                        "clv": [500.0, 700.0, 200.0, 0.0, 90.0, 5.0, 1.0]})
    return customers, table, targeting, clv


def test_plan_has_every_target_segment_and_stage_with_its_numbers():
    customers, table, targeting, clv = plan_inputs()
    plan = lifecycle.lifecycle_plan(table, targeting, customers, clv, lapsed_days=400)
    assert len(plan) == 2 * len(lifecycle.STAGES)
    assert list(plan["segment"].unique()) == [2, 1]  # rank order; segment 3 not selected
    assert list(plan.loc[plan["segment"] == 2, "stage"]) == list(lifecycle.STAGES)
    row = plan.set_index(["segment", "stage"])
    loyal = row.loc[(2, "Loyal & advocate")]
    assert (loyal["customers"], loyal["share"]) == (2, 0.5)
    assert (loyal["mean_revenue"], loyal["mean_clv"], loyal["clv_at_stake"]) == (200.0, 600.0,
                                                                              1200.0)
    assert "referral" in loyal["action"] and loyal["channel"].startswith("web and app")
    risk = row.loc[(2, "At risk")]
    assert risk["customers"] == 1 and risk["mean_clv"] == 200.0
    assert "90 days" in risk["moment"] and "2x" in risk["moment"] and "400" in risk["moment"]
    first = row.loc[(1, "First purchase")]
    assert first["share"] == 1.0 and "welcome" in first["action"]
    assert first["channel"] == "email, then in store" and "day 60" in first["moment"]
    assert row.loc[(1, "Lapsed"), "customers"] == 0
    assert np.isnan(row.loc[(1, "Lapsed"), "mean_clv"])
    # without CLV or a targeting choice: every segment but 0, no CLV numbers
    fallback = lifecycle.lifecycle_plan(table, None, customers)
    assert list(fallback["segment"].unique()) == [1, 2, 3]
    assert fallback["mean_clv"].isna().all()


def test_outputs_and_a_run_without_transactions(tmp_path):
    customers, lines = hand_made_lines()
    now = lifecycle.customers_at(customers, lines, AS_OF)
    segments = pd.DataFrame({"customer_id": list(customers["customer_id"]),
                             "segment": [1, 1, 1, 1, 0, 0], "segment_name": ["A"] * 4 + ["New"] * 2})
    table = lifecycle.lifecycle_table(now, segments, lines, AS_OF)
    plan = lifecycle.lifecycle_plan(table, None, now)
    paths = lifecycle.write_outputs(table, run_with_segments(tmp_path, segments), plan)
    written = pd.read_csv(paths["lifecycle"])
    assert list(written.columns) == ["customer_id", "stage", "previous_stage", "segment",
                                     "segment_name"]
    assert written.set_index("customer_id").loc["skipper", "previous_stage"] == "Awareness"
    moves = pd.read_csv(paths["transitions"])
    assert moves["customers"].sum() == 6
    assert len(pd.read_csv(paths["plan"])) == len(lifecycle.STAGES)
    # customers only: no history, stages left empty, no movement and no plan
    bare = lifecycle.lifecycle_table(customers, segments)
    assert bare["stage"].isna().all() and bare["previous_stage"].isna().all()
    assert lifecycle.transition_matrix(bare) is None and plots.flow_chart(bare) is None
    assert lifecycle.lifecycle_plan(bare, None, customers) is None
    paths = lifecycle.write_outputs(bare, run_with_segments(tmp_path / "bare", segments))
    assert pd.read_csv(paths["lifecycle"])["stage"].isna().all()
    assert pd.read_csv(paths["transitions"]).empty


def test_plots_draw_the_matrix_and_the_flows():
    customers, lines = hand_made_lines()
    now = lifecycle.customers_at(customers, lines, AS_OF)
    table = lifecycle.lifecycle_table(now, None, lines, AS_OF)
    heatmap = plots.transition_heatmap(table)
    texts = [t.get_text() for t in heatmap.axes[0].texts]
    assert sorted(texts) == ["0"] * (6 * 7 - 6) + ["1"] * 6  # six stages had customers before
    flow = plots.flow_chart(table, 90)
    labels = {t.get_text() for t in flow.axes[0].texts}
    assert {"Awareness (1)", "Post-purchase / repeat (2)", "Lapsed (1)"} <= labels


def test_customers_who_arrived_after_the_cut_off_have_no_previous_stage():
    customers = pd.DataFrame({
        "customer_id": ["old", "new", "web"], "n_orders": [0, 1, 0],
        "recency_days": [np.nan, 10.0, np.nan], "tenure_days": [np.nan, 10.0, np.nan],
        "signup_date": pd.to_datetime(["2024-01-01", "2025-06-01", "2024-01-01"]),
        "web_first_visit": pd.to_datetime([None, None, "2025-06-10"]),
        "web_sessions": [0, 0, 5]})
    lines = pd.DataFrame({"customer_id": ["new"], "date": pd.to_datetime(["2025-06-20"]),
                          "amount": [10.0], "line_status": ["purchase"], "order_id": ["o1"]})
    table = lifecycle.lifecycle_table(customers, None, lines, "2025-07-01",
                                      transition_days=90).set_index("customer_id")
    assert pd.isna(table.loc["new", "previous_stage"])  # signed up after 2025-04-02
    # known before the cut-off, but first visited the web after it: not engaged then
    assert table.loc["web", "previous_stage"] == "Awareness"
    assert table.loc["web", "stage"] == "Engagement & evaluation"
    counts = lifecycle.movement_counts(table.reset_index())["customers"]
    assert counts["new since the cut-off"] == 1 and counts["next stage"] == 1
