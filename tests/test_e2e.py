"""The whole chain through papermill, as `seglib run` does it, on the demo at 1,000 customers."""

from __future__ import annotations

import json
import shutil

import nbformat
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from conftest import ROOT, file_hash, write_config
from seglib.cli import main

pytestmark = pytest.mark.slow


def test_run_folder_holds_every_output(demo_run):
    for name in ("report.html", "deck.pptx", "segments.csv", "segment_profiles.csv", "targeting.csv",
                 "personas.json", "lifecycle.csv", "manifest.json", "customers.parquet",
                 "positioning.csv", "positioning_attributes.csv", "segment_model.joblib",
                 "data_quality.csv"):
        assert (demo_run / name).is_file(), name
    for i, stage in enumerate(["collect", "segment", "targeting", "position", "lifecycle",
                               "personas"], start=1):
        assert list((demo_run / "notebooks").glob(f"0{i}_{stage}.ipynb"))


def test_every_customer_in_exactly_one_segment_and_planted_segments_found(demo_run, demo_dir):
    customers = pd.read_csv(demo_dir / "customers.csv")
    segments = pd.read_csv(demo_run / "segments.csv", dtype={"customer_id": str})
    assert list(segments.columns) == ["customer_id", "segment", "segment_name",
                                      "unclassified_reason"]
    assert len(segments) == len(customers) == 1000
    assert segments["customer_id"].is_unique
    assert set(segments["customer_id"]) == set(customers["customer_id"])
    truth = pd.read_csv(demo_dir / "_truth.csv").set_index("customer_id")["segment"]
    merged = segments.join(truth.rename("truth"), on="customer_id")
    clustered = merged[merged["segment"] != 0]
    ari = adjusted_rand_score(clustered["truth"], clustered["segment"])
    assert ari >= 0.8, ari
    # the recommended number of segments is the planted one (4 established segments)
    k_table = pd.read_csv(demo_run / "k_selection.csv")
    best = k_table[k_table["feasible"]].sort_values("combined", ascending=False).iloc[0]
    assert best["k"] == 4 == clustered["segment"].nunique()
    # new customers (one order) and prospects are never forced into a segment
    small = truth[truth.isin(["new_customer", "prospect"])].index
    assert (merged.set_index("customer_id").loc[small, "segment"] == 0).all()
    names = set(merged.set_index("customer_id").loc[small, "segment_name"])
    assert len(names) == 1 and names.pop().startswith("Not segmented: ")
    # the group's reasons never contradict the lifecycle: "new" is never lapsed or at risk
    segments = pd.read_csv(demo_run / "segments.csv").set_index("customer_id")
    stages = pd.read_csv(demo_run / "lifecycle.csv").set_index("customer_id")["stage"]
    said = segments.loc[segments["segment"] == 0, "unclassified_reason"]
    for reason, allowed in (("new: ", {"First purchase", "Post-purchase / repeat",
                                       "Loyal & advocate"}),
                            ("one order, more than", {"Lapsed"}),
                            ("one order, and none", {"At risk"}),
                            ("no purchase yet", {"Awareness", "Engagement & evaluation"})):
        who = said[said.str.startswith(reason)].index
        assert set(stages.loc[who]) <= allowed, (reason, set(stages.loc[who]))


def test_targeting_selects_top_n_and_personas_follow(demo_run):
    targeting = pd.read_csv(demo_run / "targeting.csv")
    for column in ("segment", "segment_name", "customers", "revenue", "margin", "attractiveness",
                   "rank", "selected"):
        assert column in targeting.columns
    assert targeting["selected"].sum() == 2
    assert not targeting.loc[targeting["segment"] == 0, "selected"].any()
    selected = targeting[targeting["selected"]].sort_values("rank")
    assert selected["attractiveness"].min() >= targeting.loc[~targeting["selected"],
                                                             "attractiveness"].max()
    for column in ("clv_mean", "p_top_n", "box", "roi", "growth_revenue"):
        assert column in targeting.columns, column


def test_planted_high_value_segments_are_the_targets_under_the_default_weights(demo_run,
                                                                              demo_dir):
    targeting = pd.read_csv(demo_run / "targeting.csv")
    segments = pd.read_csv(demo_run / "segments.csv", dtype={"customer_id": str})
    truth = pd.read_csv(demo_dir / "_truth.csv", dtype={"customer_id": str})
    merged = segments.merge(truth, on="customer_id", suffixes=("", "_truth"))
    planted = merged.groupby("segment")["segment_truth"].agg(lambda s: s.mode().iloc[0])
    chosen = {planted[s] for s in targeting.loc[targeting["selected"], "segment"]}
    # the trade/bulk buyers and the special-occasion store loyalists spend the most
    assert chosen == {"trade_bulk", "occasion_store_loyalist"}
    clv = pd.read_parquet(demo_run / "clv.parquet")
    assert len(clv) == len(segments) and clv["customer_id"].is_unique
    by_truth = clv.merge(truth.rename(columns={"segment": "truth"}), on="customer_id").groupby(
        "truth")["clv"].mean()
    assert by_truth.idxmax() == "trade_bulk"
    assert by_truth["prospect"] == 0


def test_personas_follow_the_targets(demo_run):
    targeting = pd.read_csv(demo_run / "targeting.csv")
    selected = targeting[targeting["selected"]].sort_values("rank")
    personas = json.loads((demo_run / "personas.json").read_text())
    assert [p["segment"] for p in personas] == list(selected["segment"])
    assert len({p["name"] for p in personas}) == len(personas)
    assert all(p["traits"] and p["actions"] for p in personas)


def test_lifecycle_and_positioning(demo_run):
    lifecycle = pd.read_csv(demo_run / "lifecycle.csv")
    assert len(lifecycle) == 1000
    from seglib.lifecycle import STAGES

    assert set(lifecycle["stage"]) <= set(STAGES)
    assert {"Awareness", "First purchase", "Loyal & advocate", "At risk"} <= set(
        lifecycle["stage"])
    assert list(lifecycle.columns[:3]) == ["customer_id", "stage", "previous_stage"]
    brands = pd.read_csv(demo_run / "positioning.csv")
    assert list(brands.columns) == ["brand", "dim1", "dim2"] and len(brands) == 6


def test_manifest_records_inputs_versions_and_stages(demo_run, demo_dir):
    manifest = json.loads((demo_run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["seed"] == 42
    assert [s["status"] for s in manifest["stages"]] == ["ok"] * 6
    assert all(s["seconds"] > 0 for s in manifest["stages"])
    assert manifest["inputs"]["transactions"]["sha256"] == file_hash(demo_dir / "orders.csv")
    assert {"python", "pandas", "scikit-learn", "papermill"} <= set(manifest["versions"])
    assert manifest["outputs"]["segments.csv"] == file_hash(demo_run / "segments.csv")


def test_report_is_self_contained_and_shows_no_code(demo_run):
    for name, headings in [
        ("report.html", ("Executive summary", "Who the customers are",
                         "Which segments to target", "How to position", "The personas",
                         "Where customers are in their lifecycle",
                         "Appendix: The data and its cleaning",
                         "Appendix: Decisions and their reasons")),
        ("workbook.html", ("Data collection", "Segmentation", "Targeting", "Positioning",
                           "Personas", "customer lifecycle"))]:
        html = (demo_run / name).read_text(encoding="utf-8")
        assert "data:image/png;base64," in html
        assert "import " not in html and "seglib." not in html
        for heading in headings:
            assert heading in html, (name, heading)
        assert "<script src" not in html and "<link" not in html


def _body_before_appendix(html: str) -> str:
    return html[html.index("<body>"):html.index('class="finding appendix"')]


def test_the_clients_report_reads_as_findings_without_code_keys_or_file_names(demo_run):
    import re

    html = (demo_run / "report.html").read_text(encoding="utf-8")
    assert "<code>" not in html and "<pre" not in html
    body = _body_before_appendix(html)
    text = re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", body))
    for needle in (".csv", ".parquet", ".joblib", "targeting.", "segmentation.", "lifecycle.",
                   "collect.", "positioning.", "config", "notebook"):
        assert needle not in text, needle
    # tables for people: labelled headers, percentages and money formatted, no index column
    assert "<th></th>" not in html and "Share of revenue" in html
    assert re.search(r'<td class="num">\$[0-9,]+(\.[0-9]{2})?</td>', html)
    assert re.search(r'<td class="num">[0-9.]+%</td>', html)
    for raw in ("store_share", "recency_days", "clv_at_stake", "revenue_share"):
        assert raw not in text, raw
    # the sections come in the order of the chain, the appendix last
    order = [html.index(f'id="{anchor}"') for anchor in (
        "executive-summary", "segments", "targeting", "positioning", "personas", "lifecycle",
        "data-quality", "decisions", "about-this-run")]
    assert order == sorted(order)


def test_the_vietnamese_report_has_no_english_section(demo_run):
    from seglib.client_report import findings
    from seglib.summary import executive_summary

    summary = executive_summary(demo_run, locale="vi", currency="VND")
    sections = findings(demo_run, summary, locale="vi", currency="VND")
    titles = [s.title for s in sections]
    assert titles[:5] == ["Khách hàng là ai", "Nên nhắm tới phân khúc nào", "Định vị thế nào",
                          "Chân dung khách hàng", "Khách hàng đang ở đâu trong vòng đời"]
    for section in sections:
        for block in section.blocks:
            if block["kind"] == "table":
                assert not any(h.isascii() and h not in ("Email",) for h in block["header"]), \
                    block["header"]
            if block["kind"] == "figure":
                assert not block["caption"].isascii()


def test_no_personal_data_in_any_output(demo_run, demo_dir):
    customers = pd.read_csv(demo_dir / "customers.csv")
    planted = set(customers["full_name"]) | set(customers["email"]) | set(customers["phone"])
    texts = [p for p in demo_run.rglob("*") if p.suffix in {".csv", ".json", ".html", ".ipynb",
                                                            ".yaml"}]
    assert len(texts) > 10
    for path in texts:
        content = path.read_text(encoding="utf-8")
        leaked = [value for value in planted if value in content]
        assert not leaked, f"{path.name} shows {leaked[:3]}"
    table = pd.read_parquet(demo_run / "customers.parquet")
    assert not {"full_name", "email", "phone"} & set(table.columns)
    # ... while activity counts that merely mention email stay
    assert {"web_email_opens", "web_email_clicks", "has_email", "has_phone"} <= set(table.columns)


def test_same_data_and_seed_give_byte_identical_results(demo_run, demo_dir, tmp_path):
    again = tmp_path / "again"
    assert main(["run", str(demo_dir / "config.yaml"), "--out", str(again)]) == 0
    for name in ("segments.csv", "segment_profiles.csv", "targeting.csv", "personas.json",
                 "lifecycle.csv", "positioning.csv"):
        assert file_hash(again / name) == file_hash(demo_run / name), name


def test_customers_only_run_completes(demo_dir, tmp_path, capsys):
    shutil.copy(demo_dir / "customers.csv", tmp_path / "customers.csv")
    config = write_config(tmp_path, "client: only customers\ndata:\n  customers: {path: customers.csv}\n")
    assert main(["run", str(config), "--out", str(tmp_path / "run")]) == 0
    run = tmp_path / "run"
    segments = pd.read_csv(run / "segments.csv")
    assert len(segments) == 1000 and (segments["segment"] != 0).all()
    assert pd.read_csv(run / "lifecycle.csv")["stage"].isna().all()
    html = (run / "report.html").read_text(encoding="utf-8")
    # a section whose data are absent is one line saying so, not its method text
    import re

    for anchor, line in [("positioning", "No brand ratings were supplied, so the positioning "
                                         "could not be measured."),
                         ("lifecycle", "There is no purchase history, so the lifecycle stages "
                                       "could not be measured.")]:
        section = html[html.index(f'id="{anchor}"'):]
        section = section[:section.index("</section>")]
        assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).strip().endswith(line)
        assert section.count("<p>") == 1 and "<table" not in section and "<img" not in section
    workbook = (run / "workbook.html").read_text(encoding="utf-8")
    assert "No brand ratings" in workbook and "No transactions in this run" in workbook
    assert not (run / "positioning.csv").exists()


def test_transactions_only_run_completes(demo_dir, tmp_path):
    shutil.copy(demo_dir / "orders.csv", tmp_path / "orders.csv")
    config = write_config(tmp_path, "client: only orders\ndata:\n  transactions:\n"
                          "    path: orders.csv\n    columns: {date: timestamp}\n")
    assert main(["run", str(config), "--out", str(tmp_path / "run")]) == 0
    lifecycle = pd.read_csv(tmp_path / "run" / "lifecycle.csv")
    # without a customers file, every customer bought at least once: nobody is at the
    # awareness or engagement stage; those whose every order was returned count as lapsed
    assert not lifecycle["stage"].isin(["Awareness", "Engagement & evaluation"]).any()
    ledger = pd.read_csv(tmp_path / "run" / "data_quality.csv")
    emptied = ledger.loc[ledger["rule"].str.startswith("customers whose every order"), "rows"]
    assert (lifecycle["stage"] == "Lapsed").sum() >= (emptied.sum() if len(emptied) else 0)
    assert json.loads((tmp_path / "run" / "personas.json").read_text())


def test_failed_stage_stops_the_run_without_a_report(demo_dir, tmp_path, monkeypatch, capsys):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    book = nbformat.read(notebooks / "03_targeting.ipynb", as_version=4)
    book.cells.append(nbformat.v4.new_code_cell('raise RuntimeError("planted failure")'))
    nbformat.write(book, notebooks / "03_targeting.ipynb")
    monkeypatch.setenv("SEGLIB_NOTEBOOKS", str(notebooks))
    out = tmp_path / "run"
    assert main(["run", str(demo_dir / "config.yaml"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "03_targeting.ipynb" in err and "RuntimeError: planted failure" in err
    assert "Traceback" not in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert [s["status"] for s in manifest["stages"]] == ["ok", "ok", "failed"]
    assert not (out / "report.html").exists()


def test_bad_data_found_in_a_stage_exits_2_and_leaves_input_alone(demo_dir, tmp_path, capsys):
    orders = pd.read_csv(demo_dir / "orders.csv", dtype=str)
    orders.loc[5, "amount"] = "twelve"
    orders.to_csv(tmp_path / "orders.csv", index=False)
    before = file_hash(tmp_path / "orders.csv")
    config = write_config(tmp_path, "client: bad\ndata:\n  transactions:\n"
                          "    path: orders.csv\n    columns: {date: timestamp}\n")
    out = tmp_path / "run"
    assert main(["run", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "orders.csv" in err and "'amount'" in err and "data row 6" in err and "'twelve'" in err
    assert file_hash(tmp_path / "orders.csv") == before
    assert not (out / "report.html").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"


def _summary_lines(report: str) -> list[str]:
    import html as html_module
    import re

    section = report[report.index('<section class="executive-summary"'):]
    section = section[:section.index("</section>")]
    return [html_module.unescape(re.sub(r"<[^>]+>", "", item))
            for item in re.findall(r"<li>(.*?)</li>", section, flags=re.S)]


def test_executive_summary_comes_first_and_its_numbers_equal_the_run_files(demo_run):
    from seglib import i18n

    report = (demo_run / "report.html").read_text(encoding="utf-8")
    assert report.index('class="executive-summary"') < report.index('class="toc"') \
        < report.index('class="finding"')
    lines = _summary_lines(report)
    profiles = pd.read_csv(demo_run / "segment_profiles.csv")
    targeting = pd.read_csv(demo_run / "targeting.csv").set_index("segment")
    for row in profiles[profiles["segment"] != 0].itertuples():
        expected = (f"{row.segment_name}: {row.customers:,} customers "
                    f"({i18n.percent(row.share, 'en')} of customers), "
                    f"{i18n.percent(targeting.loc[row.segment, 'revenue_share'], 'en')} of revenue.")
        assert expected in lines, (expected, lines)
    for _, row in targeting[targeting["selected"]].iterrows():
        line = next(x for x in lines if x.startswith(f"{row.segment_name} (rank {int(row['rank'])},"))
        assert f"attractiveness {row.attractiveness:.1f} of 10" in line
        assert i18n.money(row.clv_mean, "USD", "en") in line
        assert "campaign" not in line   # the demo gives no costs per contact: none stated
    customers = pd.read_parquet(demo_run / "customers.parquet")
    lead = report[report.index('<p class="lead">'):].split("</p>")[0]
    assert f"{len(customers):,} customers" in lead
    assert i18n.money(customers["revenue"].sum(), "USD", "en") in lead
    personas = json.loads((demo_run / "personas.json").read_text())
    for persona in personas:
        assert f"{persona['name']} stands for {persona['segment_name']} " \
               f"({persona['customers']:,} customers)." in lines
    # the run's facts are an appendix, not the cover
    cover = report[:report.index('class="executive-summary"')]
    assert "seed" not in cover.lower() and "About this run" in report[-3000:]


def test_executive_summary_states_campaign_value_only_with_the_clients_costs(demo_run):
    from seglib import i18n
    from seglib.summary import executive_summary

    summary = executive_summary(demo_run, locale="en", currency="USD", campaign_costs=True)
    targeting = pd.read_csv(demo_run / "targeting.csv")
    for _, row in targeting[targeting["selected"]].iterrows():
        line = next(x for x in summary.block("targets").lines if x.startswith(row.segment_name))
        assert (f"expected to add {i18n.money(row.expected_value, 'USD', 'en')} of margin for "
                f"a cost of {i18n.money(row.campaign_cost, 'USD', 'en')}") in line


def test_executive_summary_in_vietnamese(demo_run):
    from seglib.summary import executive_summary, to_html

    summary = executive_summary(demo_run, locale="vi", currency="VND")
    page = to_html(summary)
    assert "Tóm tắt cho ban lãnh đạo" in page and "Khách hàng là ai" in page
    assert "₫" in summary.lead and "customers" not in summary.lead
    for block in summary.blocks:
        assert not any(word in block.heading for word in ("Who", "Whom", "How", "The "))
