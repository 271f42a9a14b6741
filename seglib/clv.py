"""Customer lifetime value: BG/NBD purchase counts and Gamma-Gamma spend.

Two models, fitted by maximum likelihood on one row per customer, and one
function that combines them:

* :class:`BetaGeoModel`, the BG/NBD model of Fader, Hardie & Lee (2005a): how
  many repeat purchases a customer makes and whether they are still "alive".
  Inputs are ``frequency`` (x, repeat purchases: purchase periods after the
  first), ``recency`` (t_x, the customer's age at the last purchase) and ``T``
  (the customer's age at the end of observation), all in one time unit.
* :class:`GammaGammaModel`, the Gamma-Gamma model of spend per transaction
  (Fader, Hardie & Lee 2005b; Fader & Hardie 2013): ``monetary_value`` is the
  mean value of a customer's repeat purchases.
* :func:`customer_lifetime_value`: discounted expected margin over the next
  months.

:func:`simulate_bgnbd` and :func:`simulate_gamma_gamma` draw customers from
known parameters, for tests and benchmarks.

Fitting optimises the log of the parameters with L-BFGS-B and the analytic
gradient, from a fixed start (no randomness). Identical customers are fitted
once with a weight, so a million daily-data customers fit in seconds.

References
----------
.. [1] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting your
   customers" the easy way: an alternative to the Pareto/NBD model.
   Marketing Science, 24(2), 275-284.
.. [2] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2008). Computing P(alive)
   using the BG/NBD model. http://brucehardie.com/notes/021/
.. [3] Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: using
   iso-value curves for customer base analysis. Journal of Marketing
   Research, 42(4), 415-430.
.. [4] Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of
   monetary value. http://brucehardie.com/notes/025/
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from seglib.errors import DataError, ModelError

__all__ = [
    "BetaGeoModel",
    "GammaGammaModel",
    "customer_lifetime_value",
    "simulate_bgnbd",
    "simulate_gamma_gamma",
    "customer_clv",
    "CLVResult",
]

#: Days in an average month (365.25 / 12).
DAYS_PER_MONTH = 30.4375

#: Fewer customers with repeat purchases than this and the Gamma-Gamma model is not fitted.
MIN_REPEAT_CUSTOMERS = 10

BGNBD_PARAMS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMS = ("p", "q", "v")

#: Bounds of the optimised log-parameters; a fit that ends near them is degenerate.
#: (Parameters are in scaled units there: times over the longest T, money over the mean.)
_LOG_BOUND = 25.0
_DEGENERATE_LOG = float(np.log(1e6))


# ----------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------


def _where(position: int, labels: pd.Index | None) -> str:
    """Name the position of a customer, with its index label when there is one."""
    text = f" at position {position}"
    if labels is not None and not (
        isinstance(labels, pd.RangeIndex) and labels.start == 0 and labels.step == 1
    ):
        text += f" (index {labels[position]!r})"
    return text


def _to_float(name: str, values: ArrayLike) -> np.ndarray:
    """Convert one input to a float array of at most one dimension."""
    if isinstance(values, pd.DataFrame):
        raise DataError(f"{name} must be one column (a Series or 1-D array), got a DataFrame")
    if isinstance(values, pd.Series | pd.Index):
        if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
            values.dtype
        ):
            raise DataError(f"{name} must be numeric, got dtype {values.dtype}")
        array = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        array = np.asarray(values)
        if array.dtype.kind not in "iuf":
            raise DataError(f"{name} must be numeric, got dtype {array.dtype}")
        array = array.astype(float)
    if array.ndim > 1:
        raise DataError(f"{name} must be a scalar or 1-D, got shape {array.shape}")
    return array


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_arrays(
    named: dict[str, ArrayLike], *, allow_empty: bool = False
) -> tuple[list[np.ndarray], pd.Index | None]:
    """Convert, check finiteness and broadcast equal-length inputs.

    Scalars broadcast to the length of the vectors; vectors must all have the
    same length. Returns the arrays and the index of the first pandas input.
    """
    labels = next(
        (v.index for v in named.values() if isinstance(v, pd.Series)), None
    )
    arrays = {name: _to_float(name, values) for name, values in named.items()}
    lengths = {name: a.shape[0] for name, a in arrays.items() if a.ndim == 1}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise DataError(f"inputs must have one value per customer, but {described} values")
    if lengths and next(iter(lengths.values())) == 0 and not allow_empty:
        raise DataError(f"no customers: {', '.join(lengths)} are empty")
    if labels is not None and lengths and len(labels) != next(iter(lengths.values())):
        labels = None
    for name, array in arrays.items():
        bad = np.isnan(array)
        if bad.any():
            where = _where(_first(bad), labels) if array.ndim else ""
            raise DataError(f"{name} has a missing value (NaN){where}")
        bad = ~np.isfinite(array)
        if bad.any():
            where = _where(_first(bad), labels) if array.ndim else ""
            raise DataError(f"{name} has an infinite value{where}")
    shape = (next(iter(lengths.values())),) if lengths else ()
    return [np.broadcast_to(a, shape) for a in arrays.values()], labels


def _fail(name: str, array: np.ndarray, mask: np.ndarray, labels, problem: str) -> None:
    """Raise a DataError naming the first customer where ``mask`` is true."""
    if mask.any():
        i = _first(mask) if mask.ndim else 0
        value = array[i] if array.ndim else array
        where = _where(i, labels) if mask.ndim else ""
        raise DataError(f"{name} = {value:g}{where} {problem}")


def _check_customers(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    extra: dict[str, ArrayLike] | None = None,
) -> tuple[np.ndarray, ...]:
    """Check (frequency, recency, T) as lifetimes does, with precise messages.

    Rules: numeric, finite, equal lengths; frequency a whole number >= 0;
    recency >= 0 and <= T; recency 0 when frequency is 0 (a customer with
    frequency > 0 and recency 0 is allowed, as in lifetimes). ``extra`` inputs
    (such as ``t`` or ``monetary_value``) are converted and broadcast too and
    must be >= 0.
    """
    named = {"frequency": frequency, "recency": recency, "T": T, **(extra or {})}
    arrays, labels = _check_arrays(named)
    x, t_x, age = arrays[:3]
    _fail("frequency", x, x < 0, labels, "is negative")
    _fail("frequency", x, x != np.round(x), labels, "is not a whole number of purchases")
    _fail("recency", t_x, t_x < 0, labels, "is negative (a last purchase before the first)")
    _fail("T", age, age < 0, labels, "is negative (a first purchase after the end of observation)")
    over = t_x > age
    if over.any():
        i = _first(np.atleast_1d(over))
        where = _where(i, labels) if over.ndim else ""
        raise DataError(
            f"recency = {np.atleast_1d(t_x)[i]:g} is larger than T = {np.atleast_1d(age)[i]:g}"
            f"{where}: the last purchase cannot be after the end of observation"
        )
    _fail("recency", t_x, (x == 0) & (t_x != 0), labels,
          "is not 0 although frequency is 0 (no repeat purchase, so no recency)")
    for name, array in zip(extra or {}, arrays[3:], strict=True):
        _fail(name, array, array < 0, labels, "is negative")
    return tuple(arrays)


def _check_params(params: Mapping[str, float], names: tuple[str, ...]) -> list[float]:
    """Check that ``params`` has the model's keys with positive finite values."""
    if not isinstance(params, Mapping):
        raise DataError(f"params must be a mapping with keys {', '.join(names)}")
    missing = [name for name in names if name not in params]
    if missing:
        raise DataError(f"params has no value for {', '.join(missing)} (needs {', '.join(names)})")
    values = []
    for name in names:
        value = float(params[name])
        if not (np.isfinite(value) and value > 0):
            raise DataError(f"params[{name!r}] = {value:g} must be a positive finite number")
        values.append(value)
    return values


def _check_option(name: str, value: float, *, low: float, strict: bool) -> float:
    value = float(value)
    ok = np.isfinite(value) and (value > low if strict else value >= low)
    if not ok:
        raise DataError(f"{name} = {value:g} must be a finite number {'>' if strict else '>='} "
                        f"{low:g}")
    return value


# ----------------------------------------------------------------------------
# BG/NBD formulas
# ----------------------------------------------------------------------------


def _bgnbd_loglik(r, alpha, a, b, x, t_x, T) -> np.ndarray:
    """Per-customer log of eq. (6) of [1], with the x > 0 term added in log space."""
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    repeat = x > 0
    dropped = np.full(np.shape(x), -np.inf)
    xr = x[repeat]
    dropped[repeat] = (
        betaln(a + 1, b + xr - 1) - betaln(a, b) - (r + xr) * np.log(alpha + t_x[repeat])
    )
    return common + np.logaddexp(alive, dropped)


def _bgnbd_objective(theta, data, penalizer):
    """Penalised mean negative log-likelihood of eq. (6) of [1] and its gradient.

    ``theta`` holds the log of (r, alpha, a, b); ``data`` is the compressed
    customers of :meth:`BetaGeoModel.fit` (times in scaled units). The
    gradient is d/d log(param) = param * d/d param.
    """
    r, alpha, a, b = np.exp(theta)
    ux, inv, t_x, T, weight = data
    # Terms that depend only on the frequency: evaluated once per distinct x.
    lg = gammaln(r + ux) - gammaln(r)
    lb = betaln(a, b + ux) - betaln(a, b)
    repeat_u = ux > 0
    bx1 = np.where(repeat_u, b + ux - 1, 1.0)
    lratio = np.where(repeat_u, np.log(a) - np.log(bx1), -np.inf)
    x = ux[inv]
    rx = r + x
    log_aT = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    alive = -rx * log_aT
    dropped = lratio[inv] - rx * log_atx
    lse = np.logaddexp(alive, dropped)
    ll = (lg + lb)[inv] + r * np.log(alpha) + lse
    w_alive = np.exp(alive - lse)
    w_dropped = 1.0 - w_alive
    total = weight.sum()

    d_r = (digamma(r + ux) - digamma(r))[inv] + np.log(alpha) - w_alive * log_aT \
        - w_dropped * log_atx
    d_alpha = r / alpha - rx * (w_alive / (alpha + T) + w_dropped / (alpha + t_x))
    d_a = (digamma(a + b) - digamma(a + b + ux))[inv] + w_dropped / a
    d_b = (digamma(b + ux) - digamma(a + b + ux) - digamma(b) + digamma(a + b))[inv] \
        - w_dropped / bx1[inv]
    params = np.array([r, alpha, a, b])
    grad_ll = np.array([np.sum(weight * d) for d in (d_r, d_alpha, d_a, d_b)]) / total
    value = -np.sum(weight * ll) / total + penalizer * np.sum(params**2)
    grad = -grad_ll * params + 2.0 * penalizer * params**2
    return value, grad


def _conditional_expected(r, alpha, a, b, t, x, t_x, T) -> np.ndarray:
    """Eq. (10) of [1], with the Euler transformation of its 2F1.

    ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z) equals
    ((alpha+T)/(alpha+T+t))^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z) with
    z = t/(alpha+T+t): the same number, but the second 2F1 has small upper
    parameters, so it stays accurate for customers with many purchases.
    """
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    bracket = 1.0 - ((alpha + T) / (alpha + T + t)) ** (a - 1) * hyp2f1(
        a + b - 1 - r, a - 1, a + b + x - 1, z
    )
    return head * bracket * _p_alive(r, alpha, a, b, x, t_x, T)


def _p_alive(r, alpha, a, b, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) of [2]: 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))."""
    repeat = x > 0
    log_odds = np.where(
        repeat,
        np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
        -np.inf,
    )
    return expit(-log_odds)


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, inverse = np.unique(values, return_inverse=True)
    return unique, inverse.reshape(-1)


def _compress(x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, t_x, T) customers: first position of each, inverse map and counts.

    Customers with the same history have the same likelihood and predictions,
    so they are computed once; daily data have far fewer distinct histories
    than customers.
    """
    codes = [_distinct(v)[1].astype(np.int64) for v in (x, t_x, T)]
    sizes = [int(c.max()) + 1 for c in codes]
    key = (codes[0] * sizes[1] + codes[1]) * sizes[2] + codes[2]
    _, first, inverse, counts = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    return first, inverse.reshape(-1), counts


def _degenerate(model: str, names, theta, penalizer: float) -> None:
    edge = [f"{n} went to {'infinity' if t > 0 else '0'}"
            for n, t in zip(names, theta, strict=True) if abs(t) > _DEGENERATE_LOG]
    if edge:
        hint = ("increase the penalizer (e.g. penalizer=0.1)" if penalizer > 0
                else "fit with a small penalizer (e.g. penalizer=0.01)")
        raise ModelError(
            f"{model} fit is degenerate ({', '.join(edge)}): the data hold too little "
            f"information for these parameters. Try more customers or a longer observation "
            f"period, or {hint}"
        )


def _minimise(objective, start, args, model: str, names, penalizer: float):
    """L-BFGS-B on log-parameters with the analytic gradient; ModelError if it fails."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        result = minimize(objective, start, args=args, jac=True, method="L-BFGS-B",
                          bounds=bounds,
                          options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9})
    _degenerate(model, names, result.x, penalizer)
    gradient_small = np.all(np.isfinite(result.jac)) and np.max(np.abs(result.jac)) < 1e-4
    if not np.isfinite(result.fun) or not (result.success or gradient_small):
        raise ModelError(
            f"{model} fit did not converge ({result.message}); try more customers, "
            f"or a penalizer (e.g. penalizer=0.001) to keep the parameters finite"
        )
    return result


# ----------------------------------------------------------------------------
# BG/NBD
# ----------------------------------------------------------------------------


class BetaGeoModel(BaseEstimator):
    """BG/NBD model of repeat purchases and drop-out (Fader, Hardie & Lee 2005a).

    While alive, a customer buys as a Poisson process with rate lambda,
    lambda ~ Gamma(r, alpha) across customers (shape r, rate alpha); after
    each repeat purchase the customer drops out with probability p,
    p ~ Beta(a, b).

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (r^2 + alpha'^2 + a^2 + b^2)`` added to the
        mean negative log-likelihood, where alpha' is alpha in units of the
        longest ``T`` (as lifetimes' ``penalizer_coef`` does). Use a small
        value (0.001-0.1) when a fit is degenerate.

    Attributes
    ----------
    params_ : dict of str to float
        Fitted ``r``, ``alpha`` (in the time unit of ``T``), ``a``, ``b``.
    log_likelihood_ : float
        Total log-likelihood of the fitted customers at ``params_`` (eq. 6).
    n_customers_ : int
        Number of customers fitted.

    Examples
    --------
    >>> customers = simulate_bgnbd({"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},
    ...                            n=5000, T=39.0, random_state=1)
    >>> model = BetaGeoModel().fit(customers["frequency"], customers["recency"],
    ...                            customers["T"])
    >>> sorted(model.params_)
    ['a', 'alpha', 'b', 'r']
    """

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BetaGeoModel:
        """Fit r, alpha, a, b by maximum likelihood (eq. 6 of Fader, Hardie & Lee 2005a).

        Parameters
        ----------
        frequency : array-like of int
            Repeat purchases x of each customer (>= 0).
        recency : array-like of float
            Age t_x at the last purchase (0 when x is 0), 0 <= t_x <= T.
        T : array-like of float
            Age at the end of observation, in the same time unit.

        Returns
        -------
        BetaGeoModel
            ``self``, fitted.

        Raises
        ------
        DataError
            An input is not numeric, missing, negative, non-integer (frequency),
            recency > T, recency > 0 with frequency 0, or the lengths differ.
        ModelError
            No customer has a repeat purchase, the optimiser did not converge
            or a parameter ran off to 0 or infinity.
        """
        penalizer = _check_option("penalizer", self.penalizer, low=0.0, strict=False)
        x, t_x, age = (np.ascontiguousarray(a) for a in _check_customers(frequency, recency, T))
        if x.ndim == 0:
            raise DataError("fit needs one value per customer: frequency, recency and T are "
                            "all scalars")
        if not (x > 0).any():
            raise ModelError(
                f"BG/NBD cannot be fitted: none of the {x.size} customers has a repeat "
                "purchase (all frequency values are 0); use a longer observation period "
                "or more customers"
            )
        # Times in units of the longest T (lifetimes' scaling): the start r=alpha=a=b=1
        # is then sensible whatever the data's time unit.
        scale = float(age.max()) if age.max() > 0 else 1.0
        first, _, counts = _compress(x, t_x, age)
        ux, ix = _distinct(x[first])
        data = (ux, ix, t_x[first] / scale, age[first] / scale, counts.astype(float))
        result = _minimise(_bgnbd_objective, np.zeros(4), (data, penalizer),
                           "BG/NBD", BGNBD_PARAMS, penalizer)
        r, alpha, a, b = np.exp(result.x)
        self.params_ = {"r": float(r), "alpha": float(alpha * scale), "a": float(a),
                        "b": float(b)}
        self.log_likelihood_ = float(self.log_likelihood(self.params_, x, t_x, age).sum())
        self.n_customers_ = int(x.size)
        return self

    @staticmethod
    def log_likelihood(
        params: Mapping[str, float], frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Per-customer log-likelihood, eq. (6) of Fader, Hardie & Lee (2005a).

        L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
            + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r
              / (Gamma(r) (alpha+t_x)^(r+x))

        Parameters
        ----------
        params : mapping
            ``r``, ``alpha``, ``a``, ``b`` (positive).
        frequency, recency, T : array-like
            As in :meth:`fit`.

        Returns
        -------
        numpy.ndarray
            log L for each customer.
        """
        r, alpha, a, b = _check_params(params, BGNBD_PARAMS)
        x, t_x, age = (np.atleast_1d(v) for v in _check_customers(frequency, recency, T))
        return _bgnbd_loglik(r, alpha, a, b, x, t_x, age)

    def conditional_probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Probability that each customer is still alive at T (Fader, Hardie & Lee 2008).

        P(alive | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)),
        the denominator of eq. (10) of Fader, Hardie & Lee (2005a). It is 1
        for a customer without repeat purchases (drop-out only happens right
        after a repeat purchase) and falls as the last purchase grows older.

        Parameters
        ----------
        frequency, recency, T : array-like or scalar
            As in :meth:`fit`; scalars broadcast.

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1], one per customer.
        """
        check_is_fitted(self)
        x, t_x, age = _check_customers(frequency, recency, T)
        return _p_alive(*self._params(), x, t_x, age)

    def conditional_expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Expected purchases in (T, T+t] given the history (eq. 10 of Fader, Hardie & Lee 2005a).

        E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1)
            * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
            / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))

        The 2F1 is evaluated after Euler's transformation (same value, better
        accuracy for large x).

        Parameters
        ----------
        t : array-like or scalar
            Length of the future period (>= 0), in the time unit of ``T``.
        frequency, recency, T : array-like or scalar
            As in :meth:`fit`; scalars broadcast.

        Returns
        -------
        numpy.ndarray
            Expected number of purchases per customer.
        """
        check_is_fitted(self)
        x, t_x, age, future = _check_customers(frequency, recency, T, {"t": t})
        return _conditional_expected(*self._params(), future, x, t_x, age)

    def expected_purchases(self, t: ArrayLike) -> np.ndarray:
        """Expected purchases of a new customer in (0, t], eq. (7) of Fader, Hardie & Lee (2005a).

        E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]

        Parameters
        ----------
        t : array-like or scalar
            Length of the period (>= 0), in the time unit of ``T``.

        Returns
        -------
        numpy.ndarray
            Expected repeat purchases of a customer whose first purchase was at 0.
        """
        check_is_fitted(self)
        (future,), labels = _check_arrays({"t": t})
        _fail("t", future, future < 0, labels, "is negative")
        r, alpha, a, b = self._params()
        z = future / (alpha + future)
        return (a + b - 1) / (a - 1) * (1.0 - (1.0 - z) ** r * hyp2f1(r, b, a + b - 1, z))

    def _params(self) -> tuple[float, float, float, float]:
        return tuple(self.params_[name] for name in BGNBD_PARAMS)


# ----------------------------------------------------------------------------
# Gamma-Gamma
# ----------------------------------------------------------------------------


def _gamma_gamma_loglik(p, q, v, x, m) -> np.ndarray:
    """Log of the marginal density of the mean spend m of x transactions ([4], [3] eq. 3).

    f(m | p, q, v, x) = Gamma(px+q) / (Gamma(px) Gamma(q)) * v^q m^(px-1) x^(px)
                        / (v + x m)^(px+q)
    """
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(v + x * m))


def _gamma_gamma_objective(theta, data, penalizer, money_scale):
    """Penalised mean negative log-likelihood of the Gamma-Gamma model and its gradient.

    Spend is in units of ``money_scale`` inside the optimiser; the penalty is
    on (p, q, v) in the data's money unit, as in lifetimes.
    """
    p, q, v = np.exp(theta)
    ux, inv, x, log_m, log_x, xm, weight = data
    pu = p * ux
    g = gammaln(pu + q) - gammaln(pu)
    dg = digamma(pu + q) - digamma(pu)
    dgq = digamma(pu + q)
    px = p * x
    log_vxm = np.log(v + xm)
    ll = g[inv] - gammaln(q) + q * np.log(v) + (px - 1) * log_m + px * log_x \
        - (px + q) * log_vxm
    d_p = x * (dg[inv] + log_m + log_x - log_vxm)
    d_q = dgq[inv] - digamma(q) + np.log(v) - log_vxm
    d_v = q / v - (px + q) / (v + xm)
    total = weight.sum()
    natural = np.array([p, q, v * money_scale])
    value = -np.sum(weight * ll) / total + penalizer * np.sum(natural**2)
    grad_ll = np.array([np.sum(weight * d) for d in (d_p, d_q, d_v)]) / total
    grad = -grad_ll * np.array([p, q, v]) + 2.0 * penalizer * natural**2
    return value, grad


class GammaGammaModel(BaseEstimator):
    """Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).

    A customer's transactions are Gamma(p, nu) (shape p, rate nu), with
    nu ~ Gamma(q, v) across customers; spend is assumed independent of the
    purchase process.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (p^2 + q^2 + v^2)`` added to the mean negative
        log-likelihood (lifetimes' ``penalizer_coef``).

    Attributes
    ----------
    params_ : dict of str to float
        Fitted ``p``, ``q``, ``v`` (v in the money unit of ``monetary_value``).
    log_likelihood_ : float
        Total log-likelihood of the fitted customers.
    n_customers_ : int
        Number of customers used (frequency > 0 and monetary_value > 0).
    """

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaModel:
        """Fit p, q, v by maximum likelihood on customers with repeat purchases.

        Only customers with frequency > 0 and monetary_value > 0 are used:
        the others carry no information on spend per repeat transaction.

        Parameters
        ----------
        frequency : array-like of int
            Repeat purchases x (>= 0).
        monetary_value : array-like of float
            Mean value of the repeat purchases (>= 0; 0 for x = 0).

        Returns
        -------
        GammaGammaModel
            ``self``, fitted.

        Raises
        ------
        DataError
            Invalid inputs (non-numeric, missing, negative, non-integer
            frequency, different lengths).
        ModelError
            Fewer than :data:`MIN_REPEAT_CUSTOMERS` usable customers, or the fit
            did not converge or is degenerate.
        """
        penalizer = _check_option("penalizer", self.penalizer, low=0.0, strict=False)
        x, m = _check_spend(frequency, monetary_value)
        if x.ndim == 0:
            raise DataError("fit needs one value per customer: frequency and monetary_value "
                            "are both scalars")
        used = (x > 0) & (m > 0)
        if used.sum() < MIN_REPEAT_CUSTOMERS:
            raise ModelError(
                f"Gamma-Gamma needs at least {MIN_REPEAT_CUSTOMERS} customers with a repeat "
                f"purchase and a positive monetary_value, got {int(used.sum())} of {x.size}; "
                "use more customers or a longer observation period"
            )
        x, m = x[used], m[used]
        money_scale = float(np.mean(m))
        m_scaled = m / money_scale
        ux, inv = _distinct(x)
        data = (ux, inv, x, np.log(m_scaled), np.log(x), x * m_scaled, np.ones_like(x))
        result = _minimise(_gamma_gamma_objective, np.zeros(3), (data, penalizer, money_scale),
                           "Gamma-Gamma", GAMMA_GAMMA_PARAMS, penalizer)
        p, q, v = np.exp(result.x)
        self.params_ = {"p": float(p), "q": float(q), "v": float(v * money_scale)}
        self.log_likelihood_ = float(self.log_likelihood(self.params_, x, m).sum())
        self.n_customers_ = int(x.size)
        return self

    @staticmethod
    def log_likelihood(
        params: Mapping[str, float], frequency: ArrayLike, monetary_value: ArrayLike
    ) -> np.ndarray:
        """Per-customer log density of the mean spend (Fader & Hardie 2013).

        f(m | p, q, v, x) = Gamma(px+q) / (Gamma(px) Gamma(q)) v^q m^(px-1) x^(px)
        / (v + x m)^(px+q), for customers with x > 0 and m > 0.

        Parameters
        ----------
        params : mapping
            ``p``, ``q``, ``v`` (positive).
        frequency, monetary_value : array-like
            Repeat purchases (> 0) and their mean value (> 0).

        Returns
        -------
        numpy.ndarray
            log f for each customer.
        """
        p, q, v = _check_params(params, GAMMA_GAMMA_PARAMS)
        x, m = (np.atleast_1d(a) for a in _check_spend(frequency, monetary_value))
        labels = frequency.index if isinstance(frequency, pd.Series) else None
        _fail("frequency", x, x == 0, labels, "is 0: the spend density needs a repeat purchase")
        _fail("monetary_value", m, m == 0, labels, "is 0: the spend density needs m > 0")
        return _gamma_gamma_loglik(p, q, v, x, m)

    def conditional_expected_average_profit(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> np.ndarray:
        """Expected spend per future transaction, eq. (5) of Fader & Hardie (2013).

        E[M | p, q, v, m_x, x] = (q-1)/(px+q-1) * v p/(q-1) + px/(px+q-1) * m_x,
        a weighted mean of the population mean v p / (q-1) and the customer's
        own mean m_x; customers with x = 0 get the population mean.

        Parameters
        ----------
        frequency, monetary_value : array-like or scalar
            Repeat purchases and their mean value (0 when x = 0).

        Returns
        -------
        numpy.ndarray
            Expected spend per transaction, one per customer.

        Raises
        ------
        ModelError
            The fitted q is <= 1: the population mean spend is infinite.
        """
        check_is_fitted(self)
        x, m = _check_spend(frequency, monetary_value)
        p, q, v = (self.params_[name] for name in GAMMA_GAMMA_PARAMS)
        if q <= 1:
            raise ModelError(
                f"the fitted q = {q:.4g} is <= 1, so the mean spend per transaction is "
                "infinite: spend per purchase is probably not independent of how often "
                "customers buy (the model's assumption; a penalizer only lowers q further). "
                "Check with more repeat customers, or use the customers' own mean spend"
            )
        px = p * x
        return (q - 1) / (px + q - 1) * (v * p / (q - 1)) + px / (px + q - 1) * m


def _check_spend(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[np.ndarray, ...]:
    """Check (frequency, monetary_value): equal lengths, finite, x whole >= 0, m >= 0."""
    (x, m), labels = _check_arrays({"frequency": frequency, "monetary_value": monetary_value})
    _fail("frequency", x, x < 0, labels, "is negative")
    _fail("frequency", x, x != np.round(x), labels, "is not a whole number of purchases")
    _fail("monetary_value", m, m < 0, labels, "is negative")
    return x, m


# ----------------------------------------------------------------------------
# CLV
# ----------------------------------------------------------------------------


def customer_lifetime_value(
    bgnbd: BetaGeoModel,
    gg: GammaGammaModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    horizon_months: int = 12,
    margin: float = 1.0,
    yearly_discount: float = 0.10,
    period_days: float = 1.0,
) -> np.ndarray:
    """Discounted expected margin of each customer over the next months.

    CLV = margin * E[M] * sum_{k=1..K} (E[Y(t_k)] - E[Y(t_{k-1})]) / (1 + d)^k

    where E[Y(t)] is the BG/NBD conditional expectation (eq. 10 of Fader,
    Hardie & Lee 2005a), t_k = k * 30.4375 / period_days is the end of month
    k in the time unit of ``T``, E[M] the Gamma-Gamma expected spend per
    transaction (Fader & Hardie 2013, eq. 5), K = ``horizon_months`` and
    d = (1 + yearly_discount)^(1/12) - 1 the monthly discount rate. Each
    month's purchases are discounted at the end of that month. This is the
    calculation of lifetimes' ``customer_lifetime_value`` (Fader, Hardie & Lee
    2005b) with average-length months and a yearly rate.

    Parameters
    ----------
    bgnbd : BetaGeoModel
        Fitted purchase model.
    gg : GammaGammaModel
        Fitted spend model.
    frequency, recency, T : array-like
        As in :meth:`BetaGeoModel.fit`, in units of ``period_days`` days.
    monetary_value : array-like
        Mean value of the repeat purchases (0 when frequency is 0).
    horizon_months : int, default 12
        Number of months ahead (>= 1).
    margin : float, default 1.0
        Share of spend that is profit (>= 0); 1.0 gives discounted revenue.
    yearly_discount : float, default 0.10
        Yearly discount rate (>= 0).
    period_days : float, default 1.0
        Days in one time unit of ``T``: 1 for days, 7 for weeks.

    Returns
    -------
    numpy.ndarray
        CLV of each customer, in the money unit of ``monetary_value``.

    Raises
    ------
    DataError
        Invalid customers or options.
    ModelError
        The Gamma-Gamma fit has q <= 1.
    """
    check_is_fitted(bgnbd)
    check_is_fitted(gg)
    horizon = int(horizon_months)
    if horizon != horizon_months or horizon < 1:
        raise DataError(f"horizon_months = {horizon_months!r} must be a whole number >= 1")
    margin = _check_option("margin", margin, low=0.0, strict=False)
    yearly_discount = _check_option("yearly_discount", yearly_discount, low=0.0, strict=False)
    period_days = _check_option("period_days", period_days, low=0.0, strict=True)
    x, t_x, age, m = _check_customers(frequency, recency, T, {"monetary_value": monetary_value})
    spend = gg.conditional_expected_average_profit(x, m)
    return margin * spend * _discounted_purchases(bgnbd, x, t_x, age, horizon, yearly_discount,
                                                  period_days)


def _discounted_purchases(bgnbd: BetaGeoModel, x, t_x, age, horizon: int,
                          yearly_discount: float, period_days: float) -> np.ndarray:
    """Sum over months of each month's expected purchases, discounted at the month's end."""
    if x.ndim == 0:
        first, inverse = np.zeros(1, dtype=np.int64), np.zeros((), dtype=np.int64)
        x, t_x, age = (np.atleast_1d(v) for v in (x, t_x, age))
    else:
        first, inverse, _ = _compress(x, t_x, age)
    x, t_x, age = x[first], t_x[first], age[first]
    params = bgnbd._params()
    month = DAYS_PER_MONTH / period_days
    monthly_factor = (1.0 + yearly_discount) ** (1.0 / 12.0)
    discounted_purchases = np.zeros(x.shape)
    previous = np.zeros(x.shape)
    for k in range(1, horizon + 1):
        cumulative = _conditional_expected(*params, k * month, x, t_x, age)
        discounted_purchases += (cumulative - previous) / monthly_factor**k
        previous = cumulative
    return discounted_purchases[inverse]


# ----------------------------------------------------------------------------
# Simulation
# ----------------------------------------------------------------------------


def simulate_bgnbd(
    params: Mapping[str, float],
    n: int,
    T: ArrayLike,
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Draw customers' (frequency, recency, T) from the BG/NBD model.

    Each customer has lambda ~ Gamma(r, rate alpha) and p ~ Beta(a, b), makes
    a first purchase at 0, then buys at the events of a Poisson process with
    rate lambda and drops out after each repeat purchase with probability p.
    With N ~ Poisson(lambda T) events in (0, T] and K ~ Geometric(p) repeat
    purchases before drop-out, x = min(N, K), and t_x is the x-th of N
    uniform event times: T * Beta(x, N - x + 1).

    Parameters
    ----------
    params : mapping
        ``r``, ``alpha``, ``a``, ``b``.
    n : int
        Number of customers.
    T : float or array-like of length n
        Observation length of each customer (> 0), in the unit of alpha.
    random_state : int, Generator or None
        Seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    pandas.DataFrame
        Columns ``frequency`` (int), ``recency``, ``T`` (float), one row per customer.
    """
    r, alpha, a, b = _check_params(params, BGNBD_PARAMS)
    (age,), _ = _check_arrays({"T": T})
    if age.ndim == 1 and age.size != n:
        raise DataError(f"T has {age.size} values but n = {n} customers were asked for")
    _fail("T", age, age <= 0, None, "must be positive")
    age = np.broadcast_to(age, (n,)).astype(float)
    rng = np.random.default_rng(random_state)
    rate = rng.gamma(r, 1.0 / alpha, size=n)
    drop = np.clip(rng.beta(a, b, size=n), 1e-12, 1.0)
    before_drop = rng.geometric(drop)
    events = rng.poisson(rate * age)
    x = np.minimum(events, before_drop)
    last = rng.beta(np.maximum(x, 1), events - x + 1)
    recency = np.where(x > 0, age * last, 0.0)
    return pd.DataFrame({"frequency": x.astype(np.int64), "recency": recency, "T": age})


def simulate_gamma_gamma(
    params: Mapping[str, float],
    frequency: ArrayLike,
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Draw each customer's mean spend over their repeat purchases (Gamma-Gamma model).

    nu ~ Gamma(q, rate v) per customer; each of the x transactions is
    Gamma(p, rate nu), so their mean is Gamma(p x, rate nu x).

    Parameters
    ----------
    params : mapping
        ``p``, ``q``, ``v``.
    frequency : array-like of int
        Repeat purchases x of each customer.
    random_state : int, Generator or None
        Seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray
        Mean spend per repeat transaction; 0 for customers with x = 0.
    """
    p, q, v = _check_params(params, GAMMA_GAMMA_PARAMS)
    (x,), labels = _check_arrays({"frequency": frequency}, allow_empty=True)
    x = np.atleast_1d(x)
    _fail("frequency", x, (x < 0) | (x != np.round(x)), labels,
          "must be a whole number >= 0")
    rng = np.random.default_rng(random_state)
    nu = rng.gamma(q, 1.0 / v, size=x.size)
    shape = np.where(x > 0, p * x, 1.0)
    mean = rng.gamma(shape, 1.0 / (nu * np.maximum(x, 1)))
    return np.where(x > 0, mean, 0.0)


# --------------------------------------------------------------------------- the stage's CLV


@dataclass
class CLVResult:
    """Per-customer CLV for the targeting stage, and how it was computed."""

    table: pd.DataFrame          # customer_id, p_alive, expected_purchases, expected_spend, clv,
    #                              clv_method
    method: str                  # MODEL_METHOD or HISTORICAL_METHOD
    reason: str                  # why the historical fallback was used ("" for the models)
    margin: float
    margin_source: str
    bgnbd: BetaGeoModel | None = None
    gamma_gamma: GammaGammaModel | None = None
    settings: dict = field(default_factory=dict)


MODEL_METHOD = "BG/NBD + Gamma-Gamma"
OBSERVED_SPEND_METHOD = "BG/NBD + observed spend"
HISTORICAL_METHOD = "historical"


def stage_margin(customers: pd.DataFrame, margin: float | None) -> tuple[float, str]:
    """The margin applied to spend: the config's, else the data's margin rate, else 1."""
    if margin is not None:
        return float(margin), "targeting.clv.margin"
    if {"margin", "gross_revenue"} <= set(customers.columns):
        gross = float(customers["gross_revenue"].sum())
        if gross > 0:
            return float(customers["margin"].sum()) / gross, "the data (margin / gross revenue)"
    return 1.0, "none (no margin data: CLV is discounted revenue)"


def customer_clv(customers: pd.DataFrame, *, horizon_months: int = 12,
                 yearly_discount: float = 0.10, margin: float | None = None,
                 min_repeat_customers: int = 50, min_history_days: int = 90,
                 penalizer: float = 0.0) -> CLVResult:
    """CLV of every customer over ``horizon_months``, by the models or historically.

    The models (BG/NBD for purchases and drop-out, Gamma-Gamma for spend) are
    fitted on the collection stage's CLV summary (``clv_frequency``,
    ``clv_recency``, ``clv_T``, ``clv_monetary_value``, in days). When the data
    are too thin for them (fewer than ``min_repeat_customers`` repeat buyers, a
    history shorter than ``min_history_days``, or a fit that fails), the
    **historical** CLV is used instead and labelled as such (see
    :func:`historical_clv`: margin per month so far, the observed monthly
    retention and the time since the last purchase). Customers without a
    purchase have CLV 0.
    """
    needed = ["clv_frequency", "clv_recency", "clv_T", "clv_monetary_value"]
    missing = [c for c in needed if c not in customers.columns]
    if missing:
        raise DataError(f"the customer table has no {', '.join(missing)}: CLV needs the "
                        "transactions (data.transactions)")
    rate, source = stage_margin(customers, margin)
    buyers = customers["clv_T"].notna().to_numpy()
    x = customers.loc[buyers, "clv_frequency"].to_numpy(float)
    t_x = customers.loc[buyers, "clv_recency"].to_numpy(float)
    T = customers.loc[buyers, "clv_T"].to_numpy(float)
    m = customers.loc[buyers, "clv_monetary_value"].to_numpy(float)
    table = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(),
                          "p_alive": np.nan, "expected_purchases": np.nan,
                          "expected_spend": np.nan, "clv": 0.0, "clv_method": "no purchase"})
    settings = {"horizon_months": horizon_months, "yearly_discount": yearly_discount,
                "min_repeat_customers": min_repeat_customers,
                "min_history_days": min_history_days}
    repeaters = int((x > 0).sum())
    history = float(T.max()) if len(T) else 0.0
    reason = ""
    if repeaters < min_repeat_customers:
        reason = (f"only {repeaters:,} customers bought again (the models need at least "
                  f"{min_repeat_customers:,}: targeting.clv.min_repeat_customers)")
    elif history < min_history_days:
        reason = (f"the history covers {history:.0f} days (the models need at least "
                  f"{min_history_days}: targeting.clv.min_history_days)")
    bgnbd = gg = None
    if not reason:
        try:
            bgnbd = BetaGeoModel(penalizer=penalizer).fit(x, t_x, T)
        except ModelError as err:
            reason = f"the BG/NBD model could not be fitted ({err})"
    if not reason:
        method = MODEL_METHOD
        try:
            gg = GammaGammaModel(penalizer=penalizer).fit(x, m)
            spend = gg.conditional_expected_average_profit(x, m)
        except ModelError as err:
            # Spend per purchase barely varies within a customer (the Gamma-Gamma fit is
            # degenerate, p -> infinity): its limit is the customer's own mean spend.
            gg = None
            spend = np.where(x > 0, m, m[x > 0].mean())
            method = OBSERVED_SPEND_METHOD
            settings["spend_note"] = (
                f"the Gamma-Gamma model could not be fitted ({err}); expected spend per "
                "purchase is the customer's own mean repeat spend (the population mean for "
                "customers without repeats), the model's limit when spend varies little "
                "within a customer")
        horizon = horizon_months * DAYS_PER_MONTH
        rows = np.flatnonzero(buyers)
        purchases = _discounted_purchases(bgnbd, x, t_x, T, int(horizon_months),
                                          yearly_discount, 1.0)
        table.loc[rows, "p_alive"] = bgnbd.conditional_probability_alive(x, t_x, T)
        table.loc[rows, "expected_purchases"] = bgnbd.conditional_expected_purchases(
            horizon, x, t_x, T)
        table.loc[rows, "expected_spend"] = spend
        table.loc[rows, "clv"] = rate * spend * purchases
        table.loc[rows, "clv_method"] = method
        return CLVResult(table=table, method=method, reason="", margin=rate,
                         margin_source=source, bgnbd=bgnbd, gamma_gamma=gg,
                         settings=settings)
    values, active, retention = historical_clv(customers.loc[buyers], margin=rate,
                                               horizon_months=horizon_months,
                                               yearly_discount=yearly_discount)
    table.loc[buyers, "clv"] = values
    table.loc[buyers, "p_alive"] = active
    table.loc[buyers, "clv_method"] = HISTORICAL_METHOD
    settings["monthly_retention"] = retention
    return CLVResult(table=table, method=HISTORICAL_METHOD, reason=reason, margin=rate,
                     margin_source=source, settings=settings)


def historical_clv(buyers: pd.DataFrame, *, margin: float, horizon_months: int,
                   yearly_discount: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Historical CLV: margin per month so far x the chance to stay, month by month, discounted.

    * margin per month: the customer's revenue x ``margin`` over their tenure in
      months, counted as at least 12 (a recent first order is not a monthly habit);
    * monthly retention r: among the customers who had bought before the last
      window w (a year, or half the history when shorter), the share who bought
      again within it, as a monthly rate (r = share^(month / w));
    * the chance the customer is still active: r^(months since the last purchase);
    * CLV = margin per month x chance active x sum over the horizon's months of
      r^k / (1 + d)^k, with d the monthly discount rate.

    Returns
    -------
    (clv, chance_active, monthly_retention)
    """
    months = np.maximum(buyers["tenure_days"].to_numpy(float) if "tenure_days" in buyers
                        else buyers["clv_T"].to_numpy(float), 0) / DAYS_PER_MONTH
    revenue = buyers["revenue"].to_numpy(float) if "revenue" in buyers else (
        buyers["clv_monetary_value"].to_numpy(float) * (buyers["clv_frequency"] + 1))
    recency = (buyers["recency_days"].to_numpy(float) if "recency_days" in buyers
               else (buyers["clv_T"] - buyers["clv_recency"]).to_numpy(float))
    tenure = months * DAYS_PER_MONTH
    window = min(365.0, float(np.nanmax(tenure)) / 2) if len(tenure) else 365.0
    before = tenure >= window
    stayed = float(np.mean(recency[before] <= window)) if before.any() and window > 0 else 1.0
    retention = stayed ** (DAYS_PER_MONTH / window) if window > 0 else 1.0
    per_month = revenue * margin / np.maximum(months, 12.0)
    active = retention ** (np.maximum(recency, 0) / DAYS_PER_MONTH)
    monthly = (1 + yearly_discount) ** (1 / 12) - 1
    factor = sum((retention / (1 + monthly)) ** k for k in range(1, int(horizon_months) + 1))
    return per_month * active * factor, active, retention
