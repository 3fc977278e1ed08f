"""Hill fits of inhibitory dose-responses: known answers and honest failures."""

import math

import numpy as np
import pytest

from habmodel.analysis.fitting import HillFit, fit_hill, hill

DOSES = np.array([0.0, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0])
IC50, N, TOP = 1.7, 2.5, 5.0


def test_exact_data_recovers_the_parameters():
    fit = fit_hill(DOSES, hill(DOSES, IC50, N, TOP))
    assert isinstance(fit, HillFit) and fit.ok, fit.reason
    assert fit.ic50_uM == pytest.approx(IC50, rel=1e-6)
    assert fit.hill_n == pytest.approx(N, rel=1e-6)
    assert fit.top == pytest.approx(TOP, rel=1e-6)
    assert fit.bottom == 0
    assert fit.residual < 1e-8
    lo, hi = fit.ci95_uM
    assert lo <= fit.ic50_uM <= hi and hi - lo < 1e-4
    assert fit.n_points == DOSES.size


def test_noisy_replicates_ci_covers_the_truth():
    rng = np.random.default_rng(3)
    doses = np.repeat(DOSES, 4)
    response = hill(doses, IC50, N, TOP) + rng.normal(0, 0.25, doses.size)
    fit = fit_hill(doses, response)
    lo, hi = fit.ci95_uM
    assert fit.ok, fit.reason
    assert lo < IC50 < hi, f"95 % CI {fit.ci95_uM} misses {IC50}"
    assert lo < fit.ic50_uM < hi
    assert fit.ic50_uM == pytest.approx(IC50, rel=0.15)
    assert 0.1 < fit.residual < 0.5


def test_fixed_top_free_bottom_and_predict():
    y = hill(DOSES, 0.8, 1.2, 3.0, 1.0)
    fit = fit_hill(DOSES, y, top=3.0, bottom=None)
    assert fit.top == 3.0
    assert fit.bottom == pytest.approx(1.0, abs=1e-5)
    assert fit.ic50_uM == pytest.approx(0.8, rel=1e-4)
    assert fit.predict([fit.ic50_uM])[0] == pytest.approx(2.0, rel=1e-6)
    assert np.all(np.diff(fit.predict(np.logspace(-2, 2, 50))) < 0)


def test_brian2_quantities_are_accepted_and_checked():
    from brian2 import mV, uM

    y = hill(DOSES, IC50, N, TOP)
    assert fit_hill(DOSES * uM, y).ic50_uM == pytest.approx(IC50, rel=1e-6)
    assert fit_hill([f"{d} uM" for d in DOSES], y).ic50_uM == pytest.approx(IC50, rel=1e-6)
    assert fit_hill([d * uM for d in DOSES], y).ic50_uM == pytest.approx(IC50, rel=1e-6)
    with pytest.raises(ValueError, match="doses_uM.*uM"):
        fit_hill(DOSES * mV, y)
    with pytest.raises(ValueError, match="doses_uM.*uM"):
        fit_hill([d * mV for d in DOSES], y)


@pytest.mark.parametrize("doses, response, message", [
    (DOSES, np.full(DOSES.size, 2.0), "does not decrease"),
    (DOSES, np.linspace(0, 3, DOSES.size), "does not decrease"),
    (DOSES, np.r_[np.nan, np.ones(DOSES.size - 1)], "finite"),
    ([0.0, 1.0], [2.0, 1.0], "need at least"),
    ([0.0, 1.0, 1.0, 1.0], [2.0, 1.0, 1.1, 0.9], "2 distinct positive doses"),
    ([-1.0, 1.0, 2.0, 3.0], [3.0, 2.0, 1.0, 0.5], ">= 0"),
    ([0.0, 1.0, 2.0], [3.0, 2.0], "equal lengths"),
    (DOSES, np.zeros(DOSES.size), "does not decrease"),
])
def test_degenerate_data_raise(doses, response, message):
    with pytest.raises(ValueError, match=message):
        fit_hill(doses, response)


def test_unbracketed_half_maximum_gives_nan_ci_and_a_reason():
    doses = np.array([0.0, 0.01, 0.03, 0.1, 0.3])  # all well below IC50 = 1.7 uM
    fit = fit_hill(doses, hill(doses, IC50, N, TOP))
    assert not fit.ok
    assert "not bracketed" in fit.reason and "extrapolation" in fit.reason
    assert all(math.isnan(x) for x in fit.ci95_uM)
    assert "n/a" in fit.describe()


def test_step_like_data_say_where_the_ic50_lies():
    fit = fit_hill([0, 0.3, 1, 2, 3, 10], [3, 3, 3, 0, 0, 0])
    assert not fit.ok
    assert "step-like" in fit.reason and "between 1 and 2 uM" in fit.reason
    assert 1 < fit.ic50_uM < 2
    assert all(math.isnan(x) for x in fit.ci95_uM)


def test_no_degrees_of_freedom_no_ci():
    fit = fit_hill([0.0, 1.0, 3.0], [4.0, 3.0, 0.5])
    assert "degrees of freedom" in fit.reason
    assert all(math.isnan(x) for x in fit.ci95_uM)


def test_an_undetermined_interval_is_nan_with_a_reason_not_an_overflow():
    """Coarse, step-like data (a 3-cell dose-response): the covariance is huge."""
    fit = fit_hill(np.array([0, 0.1, 0.3, 1, 2, 3, 5, 10, 30.0]),
                   np.array([3, 3, 3.67, 0.67, 0, 0, 0, 0, 0]))
    assert 0.3 < fit.ic50_uM < 2
    assert all(math.isnan(x) for x in fit.ci95_uM)
    assert fit.reason
