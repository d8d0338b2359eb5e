"""Evaluating a module at other parameter values without changing the module.

:func:`stateless_call` is ``torch.func.functional_call`` (the module's parameters and buffers swapped
for the given tensors by name, for one call) followed by putting back, in every submodule, the very
objects its ``_parameters`` and ``_buffers`` held before. functional_call restores them by name, and
for a module registered under two names (one layer called twice) or a tensor tied between modules
its restore writes a swapped-in plain tensor back: the Parameter drops out of the module and an
optimiser built on it no longer reaches the model. After :func:`stateless_call` the model's object
graph is the one it had before, whatever the module structure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from torch import nn
from torch.func import functional_call


@contextmanager
def preserved(model: nn.Module) -> Iterator[None]:
    """Put back every parameter and buffer entry of every submodule of ``model`` on exit."""
    slots = [
        (table, name, value)
        for module in model.modules()
        for table in (module._parameters, module._buffers)
        for name, value in table.items()
    ]
    try:
        yield
    finally:
        for table, name, value in slots:
            table[name] = value


def stateless_call(
    model: nn.Module, state: Mapping[str, torch.Tensor] | tuple[Mapping[str, torch.Tensor], ...], args: tuple
) -> torch.Tensor:
    """``functional_call(model, state, args)`` that leaves ``model`` exactly as it was (module docstring)."""
    with preserved(model):
        return functional_call(model, state, args)
