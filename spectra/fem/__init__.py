"""The frequency-space PDE of a two-layer Fourier-feature network's error, solved by finite elements.

    ∂_t u_hat = c [ sigma_a² ∇_xi·( rho_w ∇_xi u_hat ) - rho_w u_hat ],   zero flux at the window's edge,

frequencies xi in cycles per unit length, u_hat(xi) = ∫ u(x) exp(-2πi xi·x) dx of the residual,
t = learning rate × steps (docs/theory.rst, "The frequency PDE").

- :class:`FrequencyPDE`: DOLFINx (imported on use; without it, constructing one raises an ImportError
  that says how to install it). Serial or under ``mpirun``.
- :class:`ReferenceSolver`, :func:`lazy_limit`, :func:`cosine_series_solution`: independent NumPy/SciPy
  solutions (1-D P1 with modal time integration; sigma_a -> 0; constant rho_w).
- :class:`NonuniformSolver`: the general equation for non-uniform data (1-D), closed in v_hat = F[u·μ]
  with μ the empirical data measure; :class:`UniformDataEquation` is the damped heat equation applied to
  such data as if it were uniform (the baseline it improves on).
- :class:`PDESolution`: the result, evaluated at any xi in the window, saved and loaded without DOLFINx;
  its ``window`` (one [lo, hi] per axis) is the form ``window=`` reads.
- :class:`InitialData`: u0 in any accepted form, evaluated on tensor grids (separably for residual
  samples), with a declared ``support`` (``solve(..., support=)``) or the period of a samples' transform.

rho_w may jump (a uniform band): every step stays dissipative, and the error estimate says how much the
jumps cost (the solution jumps with rho_w; that part of the error falls like h^(1/2)).
"""

from spectra.fem.frequency_pde import FrequencyPDE
from spectra.fem.grid import NodeGrid
from spectra.fem.initial_data import InitialData, as_initial_data
from spectra.fem.nonuniform import NonuniformSolution, NonuniformSolver, UniformDataEquation
from spectra.fem.problem import FrequencyProblem, ResolutionWarning, SpaceEstimate, WindowWarning
from spectra.fem.reference import ReferenceSolver, cosine_series_solution, lazy_limit
from spectra.fem.solution import PDESolution

__all__ = [
    "FrequencyPDE",
    "FrequencyProblem",
    "InitialData",
    "NodeGrid",
    "NonuniformSolution",
    "NonuniformSolver",
    "PDESolution",
    "ReferenceSolver",
    "ResolutionWarning",
    "SpaceEstimate",
    "UniformDataEquation",
    "WindowWarning",
    "as_initial_data",
    "cosine_series_solution",
    "lazy_limit",
]
