"""The constant-coefficient case both FEM test files check against, and their shared helpers.

rho_w = Uniform.band(2.5) is the constant 0.2 on the window [-2, 2]; the target's centre is off 0, so
u0 = -g_hat is complex. The exact solution is the cosine series of spectra.fem.cosine_series_solution.
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


def orders(errors):
    """Observed convergence orders when the step halves between successive errors."""
    return np.log2(np.asarray(errors[:-1]) / np.asarray(errors[1:]))
