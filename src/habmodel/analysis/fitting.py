"""Hill fits of inhibitory dose-response curves (SciPy).

The model fitted is

    response(C) = bottom + (top - bottom) / (1 + (C / IC50)^n)

a decreasing curve for ``top > bottom`` and ``n > 0``. ``bottom`` is fixed
(default 0: full inhibition) or free; ``top`` is free unless given. The fit
is a least-squares fit (:func:`scipy.optimize.least_squares`, trust-region
reflective, with bounds) in the parameters ``log10(IC50)``, ``n`` and the
free plateaus.

Confidence interval of the IC50: from the covariance of the fit
(``s^2 (J^T J)^-1``, ``s^2`` the residual variance) on ``log10(IC50)``, with a
Student-t quantile for the residual degrees of freedom, transformed back to
uM; so it is asymmetric in uM. It assumes the residuals are independent and
of equal variance; it is not a bootstrap.

Degenerate data are reported, never fitted silently:

* fewer points than free parameters, non-finite values, negative doses, a
  response that does not decrease, or no response at all: ``ValueError``;
* no residual degrees of freedom, a singular covariance, a Hill coefficient at
  its bound (step-like data) or a half-maximal response that the tested doses
  do not bracket (the IC50 is an extrapolation): the fit is returned with a
  NaN confidence interval and ``HillFit.reason`` saying why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["HillFit", "fit_hill", "hill"]

#: Bounds of the Hill coefficient in the fit.
HILL_N_BOUNDS = (0.1, 20.0)


def hill(doses_uM, ic50_uM: float, hill_n: float, top: float, bottom: float = 0.0):
    """``bottom + (top - bottom) / (1 + (C/IC50)^n)`` for doses in uM."""
    doses = np.asarray(doses_uM, float)
    return bottom + (top - bottom) / (1.0 + (doses / ic50_uM) ** hill_n)


@dataclass(frozen=True)
class HillFit:
    """Result of :func:`fit_hill`.

    Attributes
    ----------
    ic50_uM : float
        Dose of half-maximal inhibition (halfway between ``top`` and ``bottom``).
    hill_n : float
        Hill coefficient.
    ci95_uM : (float, float)
        95 % confidence interval of the IC50 (uM) from the fit covariance on
        ``log10(IC50)``; ``(nan, nan)`` when it cannot be trusted (see ``reason``).
    top, bottom : float
        Response without drug and at saturating dose.
    residual : float
        Root-mean-square residual, in the response's unit.
    n_points : int
        Number of (dose, response) points fitted.
    reason : str or None
        Why the confidence interval is NaN, or a caveat; ``None`` for a clean fit.
    """

    ic50_uM: float
    hill_n: float
    ci95_uM: tuple[float, float]
    top: float
    bottom: float
    residual: float
    n_points: int
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True for a clean fit (finite confidence interval, no caveat)."""
        return self.reason is None

    def predict(self, doses_uM) -> np.ndarray:
        """The fitted response at ``doses_uM`` (floats in uM or a Brian2 quantity)."""
        return hill(_doses(doses_uM, "doses_uM"), self.ic50_uM, self.hill_n, self.top,
                    self.bottom)

    def describe(self) -> str:
        """``"IC50 1.2 uM (95 % CI 0.9-1.6 uM), n = 2.1"`` (plus the caveat, if any)."""
        lo, hi = self.ci95_uM
        ci = (f"95 % CI {lo:.3g}-{hi:.3g} uM" if math.isfinite(lo) and math.isfinite(hi)
              else "95 % CI n/a")
        text = f"IC50 {self.ic50_uM:.3g} uM ({ci}), n = {self.hill_n:.2g}"
        return text if self.reason is None else f"{text}; {self.reason}"


def _is_brian2(value) -> bool:
    return type(value).__module__.startswith("brian2")


def _doses(doses, name: str) -> np.ndarray:
    """Doses as floats in uM, from plain numbers (uM), a Brian2 quantity or a sequence of
    quantities/strings such as ``"3 uM"`` (dimensions checked)."""
    if _is_brian2(doses) or isinstance(doses, str) or (
            isinstance(doses, (list, tuple))
            and any(_is_brian2(d) or isinstance(d, str) for d in doses)):
        from ..model.inputs import display_array

        return display_array(doses, "uM", name)
    return np.asarray(doses, float)


def _half_crossing(doses, response, top, bottom):
    """Log-interpolated dose where the response first falls to halfway (initial guess)."""
    half = bottom + 0.5 * (top - bottom)
    positive = doses > 0
    d, r = doses[positive], response[positive]
    below = np.flatnonzero(r <= half)
    if d.size == 0:
        return 1.0
    if below.size == 0:
        return float(d.max()) * 2
    j = below[0]
    if j == 0:
        return float(d[0]) / 2
    x0, x1 = math.log10(d[j - 1]), math.log10(d[j])
    y0, y1 = r[j - 1], r[j]
    frac = 0.5 if y0 == y1 else (y0 - half) / (y0 - y1)
    return 10 ** (x0 + frac * (x1 - x0))


#: Half-width (decades of dose) beyond which a confidence interval is reported as
#: undetermined (NaN, with a reason) instead of as absurd bounds.
_MAX_CI_DECADES = 3.0


def fit_hill(doses_uM, response, *, top: float | None = None,
             bottom: float | None = 0.0) -> HillFit:
    """Fit a decreasing Hill curve to a dose-response.

    Parameters
    ----------
    doses_uM : array_like or Quantity
        Doses in uM (floats) or as a Brian2 quantity; 0 (no drug) is allowed.
        Repeated doses are fitted as separate points.
    response : array_like
        Response at each dose (e.g. mean bursts/s), decreasing with dose.
    top : float, optional
        Fix the response without drug; default: fitted.
    bottom : float or None
        Fix the response at saturating dose (default 0); ``None``: fitted.

    Returns
    -------
    HillFit

    Raises
    ------
    ValueError
        For data from which no IC50 can be read (see the module docstring).
    """
    from scipy.optimize import least_squares
    from scipy.stats import t as student_t

    doses = _doses(doses_uM, "doses_uM").ravel()
    resp = np.asarray(response, float).ravel()
    if doses.shape != resp.shape:
        raise ValueError(f"doses_uM and response: expected equal lengths, got {doses.size} "
                         f"and {resp.size}")
    if not (np.all(np.isfinite(doses)) and np.all(np.isfinite(resp))):
        raise ValueError("fit_hill: doses and responses must be finite (drop NaN points, e.g. "
                         "conditions in which no cell fired)")
    if np.any(doses < 0):
        raise ValueError("doses_uM: doses must be >= 0 uM")
    for label, value in (("top", top), ("bottom", bottom)):
        if value is not None and not math.isfinite(float(value)):
            raise ValueError(f"{label}: expected a finite value or None, got {value!r}")
    order = np.argsort(doses, kind="stable")
    doses, resp = doses[order], resp[order]
    positive = np.unique(doses[doses > 0])
    free = ["log_ic50", "n"] + (["top"] if top is None else []) + (
        ["bottom"] if bottom is None else [])
    if positive.size < 2 or doses.size < len(free):
        raise ValueError(f"fit_hill: need at least {len(free)} points and 2 distinct positive "
                         f"doses for {len(free)} free parameters, got {doses.size} points and "
                         f"{positive.size} positive doses")
    low_dose, high_dose = resp[doses == doses[0]].mean(), resp[doses == doses[-1]].mean()
    spread = float(np.ptp(resp))
    scale = max(abs(float(resp.max())), abs(float(resp.min())), 1e-300)
    if spread <= 1e-12 * scale or not low_dose > high_dose:
        raise ValueError(
            f"fit_hill: the response does not decrease with dose ({low_dose:.4g} at "
            f"{doses[0]:g} uM, {high_dose:.4g} at {doses[-1]:g} uM): no IC50 to fit")
    if top is not None and bottom is not None and not top > bottom:
        raise ValueError(f"fit_hill: top ({top:g}) must be above bottom ({bottom:g})")

    top0 = float(top) if top is not None else float(low_dose)
    bottom0 = float(bottom) if bottom is not None else float(min(high_dose, resp.min()))
    if top0 <= bottom0:
        raise ValueError(f"fit_hill: the response at the lowest dose ({top0:.4g}) is not above "
                         f"the bottom ({bottom0:.4g}): no inhibition to fit")
    log_lo = math.log10(positive[0]) - 3
    log_hi = math.log10(positive[-1]) + 3

    def unpack(p):
        values = dict(zip(free, p, strict=True))
        return (10 ** values["log_ic50"], values["n"],
                values.get("top", top0 if top is None else float(top)),
                values.get("bottom", bottom0 if bottom is None else float(bottom)))

    def residuals(p):
        ic50, n, tp, bt = unpack(p)
        return hill(doses, ic50, n, tp, bt) - resp

    lower = [log_lo, HILL_N_BOUNDS[0]] + ([-np.inf] * (len(free) - 2))
    upper = [log_hi, HILL_N_BOUNDS[1]] + ([np.inf] * (len(free) - 2))
    guess_ic50 = min(max(_half_crossing(doses, resp, top0, bottom0), 10 ** (log_lo + 0.01)),
                     10 ** (log_hi - 0.01))
    best = None
    for n0 in (1.0, 3.0):
        p0 = [math.log10(guess_ic50), n0] + ([top0] if top is None else []) + (
            [bottom0] if bottom is None else [])
        sol = least_squares(residuals, p0, bounds=(lower, upper), method="trf",
                            x_scale="jac", xtol=1e-12, ftol=1e-12, gtol=1e-12)
        if best is None or sol.cost < best.cost:
            best = sol
    ic50, n, tp, bt = unpack(best.x)
    res = best.fun
    dof = doses.size - len(free)
    rms = float(np.sqrt(np.mean(res**2)))

    reason = None
    ci = (math.nan, math.nan)
    n_lo, n_hi = HILL_N_BOUNDS
    if not tp > bt:
        raise ValueError(f"fit_hill: the fitted curve does not decrease (top {tp:.4g}, bottom "
                         f"{bt:.4g}): no IC50")
    half = bt + 0.5 * (tp - bt)
    bracketed = np.any(resp[doses < ic50] >= half) and np.any(resp[doses > ic50] <= half)
    if n >= n_hi * (1 - 1e-6) or n <= n_lo * (1 + 1e-6):
        below = positive[positive < ic50]
        above = positive[positive > ic50]
        between = (f"between {below[-1]:g} and {above[0]:g} uM" if below.size and above.size
                   else "outside the tested doses")
        reason = (f"Hill coefficient at its bound ({n:.3g}; step-like data): the IC50 is only "
                  f"known to lie {between}")
    elif ic50 < positive[0] or ic50 > positive[-1] or not bracketed:
        reason = (f"the half-maximal response is not bracketed by the doses tested "
                  f"({positive[0]:g}-{positive[-1]:g} uM): the IC50 {ic50:.3g} uM is an "
                  "extrapolation")
    elif dof <= 0:
        reason = (f"no residual degrees of freedom ({doses.size} points, {len(free)} free "
                  "parameters): no confidence interval")
    else:
        jac = best.jac
        jtj = jac.T @ jac
        s2 = float(res @ res) / dof
        if np.linalg.matrix_rank(jtj) < len(free):
            reason = "singular covariance (parameters not identifiable): no confidence interval"
        else:
            cov = np.linalg.inv(jtj) * s2
            se = math.sqrt(max(float(cov[0, 0]), 0.0))
            q = float(student_t.ppf(0.975, dof))
            if not math.isfinite(se):
                reason = "non-finite covariance: no confidence interval"
            elif q * se > _MAX_CI_DECADES:
                reason = (f"the 95 % confidence interval spans more than "
                          f"{2 * _MAX_CI_DECADES:g} decades of dose: the IC50 is not determined "
                          "by these data")
            else:
                log_ic50 = math.log10(ic50)
                ci = (10 ** (log_ic50 - q * se), 10 ** (log_ic50 + q * se))
    return HillFit(ic50_uM=float(ic50), hill_n=float(n), ci95_uM=ci, top=float(tp),
                   bottom=float(bt), residual=rms, n_points=int(doses.size), reason=reason)
