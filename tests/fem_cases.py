"""The constant-coefficient case both FEM test files check against, and their shared helpers.

rho_w = Uniform.band(2.5) is the constant 0.2 on the window [-2, 2]; the target's centre is off 0, so
u0 = -g_hat is complex. The exact solution is the cosine series of spectra.fem.cosine_series_solution.

:func:`band_solution` is the exact solution for a discontinuous rho_w: uniform on a band inside the window.
Inside the band it is the cosine series of the band (zero flux at its edges, since rho_w = 0 beyond them);
outside, nothing is learned and u_hat stays u0: the solution jumps at the band's edges.
"""

import numpy as np
import pytest

from spectra.fem import cosine_series_solution
from spectra.frequencies import Uniform
from spectra.targets import WindowedCosines

coarse_on_purpose = pytest.mark.filterwarnings("ignore::spectra.fem.ResolutionWarning")

TARGET = WindowedCosines([0.5], width=1.0, center=0.7, domain=(-6.0, 6.0))
BAND, RHO0, C, SIGMA_A, WINDOW = Uniform.band(2.5), 0.2, 1 / 24, 0.5, (-2.0, 2.0)
TIMES = np.array([0.0, 5.0, 20.0, 80.0])


def exact(xi):
    return cosine_series_solution(TARGET, WINDOW, RHO0, SIGMA_A, C, TIMES, xi, terms=128)


def band_solution(u0, band, sigma_a, c, times, terms):
    """exact(xi) -> (T, k) for rho_w uniform on the box ``band`` ([(lo, hi), ...]) and 0 outside (docstring)."""
    box = np.asarray(band, dtype=float)
    rho0 = 1 / np.prod(box[:, 1] - box[:, 0])

    def exact(xi):
        inside = np.all((xi >= box[:, 0]) & (xi <= box[:, 1]), axis=1)
        out = np.empty((len(times), len(xi)), dtype=complex)
        out[:, ~inside] = u0(xi[~inside])[None, :]
        out[:, inside] = cosine_series_solution(u0, band, rho0, sigma_a, c, times, xi[inside], terms=terms)
        return out

    return exact


def orders(errors):
    """Observed convergence orders when the step halves between successive errors."""
    return np.log2(np.asarray(errors[:-1]) / np.asarray(errors[1:]))
