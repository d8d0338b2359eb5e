"""A :class:`~spectra.training.Recorder` that follows the partition of the input space during training.

At every snapshot it records scalars (the same keys at every call, as ``fit`` requires):

- 1-D inputs, along the domain [lo, hi]: ``breakpoints`` (function breakpoints: kinks of f),
  ``density`` (kinks per unit length), ``activation_breakpoints`` (neuron state changes, one per
  neuron and position) and ``pieces`` (affine pieces of f), from :func:`breakpoints_1d`
  (exact for ReLU on raw coordinates, numerical for encoded inputs and smooth activations);
- 2-D inputs, on the domain rectangle: ``regions``, the exact count of :func:`regions_2d` (ReLU on
  raw coordinates), or the lower bound of :func:`regions_2d_sampled` on an ``n_grid`` × ``n_grid`` grid
  when ``method="sampled"`` or the network is not exact-capable.

Any torch module works: the toolkit's own networks take their fast path, other modules the generic
path (:mod:`spectra.partition.capture`; exact when piecewise linear, else numerical in 1-D and
sampled in 2-D). The domain defaults to the bounding box of the training inputs at the first snapshot; it is then
kept (and saved in checkpoints) so that every record measures the same window.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from torch import nn

from spectra._validation import check_choice, fail
from spectra.domain import Box, BoxLike, as_box
from spectra.partition.breakpoints import breakpoints_1d
from spectra.partition.capture import NumericalPathWarning, TracedModel
from spectra.partition.network import toolkit_architecture
from spectra.partition.regions import check_sampling_grid, regions_2d, regions_2d_sampled
from spectra.training import Recorder, Snapshot

RECORDER_METHODS = ("auto", "sampled")


class PartitionRecorder(Recorder):
    """Breakpoint count and density (1-D) or region count (2-D) at every snapshot (see module docstring)."""

    def __init__(
        self, domain: BoxLike | None = None, *, method: str = "auto", n_grid: int = 256, name: str = "partition"
    ) -> None:
        self.box: Box | None = None if domain is None else as_box("domain", domain)
        if self.box is not None and self.box.dim > 2:
            fail("domain", "an interval (1-D) or a rectangle (2-D)", self.box)
        self.method = check_choice("method", method, RECORDER_METHODS)
        self.n_grid = check_sampling_grid("n_grid", n_grid)
        self.name = name

    def record(self, model: nn.Module, snapshot: Snapshot) -> dict[str, float]:
        architecture = toolkit_architecture(model)
        if self.box is None:
            x = snapshot.x.detach().cpu().numpy()
            self.box = Box(tuple(x.min(axis=0).tolist()), tuple(x.max(axis=0).tolist()))
        in_features = architecture.in_features if architecture is not None else int(snapshot.x.shape[-1])
        if self.box.dim != in_features:
            fail("domain", f"a box in {in_features} dimension(s), like the model's input", self.box)
        if self.box.dim == 1:
            # Smooth activations have no kinks: count their transition centres numerically (the generic
            # path's auto method does so itself; its warning would repeat at every snapshot).
            method = "auto" if architecture is None or architecture.activation == "relu" else "numerical"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NumericalPathWarning)
                found = breakpoints_1d(model, self.box.lo[0], self.box.hi[0], method=method)
            return {
                "breakpoints": float(found.n_breakpoints),
                "density": found.density,
                "activation_breakpoints": float(len(found.activation_t)),
                "pieces": float(found.n_pieces),
            }
        if self.box.dim != 2:
            fail("model", "a network with 1 or 2 inputs for PartitionRecorder", f"{self.box.dim} inputs")
        if architecture is not None:
            exact_capable = architecture.activation == "relu" and architecture.encoder is None
        else:
            centre = np.array([[(lo + hi) / 2 for lo, hi in zip(self.box.lo, self.box.hi, strict=True)]])
            exact_capable = TracedModel(model).run(centre, np.eye(2)).blocker() is None
        if self.method == "auto" and exact_capable:
            return {"regions": float(regions_2d(model, self.box).count)}
        return {"regions": float(regions_2d_sampled(model, self.box, self.n_grid).count)}

    def state_dict(self) -> dict[str, Any]:
        return {"box": None if self.box is None else [list(self.box.lo), list(self.box.hi)]}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        box = state["box"]
        self.box = None if box is None else Box(tuple(np.asarray(box[0]).tolist()), tuple(np.asarray(box[1]).tolist()))
