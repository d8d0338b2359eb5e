"""Shared figure conventions: one seaborn theme, labelled axes, units in every label."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)  # headless by default; notebooks switch to inline themselves

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def new_figure(
    ncols: int = 1, nrows: int = 1, *, width: float = 5.0, height: float = 3.6, **kwargs
) -> tuple[Figure, object]:
    """A figure in the project's style with ``nrows × ncols`` axes (squeezed like plt.subplots)."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), layout="constrained", **kwargs)
    return fig, axes
