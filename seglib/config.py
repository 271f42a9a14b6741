"""The one validated config object of a run, loaded from a client's YAML file.

Every key is checked before anything runs: an unknown key, a missing file or a
wrong type ends in one :class:`~seglib.errors.ConfigError` whose lines name the
file, the key and what was expected.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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
    ),
    "survey": None,
    "service": None,
    "web": None,
    "brand_ratings": None,
}

#: Segment criteria the targeting stage computes from the data (see seglib.target).
TARGETING_CRITERIA = (
    "size",
    "revenue",
    "margin",
    "margin_rate",
    "revenue_per_customer",
    "orders_per_customer",
    "recency",
)


#: Weights used when the config gives none (restricted to the criteria the data can give).
DEFAULT_WEIGHTS = {"size": 1.0, "revenue": 2.0, "margin": 2.0, "revenue_per_customer": 1.0,
                   "recency": 1.0}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    """Where one source file is and how its columns map to canonical names."""

    path: Path
    sheet: str | int | None = None
    sep: str | None = None
    encoding: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)


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
    keep_pii: bool = False


class SegmentationConfig(_Strict):
    """Parameters of 02_segment."""

    k_min: int = Field(2, ge=2, le=20)
    k_max: int = Field(8, ge=2, le=20)
    n_segments: int | None = Field(None, ge=2, le=20)
    min_orders: int = Field(2, ge=1)
    features: list[str] | None = None
    silhouette_sample: int = Field(10_000, ge=500)

    @model_validator(mode="after")
    def _k_range(self) -> SegmentationConfig:
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) must not exceed k_max ({self.k_max})")
        return self


class TargetingConfig(_Strict):
    """Parameters of 03_target."""

    weights: dict[str, float] | None = None
    top_n: int = Field(2, ge=1)

    @field_validator("weights")
    @classmethod
    def _known_criteria(cls, weights: dict[str, float] | None) -> dict[str, float] | None:
        if weights is None:
            return None
        unknown = sorted(set(weights) - set(TARGETING_CRITERIA))
        if unknown:
            raise ValueError(
                f"unknown criterion {', '.join(map(repr, unknown))}; "
                f"expected some of {', '.join(TARGETING_CRITERIA)}"
            )
        if any(w < 0 for w in weights.values()):
            raise ValueError("weights must not be negative")
        if not any(w > 0 for w in weights.values()):
            raise ValueError("at least one weight must be positive")
        return weights


class PositioningConfig(_Strict):
    """Parameters of 04_position."""

    our_brand: str | None = None


class PersonasConfig(_Strict):
    """Parameters of 05_personas."""

    max_personas: int = Field(6, ge=1, le=20)


class LifecycleConfig(_Strict):
    """Parameters of 06_lifecycle (day thresholds on recency)."""

    new_days: int = Field(60, ge=1)
    active_days: int = Field(90, ge=1)
    lapsed_days: int = Field(365, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> LifecycleConfig:
        if not self.active_days < self.lapsed_days:
            raise ValueError("active_days must be smaller than lapsed_days")
        return self


class RunConfig(_Strict):
    """One client's analysis: sources, seed and the parameters of every stage."""

    client: str = Field(min_length=1)
    locale: Literal["en", "vi"] = "en"
    seed: int = 42
    currency: str = ""
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
        return re.sub(r"[^A-Za-z0-9._-]+", "-", self.client).strip("-.") or "client"


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
        full = full.resolve()
        if not full.is_file():
            problems.append(f"{path}: data.{name}.path: file not found: {full}")
        allowed = CANONICAL_COLUMNS[name]
        if allowed is not None:
            for canonical in src.columns:
                if canonical not in allowed:
                    problems.append(
                        f"{path}: data.{name}.columns.{canonical}: unknown canonical column; "
                        f"expected one of {', '.join(allowed)}"
                    )
        resolved[name] = src.model_copy(update={"path": full})
    if problems:
        raise ConfigError("\n".join(problems))
    data = config.data.model_copy(update=resolved)
    return config.model_copy(update={"data": data})


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a client's YAML config.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or any key is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
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


def template_text(client: str) -> str:
    """Return the commented config template that ``seglib init`` writes."""
    text = (Path(__file__).parent / "templates" / "config.yaml").read_text(encoding="utf-8")
    return text.replace("__CLIENT__", client)


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
