"""Activation-pattern metrics on samples (Lazzari & Liu; docs/theory.rst, "Partition diagnostics").

The activation pattern of an input x is a(x) = 1[z_i(x) > 0] over every hidden neuron i, layer by
layer (neuron order of ``spectra.partition.network.Architecture.neuron_layer``). Inputs with
different patterns lie in different linear regions of a ReLU network; the converse fails (a region
may hold no sample), so pattern counts on samples are lower bounds on the regions used.

- :func:`count_patterns`: number of distinct patterns over the samples;
- :func:`hamming_pairs`: Hamming distance ``|a(x_i) - a(x_j)|_1`` (number of neurons in different
  states) for pairs of samples, either local pairs (each sample and its nearest neighbour,
  :func:`local_pairs`) or global pairs (uniformly random pairs, typically far apart, :func:`global_pairs`);
- :func:`gradient_confusion`: cos(∇_θ ℓ_i, ∇_θ ℓ_j) of per-sample losses ℓ_i = ½|f(x_i) - y_i|²
  for such pairs (torch.func grad + vmap); 0 when either gradient vanishes;
- :func:`dead_neurons`: neurons never active on the samples (dead) and always active;
- :func:`boundary_distance`: min_i ``|z_i(x)|`` / ``|∇_x z_i(x)|``. For a ReLU network on raw coordinates
  z_i is affine on the region of x and the region is the intersection of the half-spaces
  {sign z_i = sign z_i(x)}, so this is the exact Euclidean distance from x to the boundary of its
  linear region; with an encoder it is a first-order estimate. Neurons with ∇_x z_i = 0 never bound.

Tensors stay on the model's device; inputs are converted to the model's device and dtype.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.func import grad, jacfwd, vmap

from spectra._functional import stateless_call
from spectra._validation import as_points, check_memory, check_positive_int, fail
from spectra.partition.network import hidden_preactivations, unpack
from spectra.results import Result
from spectra.seeding import Seed, make_generator

PAIR_KINDS = ("local", "global")


def _samples(model: nn.Module, x: object, argument: str = "x") -> torch.Tensor:
    architecture = unpack(model)
    reference = next(model.parameters())
    return as_points(argument, x, architecture.in_features, dtype=reference.dtype, device=reference.device)


def activation_patterns(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Boolean patterns 1[z_i(x) > 0] of shape (n, neurons), hidden layers concatenated in order."""
    x = _samples(model, x)
    with torch.no_grad():
        return torch.cat([z > 0 for z in hidden_preactivations(model, x)], dim=1)


def pack_patterns(patterns: torch.Tensor) -> torch.Tensor:
    """Patterns (n, N) packed into int64 words (n, ceil(N / 64)): equal rows iff equal patterns."""
    n, width = patterns.shape
    n_bytes = 8 * -(-width // 64)
    padded = torch.zeros(n, 8 * n_bytes, dtype=torch.uint8, device=patterns.device)
    padded[:, :width] = patterns
    bits = 2 ** torch.arange(8, dtype=torch.uint8, device=patterns.device)
    # Bytes first (a small dtype keeps the memory traffic low), then read 8 bytes as one int64 word.
    return (padded.view(n, n_bytes, 8) * bits).sum(dim=2, dtype=torch.uint8).view(torch.int64)


def count_patterns(model: nn.Module, x: torch.Tensor, *, chunk_size: int = 65536) -> int:
    """Number of distinct activation patterns over the samples ``x`` (a lower bound on the regions used)."""
    x = _samples(model, x)
    chunk_size = check_positive_int("chunk_size", chunk_size)
    return count_distinct(lambda chunk: activation_patterns(model, chunk), x, chunk_size)


def count_distinct(patterns: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, chunk_size: int) -> int:
    """Number of distinct rows of the boolean ``patterns(chunk)`` (n, N) over ``x``, ``chunk_size`` rows at a time."""
    distinct = None
    for start in range(0, len(x), chunk_size):
        rows = _unique_rows(pack_patterns(patterns(x[start : start + chunk_size])))
        distinct = rows if distinct is None else _unique_rows(torch.cat([distinct, rows]))
    return int(len(distinct))


def _unique_rows(words: torch.Tensor) -> torch.Tensor:
    # One word (up to 64 neurons): a flat unique, much faster than the row-wise one.
    return torch.unique(words[:, 0])[:, None] if words.shape[1] == 1 else torch.unique(words, dim=0)


def local_pairs(x: torch.Tensor, *, n_pairs: int | None = None, seed: Seed = None) -> torch.Tensor:
    """Index pairs (p, 2): sample i and its nearest neighbour (Euclidean), for every i or ``n_pairs`` random i."""
    x = as_points("x", x)
    if len(x) < 2:
        fail("x", "at least 2 samples to form pairs", len(x))
    generator = make_generator(seed)  # checked even when every sample is taken
    first = torch.arange(len(x), device=x.device)
    if n_pairs is not None:
        n_pairs = min(check_positive_int("n_pairs", n_pairs), len(x))
        first = torch.randperm(len(x), generator=generator)[:n_pairs].to(x.device)
    nearest = torch.empty_like(first)
    for start in range(0, len(first), 1024):  # distance rows in blocks: memory O(1024 n)
        rows = first[start : start + 1024]
        distance = torch.cdist(x[rows], x)
        distance[torch.arange(len(rows)), rows] = torch.inf
        nearest[start : start + 1024] = distance.argmin(dim=1)
    return torch.stack([first, nearest], dim=1)


def global_pairs(x: torch.Tensor, n_pairs: int, *, seed: Seed = None) -> torch.Tensor:
    """Index pairs (p, 2) drawn uniformly among pairs of distinct samples."""
    x = as_points("x", x)
    if len(x) < 2:
        fail("x", "at least 2 samples to form pairs", len(x))
    n_pairs = check_positive_int("n_pairs", n_pairs)
    check_memory("n_pairs", n_pairs, 4 * 2 * n_pairs * 8, subject=f"{n_pairs} index pairs", advice="draw fewer pairs")
    generator = make_generator(seed)
    first = torch.randint(0, len(x), (n_pairs,), generator=generator)
    # An offset in 1..n-1 makes the second index differ from the first.
    second = (first + torch.randint(1, len(x), (n_pairs,), generator=generator)) % len(x)
    return torch.stack([first, second], dim=1).to(x.device)


def _pairs(x: torch.Tensor, pairs: object, n_pairs: int | None, seed: Seed) -> torch.Tensor:
    if isinstance(pairs, str):
        if pairs not in PAIR_KINDS:
            fail("pairs", "'local', 'global' or an index tensor of shape (p, 2)", pairs)
        if pairs == "local":
            return local_pairs(x, n_pairs=n_pairs, seed=seed)
        return global_pairs(x, n_pairs if n_pairs is not None else len(x), seed=seed)
    if not isinstance(pairs, torch.Tensor) or pairs.dim() != 2 or pairs.shape[1] != 2 or pairs.is_floating_point():
        fail("pairs", "'local', 'global' or an integer index tensor of shape (p, 2)", pairs, TypeError)
    if len(pairs) and (int(pairs.min()) < 0 or int(pairs.max()) >= len(x)):
        fail("pairs", f"indices in [0, {len(x)})", (int(pairs.min()), int(pairs.max())))
    return pairs.to(x.device)


def hamming_pairs(
    model: nn.Module, x: torch.Tensor, pairs: object = "local", *, n_pairs: int | None = None, seed: Seed = None
) -> torch.Tensor:
    """Hamming distances (p,) between the patterns of paired samples (number of neurons in different states).

    ``pairs`` is ``"local"`` (nearest neighbours, :func:`local_pairs`), ``"global"``
    (:func:`global_pairs`; ``n_pairs`` defaults to the number of samples) or an index tensor (p, 2).
    """
    x = _samples(model, x)
    index = _pairs(x, pairs, n_pairs, seed)
    patterns = activation_patterns(model, x)
    return (patterns[index[:, 0]] != patterns[index[:, 1]]).sum(dim=1)


def gradient_confusion(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    pairs: object = "local",
    *,
    n_pairs: int | None = None,
    seed: Seed = None,
    chunk_size: int = 256,
) -> torch.Tensor:
    """cos(∇_θ ℓ_i, ∇_θ ℓ_j) for paired samples (p,), ℓ_i = ½|f(x_i) - y_i|², over all trainable parameters.

    Per-sample gradients come from torch.func (``vmap(grad(ℓ))``), ``chunk_size`` pairs at a time
    (memory O(chunk_size × parameters)). The cosine is 0 where either gradient is exactly zero.
    """
    x = _samples(model, x)
    y = as_points("y", y, dtype=x.dtype, device=x.device)
    if len(y) != len(x):
        fail("y", f"{len(x)} rows, one per row of x", f"{len(y)} rows")
    chunk_size = check_positive_int("chunk_size", chunk_size)
    index = _pairs(x, pairs, n_pairs, seed)
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}
    buffers = dict(model.named_buffers())

    def loss(p: dict[str, torch.Tensor], xi: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((stateless_call(model, (p, buffers), (xi[None],))[0] - yi) ** 2).sum()

    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))

    def flat(rows: torch.Tensor) -> torch.Tensor:
        gradients = per_sample(params, x[rows], y[rows])
        return torch.cat([g.reshape(len(rows), -1) for g in gradients.values()], dim=1)

    cosines = []
    for start in range(0, len(index), chunk_size):
        block = index[start : start + chunk_size]
        gi, gj = flat(block[:, 0]), flat(block[:, 1])
        norms = gi.norm(dim=1) * gj.norm(dim=1)
        dots = (gi * gj).sum(dim=1)
        cosines.append(torch.where(norms > 0, dots / torch.where(norms > 0, norms, 1.0), 0.0))
    return torch.cat(cosines) if cosines else torch.zeros(0, dtype=x.dtype, device=x.device)


@dataclass
class NeuronActivity(Result):
    """Fraction of samples on which each hidden neuron is active, with its layer and index."""

    activation_rate: np.ndarray = Result.array_field(("N",))
    layer: np.ndarray = Result.array_field(("N",), "int")
    neuron: np.ndarray = Result.array_field(("N",), "int")
    n_samples: int

    @property
    def dead(self) -> np.ndarray:
        """Neurons active on no sample."""
        return self.activation_rate == 0

    @property
    def always_active(self) -> np.ndarray:
        """Neurons active on every sample (the network is linear in them on the data)."""
        return self.activation_rate == 1

    @property
    def dead_fraction(self) -> float:
        return float(self.dead.mean())

    @property
    def always_active_fraction(self) -> float:
        return float(self.always_active.mean())

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "layer": self.layer,
                "neuron": self.neuron,
                "activation_rate": self.activation_rate,
                "dead": self.dead,
                "always_active": self.always_active,
            }
        )


def dead_neurons(model: nn.Module, x: torch.Tensor) -> NeuronActivity:
    """Per-neuron activation rates over the samples ``x``: dead (never active) and always-active neurons."""
    architecture = unpack(model)
    patterns = activation_patterns(model, x)
    rate = patterns.to(torch.float64).mean(dim=0).cpu().numpy()
    return NeuronActivity(rate, architecture.neuron_layer, architecture.neuron_index, len(patterns))


def boundary_distance(model: nn.Module, x: torch.Tensor, *, chunk_size: int = 4096) -> torch.Tensor:
    """min_i ``|z_i(x)|`` / ``|∇_x z_i(x)|`` for every sample (n,): the distance to the nearest region boundary."""
    x = _samples(model, x)
    chunk_size = check_positive_int("chunk_size", chunk_size)

    def all_preactivations(xi: torch.Tensor) -> torch.Tensor:
        return torch.cat(hidden_preactivations(model, xi[None]), dim=1)[0]

    def both(xi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        value = all_preactivations(xi)
        return jacfwd(all_preactivations)(xi), value

    distances = []
    with torch.no_grad():
        for start in range(0, len(x), chunk_size):
            jacobian, z = vmap(both)(x[start : start + chunk_size])  # (b, N, d), (b, N)
            slope = jacobian.norm(dim=2)
            ratio = torch.where(slope > 0, z.abs() / torch.where(slope > 0, slope, 1.0), torch.inf)
            distances.append(ratio.min(dim=1).values)
    return torch.cat(distances)
