"""Transactions to customers, as one declarative SQL definition that DuckDB runs.

The heavy part of data collection (millions of order lines) is written here once,
as SQL over a table of canonical transaction lines, so that DuckDB runs it
out of core on one machine and a distributed SQL engine could run the same text
later. pandas only sees the result: one row per customer.

Input: a table ``tx_in`` of canonical lines, with ``row_no`` (1-based data row),
``customer_id`` (text or NULL), ``order_id`` (text), ``date`` (timestamp),
``amount`` (double) and, when the client has them, ``quantity``, ``unit_price``,
``margin``, ``channel``, ``category``, ``special_occasion``, ``returned`` and
``cancelled``; other columns ride along untouched.

1. :func:`flag_lines` gives every line exactly one ``status``: the first rule in
   :data:`STATUS_RULES` that applies to it. The data-quality ledger is the count
   and value of lines per status, so every line read is accounted for once.
2. :data:`CUSTOMER_SQL` turns the lines into one row per customer.
   :data:`CLV_SQL`, the customer-lifetime-value summary, is part of it and is
   also what :func:`rfm_summary` runs on its own.

Money is summed as DECIMAL(18, 6): exact, so the totals do not depend on the
order in which DuckDB's threads add them up (same data, same bytes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

#: Exact money type: sums of DECIMAL are the same whatever the order of addition.
MONEY = "DECIMAL(18, 6)"

#: Line statuses in priority order: a line takes the first one that applies.
#: (status, ledger rule, what happens to the lines).
STATUS_RULES: tuple[tuple[str, str, str], ...] = (
    ("duplicate", "exact duplicate lines", "removed (the first copy is kept)"),
    ("future", "dated on or after the end of observation", "excluded"),
    ("test_account", "test accounts (collect.test_accounts)", "excluded"),
    ("zero_price", "zero or negative price", "excluded"),
    ("no_customer", "no customer id",
     "kept in revenue totals, excluded from customer features"),
    ("refund", "cancellations and refunds (negative quantity or amount)",
     "netted against the customer's revenue; not counted as orders"),
    ("cancelled", "cancelled orders (cancelled flag or status, collect.cancelled_orders)",
     "excluded: the order did not happen (not netted against other orders)"),
    ("returned", "returned orders (returned flag)",
     "excluded from revenue and order counts; counted in returns_rate"),
    ("purchase", "purchases kept", "used for the customer features"),
)


@dataclass(frozen=True)
class Rules:
    """The cleaning parameters that the SQL needs (from the config's collect section)."""

    as_of: pd.Timestamp | None = None
    test_accounts: tuple[str, ...] = ()
    cancelled_orders: str | None = None
    outlier_iqr: float = 3.0
    cap_outliers: bool = False
    row_order_ids: bool = False
    #: order ids given, each on one line: the lines are the orders (and none can repeat)
    single_line_orders: bool = False
    has_test_ids: bool = False

    @property
    def lines_are_orders(self) -> bool:
        """True when every line is an order of its own (no grouping of lines into orders)."""
        return self.row_order_ids or self.single_line_orders


def glob_to_like(pattern: str) -> str:
    r"""``test*`` -> ``test%``: a shell-style pattern as a SQL LIKE pattern (``\`` escapes)."""
    out = []
    for ch in pattern:
        if ch in "%_\\":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def status_sql(columns: list[str], rules: Rules) -> str:
    """The CASE expression that gives a line its status (see :data:`STATUS_RULES`)."""
    has = set(columns)
    future = (f"date >= TIMESTAMP {_quote(str(rules.as_of))}" if rules.as_of is not None
              else "FALSE")
    tests = [f"CAST(customer_id AS VARCHAR) ILIKE {_quote(glob_to_like(p))} ESCAPE '\\'"
             for p in rules.test_accounts]
    if rules.has_test_ids:
        tests.append("CAST(customer_id AS VARCHAR) IN (SELECT customer_id FROM test_ids)")
    tests = tests or ["FALSE"]
    price = "amount = 0"
    if "unit_price" in has:
        price = "(unit_price <= 0 OR amount = 0)"
    refund = ["amount < 0"]
    if "quantity" in has:
        refund.append("quantity < 0")
    cancelled = ["FALSE"]
    if "cancelled" in has:
        cancelled.append("coalesce(cancelled, FALSE)")
    if rules.cancelled_orders and not rules.row_order_ids:
        cancelled.append(f"order_id ILIKE {_quote(glob_to_like(rules.cancelled_orders))} "
                         f"ESCAPE '\\'")
    returned = "coalesce(returned, FALSE)" if "returned" in has else "FALSE"
    duplicate = ("" if rules.single_line_orders else
                 "WHEN row_no IN (SELECT row_no FROM dup_rows) THEN 'duplicate'\n        ")
    return f"""CASE
        {duplicate}WHEN {future} THEN 'future'
        WHEN {' OR '.join(tests)} THEN 'test_account'
        WHEN {price} THEN 'zero_price'
        WHEN customer_id IS NULL THEN 'no_customer'
        WHEN {' OR '.join(refund)} THEN 'refund'
        WHEN {' OR '.join(cancelled)} THEN 'cancelled'
        WHEN {returned} THEN 'returned'
        ELSE 'purchase' END"""


def flag_lines(con: duckdb.DuckDBPyConnection, rules: Rules) -> None:
    """Create view ``tx``: every line of ``tx_in`` with its ``status``.

    The status is computed where the lines are read (a view, not a second copy of
    ten million lines): its rules are comparisons, and the duplicates a small table.

    Lines are exact duplicates when every column but ``row_no`` is equal (and,
    when order ids are only row numbers, ``order_id`` is left out as well); the
    first copy is kept. Candidates are found by a hash of the line, then
    compared column by column, so that a million distinct lines cost one pass.
    When every order id is on one line, no two lines can be equal: no pass at all.
    """
    columns = [row[0] for row in con.execute("DESCRIBE tx_in").fetchall()]
    if rules.single_line_orders:
        con.execute("CREATE OR REPLACE TEMP TABLE dup_rows AS SELECT row_no FROM tx_in "
                    "WHERE FALSE")
        con.execute(f"CREATE OR REPLACE TEMP VIEW tx AS SELECT *, "
                    f"{status_sql(columns, rules)} AS line_status FROM tx_in")
        return
    compared = ", ".join(_ident(c) for c in columns if c != "row_no"
                         and not (c == "order_id" and rules.row_order_ids))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE dup_rows AS
        WITH hashed AS (SELECT row_no, hash({compared}) AS h FROM tx_in),
        repeated AS (SELECT h FROM hashed GROUP BY h HAVING count(*) > 1),
        candidates AS (
            SELECT tx_in.* FROM tx_in JOIN hashed USING (row_no)
            WHERE hashed.h IN (SELECT h FROM repeated)
        )
        SELECT row_no FROM (
            SELECT row_no, row_number() OVER (PARTITION BY {compared} ORDER BY row_no) AS copy
            FROM candidates)
        WHERE copy > 1
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW tx AS
        SELECT *, {status_sql(columns, rules)} AS line_status FROM tx_in
    """)


def status_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Lines, value and up to three example ids per status (in :data:`STATUS_RULES` order).

    The examples are the first lines of each status in the file's order; those of
    the kept purchases (most lines) come from the first purchase lines, so that
    ten million purchases are not ranked to show three.
    """
    columns = {row[0] for row in con.execute("DESCRIBE tx").fetchall()}
    example = ("coalesce(CAST(order_id AS VARCHAR), CAST(customer_id AS VARCHAR))"
               if "order_id" in columns
               else "'row ' || CAST(row_no AS VARCHAR)")
    table = con.execute(f"""
        SELECT line_status AS status, count(*) AS rows,
               CAST(sum(CAST(amount AS {MONEY})) AS DOUBLE) AS revenue
        FROM tx GROUP BY line_status
    """).df()
    examples = dict(con.execute(f"""
        SELECT line_status, min_by({example}, row_no, 3) FROM tx
        WHERE line_status <> 'purchase' GROUP BY line_status
    """).fetchall())
    examples["purchase"] = [row[0] for row in con.execute(
        f"SELECT {example} FROM (SELECT * FROM tx WHERE line_status = 'purchase' LIMIT 3) "
        f"ORDER BY row_no").fetchall()]
    table["examples"] = table["status"].map(lambda status: list(examples.get(status, [])))
    order = {status: i for i, (status, _, _) in enumerate(STATUS_RULES)}
    return table.sort_values("status", key=lambda s: s.map(order)).reset_index(drop=True)


#: The smallest spread of log order values the outlier rule assumes (a factor of 2): with
#: most orders at one price, the IQR is 0 and every dearer order would look extreme.
MIN_LOG_SPREAD = math.log(2)


#: Above this many orders, the quartiles of the outlier rule come from a fixed sample.
QUANTILE_SAMPLE = 1_000_000


def outlier_cap(con: duckdb.DuckDBPyConnection, iqr: float) -> float | None:
    """Order value above which an order is an outlier: far out on the log scale.

    The bound is ``exp(Q3 + iqr * max(Q3 - Q1, log 2))`` of the log order values
    of the kept purchases: order values are heavy-tailed, so the usual IQR rule on
    the raw values would flag every large but ordinary order; and the spread is
    at least a factor of 2, so that a shop selling mostly one product at one
    price does not call its second product an outlier. With ``iqr = 3`` an order
    is an outlier when it is more than 8 times the upper quartile even for such
    shops. The bound is rounded up to the money precision (a millionth).

    Above :data:`QUANTILE_SAMPLE` orders the quartiles are those of a fixed
    one-in-k sample of the orders, chosen by a hash of the order (the same sample
    on every run): a million orders pin a quartile to well within a percent.
    """
    orders, = con.execute("SELECT count(*) FROM orders WHERE raw_value > 0").fetchall()[0]
    sample = ""
    if orders > QUANTILE_SAMPLE:
        k = math.ceil(orders / QUANTILE_SAMPLE)
        sample = f" AND hash(customer_id, order_id) % {k} = 0"
    q1, q3 = con.execute(f"""
        SELECT quantile_cont(ln(raw_value), 0.25), quantile_cont(ln(raw_value), 0.75)
        FROM orders WHERE raw_value > 0{sample}
    """).fetchall()[0]
    if q1 is None:
        return None
    bound = math.exp(q3 + iqr * max(q3 - q1, MIN_LOG_SPREAD))
    return math.ceil(bound * 1e6) / 1e6


#: The customer-lifetime-value summary over a relation ``purchases(customer_id,
#: date, value)`` of kept purchases, in the conventions of the CLV literature
#: (lifetimes, pymc-marketing) with daily periods: ``frequency`` = number of days
#: with a purchase after the first one (repeat purchases); ``recency`` = days from
#: the first to the last purchase day (the customer's age at the last purchase);
#: ``T`` = days from the first purchase day to the end of observation (the
#: customer's age); ``monetary_value`` = mean value of the repeat purchase days
#: (0 for customers without a repeat purchase).
CLV_SQL = """
    clv_days AS (
        SELECT customer_id, date_trunc('{unit}', date) AS day, sum(value) AS value
        FROM purchases GROUP BY customer_id, day
    ),
    clv AS (
        SELECT customer_id,
               count(*) - 1 AS frequency,
               date_diff('{unit}', min(day), max(day)) AS recency,
               date_diff('{unit}', min(day), date_trunc('{unit}', CAST($as_of_day AS TIMESTAMP)))
                   AS "T",
               CASE WHEN count(*) > 1
                    THEN CAST((sum(value) - arg_min(value, day)) AS DOUBLE) / (count(*) - 1)
                    ELSE 0 END AS monetary_value
        FROM clv_days GROUP BY customer_id
    )"""


def orders_sql(columns: list[str], rules: Rules) -> str:
    """The SQL of table ``orders``: kept purchases, one row per order.

    When the client gave no order ids, or every order id is on one line, every
    line is an order of its own, and the lines are taken as they are (no grouping
    of ten million single lines).
    """
    has = set(columns)
    value = f"CAST(amount AS {MONEY})"
    if rules.lines_are_orders:
        order = "row_no" if rules.row_order_ids else "order_id"
        cols = ["customer_id", f"{order} AS order_id", "date", f"{value} AS raw_value"]
        cols += [f"CAST(margin AS {MONEY}) AS margin"] if "margin" in has else []
        cols += ["channel"] if "channel" in has else []
        cols += (["coalesce(special_occasion, FALSE) AS special_occasion"]
                 if "special_occasion" in has else [])
        return f"SELECT {', '.join(cols)} FROM tx WHERE line_status = 'purchase'"
    cols = ["customer_id", "order_id", "min(date) AS date", f"sum({value}) AS raw_value"]
    if "margin" in has:
        cols.append(f"sum(CAST(margin AS {MONEY})) AS margin")
    if "channel" in has:
        cols.append("min_by(channel, row_no) AS channel")
    if "special_occasion" in has:
        cols.append("bool_or(coalesce(special_occasion, FALSE)) AS special_occasion")
    return (f"SELECT {', '.join(cols)} FROM tx WHERE line_status = 'purchase' "
            f"GROUP BY customer_id, order_id")


#: Periods of the CLV summary: ``freq`` as in lifetimes / pandas, and DuckDB's unit.
PERIODS = {"D": "day", "W": "week", "M": "month"}


def customer_sql(columns: list[str], categories: list[str], rules: Rules) -> str:
    """The SQL that turns flagged lines ``tx`` and table ``orders`` into one row per customer.

    Parameters: ``$as_of`` (timestamp: end of observation), ``$as_of_day`` (its
    day), ``$cap`` (outlier bound; NULL for none).
    """
    has = set(columns)
    value = f"CAST(amount AS {MONEY})"
    kept = ("least(raw_value, CAST($cap AS DOUBLE))" if rules.cap_outliers
            else "raw_value")
    per = [
        "count(*) AS n_orders",
        "CAST(sum(value) AS DOUBLE) AS gross_revenue",
        "min(date) AS first_purchase",
        "max(date) AS last_purchase",
        "count(*) FILTER (WHERE outlier) AS outlier_orders",
    ]
    if "margin" in has:
        per.append("CAST(sum(margin) AS DOUBLE) AS margin")
    if "channel" in has:
        for channel in ("online", "store", "phone"):
            per.append(f"avg(CASE WHEN channel = '{channel}' THEN 1.0 ELSE 0.0 END) "
                       f"AS {channel}_share")
    if "special_occasion" in has:
        per.append("avg(CASE WHEN special_occasion THEN 1.0 ELSE 0.0 END) "
                   "AS special_occasion_share")
    category = ""
    category_cols = ""
    if "category" in has:
        shares = ",\n".join(
            f"coalesce(CAST(sum({value}) FILTER (WHERE category = {_quote(c)}) AS DOUBLE), 0) "
            f"/ nullif(CAST(sum({value}) AS DOUBLE), 0) AS {_ident(column)}"
            for c, column in category_columns(categories).items())
        category = f""",
    cat_spend AS (
        SELECT customer_id, category, sum({value}) AS spend FROM tx
        WHERE line_status = 'purchase' AND category IS NOT NULL GROUP BY customer_id, category
    ),
    cats AS (
        SELECT customer_id, first(category ORDER BY spend DESC, category) AS favourite_category
        FROM cat_spend GROUP BY customer_id
    ),
    cat_shares AS (
        SELECT customer_id{',' if shares else ''}
        {shares}
        FROM tx WHERE line_status = 'purchase' GROUP BY customer_id
    )"""
        category_cols = "cats.favourite_category, cat_shares.* EXCLUDE (customer_id),"
    returned = ""
    returned_cols = ""
    if "returned" in has:
        returned = f""",
    returned AS (
        SELECT customer_id, count(DISTINCT {'row_no' if rules.row_order_ids else 'order_id'})
               AS returned_orders FROM tx
        WHERE line_status = 'returned' GROUP BY customer_id
    )"""
        returned_cols = ("CAST(coalesce(returned.returned_orders, 0) AS DOUBLE) / "
                         "nullif(coalesce(per.n_orders, 0) + coalesce(returned.returned_orders, 0)"
                         ", 0) AS returns_rate,")
    margin_cols = ("per.margin, per.margin / nullif(per.gross_revenue, 0) AS margin_rate,"
                   if "margin" in has else "")
    per_cols = [c.rsplit(" AS ", 1)[1] for c in per
                if c.rsplit(" AS ", 1)[1].endswith("_share")]
    return f"""
    WITH valued AS (
        SELECT *, coalesce(raw_value > CAST($cap AS DOUBLE), FALSE) AS outlier,
               CAST({kept} AS {MONEY}) AS value
        FROM orders
    ),
    purchases AS (SELECT customer_id, date, value FROM valued),
    {CLV_SQL.strip().replace('{unit}', 'day')},
    per AS (
        SELECT customer_id, {', '.join(per)} FROM valued GROUP BY customer_id
    ),
    refunds AS (
        SELECT customer_id, CAST(sum(abs(CAST(amount AS {MONEY}))) AS DOUBLE) AS refunds
        FROM tx WHERE line_status = 'refund' GROUP BY customer_id
    ){category}{returned},
    everyone AS (
        SELECT customer_id FROM per UNION SELECT customer_id FROM refunds
        {'UNION SELECT customer_id FROM returned' if returned else ''}
    )
    SELECT CAST(everyone.customer_id AS VARCHAR) AS customer_id,
           coalesce(per.n_orders, 0) AS n_orders,
           coalesce(per.gross_revenue, 0)
               - least(coalesce(refunds.refunds, 0), coalesce(per.gross_revenue, 0)) AS revenue,
           coalesce(per.gross_revenue, 0) AS gross_revenue,
           coalesce(refunds.refunds, 0) AS refunds,
           per.gross_revenue / nullif(per.n_orders, 0) AS avg_order_value,
           per.first_purchase, per.last_purchase,
           date_diff('day', per.last_purchase, CAST($as_of AS TIMESTAMP)) AS recency_days,
           date_diff('day', per.first_purchase, CAST($as_of AS TIMESTAMP)) AS tenure_days,
           per.n_orders / (greatest(date_diff('day', per.first_purchase,
                                              CAST($as_of AS TIMESTAMP)), 30) / 365.0)
               AS orders_per_year,
           clv.frequency + 1 AS purchase_days,
           CASE WHEN clv.frequency > 0 THEN clv.recency / clv.frequency END
               AS mean_days_between_purchases,
           coalesce(per.n_orders, 0) > 1 AS repeat_customer,
           {margin_cols}
           {', '.join(f'per.{c}' for c in per_cols)}{',' if per_cols else ''}
           {returned_cols}
           {category_cols}
           CAST(coalesce(refunds.refunds, 0) AS DOUBLE)
               / nullif(per.gross_revenue, 0) AS refund_rate,
           coalesce(per.outlier_orders, 0) AS outlier_orders,
           clv.frequency AS clv_frequency, clv.recency AS clv_recency, clv."T" AS clv_T,
           clv.monetary_value AS clv_monetary_value
    FROM everyone
    LEFT JOIN per USING (customer_id)
    LEFT JOIN clv USING (customer_id)
    LEFT JOIN refunds USING (customer_id)
    {'LEFT JOIN cats USING (customer_id) LEFT JOIN cat_shares USING (customer_id)'
     if category else ''}
    {'LEFT JOIN returned USING (customer_id)' if returned else ''}
    ORDER BY 1
    """


def category_columns(categories: list[str]) -> dict[str, str]:
    """Column name of each category's revenue share: ``category_share_<name>``.

    Accents are dropped (``Bánh`` -> ``banh``, ``Đồ gia dụng`` -> ``do_gia_dung``)
    and a name taken twice gets ``_2``, ``_3``.
    """
    import re
    import unicodedata

    names: dict[str, str] = {}
    for category in categories:
        plain = unicodedata.normalize("NFKD", str(category).lower().replace("đ", "d"))
        plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
        slug = re.sub(r"[^0-9a-z]+", "_", plain).strip("_") or "blank"
        name, k = f"category_share_{slug}", 2
        while name in names.values():
            name, k = f"category_share_{slug}_{k}", k + 1
        names[category] = name
    return names


#: At most this many categories get a share column; the rest count in no column.
MAX_CATEGORY_COLUMNS = 8


def top_categories(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The categories with the most purchase revenue (at most :data:`MAX_CATEGORY_COLUMNS`)."""
    rows = con.execute(f"""
        SELECT category FROM tx WHERE line_status = 'purchase' AND category IS NOT NULL
        GROUP BY category ORDER BY sum(CAST(amount AS {MONEY})) DESC, category
        LIMIT {MAX_CATEGORY_COLUMNS}
    """).fetchall()
    return [row[0] for row in rows]


def customer_table(con: duckdb.DuckDBPyConnection, rules: Rules,
                   as_of: pd.Timestamp) -> tuple[pd.DataFrame, float | None]:
    """One row per customer from the flagged lines ``tx``, and the outlier bound used."""
    columns = [row[0] for row in con.execute("DESCRIBE tx").fetchall()]
    categories = top_categories(con) if "category" in columns else []
    # lines that are orders already are read in place; grouped orders are kept once
    kind = "VIEW" if rules.lines_are_orders else "TABLE"
    con.execute(f"DROP VIEW IF EXISTS orders; DROP TABLE IF EXISTS orders; "
                f"CREATE TEMP {kind} orders AS {orders_sql(columns, rules)}")
    cap = outlier_cap(con, rules.outlier_iqr)
    sql = customer_sql(columns, categories, rules)
    params = {"as_of": as_of.to_pydatetime(), "as_of_day": as_of.normalize().to_pydatetime(),
              "cap": cap}
    # through Arrow: text ids arrive as pandas strings without a Python object per id
    table = con.sql(sql, params=params).to_arrow_table().to_pandas()
    return table, cap


def rfm_summary(transactions: pd.DataFrame | str | Path, *, customer_id: str = "customer_id",
                date: str = "date", amount: str = "amount",
                as_of: pd.Timestamp | str | None = None, freq: str = "D") -> pd.DataFrame:
    """Summarise transactions for customer-lifetime-value models, one row per customer.

    The conventions are those of the CLV literature (lifetimes'
    ``summary_data_from_transaction_data`` and pymc-marketing's ``rfm_summary``
    with ``freq="D"``), computed by the same SQL as the customer table
    (:data:`CLV_SQL`):

    - ``frequency``: days with a purchase after the first one (repeat purchases);
    - ``recency``: days from the first to the last purchase day (the customer's
      age at the last purchase; 0 for one-time buyers);
    - ``T``: days from the first purchase day to the end of observation;
    - ``monetary_value``: mean value of the repeat purchase days (the first
      day left out), 0 without repeat purchases.

    With ``freq="W"`` or ``"M"`` the periods are weeks (Monday to Sunday) or
    calendar months instead of days.

    Parameters
    ----------
    transactions : DataFrame or path
        Purchase lines (already cleaned), or a Parquet file of them.
    customer_id, date, amount : str
        Their column names.
    as_of : Timestamp, optional
        End of observation; default: the day of the last purchase.
    freq : {"D", "W", "M"}
        The purchase period: day, week or month.

    Returns
    -------
    DataFrame
        Indexed by customer id, sorted, with ``frequency``, ``recency``, ``T``
        and ``monetary_value``.
    """
    if freq not in PERIODS:
        raise ValueError(f"freq must be one of {', '.join(PERIODS)}; got {freq!r}")
    con = duckdb.connect()
    if isinstance(transactions, str | Path):
        source = f"read_parquet({_quote(str(transactions))})"
    else:
        con.register("tx_frame", transactions)
        source = "tx_frame"
    con.execute(f"""
        CREATE TEMP VIEW purchases AS
        SELECT {_ident(customer_id)} AS customer_id, CAST({_ident(date)} AS TIMESTAMP) AS date,
               CAST({_ident(amount)} AS {MONEY}) AS value
        FROM {source}
    """)
    if as_of is None:
        as_of = con.execute("SELECT max(date) FROM purchases").fetchall()[0][0]
    day = pd.Timestamp(as_of).normalize().to_pydatetime()
    table = con.execute(
        f"WITH {CLV_SQL.strip().replace('{unit}', PERIODS[freq])} SELECT * FROM clv "
        f"ORDER BY customer_id", {"as_of_day": day}
    ).df()
    con.close()
    return table.set_index("customer_id")
