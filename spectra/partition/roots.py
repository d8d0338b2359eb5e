"""Brent's method on many brackets at once.

``brent(f, a, b)`` runs the Brent–Dekker iteration of ``scipy.optimize.brentq`` (secant or inverse
quadratic interpolation when it makes a short enough step inside the bracket, bisection otherwise)
on every bracket [a_k, b_k] simultaneously: each iteration calls ``f(x, active)`` once for the
brackets still running, so a network evaluates all its candidate roots in one batched forward pass
instead of one call per root. The result for bracket k matches ``brentq`` to within the tolerance
xtol + rtol ``|x|`` (the same stopping rule).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from spectra._validation import fail

Function = Callable[[np.ndarray, np.ndarray], np.ndarray]


def brent(
    f: Function,
    a: np.ndarray,
    b: np.ndarray,
    *,
    xtol: float = 1e-14,
    rtol: float = 4 * np.finfo(float).eps,
    maxiter: int = 200,
) -> np.ndarray:
    """Roots of f_k in [a_k, b_k] for every k, where f(x, index) returns f_k(x_k) for the brackets ``index``.

    Every bracket must have f_k(a_k) and f_k(b_k) of opposite signs (or a zero at an end).
    """
    a, b = np.asarray(a, dtype=np.float64).copy(), np.asarray(b, dtype=np.float64).copy()
    everyone = np.arange(len(a))
    x_pre, x_cur = a, b
    f_pre, f_cur = f(x_pre, everyone), f(x_cur, everyone)
    if np.any(f_pre * f_cur > 0):
        fail("f", "values of opposite signs at the two ends of every bracket", "a bracket without a sign change")
    x_blk, f_blk = np.zeros_like(a), np.zeros_like(a)
    s_pre, s_cur = np.zeros_like(a), np.zeros_like(a)
    root = np.where(f_pre == 0, x_pre, np.where(f_cur == 0, x_cur, np.nan))
    active = np.isnan(root)
    for _ in range(maxiter):
        if not active.any():
            break
        k = np.nonzero(active)[0]
        xp, xc, fp, fc = x_pre[k], x_cur[k], f_pre[k], f_cur[k]
        xb, fb, sp, sc = x_blk[k], f_blk[k], s_pre[k], s_cur[k]
        # Keep the root bracketed by (x_cur, x_blk).
        flip = (fp != 0) & (fc != 0) & (np.signbit(fp) != np.signbit(fc))
        xb, fb = np.where(flip, xp, xb), np.where(flip, fp, fb)
        sp = np.where(flip, xc - xp, sp)
        sc = np.where(flip, xc - xp, sc)
        # Make x_cur the better end.
        swap = np.abs(fb) < np.abs(fc)
        xp, xc, xb = np.where(swap, xc, xp), np.where(swap, xb, xc), np.where(swap, xc, xb)
        fp, fc, fb = np.where(swap, fc, fp), np.where(swap, fb, fc), np.where(swap, fc, fb)
        delta = (xtol + rtol * np.abs(xc)) / 2
        s_bis = (xb - xc) / 2
        done = (fc == 0) | (np.abs(s_bis) < delta)
        root[k[done]] = xc[done]
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = -fc * (xc - xp) / (fc - fp)
            d_pre = (fp - fc) / (xp - xc)
            d_blk = (fb - fc) / (xb - xc)
            quadratic = -fc * (fb * d_blk - fp * d_pre) / (d_blk * d_pre * (fb - fp))
        s_try = np.where(xp == xb, secant, quadratic)
        interpolate = (np.abs(sp) > delta) & (np.abs(fc) < np.abs(fp))
        good = (
            interpolate & np.isfinite(s_try) & (2 * np.abs(s_try) < np.minimum(np.abs(sp), 3 * np.abs(s_bis) - delta))
        )
        sp, sc = np.where(good, sc, s_bis), np.where(good, s_try, s_bis)
        step = np.where(np.abs(sc) > delta, sc, np.where(s_bis > 0, delta, -delta))
        xp, fp = xc, fc
        xc = xc + step
        running = ~done
        fc_new = fc.copy()
        if running.any():
            fc_new[running] = f(xc[running], k[running])
        x_pre[k], x_cur[k], f_pre[k], f_cur[k] = xp, xc, fp, fc_new
        x_blk[k], f_blk[k], s_pre[k], s_cur[k] = xb, fb, sp, sc
        active[k[done]] = False
    if active.any():
        fail("maxiter", f"enough iterations for every bracket to converge ({active.sum()} did not)", maxiter)
    return root
