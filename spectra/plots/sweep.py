"""A sweep's metric against one of its parameters, with a band over the seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spectra._validation import fail
from spectra.plots.style import new_figure


def plot_sweep(table: pd.DataFrame, *, x: str, metric: str, hue: str | None = None) -> Figure:
    """``metric`` against the parameter ``x``: the mean over the rows that share (x, hue), ± one standard deviation.

    The rows averaged are the tasks that differ only in the parameters other than ``x`` and ``hue`` (the
    seeds, in a sweep that varies them). A metric whose values are all positive and span more than a
    factor 20 is drawn on a log scale. Numeric ``x`` values are placed by value, others in grid order.
    """
    for argument, name in (("x", x), ("metric", metric), ("hue", hue)):
        if name is not None and name not in table.columns:
            fail(argument, f"a column of the table ({', '.join(map(str, table.columns))})", name)
    groups = [hue, x] if hue is not None else [x]
    summary = table.groupby(groups, sort=False)[metric].agg(["mean", "std", "count"]).reset_index()
    numeric = pd.api.types.is_numeric_dtype(table[x])
    fig, ax = new_figure()
    for label, rows in summary.groupby(hue, sort=False) if hue is not None else [(None, summary)]:
        rows = rows.sort_values(x) if numeric else rows
        position = rows[x].to_numpy() if numeric else np.arange(len(rows))
        spread = rows["std"].fillna(0.0).to_numpy()
        line = ax.plot(position, rows["mean"], marker="o", label=None if label is None else f"{hue} = {label}")[0]
        ax.fill_between(position, rows["mean"] - spread, rows["mean"] + spread, color=line.get_color(), alpha=0.2)
        if not numeric:
            ax.set_xticks(position, rows[x].astype(str))
    values = table[metric].to_numpy(dtype=float)
    if np.all(values > 0) and values.max() > 20 * values.min():
        ax.set_yscale("log")
    replicates = int(summary["count"].max())
    ax.set(xlabel=x, ylabel=metric, title=f"{metric}: mean ± std over {replicates} runs per point")
    if hue is not None:
        ax.legend(fontsize="small")
    return fig
