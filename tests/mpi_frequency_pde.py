"""Solve the frequency PDE cases of the MPI test; run under ``mpirun -n K`` by tests/test_fem.py.

    mpirun -n 2 python tests/mpi_frequency_pde.py OUT_DIR

Every process solves the same cases (the mesh is distributed) and checks that its gathered solution
equals rank 0's; rank 0 saves each solution as OUT_DIR/<case>.npz. The test imports ``cases`` and
``solve`` from here to solve the same problems in serial.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from spectra.fem import FrequencyPDE, PDESolution
from spectra.frequencies import Gaussian, Mixture, Uniform
from spectra.targets import WindowedCosines


def cases() -> dict[str, dict]:
    """Small problems with asymmetric data, so that a wrong gather or partition would show; one rho_w jumps."""
    rho_1d = Mixture((Gaussian(0.6), Gaussian(0.3, mean=0.8)), (0.7, 0.3))
    target_1d = WindowedCosines([0.4], width=1.2, center=0.3, domain=(-5.0, 5.0))
    target_2d = WindowedCosines([[0.3, -0.2]], width=1.0, center=[0.2, -0.4], domain=[(-4, 4), (-4, 4)])
    return {
        "interval": {
            "pde": {"rho_w": rho_1d, "sigma_a": 0.7, "c": 0.1, "window": (-2.5, 3.0), "cells": 300},
            "u0": target_1d,
            "times": [0.0, 2.0, 5.0],
            "dt": 0.25,
        },
        "band": {  # rho_w at the Gauss points of cells split between processes; band edges inside cells
            "pde": {"rho_w": Uniform(-1.5, 1.2), "sigma_a": 0.5, "c": 0.05, "window": 2.0, "cells": 130, "degree": 2},
            "u0": target_1d,
            "times": [0.0, 4.0],
            "dt": 0.5,
        },
        "square": {
            "pde": {"rho_w": Gaussian(0.7, dim=2), "sigma_a": 0.5, "c": 0.2, "window": 2.5, "cells": (24, 20)},
            "u0": target_2d,
            "times": [1.0, 3.0],
            "dt": 0.5,
            "scheme": "backward-euler",
        },
    }


def solve(case: dict) -> PDESolution:
    pde = FrequencyPDE(**case["pde"])
    return pde.solve(case["u0"], case["times"], case.get("scheme", "crank-nicolson"), case["dt"])


def main(out: Path) -> None:
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    for name, case in cases().items():
        solution = solve(case)
        assert solution.processes == comm.size
        reference = comm.bcast(solution.values if comm.rank == 0 else None)
        assert np.array_equal(solution.values, reference), "processes disagree on the gathered solution"
        if comm.rank == 0:
            solution.save(out / f"{name}.npz")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
