"""The one validated config object of a run, loaded from a client's YAML file.

Every key is checked before anything runs: an unknown key, a missing file or a
wrong type ends in one :class:`~seglib.errors.ConfigError` whose lines name the
file, the key and what was expected. Whole numbers and true/false are strict: a
quoted ``"4"`` or a ``true`` where a number is expected is an error, not 4 or 1.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from seglib.errors import ConfigError

SOURCES = ("customers", "transactions", "survey", "service", "web", "brand_ratings")

#: Canonical column names a source's ``columns`` mapping may use. ``None`` means
#: any name is allowed (attributes of the customer, survey items, ...), with
#: ``customer_id`` always understood.
CANONICAL_COLUMNS: dict[str, tuple[str, ...] | None] = {
    "customers": None,
    "transactions": (
        "customer_id",
        "order_id",
        "date",
        "amount",
        "quantity",
        "unit_price",
        "channel",
        "category",
        "margin",
        "special_occasion",
        "returned",
        "cancelled",
    ),
    "survey": None,
    "service": None,
    "web": None,
    "brand_ratings": None,
}

#: Canonical columns of a customers file (one row per customer) the workbook reads by
#: name; a client column whose name differs only in case, spaces or underscores
#: (``Income``, ``Marital_Status``) is matched without a mapping. ``birth_year`` /
#: ``birth_date`` give the age at the end of observation; ``revenue``, ``n_orders``,
#: ``recency_days`` / ``last_purchase`` and ``campaign_response`` let a CRM export that
#: already sums behaviour per customer drive value segmentation, targeting and lifecycle.
CUSTOMER_COLUMNS = (
    "customer_id", "age", "birth_year", "birth_date", "gender", "income", "education",
    "occupation", "marital_status", "household_size", "city", "district",
    "distance_to_store_km", "signup_date", "referral_source", "web_savviness",
    "social_followers", "revenue", "n_orders", "recency_days", "last_purchase",
    "campaign_response",
)

#: Canonical customer columns that may be mapped to a list of the client's columns, summed:
#: spend per category (giving ``category_share_*``), orders per channel (channel shares).
SUMMED_COLUMNS = ("revenue", "n_orders")

#: Segment criteria the targeting stage computes from the data (see seglib.targeting).
TARGETING_CRITERIA = (
    "size",
    "revenue",
    "margin",
    "margin_rate",
    "revenue_per_customer",
    "orders_per_customer",
    "recency",
    "growth_customers",
    "growth_revenue",
    "clv_mean",
    "clv_total",
    "cost_to_serve",
    "reachability",
    "online_share",
    "responsiveness",
)


#: Weights used when the config gives none (restricted to the criteria the data can give).
#: Every value signal a customers file can carry is weighted (revenue, revenue per customer,
#: orders per customer, recency, past campaign response), so a run without transactions is
#: not ranked on size alone. The criteria left at 0 and why are
#: :data:`seglib.targeting.UNWEIGHTED_BY_DEFAULT`.
DEFAULT_WEIGHTS = {"size": 1.0, "revenue": 2.0, "margin": 2.0, "revenue_per_customer": 1.0,
                   "orders_per_customer": 1.0, "recency": 1.0, "clv_mean": 2.0,
                   "growth_revenue": 1.0, "growth_customers": 0.5, "cost_to_serve": 0.5,
                   "reachability": 0.5, "responsiveness": 1.0}


#: File suffixes read as Excel workbooks and as Parquet; any other file is read as CSV
#: (the same rule as :func:`seglib.collect.read_table`).
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet",)


def slugify(name: str) -> str:
    """Return ``name`` made safe for a file or folder name.

    Accents are dropped (``"Cửa hàng Đông"`` -> ``"Cua-hang-Dong"``), then runs of
    characters other than ASCII letters, digits, ``.``, ``_`` and ``-`` become one
    ``-`` (``"Acme Corp/UK"`` -> ``"Acme-Corp-UK"``); an empty result is ``"client"``.
    """
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip("-.") or "client"


def file_format(path: Path) -> Literal["excel", "parquet", "csv"]:
    """Return how a source file is read, from its last suffix."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    return "csv"


class _Strict(BaseModel):
    # Integers and booleans are typed Strict* field by field: pydantic's lax mode would
    # read `seed: true` as 1 and `n_segments: "4"` as 4. Paths and dates stay lax, since
    # YAML gives them as strings (or a date) and notebooks receive them as JSON strings.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    """Where one source file is and how its columns map to canonical names."""

    path: Path
    sheet: str | StrictInt | None = None
    sep: str | None = None
    encoding: str | None = None
    dayfirst: StrictBool | None = None
    decimal: Literal[",", "."] | None = None
    id_from_row: StrictBool = False
    #: canonical name -> the client's column; for a customers file, ``revenue`` and
    #: ``n_orders`` may name a list of columns that are summed (spend per category, orders
    #: per channel), see :data:`SUMMED_COLUMNS`
    columns: dict[str, str | list[str]] = Field(default_factory=dict)

    @field_validator("sheet", mode="before")
    @classmethod
    def _sheet_name_or_number(cls, sheet: Any) -> Any:
        if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, str | int)):
            raise ValueError(
                f"expected a sheet name or a sheet number (0 = the first); got {sheet!r}"
            )
        return sheet


class DataConfig(_Strict):
    """The client's sources; every one is optional but customers or transactions."""

    customers: SourceConfig | None = None
    transactions: SourceConfig | None = None
    survey: SourceConfig | None = None
    service: SourceConfig | None = None
    web: SourceConfig | None = None
    brand_ratings: SourceConfig | None = None

    @model_validator(mode="after")
    def _customers_or_transactions(self) -> DataConfig:
        if self.customers is None and self.transactions is None:
            raise ValueError("give at least one of 'customers' or 'transactions'")
        return self


class CollectConfig(_Strict):
    """Parameters of 01_collect."""

    as_of: date | None = None
    keep_pii: StrictBool = False
    test_accounts: list[str] = Field(default_factory=list)
    cancelled_orders: str | None = None
    outliers: Literal["flag", "cap"] = "flag"
    outlier_iqr: StrictFloat = Field(3.0, gt=0)
    channels: dict[str, Literal["online", "store", "phone"]] = Field(default_factory=dict)

    @field_validator("as_of", mode="before")
    @classmethod
    def _date_not_number(cls, as_of: Any) -> Any:
        # lax mode would read a number as Unix time (as_of: 0 -> 1970-01-01)
        if as_of is not None and not isinstance(as_of, str | date):
            raise ValueError(f"expected a date YYYY-MM-DD; got {as_of!r}")
        return as_of


SEGMENTATION_BASES = ("behavioural", "demographic", "geographic", "value", "psychographic",
                      "buying_psychology", "needs")
SEGMENTATION_METHODS = ("auto", "kmeans", "gmm", "ward", "kprototypes", "rfm", "age_groups")
CLUSTER_METHODS = ("kmeans", "gmm", "ward", "kprototypes")
RFM_COLUMNS = ("recency_days", "n_orders", "revenue")


class RFMRule(_Strict):
    """One named RFM segment: score ranges (inclusive); an omitted letter matches any score."""

    name: str = Field(min_length=1)
    r: tuple[StrictInt, StrictInt] | None = None
    f: tuple[StrictInt, StrictInt] | None = None
    m: tuple[StrictInt, StrictInt] | None = None

    @model_validator(mode="after")
    def _ranges(self) -> RFMRule:
        for letter in ("r", "f", "m"):
            span = getattr(self, letter)
            if span is not None and not 1 <= span[0] <= span[1]:
                raise ValueError(f"rule {self.name!r}: {letter} must be [low, high] with "
                                 f"1 <= low <= high; got {list(span)}")
        return self


class RFMConfig(_Strict):
    """RFM scores and the named segment rules of ``method: rfm``."""

    bins: StrictInt = Field(5, ge=2, le=10)
    cuts: dict[Literal["recency_days", "n_orders", "revenue"], list[StrictFloat]] | None = None
    rules: list[RFMRule] | None = None

    @model_validator(mode="after")
    def _cuts_fit_bins(self) -> RFMConfig:
        problems = []
        for column, cuts in (self.cuts or {}).items():
            if len(cuts) != self.bins - 1:
                problems.append(f"cuts.{column}: {self.bins} bins need {self.bins - 1} cut "
                                f"points; got {len(cuts)}")
            elif any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
                problems.append(f"cuts.{column}: cut points must be strictly ascending")
        for rule in self.rules or []:
            for letter in ("r", "f", "m"):
                span = getattr(rule, letter)
                if span is not None and span[1] > self.bins:
                    problems.append(f"rule {rule.name!r}: {letter} goes up to {span[1]} but "
                                    f"scores are 1-{self.bins} (rfm.bins)")
        names = [rule.name for rule in self.rules or []]
        if len(set(names)) != len(names):
            problems.append("rules: names must be unique")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SegmentationConfig(_Strict):
    """Parameters of 02_segment."""

    bases: list[Literal[SEGMENTATION_BASES]] | None = None  # type: ignore[valid-type]
    features: list[str] | None = None
    method: Literal[SEGMENTATION_METHODS] = "auto"  # type: ignore[valid-type]
    k_min: StrictInt = Field(2, ge=2, le=20)
    k_max: StrictInt = Field(8, ge=2, le=20)
    n_segments: StrictInt | None = Field(None, ge=2, le=20)
    min_share: StrictFloat = Field(0.05, ge=0, lt=0.5)
    min_stability: StrictFloat = Field(0.6, ge=0, le=1)
    min_orders: StrictInt = Field(2, ge=1)
    new_days: StrictInt = Field(0, ge=0)
    max_missing_share: StrictFloat = Field(0.5, ge=0, lt=1)
    silhouette_sample: StrictInt = Field(20_000, ge=500, le=50_000)
    stability_resamples: StrictInt = Field(10, ge=0, le=200)
    stability_sample: StrictInt = Field(5_000, ge=200, le=20_000)
    compare_methods: list[Literal[CLUSTER_METHODS]] | None = None  # type: ignore[valid-type]
    tree_depth: StrictInt = Field(3, ge=1, le=8)
    names: dict[str, str] = Field(default_factory=dict)
    rfm: RFMConfig = RFMConfig()
    age_groups: dict[str, tuple[StrictInt, StrictInt | None]] | None = None

    @field_validator("names", mode="before")
    @classmethod
    def _names_keys_as_text(cls, names: Any) -> Any:
        # YAML reads `names: {1: Trade buyers}` with an integer key: a segment id
        if isinstance(names, dict):
            return {str(k): v for k, v in names.items()}
        return names

    @model_validator(mode="after")
    def _consistent(self) -> SegmentationConfig:
        problems = []
        if self.k_min > self.k_max:
            problems.append(f"k_min ({self.k_min}) must not exceed k_max ({self.k_max})")
        if self.bases is not None and self.features is not None:
            problems.append("give bases or features, not both (features is an explicit list "
                            "that replaces the bases)")
        if self.features is not None and not self.features:
            problems.append("features: give at least one column, or leave it out")
        if self.bases is not None and not self.bases:
            problems.append("bases: give at least one basis, or leave it out")
        if self.method in ("rfm", "age_groups") and (self.bases or self.features):
            problems.append(f"method {self.method} segments on its own columns; leave out "
                            "bases and features")
        for name, (low, high) in (self.age_groups or {}).items():
            if low < 0 or (high is not None and high < low):
                problems.append(f"age_groups.{name}: expected [low, high] years with "
                                f"0 <= low <= high (high may be null); got [{low}, {high}]")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class CLVConfig(_Strict):
    """Customer lifetime value of 03_targeting."""

    horizon_months: StrictInt = Field(12, ge=1, le=120)
    yearly_discount: StrictFloat = Field(0.10, ge=0, le=1)
    margin: StrictFloat | None = Field(None, ge=0, le=1)  # null = the data's margin rate
    min_repeat_customers: StrictInt = Field(50, ge=10)
    min_history_days: StrictInt = Field(90, ge=1)


#: Default campaign and service costs per currency (ISO 4217 code), used when
#: ``targeting.roi`` leaves a cost out. Each is scaled to what the thing costs where the
#: currency is spent, not converted at the exchange rate alone: an email is priced by sending
#: platforms sold in dollars (about the exchange rate: 0.10 USD ~ 2,500 VND), while a phone
#: call, a letter, an hour of service and a campaign's set-up (creative, list, test: a day or
#: two of a marketer's time) are mostly local labour and postage (in Vietnam about a quarter of
#: the US cost at the exchange rate). For any other currency the costs must be given: without
#: them the campaign return is not computed, and the notebook says which keys to set.
COST_DEFAULTS: dict[str, dict[str, Any]] = {
    "USD": {"cost_per_contact": {"email": 0.10, "phone": 2.50, "mail": 1.20},
            "campaign_setup_cost": 250.0, "service_hour_cost": 30.0},
    "EUR": {"cost_per_contact": {"email": 0.10, "phone": 2.30, "mail": 1.10},
            "campaign_setup_cost": 230.0, "service_hour_cost": 28.0},
    "GBP": {"cost_per_contact": {"email": 0.08, "phone": 2.00, "mail": 0.95},
            "campaign_setup_cost": 200.0, "service_hour_cost": 24.0},
    "VND": {"cost_per_contact": {"email": 2_500.0, "phone": 15_000.0, "mail": 12_000.0},
            "campaign_setup_cost": 2_500_000.0, "service_hour_cost": 100_000.0},
}

#: The cost keys of ``targeting.roi`` that :data:`COST_DEFAULTS` fills in.
COST_KEYS = ("cost_per_contact", "campaign_setup_cost", "service_hour_cost")


class ROIConfig(_Strict):
    """Campaign and service assumptions of 03_targeting (money in the run's currency).

    A cost left out (null) is the run currency's default (:data:`COST_DEFAULTS`); for a
    currency without defaults, :meth:`costs` says which are missing and the campaign
    return is not computed.
    """

    cost_per_contact: dict[Literal["email", "phone", "mail"], StrictFloat] | None = None
    #: fixed cost of one campaign to one segment (creative, list, test), on top of contacts
    campaign_setup_cost: StrictFloat | None = Field(None, ge=0)
    #: share of the reached customers likely to lapse whom the campaign keeps
    retention_uplift: StrictFloat = Field(0.05, gt=0, le=1)
    #: share of the reached active customers who place one extra order because of it
    response_uplift: StrictFloat = Field(0.05, gt=0, le=1)
    retention_cost: StrictFloat | None = Field(None, ge=0)  # null = a fifth of acquisition
    acquisition_cost: StrictFloat | None = Field(None, ge=0)  # null = 5 x retention
    acquisition_multiplier: StrictFloat = Field(5.0, ge=1)
    service_hour_cost: StrictFloat | None = Field(None, gt=0)

    @field_validator("cost_per_contact")
    @classmethod
    def _costs(cls, costs: dict[str, float] | None) -> dict[str, float] | None:
        if costs is not None and any(c < 0 for c in costs.values()):
            raise ValueError("costs must not be negative")
        if costs is not None and not costs:
            raise ValueError("give a cost for at least one of email, phone, mail (or null for "
                             "the currency's defaults)")
        return costs

    def costs(self, currency: str | None) -> dict[str, Any]:
        """The costs to use in ``currency``: the config's, else the currency's defaults.

        Returns a dict with the three :data:`COST_KEYS` (None where neither the config
        nor the currency gives one), ``defaulted`` (the keys taken from
        :data:`COST_DEFAULTS`) and ``missing`` (the keys with no value).
        """
        defaults = COST_DEFAULTS.get((currency or "").strip().upper(), {})
        out: dict[str, Any] = {"defaulted": [], "missing": []}
        for key in COST_KEYS:
            value = getattr(self, key)
            if value is None and key in defaults:
                value = defaults[key]
                out["defaulted"].append(key)
            if value is None:
                out["missing"].append(key)
            out[key] = dict(value) if isinstance(value, dict) else value
        return out


class TargetingConfig(_Strict):
    """Parameters of 03_targeting."""

    manual: dict[str, dict[str, StrictFloat]] = Field(default_factory=dict)
    weights: dict[str, StrictFloat] | None = None  # StrictFloat takes ints, not "2" or true
    top_n: StrictInt = Field(2, ge=1)
    strength: dict[str, StrictFloat] | None = None
    growth_period_days: StrictInt = Field(180, ge=7)
    sensitivity_draws: StrictInt = Field(1000, ge=0, le=100_000)
    sensitivity_concentration: StrictFloat = Field(50.0, gt=0)
    clv: CLVConfig = CLVConfig()
    roi: ROIConfig = ROIConfig()

    @field_validator("manual", "strength", mode="before")
    @classmethod
    def _segment_keys_as_text(cls, value: Any) -> Any:
        # YAML reads {1: 8} with integer keys: segment ids
        if isinstance(value, dict):
            return {str(k): ({str(s): v for s, v in inner.items()}
                             if isinstance(inner, dict) else inner)
                    for k, inner in value.items()}
        return value

    @field_validator("weights")
    @classmethod
    def _known_criteria(cls, weights: dict[str, float] | None, info: ValidationInfo
                        ) -> dict[str, float] | None:
        if weights is None:
            return None
        known = set(TARGETING_CRITERIA) | set(info.data.get("manual") or {})
        unknown = sorted(set(weights) - known)
        if unknown:
            raise ValueError(
                f"unknown criterion {', '.join(map(repr, unknown))}; expected some of "
                f"{', '.join(TARGETING_CRITERIA)} or a criterion of targeting.manual")
        if any(w < 0 for w in weights.values()):
            raise ValueError("weights must not be negative")
        if not any(w > 0 for w in weights.values()):
            raise ValueError("at least one weight must be positive")
        return weights

    @model_validator(mode="after")
    def _scores(self) -> TargetingConfig:
        problems = []
        clash = sorted(set(self.manual) & set(TARGETING_CRITERIA))
        if clash:
            problems.append(f"manual: {', '.join(map(repr, clash))} is a criterion the data "
                            "give; name a manual criterion differently (e.g. fit_with_strengths)")
        for name, scores in self.manual.items():
            bad = {k: v for k, v in scores.items() if not 1 <= v <= 10}
            if bad:
                problems.append(f"manual.{name}: scores are 1-10; got {bad}")
        bad = {k: v for k, v in (self.strength or {}).items() if not 1 <= v <= 10}
        if bad:
            problems.append(f"strength: scores are 1-10; got {bad}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class PositioningConfig(_Strict):
    """Parameters of 04_position.

    ``need``, ``category`` and ``reason`` fill the positioning statements' slots the
    data cannot (``need`` only overrides the data when given): one string for every
    target segment, or a dict keyed by segment number or name. Left empty, the
    statements show a visible placeholder.
    """

    our_brand: str | None = None
    ideal_brand: str | None = None   # the survey's "ideal brand"; None: found by its name
    need: str | dict[StrictInt | str, str] | None = None
    category: str | dict[StrictInt | str, str] | None = None
    reason: str | dict[StrictInt | str, str] | None = None
    white_space_distance: StrictFloat = Field(0.5, gt=0, le=2)


class PersonasConfig(_Strict):
    """Parameters of 06_personas."""

    max_personas: StrictInt = Field(6, ge=1, le=20)
    #: a trait is shown only when at least this many of the segment's members have a value
    min_customers: StrictInt = Field(10, ge=1)
    #: how many survey items (the segment's highest above the customer base) make its needs
    top_needs: StrictInt = Field(3, ge=1, le=10)


class LifecycleConfig(_Strict):
    """Parameters of 05_lifecycle: the stage rules and the period of the transitions.

    Day thresholds are on ``recency_days`` (days since the last purchase); see
    :mod:`seglib.lifecycle` for the rules in order.
    """

    new_days: StrictInt = Field(60, ge=1)  # one order within this: First purchase
    active_days: StrictInt = Field(90, ge=1)  # silent for longer: At risk
    lapsed_days: StrictInt = Field(365, ge=1)  # silent for longer: Lapsed
    gap_multiple: StrictFloat = Field(2.0, ge=1)  # silent > this x own mean gap: At risk
    loyal_orders: StrictInt = Field(12, ge=2)  # this many orders (and active): Loyal
    loyal_orders_per_year: StrictFloat = Field(12.0, gt=0)  # or this rate (3+ orders)
    engagement_columns: list[str] = Field(
        default_factory=lambda: ["web_sessions", "web_email_opens", "web_email_clicks"])
    advocacy_columns: list[str] = Field(
        default_factory=lambda: ["referrals", "reviews", "social_mentions"])
    transition_days: StrictInt = Field(90, ge=1, le=3650)  # the earlier cut-off: as_of - this

    @field_validator("engagement_columns", "advocacy_columns")
    @classmethod
    def _column_names(cls, columns: list[str]) -> list[str]:
        if any(not c.strip() for c in columns):
            raise ValueError("column names must not be blank")
        return columns

    @model_validator(mode="after")
    def _ordered(self) -> LifecycleConfig:
        # new_days <= active_days < lapsed_days, or a long-inactive customer could be "new"
        problems = []
        if not self.new_days <= self.active_days:
            problems.append(
                f"new_days ({self.new_days}) must not exceed active_days ({self.active_days})"
            )
        if not self.active_days < self.lapsed_days:
            problems.append(
                f"active_days ({self.active_days}) must be smaller than "
                f"lapsed_days ({self.lapsed_days})"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class RunConfig(_Strict):
    """One client's analysis: sources, seed and the parameters of every stage."""

    client: str = Field(min_length=1)
    locale: Literal["en", "vi"] = "en"
    seed: StrictInt = Field(42, ge=0, le=2**32 - 1)  # numpy and scikit-learn take 32 bits
    currency: str = ""
    #: The client's logo on the report's cover and the deck's title slide (PNG or JPEG).
    logo: Path | None = None
    data: DataConfig
    collect: CollectConfig = CollectConfig()
    segmentation: SegmentationConfig = SegmentationConfig()
    targeting: TargetingConfig = TargetingConfig()
    positioning: PositioningConfig = PositioningConfig()
    personas: PersonasConfig = PersonasConfig()
    lifecycle: LifecycleConfig = LifecycleConfig()

    def sources(self) -> dict[str, SourceConfig]:
        """Return the sources present in the config, by canonical name."""
        return {name: src for name in SOURCES if (src := getattr(self.data, name)) is not None}

    def slug(self) -> str:
        """Return the client name made safe for a folder name."""
        return slugify(self.client)


#: Stage sections whose keys become that stage notebook's parameters.
STAGE_SECTIONS = ("collect", "segmentation", "targeting", "positioning", "personas", "lifecycle")


def _format_errors(path: Path, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; `seglib init` writes a commented template)"
        lines.append(f"{path}: {loc}: {msg}")
    return "\n".join(lines)


_FORMAT_NAMES = {"csv": "CSV", "excel": "Excel", "parquet": "Parquet"}


def _format_options(name: str, src: SourceConfig) -> list[str]:
    """Problems of reading options given for a file format that has no use for them."""
    kind = file_format(src.path)
    read_as = f"{src.path.name} is read as {_FORMAT_NAMES[kind]}"
    problems = []
    if src.sheet is not None and kind != "excel":
        problems.append(
            f"data.{name}.sheet: only Excel files ({', '.join(EXCEL_SUFFIXES)}) have sheets; "
            f"{read_as}"
        )
    for key in ("sep", "encoding"):
        if getattr(src, key) is not None and kind != "csv":
            problems.append(f"data.{name}.{key}: applies to CSV files only; {read_as}")
    return problems


def parse_config(raw: Any, path: Path) -> RunConfig:
    """Validate a parsed YAML document and resolve source paths against ``path``'s folder.

    Raises
    ------
    ConfigError
        With one line per problem, each naming the file and the key.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (client, data, ...) at the top")
    try:
        config = RunConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_format_errors(path, err)) from err
    base = path.parent
    problems = []
    resolved = {}
    for name, src in config.sources().items():
        full = src.path if src.path.is_absolute() else (base / src.path)
        try:
            full = full.resolve()
        except (OSError, RuntimeError):  # a symlink loop: not_a_file says so
            full = full.absolute()
        problem = not_a_file(full)
        if problem:
            problems.append(f"{path}: data.{name}.path: {problem}: {full}")
        allowed = CANONICAL_COLUMNS[name]
        for canonical, client in src.columns.items():
            if isinstance(client, list) and (name != "customers"
                                             or canonical not in SUMMED_COLUMNS):
                problems.append(
                    f"{path}: data.{name}.columns.{canonical}: a list of columns is summed only "
                    f"for {' and '.join(SUMMED_COLUMNS)} of the customers file; name one column"
                )
            elif isinstance(client, list) and not client:
                problems.append(f"{path}: data.{name}.columns.{canonical}: the list is empty; "
                                f"name the columns to sum")
        if allowed is not None:
            for canonical in src.columns:
                if canonical not in allowed:
                    problems.append(
                        f"{path}: data.{name}.columns.{canonical}: unknown canonical column; "
                        f"expected one of {', '.join(allowed)}"
                    )
        problems.extend(f"{path}: {line}" for line in _format_options(name, src))
        resolved[name] = src.model_copy(update={"path": full})
    logo = None
    if config.logo is not None:
        logo = config.logo if config.logo.is_absolute() else base / config.logo
        try:
            logo = logo.resolve()
        except (OSError, RuntimeError):  # a symlink loop: reported as not a file below
            logo = logo.absolute()
        if not logo.is_file():
            problems.append(f"{path}: logo: file not found: {logo}")
        elif logo.read_bytes()[:8] not in (b"\x89PNG\r\n\x1a\n",) and \
                logo.read_bytes()[:3] != b"\xff\xd8\xff":
            problems.append(f"{path}: logo: {logo.name} is not a PNG or JPEG image")
    if problems:
        raise ConfigError("\n".join(problems))
    data = config.data.model_copy(update=resolved)
    return config.model_copy(update={"data": data, "logo": logo})


def not_a_file(path: Path) -> str:
    """Why ``path`` cannot be read as a data or config file ("" when it can)."""
    try:
        if path.is_file():
            return ""
        if path.is_dir():
            return "is a folder, not a file"
        if path.exists():
            return "is not a regular file (a device, a pipe or a socket)"
        if path.is_symlink():
            return "is a broken or looping link"
        return "file not found"
    except OSError as err:  # a symlink loop, a path too long
        return f"cannot be opened ({err.strerror or err})"


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a client's YAML config.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or any key is wrong.
    """
    path = Path(path)
    problem = not_a_file(path)
    if problem:
        problem = "config file not found" if problem == "file not found" else problem
        raise ConfigError(f"{path}: {problem}; give the path of the YAML config")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: the config cannot be read ({err.strerror}); check its "
                          f"permissions") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(err.problem or err.context or "syntax error").split())
        raise ConfigError(f"{path}{where}: not valid YAML: {problem}") from err
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(err).split())}") from err
    return parse_config(raw, path)


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    """Return the config as plain JSON-able data (paths as strings, None kept)."""
    return config.model_dump(mode="json")


def write_config(config: RunConfig, path: Path) -> Path:
    """Write a validated config (absolute source paths) as YAML, for the run folder."""
    path.write_text(
        yaml.safe_dump(config_to_dict(config), sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return path


#: Characters a YAML double-quoted scalar must not hold as they are: C1 controls
#: (\x85 is a YAML line break), the Unicode line and paragraph separators, lone
#: surrogates and the non-characters U+FFFE and U+FFFF.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def yaml_quoted(text: str) -> str:
    r"""Return ``text`` as a double-quoted YAML scalar that loads back as exactly ``text``.

    JSON strings are YAML double-quoted scalars; the few characters YAML reads
    differently from JSON are written as ``\uXXXX`` escapes.
    """
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", quoted)


def template_text(client: str) -> str:
    """Return the commented config template that ``seglib init`` writes."""
    text = (Path(__file__).parent / "templates" / "config.yaml").read_text(encoding="utf-8")
    return text.replace("__CLIENT__", yaml_quoted(client))


def demo_config_text(files: dict[str, str], *, locale: str, seed: int, our_brand: str) -> str:
    """The config of the built-in demo retailer, for the files ``seglib demo`` wrote."""
    client = "demo-retail" if locale == "en" else "demo-retail-vi"
    return f"""\
# Config of the built-in demo retailer, written by `seglib demo`.
# Run it with: seglib run {{this file}}. See `seglib init` for a commented template.
client: {client}
locale: {locale}
seed: {seed}
currency: {"USD" if locale == "en" else "VND"}
data:
  customers:
    path: {files['customers']}
  transactions:
    path: {files['transactions']}
    columns:
      date: timestamp
  survey:
    path: {files['survey']}
  service:
    path: {files['service']}
  web:
    path: {files['web']}
  brand_ratings:
    path: {files['brand_ratings']}
segmentation:
  k_min: 2
  k_max: 8
targeting:
  top_n: 2
positioning:
  our_brand: "{our_brand}"
"""


def stage_config(section: str, **values: Any) -> BaseModel:
    """Validate one stage's parameters (as a notebook received them) against its section."""
    model = RunConfig.model_fields[section].annotation
    try:
        return model.model_validate(values)
    except ValidationError as err:
        raise ConfigError(_format_errors(Path(f"parameters of {section}"), err)) from err
