"""Shared figure conventions: one seaborn theme, labelled axes, units in every label."""

from __future__ import annotations

import os
from pathlib import Path

# No matplotlib.use() here: Jupyter's inline backend must stay in charge, and matplotlib already
# falls back to Agg on machines without a display (the report, the tests, CI).
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.figure import Figure


def new_figure(
    ncols: int = 1, nrows: int = 1, *, width: float = 5.0, height: float = 3.6, **kwargs
) -> tuple[Figure, object]:
    """A figure in the project's style with ``nrows × ncols`` axes (squeezed like plt.subplots)."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), layout="constrained", **kwargs)
    return fig, axes


def save_figure(figure: Figure, stem: str | os.PathLike[str], *, dpi: int = 110) -> list[Path]:
    """Write ``figure`` as ``<stem>.png`` (for the page) and ``<stem>.svg`` (for print); return both paths."""
    stem = Path(stem)
    paths = [stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg")]
    figure.savefig(paths[0], dpi=dpi)
    figure.savefig(paths[1])
    return paths
