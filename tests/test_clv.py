"""BG/NBD and Gamma-Gamma: planted-parameter recovery, the paper's formulas, CLV, input errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1
from sklearn.exceptions import NotFittedError

from seglib.clv import (
    BetaGeoModel,
    GammaGammaModel,
    customer_lifetime_value,
    simulate_bgnbd,
    simulate_gamma_gamma,
)
from seglib.errors import DataError, ModelError

#: CDNOW estimates of Fader, Hardie & Lee (2005a), time unit weeks.
CDNOW = {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}
#: CDNOW Gamma-Gamma estimates of Fader & Hardie (2013).
CDNOW_SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    """20,000 customers drawn from the CDNOW parameters, observed 39 weeks, with spend."""
    frame = simulate_bgnbd(CDNOW, n=20_000, T=39.0, random_state=11)
    frame["monetary_value"] = simulate_gamma_gamma(CDNOW_SPEND, frame["frequency"], random_state=12)
    return frame


@pytest.fixture(scope="module")
def bgnbd(customers) -> BetaGeoModel:
    return BetaGeoModel().fit(customers["frequency"], customers["recency"], customers["T"])


@pytest.fixture(scope="module")
def gamma_gamma(customers) -> GammaGammaModel:
    return GammaGammaModel().fit(customers["frequency"], customers["monetary_value"])


def planted(params: dict[str, float]) -> BetaGeoModel:
    """A BG/NBD model set to known parameters (no fit)."""
    model = BetaGeoModel()
    model.params_ = dict(params)
    return model


# ---------------------------------------------------------------- recovery


def test_bgnbd_recovers_planted_cdnow_parameters(bgnbd, customers):
    # Across 12 seeds the largest errors at this size were 4% (r, alpha) and 8% (a, b).
    assert bgnbd.n_customers_ == 20_000
    for name, rtol in {"r": 0.10, "alpha": 0.10, "a": 0.15, "b": 0.15}.items():
        assert bgnbd.params_[name] == pytest.approx(CDNOW[name], rel=rtol), name


def test_gamma_gamma_recovers_planted_parameters():
    # p and v trade off against each other (their ratio is well determined, each one
    # less so: about 6% standard error at this size); q and the mean spend are tight.
    rng = np.random.default_rng(5)
    frequency = rng.integers(1, 11, 20_000)
    spend = simulate_gamma_gamma(CDNOW_SPEND, frequency, random_state=6)
    model = GammaGammaModel().fit(frequency, spend)
    p, q, v = (model.params_[k] for k in ("p", "q", "v"))
    assert model.n_customers_ == 20_000
    assert q == pytest.approx(CDNOW_SPEND["q"], rel=0.05)
    assert p == pytest.approx(CDNOW_SPEND["p"], rel=0.20)
    assert v == pytest.approx(CDNOW_SPEND["v"], rel=0.20)
    true_mean = CDNOW_SPEND["p"] * CDNOW_SPEND["v"] / (CDNOW_SPEND["q"] - 1)
    assert p * v / (q - 1) == pytest.approx(true_mean, rel=0.03)


def test_gamma_gamma_uses_only_repeat_customers_with_spend(gamma_gamma, customers):
    used = (customers["frequency"] > 0) & (customers["monetary_value"] > 0)
    assert gamma_gamma.n_customers_ == used.sum()
    assert gamma_gamma.params_["q"] == pytest.approx(CDNOW_SPEND["q"], rel=0.15)


def test_fit_is_the_maximum_of_the_published_likelihood(bgnbd, customers):
    args = (customers["frequency"], customers["recency"], customers["T"])
    best = BetaGeoModel.log_likelihood(bgnbd.params_, *args).sum()
    assert bgnbd.log_likelihood_ == pytest.approx(best, rel=1e-12)
    for name in bgnbd.params_:
        for factor in (0.99, 1.01):
            moved = {**bgnbd.params_, name: bgnbd.params_[name] * factor}
            assert BetaGeoModel.log_likelihood(moved, *args).sum() < best


def test_time_unit_only_rescales_alpha(customers):
    weeks = BetaGeoModel().fit(customers["frequency"], customers["recency"], customers["T"])
    days = BetaGeoModel().fit(customers["frequency"], customers["recency"] * 7,
                              customers["T"] * 7)
    assert days.params_["alpha"] == pytest.approx(7 * weeks.params_["alpha"], rel=1e-6)
    for name in ("r", "a", "b"):
        assert days.params_[name] == pytest.approx(weeks.params_[name], rel=1e-6)


def test_fit_and_simulation_are_deterministic(customers):
    again = simulate_bgnbd(CDNOW, n=20_000, T=39.0, random_state=11)
    pd.testing.assert_frame_equal(again, customers[["frequency", "recency", "T"]])
    assert not simulate_bgnbd(CDNOW, n=50, T=39.0, random_state=12).equals(
        simulate_bgnbd(CDNOW, n=50, T=39.0, random_state=13))
    first = BetaGeoModel().fit(again["frequency"], again["recency"], again["T"])
    second = BetaGeoModel().fit(again["frequency"], again["recency"], again["T"])
    assert first.params_ == second.params_
    assert first.log_likelihood_ == second.log_likelihood_


# ---------------------------------------------------------------- the paper's formulas


def test_bgnbd_log_likelihood_equals_eq_6_by_hand():
    params = {"r": 0.5, "alpha": 3.0, "a": 0.8, "b": 2.5}
    r, alpha, a, b = params.values()
    hand_made = [(0, 0.0, 10.0), (2, 5.5, 12.0), (7, 30.2, 31.0)]

    def log_beta(u, w):
        return math.lgamma(u) + math.lgamma(w) - math.lgamma(u + w)

    def by_hand(x, t_x, T):
        counts = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
        alive = math.exp(log_beta(a, b + x) - log_beta(a, b) + counts
                         - (r + x) * math.log(alpha + T))
        gone = 0.0
        if x > 0:
            gone = math.exp(log_beta(a + 1, b + x - 1) - log_beta(a, b) + counts
                            - (r + x) * math.log(alpha + t_x))
        return math.log(alive + gone)

    frequency, recency, T = (np.array(column) for column in zip(*hand_made, strict=True))
    expected = [by_hand(*customer) for customer in hand_made]
    got = BetaGeoModel.log_likelihood(params, frequency, recency, T)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_gamma_gamma_log_likelihood_equals_density_by_hand():
    params = {"p": 6.0, "q": 4.0, "v": 15.0}
    p, q, v = params.values()
    hand_made = [(1, 20.0), (3, 35.5), (12, 8.25)]

    def by_hand(x, m):
        return (math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q) + q * math.log(v)
                + (p * x - 1) * math.log(m) + p * x * math.log(x)
                - (p * x + q) * math.log(v + x * m))

    frequency, spend = (np.array(column) for column in zip(*hand_made, strict=True))
    got = GammaGammaModel.log_likelihood(params, frequency, spend)
    np.testing.assert_allclose(got, [by_hand(*c) for c in hand_made], rtol=1e-12)


def test_conditional_expected_purchases_equals_eq_10_by_hand():
    model = planted(CDNOW)
    r, alpha, a, b = CDNOW.values()
    for x, t_x, T, t in [(0, 0.0, 39.0, 10.0), (1, 2.0, 39.0, 52.0), (5, 30.0, 38.0, 4.0)]:
        bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        alive = 1 / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
        expected = (a + b + x - 1) / (a - 1) * bracket * alive
        got = model.conditional_expected_purchases(t, x, t_x, T)
        assert float(got) == pytest.approx(expected, rel=1e-10)
        assert float(model.conditional_probability_alive(x, t_x, T)) == pytest.approx(
            alive, rel=1e-12)


def test_new_customer_expectation_is_eq_7_and_matches_simulation(customers):
    model = planted(CDNOW)
    t = np.array([0.0, 1.0, 10.0, 39.0, 100.0])
    unconditional = model.expected_purchases(t)
    # eq. 7 is eq. 10 for a customer just acquired (x = t_x = T = 0)
    np.testing.assert_allclose(unconditional, model.conditional_expected_purchases(t, 0, 0, 0),
                               rtol=1e-10)
    assert unconditional[0] == 0
    assert np.all(np.diff(unconditional) > 0)
    # and it is the mean number of repeat purchases of customers simulated for 39 weeks
    assert customers["frequency"].mean() == pytest.approx(unconditional[3], rel=0.05)


def test_probability_alive_is_one_without_repeats_and_falls_with_age_of_last_purchase(bgnbd):
    assert float(bgnbd.conditional_probability_alive(0, 0.0, 39.0)) == 1.0
    recency = np.array([39.0, 30.0, 20.0, 10.0, 1.0])
    alive = bgnbd.conditional_probability_alive(3, recency, 39.0)
    assert np.all(np.diff(alive) < 0)
    assert np.all((alive > 0) & (alive <= 1))


def test_conditional_expected_purchases_increase_with_t(bgnbd):
    t = np.array([1.0, 4.0, 13.0, 26.0, 52.0])
    for x, t_x in [(0, 0.0), (2, 20.0), (10, 38.0)]:
        expected = bgnbd.conditional_expected_purchases(t, x, t_x, 39.0)
        assert np.all(np.diff(expected) > 0)
        assert np.all(expected > 0)
    # frequent recent buyers are expected to buy more than lapsed ones
    recent, lapsed = bgnbd.conditional_expected_purchases(13.0, [10, 10], [38.0, 5.0], 39.0)
    assert recent > lapsed


def test_expected_average_profit_shrinks_towards_the_population_mean(gamma_gamma):
    p, q, v = (gamma_gamma.params_[k] for k in ("p", "q", "v"))
    population = p * v / (q - 1)
    spend = gamma_gamma.conditional_expected_average_profit([0, 1, 1, 50], [0.0, 100.0, 1.0, 100.0])
    assert spend[0] == pytest.approx(population, rel=1e-12)
    expected_one = (q - 1) / (p + q - 1) * population + p / (p + q - 1) * 100.0
    assert spend[1] == pytest.approx(expected_one, rel=1e-12)
    assert spend[2] < population < spend[1] < spend[3] < 100.0


# ---------------------------------------------------------------- CLV


@pytest.fixture(scope="module")
def clv_inputs(customers):
    sample = customers.iloc[:2000]
    return sample["frequency"], sample["recency"], sample["T"], sample["monetary_value"]


def test_clv_is_zero_without_margin_and_linear_in_margin(bgnbd, gamma_gamma, clv_inputs):
    def clv(**options):
        return customer_lifetime_value(bgnbd, gamma_gamma, *clv_inputs, period_days=7, **options)

    assert isinstance(clv(), np.ndarray)
    assert np.all(clv(margin=0.0) == 0)
    np.testing.assert_allclose(clv(margin=0.6), 2 * clv(margin=0.3), rtol=1e-12)
    assert np.all(clv(margin=0.3) > 0)


def test_clv_falls_with_the_discount_rate_and_rises_with_the_horizon(bgnbd, gamma_gamma,
                                                                     clv_inputs):
    def clv(**options):
        return customer_lifetime_value(bgnbd, gamma_gamma, *clv_inputs, period_days=7, **options)

    assert np.all(clv(yearly_discount=0.20) < clv(yearly_discount=0.10))
    assert np.all(clv(horizon_months=24) > clv(horizon_months=12))


def test_clv_without_discount_is_spend_times_expected_purchases(bgnbd, gamma_gamma, clv_inputs):
    frequency, recency, T, spend = clv_inputs
    clv = customer_lifetime_value(bgnbd, gamma_gamma, frequency, recency, T, spend,
                                  horizon_months=12, margin=0.25, yearly_discount=0.0,
                                  period_days=7)
    purchases = bgnbd.conditional_expected_purchases(365.25 / 7, frequency, recency, T)
    average = gamma_gamma.conditional_expected_average_profit(frequency, spend)
    np.testing.assert_allclose(clv, 0.25 * purchases * average, rtol=1e-10)


def test_clv_does_not_depend_on_the_time_unit(bgnbd, gamma_gamma, clv_inputs):
    frequency, recency, T, spend = clv_inputs
    in_days = planted({**bgnbd.params_, "alpha": bgnbd.params_["alpha"] * 7})
    weekly = customer_lifetime_value(bgnbd, gamma_gamma, frequency, recency, T, spend,
                                     period_days=7)
    daily = customer_lifetime_value(in_days, gamma_gamma, frequency, recency * 7, T * 7, spend,
                                    period_days=1)
    np.testing.assert_allclose(daily, weekly, rtol=1e-10)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, 2, 3], [1.0, 2.0, 40.0], [39.0, 39.0, 39.0],
         "recency = 40 is larger than T = 39 at position 2"),
        ([1, -2, 3], [1.0, 2.0, 3.0], 39.0, "frequency = -2 at position 1 is negative"),
        ([1, 1.5, 3], [1.0, 2.0, 3.0], 39.0,
         "frequency = 1.5 at position 1 is not a whole number"),
        ([1, 2, 3], [np.nan, 2.0, 3.0], 39.0, "recency has a missing value (NaN) at position 0"),
        ([1, 2, 3], [1.0, 2.0], 39.0, "frequency has 3, recency has 2 values"),
        ([1, 0, 3], [1.0, 2.0, 3.0], 39.0,
         "recency = 2 at position 1 is not 0 although frequency is 0"),
        ([1, 2, 3], [1.0, -2.0, 3.0], 39.0, "recency = -2 at position 1 is negative"),
        ([1, 2, 3], [1.0, 2.0, 3.0], [39.0, np.inf, 39.0], "T has an infinite value at position 1"),
        (["1", "2"], [1.0, 2.0], 39.0, "frequency must be numeric"),
        ([], [], [], "no customers"),
    ],
)
def test_bad_customers_raise_data_error_naming_the_problem(frequency, recency, T, message):
    with pytest.raises(DataError) as caught:
        BetaGeoModel().fit(frequency, recency, T)
    assert message in str(caught.value)


def test_data_error_names_the_index_label_of_a_series():
    index = pd.Index(["c1", "c2", "c3"], name="customer_id")
    frequency = pd.Series([1, 2, 3], index=index)
    recency = pd.Series([1.0, 50.0, 3.0], index=index)
    T = pd.Series([39.0, 39.0, 39.0], index=index)
    with pytest.raises(DataError, match=r"at position 1 \(index 'c2'\)"):
        BetaGeoModel().fit(frequency, recency, T)


def test_bad_spend_and_options_raise_data_error(bgnbd, gamma_gamma):
    with pytest.raises(DataError, match="monetary_value = -5 at position 1 is negative"):
        GammaGammaModel().fit([1, 2], [10.0, -5.0])
    with pytest.raises(DataError, match="margin = -0.1 must be a finite number >= 0"):
        customer_lifetime_value(bgnbd, gamma_gamma, [1], [2.0], [39.0], [10.0], margin=-0.1)
    with pytest.raises(DataError, match="horizon_months = 0 must be a whole number >= 1"):
        customer_lifetime_value(bgnbd, gamma_gamma, [1], [2.0], [39.0], [10.0], horizon_months=0)
    with pytest.raises(DataError, match="t = -1 is negative"):
        bgnbd.conditional_expected_purchases(-1.0, 1, 2.0, 39.0)
    with pytest.raises(DataError, match="params has no value for b"):
        BetaGeoModel.log_likelihood({"r": 1, "alpha": 1, "a": 1}, [1], [1.0], [2.0])


def test_frequency_above_zero_with_recency_zero_is_allowed_as_in_lifetimes():
    assert np.isfinite(BetaGeoModel.log_likelihood(CDNOW, [2], [0.0], [39.0])).all()


def test_unfittable_data_raise_model_error_saying_what_to_try():
    with pytest.raises(ModelError, match="none of the 3 customers has a repeat purchase"):
        BetaGeoModel().fit([0, 0, 0], [0.0, 0.0, 0.0], [10.0, 20.0, 30.0])
    with pytest.raises(ModelError, match=r"at least 10 customers .* got 2 of 3"):
        GammaGammaModel().fit([1, 2, 0], [10.0, 20.0, 0.0])
    # everybody bought at the very end: nobody ever drops out, so a -> 0 or b -> infinity
    frequency = np.random.default_rng(0).integers(1, 6, 200)
    with pytest.raises(ModelError, match="degenerate .* penalizer"):
        BetaGeoModel().fit(frequency, np.full(200, 30.0), np.full(200, 30.0))


def test_expected_profit_needs_q_above_one():
    model = GammaGammaModel()
    model.params_ = {"p": 4.0, "q": 0.9, "v": 3.0}
    with pytest.raises(ModelError, match="q = 0.9 is <= 1"):
        model.conditional_expected_average_profit([1], [10.0])


def test_predicting_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        BetaGeoModel().conditional_probability_alive([1], [2.0], [3.0])
