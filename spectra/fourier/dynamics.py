"""Per-frequency error dynamics over training: decay rates and thresholds.

See docs/theory.rst, "Per-frequency diagnostics".

Inputs are time series ``err_t`` of shape (T, K), one column per frequency (or mode), recorded at
times ``t`` (T,) (steps, or theory time lr × steps). A mode that decays like C exp(-λ t) has decay
rate λ = -d log|err| / dt.
"""

from __future__ import annotations

import numpy as np

from spectra._validation import _Described, as_real_array, brief, check_choice, check_real, describe, fail


def _series(err_t: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    err = as_real_array("err_t", err_t, finite=False)
    time = as_real_array("t", t, finite=False)
    if err.ndim == 1:
        err = err[:, None]
    if err.ndim != 2 or err.shape[0] == 0 or err.shape[1] == 0:
        fail("err_t", "a time series of shape (T, K), one column per frequency", _Described(describe(err)))
    if time.shape != (err.shape[0],):
        fail("t", f"one time per row of err_t ({err.shape[0]},)", _Described(describe(time)))
    if not np.isfinite(err).all() or not np.isfinite(time).all():
        fail("err_t", "finite values (no NaN or inf)", _Described(describe(err) + " containing non-finite values"))
    if np.any(np.diff(time) <= 0):
        fail("t", "strictly increasing times", time.tolist())
    return err, time


def decay_rates(err_t: np.ndarray, t: np.ndarray, *, t_range: tuple[float, float] | None = None) -> np.ndarray:
    """Least-squares rate λ_k of err_k(t) ≈ C_k exp(-λ_k t) per column, fitted on log|err| over ``t_range``.

    ``t_range`` (inclusive; default all times) selects the fitted window, e.g. to leave out a
    plateau at rounding level. Needs at least two times in the window and ``|err|`` > 0 there.
    Returns (K,) rates in units of 1 / (unit of t); positive means decaying.
    """
    err, time = _series(err_t, t)
    if t_range is not None:
        window = as_real_array("t_range", t_range)
        if window.shape != (2,) or not window[1] >= window[0]:
            fail("t_range", "a window (lo, hi) of times with lo <= hi", brief(t_range))
        lo, hi = window
        inside = (time >= lo) & (time <= hi)
        err, time = err[inside], time[inside]
    if len(time) < 2:
        fail("t_range", "a window holding at least two recorded times", t_range)
    magnitude = np.abs(err)
    if np.any(magnitude == 0):
        fail("err_t", "non-zero errors in the fitted window (their log is taken)", _Described("zeros in err_t"))
    centred = time - time.mean()
    slope = centred @ (np.log(magnitude) - np.log(magnitude).mean(axis=0)) / (centred @ centred)
    return -slope


def time_to_threshold(err_t: np.ndarray, t: np.ndarray, level: float, *, direction: str = "below") -> np.ndarray:
    """First recorded time at which each column reaches ``level``: err <= level (``"below"``, an error
    falling) or err >= level (``"above"``, e.g. a normalised amplitude rising). ``inf`` if never. Shape (K,).
    """
    check_choice("direction", direction, ("below", "above"))
    err, time = _series(err_t, t)
    level = check_real("level", level)
    reached = err <= level if direction == "below" else err >= level
    first = np.argmax(reached, axis=0)
    return np.where(reached.any(axis=0), time[first], np.inf)
