"""Stage 5, personas: give each target segment a human face.

A persona is built from its segment's members only: every trait carries the
statistic behind it (``evidence``), so nothing is invented. The name is made
up, drawn from a list of first names for the run's locale; it is never taken
from the client's data.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from seglib.errors import DataError

#: Made-up first names per locale and gender ("other" draws from both).
FIRST_NAMES = {
    "en": {"female": ("Sarah", "Maya", "Priya", "Grace", "Nina", "Ruth", "Chloe", "Ivy"),
           "male": ("Joe", "Tom", "Leo", "Sam", "Omar", "Ethan", "Marcus", "Daniel")},
    "vi": {"female": ("Lan", "Thảo", "Mai", "Linh", "Ngọc", "Hà", "Trang", "Vy"),
           "male": ("Minh", "Huy", "Tuấn", "Khoa", "Phúc", "Quân", "Bảo", "Duy")},
}
CHANNEL_WORDS = {"online": "online", "store": "in store", "phone": "by phone"}


def _share_text(share: float) -> str:
    return f"{share:.0%}"


def _numeric(table: pd.DataFrame, column: str) -> bool:
    """True when the column is present, numeric and not all missing."""
    return (column in table and pd.api.types.is_numeric_dtype(table[column])
            and not pd.api.types.is_bool_dtype(table[column]) and table[column].notna().any())


#: Columns the standard traits already describe; other clustering features get their own line.
_COVERED = {"age", "income", "household_size", "online_share", "store_share", "phone_share",
            "orders_per_year", "avg_order_value", "special_occasion_share", "web_savviness",
            "social_followers"}


#: Plain-word labels for clustering features; others get their name with spaces.
FEATURE_LABELS = {
    "n_orders": "Orders",
    "frequency": "Orders",
    "revenue": "Revenue",
    "monetary": "Revenue",
    "margin": "Margin",
    "recency_days": "Days since last order",
    "tenure_days": "Days as a customer",
    "margin_rate": "Margin rate",
    "returns_rate": "Returns rate",
    "discount_share": "Share of orders on discount",
    "service_effort": "Service effort (1-10)",
    "service_contacts": "Support contacts",
    "web_sessions": "Web sessions",
    "clv_12m": "Expected value, next 12 months",
}


def feature_label(feature: str) -> str:
    """The trait label of a clustering feature ("recency_days" -> "Days since last order")."""
    label = FEATURE_LABELS.get(feature, feature.replace("_", " "))
    return label[:1].upper() + label[1:]


def _is_share(feature: str) -> bool:
    """True for features that are shares of a whole (shown as percentages)."""
    return feature.endswith(("_share", "_rate"))


def _mode(values: pd.Series) -> tuple[str | None, float]:
    counts = values.dropna().astype(str).value_counts()
    if counts.empty:
        return None, 0.0
    top = counts.sort_index().sort_values(ascending=False, kind="stable")
    return str(top.index[0]), float(top.iloc[0] / counts.sum())


def persona_names(genders: dict[int, str | None], locale: str, seed: int) -> dict[int, str]:
    """Distinct made-up first names, one per segment, matching the segment's main gender.

    Reproducible from the seed; never taken from the client's data.
    """
    names = FIRST_NAMES.get(locale, FIRST_NAMES["en"])
    rng = np.random.default_rng(seed)
    pools = {g: [pool[i] for i in rng.permutation(len(pool))] for g, pool in names.items()}
    mixed = [n for pair in zip(pools["female"], pools["male"], strict=True) for n in pair]
    used: set[str] = set()
    chosen = {}
    for seg in sorted(genders):
        gender = (genders[seg] or "").lower()
        pool = pools.get(gender, mixed)
        name = next((n for n in pool + mixed if n not in used), f"Persona {seg}")
        used.add(name)
        chosen[seg] = name
    return chosen


def build_persona(members: pd.DataFrame, base: pd.DataFrame, name: str,
                  currency: str = "", features: list[str] | None = None) -> dict:
    """One persona from a segment's members; ``base`` is the whole customer table.

    Returns a dict with ``name``, ``summary`` and ``traits`` (a list of
    ``{"trait", "value", "evidence"}``) plus ``actions`` (what to send them,
    when, through which channel).
    """
    traits = []

    def add(trait: str, value: str, evidence: str) -> None:
        traits.append({"trait": trait, "value": value, "evidence": evidence})

    n = len(members)
    facts: dict[str, float | str] = {}
    if _numeric(members, "age"):
        age = float(members["age"].median())
        facts["age"] = age
        add("Age", f"{age:.0f}", f"median age of the {n:,} customers in the segment")
    if "gender" in members:
        gender, share = _mode(members["gender"])
        if gender:
            add("Gender", gender, f"{_share_text(share)} of the segment")
    if "occupation" in members:
        job, share = _mode(members["occupation"])
        if job:
            add("Occupation", job, f"most common occupation, {_share_text(share)} of the segment")
    if _numeric(members, "income"):
        income = float(members["income"].median())
        base_income = float(base["income"].median())
        add("Income", f"{income:,.0f} {currency}".strip(),
            f"median yearly income ({income / base_income:.0%} of the customer base's median)")
    if "city" in members:
        city, share = _mode(members["city"])
        if city:
            add("Lives in", city, f"{_share_text(share)} of the segment live there")
    if _numeric(members, "household_size"):
        add("Household", f"{members['household_size'].median():.0f} people",
            "median household size")
    shares = {c: float(members[f"{c}_share"].mean()) for c in CHANNEL_WORDS
              if _numeric(members, f"{c}_share")}
    if shares:
        ranked = sorted(shares, key=shares.get, reverse=True)
        top = ranked[0]
        facts["channel"], facts["channel_share"] = top, shares[top]
        if shares[top] >= 0.55 or len(ranked) == 1:
            add("Buys", CHANNEL_WORDS[top], f"{_share_text(shares[top])} of the segment's orders")
        else:
            second = ranked[1]
            facts["channel2"], facts["channel2_share"] = second, shares[second]
            add("Buys", f"{CHANNEL_WORDS[top]} and {CHANNEL_WORDS[second]}",
                f"{_share_text(shares[top])} and {_share_text(shares[second])} of the "
                "segment's orders")
    if _numeric(members, "orders_per_year"):
        freq = float(members["orders_per_year"].median())
        facts["orders_per_year"] = freq
        add("How often", f"about {freq:.0f} orders a year" if freq >= 1.5 else "about once a year",
            "median orders per year of tenure")
    if _numeric(members, "avg_order_value"):
        aov = float(members["avg_order_value"].median())
        base_aov = float(base["avg_order_value"].median())
        facts["aov"] = aov
        add("Spend per visit", f"{aov:,.0f} {currency}".strip(),
            f"median order value ({aov / base_aov:.0%} of the base's median)")
    if _numeric(members, "special_occasion_share"):
        occ = float(members["special_occasion_share"].mean())
        facts["occasion"] = occ
        add("Special occasions", _share_text(occ), "share of orders for a special occasion")
    if "favourite_category" in members:
        cat, share = _mode(members["favourite_category"])
        if cat:
            add("Favourite category", cat, f"top category for {_share_text(share)} of the segment")
    if _numeric(members, "web_savviness"):
        add("Web savvy", f"{members['web_savviness'].median():.0f} / 5", "median self-rating")
    if _numeric(members, "social_followers"):
        followers = float(members["social_followers"].median())
        facts["followers"] = followers
        add("Social reach", f"{followers:,.0f} followers", "median followers")
    for feature in features or []:
        if feature in _COVERED or not _numeric(members, feature):
            continue
        mean, base_mean = float(members[feature].mean()), float(base[feature].mean())
        relative = f" ({mean / base_mean:.0%} of the customer base's mean)" if base_mean else ""
        add(feature_label(feature), _share_text(mean) if _is_share(feature) else f"{mean:,.2f}",
            f"segment mean{relative}; a segmentation feature")
    name_line = name
    if "age" in facts:
        name_line = f"{name}, {facts['age']:.0f}"
    summary = _summary(name_line, facts, currency)
    return {"name": name, "title": name_line, "summary": summary, "customers": n,
            "traits": traits, "actions": _actions(facts)}


def _summary(name_line: str, facts: dict, currency: str) -> str:
    bits = [name_line]
    if "channel2" in facts:
        bits.append(f"buys {CHANNEL_WORDS[facts['channel']]} ({facts['channel_share']:.0%} of "
                    f"orders) and {CHANNEL_WORDS[facts['channel2']]} "
                    f"({facts['channel2_share']:.0%})")
    elif "channel" in facts:
        bits.append(f"buys {CHANNEL_WORDS[facts['channel']]} ({facts['channel_share']:.0%} of "
                    "orders)")
    if "orders_per_year" in facts:
        bits.append(f"about {facts['orders_per_year']:.0f} times a year")
    if "aov" in facts:
        bits.append(f"spending about {facts['aov']:,.0f} {currency}".rstrip() + " per order")
    text = ", ".join(bits) + "."
    if facts.get("occasion", 0) >= 0.4:
        text += f" Most purchases are for special occasions ({facts['occasion']:.0%})."
    if facts.get("followers", 0) >= 500:
        text += f" Has a real social following ({facts['followers']:,.0f} followers)."
    return text


def _actions(facts: dict) -> list[str]:
    actions = []
    channel = facts.get("channel")
    if "channel2" in facts:
        actions.append("One offer across channels: email with a store-pickup or in-store option.")
    elif channel == "online":
        actions.append("Weekly email with new arrivals and offers; checkout reminders online.")
    elif channel == "store":
        actions.append("Invitations to in-store events and personal service; keep email rare.")
    elif channel == "phone":
        actions.append("A named account contact who calls ahead of their usual reorder.")
    if facts.get("occasion", 0) >= 0.4:
        actions.append("Time campaigns for holidays and gifting seasons, a few weeks ahead.")
    elif facts.get("orders_per_year", 0) >= 10:
        actions.append("Reward their frequency: a loyalty tier or volume pricing.")
    if facts.get("followers", 0) >= 500:
        actions.append("Referral and review programme: they talk about what they buy.")
    return actions or ["Test a first targeted message and measure the response."]


def check_targeting_matches(targeting: pd.DataFrame, segments: pd.DataFrame) -> None:
    """Raise DataError unless every (segment, segment_name) of ``targeting`` is in ``segments``.

    Re-running 02_segment with another number of segments gives the ids new
    names; a targeting.csv from before would then describe the wrong people.
    """
    has_names = "segment_name" in segments
    current = (segments.drop_duplicates("segment").set_index("segment")["segment_name"]
               if has_names else pd.Series(None, index=segments["segment"].unique()))
    for row in targeting.itertuples():
        if row.segment not in current.index:
            found = "absent from segments"
        elif has_names and current[row.segment] != row.segment_name:
            found = f"{current[row.segment]!r} in segments"
        else:
            continue
        raise DataError(
            f"targeting.csv does not match the current segments (segment {row.segment} is "
            f"{row.segment_name!r} in targeting.csv but {found}); re-run 03_target after "
            "02_segment"
        )


def build_personas(customers: pd.DataFrame, segments: pd.DataFrame, targeting: pd.DataFrame,
                   *, locale: str = "en", seed: int = 0, max_personas: int = 6,
                   currency: str = "", features: list[str] | None = None) -> list[dict]:
    """One persona per selected target segment, best-ranked first.

    Raises
    ------
    DataError
        If a selected segment of ``targeting`` (id and name) is not in
        ``segments``: targeting.csv was written for an earlier segmentation.
    """
    table = customers.merge(segments[["customer_id", "segment"]], on="customer_id")
    chosen = targeting[targeting["selected"].astype(bool)].sort_values("rank").head(max_personas)
    check_targeting_matches(chosen, segments)
    genders = {int(seg): (_mode(table.loc[table["segment"] == seg, "gender"])[0]
                          if "gender" in table else None) for seg in chosen["segment"]}
    names = persona_names(genders, locale, seed)
    personas = []
    for row in chosen.itertuples():
        members = table[table["segment"] == row.segment]
        persona = build_persona(members, table, names[row.segment], currency, features)
        persona.update({"segment": int(row.segment), "segment_name": row.segment_name,
                        "rank": int(row.rank)})
        personas.append(persona)
    return personas


def cards_html(personas: list[dict]) -> str:
    """Printable persona cards; every text from data is HTML-escaped."""
    e = html.escape
    cards = []
    for p in personas:
        rows = "".join(
            f"<tr><th>{e(t['trait'])}</th><td>{e(t['value'])}</td>"
            f"<td class='evidence'>{e(t['evidence'])}</td></tr>" for t in p["traits"]
        )
        actions = "".join(f"<li>{e(a)}</li>" for a in p["actions"])
        cards.append(
            "<div class='persona-card'>"
            f"<h3>{e(p['title'])}</h3>"
            f"<p class='segment'>Segment: {e(p['segment_name'])} · {p['customers']:,} customers</p>"
            f"<p>{e(p['summary'])}</p><table>{rows}</table>"
            f"<p><b>What to send them</b></p><ul>{actions}</ul></div>"
        )
    style = ("<style>.persona-card{border:1px solid #bbb;border-radius:8px;padding:12px 16px;"
             "margin:12px 0;max-width:760px;page-break-inside:avoid}.persona-card h3{margin:0}"
             ".persona-card .segment{color:#555;margin-top:2px}.persona-card th{text-align:left;"
             "padding-right:12px}.persona-card .evidence{color:#666;font-size:90%}</style>")
    return style + "".join(cards)


def write_outputs(personas: list[dict], run_dir: Path) -> dict[str, Path]:
    """Write ``personas.json``."""
    path = Path(run_dir) / "personas.json"
    path.write_text(json.dumps(personas, indent=2, ensure_ascii=False), encoding="utf-8")
    return {"personas": path}
