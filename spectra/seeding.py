"""Explicit randomness: every random quantity in spectra comes from a seed or a torch.Generator.

``Seed`` is an int in [0, 2**63) (a fresh CPU generator seeded with it), a ``torch.Generator`` (used
as is, so successive calls draw successive numbers), or None (a generator seeded from torch's global
state, which is not repeatable: pass a seed when the numbers matter).
"""

from __future__ import annotations

import numpy as np
import torch

from spectra._validation import fail

Seed = int | torch.Generator | None
MAX_SEED = 2**63 - 1  # torch.Generator.manual_seed takes 64 bits; headroom for the small offsets studies add


def check_seed(argument: str, seed: object) -> int:
    """Return ``seed`` as an int in [0, MAX_SEED]; refuse anything else (bools, floats, strings, out of range)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        fail(argument, "an integer seed", seed, TypeError)
    if not 0 <= seed <= MAX_SEED:
        fail(argument, "an integer seed between 0 and 2**63 - 1", seed)
    return int(seed)


def make_generator(seed: Seed) -> torch.Generator:
    """Return a CPU ``torch.Generator`` for ``seed`` (see module docstring)."""
    if isinstance(seed, torch.Generator):
        return seed
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        generator.manual_seed(check_seed("seed", seed))
    else:
        fail("seed", "an int, a torch.Generator or None", seed, TypeError)
    return generator


def numpy_rng(seed: Seed) -> np.random.Generator:
    """A NumPy generator drawn from ``seed`` (for NumPy-side sampling, e.g. random phases)."""
    generator = make_generator(seed)
    return np.random.default_rng(int(torch.randint(0, 2**62, (1,), generator=generator)))
