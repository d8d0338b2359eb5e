"""Bad input at the public API: every bad argument is refused by a ValueError or TypeError that names it.

- Property-based tests: every public entry point (the callables exported by ``spectra`` and its
  subpackages; :func:`test_every_public_name_is_covered_or_listed` keeps the table complete) is described by
  a valid call and, for each checked argument, a *kind* (a size, a positive number, points, a box, a dtype,
  a model, ...). Hypothesis draws bad values of that kind (NaN, inf, negative, zero, wrong types, wrong
  shapes and dimensions, huge sizes) for one argument at a time, the others valid, and accepts only a
  ValueError or TypeError whose message starts with ``"<argument>:"``, the form of
  :func:`spectra._validation.fail`. Each entry's valid call is also run once, so the refusals are not
  vacuous. Draws are derandomized (the same on every run), sizes tiny and examples few: seconds in all.
- ``FINDINGS``: the concrete cases of issue 13, one row each: a call and the argument its error must name
  (or ``None`` where the input is now accepted and converted, e.g. a list of amplitudes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import spectra
from spectra import data as data_module
from spectra import domain, fourier, frequencies, models, ntk, partition, pinn, targets, validate
from spectra import fem as fem_package
from spectra.fem.frequency_pde import dolfinx_modules

F64 = torch.float64
NAN, INF = math.nan, math.inf
HUGE = st.integers(10**13, 10**15)
SETTINGS = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def names_argument(call: Callable[[], Any], argument: str) -> None:
    """``call()`` must raise a ValueError or TypeError in the form "<argument>: expected ..., got ..."."""
    with pytest.raises((ValueError, TypeError)) as caught:
        call()
    assert str(caught.value).startswith(f"{argument}:"), f"{type(caught.value).__name__}: {caught.value}"


# ---------------------------------------------------------------------------------------------------------
# Valid objects, built fresh for every call


def grid(n: int = 8, dim: int = 1) -> torch.Tensor:
    return domain.uniform_grid([(0.0, 1.0)] * dim, n)


def mlp(in_features: int = 1, **options: Any) -> models.MLP:
    return models.MLP(in_features, 1, 4, 1, seed=0, dtype=F64, **options)


def ff_mlp() -> models.FourierFeatureMLP:
    encoder = models.FourierFeatures.gaussian(1, 3, 1.0, seed=0)
    return models.FourierFeatureMLP(encoder, width=4, depth=1, seed=0, dtype=F64)


def meta(model: nn.Module) -> nn.Module:
    return model.to("meta")


def kernel(n: int = 8) -> torch.Tensor:
    return spectra.empirical_ntk(mlp(), grid(n), progress=False).kernel


def sine(n: int = 16) -> torch.Tensor:
    return torch.sin(2 * math.pi * 2 * grid(n)[:, 0])


def history() -> spectra.History:
    x = grid(16)
    return spectra.fit(
        mlp(),
        x,
        torch.sin(2 * math.pi * x),
        steps=2,
        progress=False,
        probe_target=torch.sin(2 * math.pi * x),
        recorders=[spectra.FourierErrorRecorder(residual_spectrum=True)],
    )


def poisson() -> pinn.Poisson:
    return pinn.multiscale_poisson_1d()


def reference_solver(**options: Any) -> fem_package.ReferenceSolver:
    return fem_package.ReferenceSolver(frequencies.Gaussian(0.5), 0.1, 1 / 24, cells=32, **options)


def image(size: int = 8) -> data_module.ImageData:
    return data_module.image_data(np.linspace(0.0, 1.0, size * size).reshape(size, size), size=None)


def image_history() -> spectra.History:
    data = image()
    x, y = data.train()
    model = models.MLP(2, 1, 4, 1, seed=0)
    return spectra.fit(model, x, y, steps=2, record_every=1, probe=data.coordinates(), progress=False)


# ---------------------------------------------------------------------------------------------------------
# Kinds of argument: a valid value and a strategy of bad ones


@dataclass(frozen=True)
class Kind:
    valid: Callable[[], Any]
    bad: st.SearchStrategy


def value(v: Any) -> Callable[[], Any]:
    return lambda: v


WRONG_TYPES = ["3", None, True, object()]


def size(valid: int = 4, *, huge: bool = True, zero_ok: bool = False, per_axis: bool = False) -> Kind:
    """A positive (or non-negative) int; huge values must be refused before any allocation. ``per_axis``:
    a sequence of ints (one per axis) is valid too."""
    bad = [
        st.integers(-(10**6), -1 if zero_ok else 0),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([*WRONG_TYPES, np.float64(valid), [valid, valid, valid] if per_axis else [valid]]),
    ]
    return Kind(value(valid), st.one_of(*bad, HUGE) if huge else st.one_of(*bad))


def positive(valid: float = 1.0, *, zero_ok: bool = False) -> Kind:
    """A finite positive (or non-negative) real number."""
    fixed = [NAN, INF, -INF, -1.0, -1, "1", None, True, [valid], 10**400] + ([] if zero_ok else [0.0, 0])
    return Kind(value(valid), st.one_of(st.sampled_from(fixed), st.floats(max_value=-1e-9)))


def real(valid: float = 0.0) -> Kind:
    """A finite real number of any sign."""
    return Kind(value(valid), st.sampled_from([NAN, INF, -INF, "0", None, True, 10**400]))


def array(valid: Any, *, wrong_shape: Any) -> Kind:
    """A finite real array-like (numbers, sequences, arrays, tensors)."""
    fixed = [[NAN], [INF], np.array([NAN]), "ab", ["1", "2"], None, True, [[1.0], [2.0, 3.0]], wrong_shape]
    return Kind(value(valid), st.sampled_from(fixed))


def choice(valid: str, options: tuple[str, ...]) -> Kind:
    strings = st.text(max_size=6).filter(lambda s: s not in options)
    return Kind(value(valid), st.one_of(strings, st.sampled_from([None, 1, True, [valid]])))


def points(make: Callable[[], torch.Tensor], *, fixed_dim: bool = True, list_ok: bool = False) -> Kind:
    """A finite float point set (n, d), a tensor or an array."""

    def broken(kind: str) -> Any:
        x = make().clone()
        if kind == "nan":
            x[0, 0] = NAN
        elif kind == "inf":
            x[-1, -1] = INF
        elif kind == "dim":
            x = torch.cat([x, x[:, :1]], dim=1)
        elif kind == "3d":
            x = x[None]
        elif kind == "empty":
            x = x[:0]
        elif kind == "int":
            x = x.to(torch.int64)
        elif kind == "complex":
            x = x.to(torch.complex128)
        return x

    kinds = ["nan", "inf", "3d", "empty", "int", "complex"] + (["dim"] if fixed_dim else [])
    others = ["x", None, True] + ([] if list_ok else [[[0.0]]])
    return Kind(make, st.one_of(st.sampled_from(kinds).map(broken), st.sampled_from(others)))


def box(valid: Any, dim: int, *, fixed_dim: bool = True) -> Kind:
    """A Box, (lo, hi) or [(lo, hi), ...] (in ``dim`` dimensions when ``fixed_dim``)."""
    fixed = [(1.0, 0.0), (0.0, NAN), (-INF, 1.0), "ab", None, (0.0, 1.0, 2.0), [(0.0, 1.0), (1.0, 0.0)], []]
    return Kind(value(valid), st.sampled_from(fixed + ([[(0.0, 1.0)] * (dim + 1)] if fixed_dim else [])))


def dtype(valid: torch.dtype | None = None, *, none_ok: bool = True, half_ok: bool = True) -> Kind:
    """A floating torch.dtype (or None when ``none_ok``); float16 and bfloat16 are bad too unless ``half_ok``."""
    fixed = [torch.int32, torch.int64, torch.complex64, torch.bool, "float32", 32, True] + ([] if none_ok else [None])
    return Kind(value(valid), st.sampled_from(fixed + ([] if half_ok else [torch.float16, torch.bfloat16])))


def model(make: Callable[[], nn.Module]) -> Kind:
    """A module whose parameters hold values: not None, a string, a number or a 'meta' copy."""
    return Kind(make, st.one_of(st.sampled_from([None, "model", 3]), st.just("meta").map(lambda _: meta(make()))))


def distribution(valid: Callable[[], Any], dim: int | None = 1) -> Kind:
    """A FrequencyDistribution (in ``dim`` dimensions unless None, where another argument fixes it)."""
    wrong_dim = [] if dim is None else [frequencies.Gaussian(1.0, dim + 1)]
    return Kind(valid, st.sampled_from([None, "gaussian", 1.0, *wrong_dim]))


def instance(make: Callable[[], Any]) -> Kind:
    """An object of one class (a target, settings, a history): anything else is refused."""
    return Kind(make, st.sampled_from([None, "x", 3, 1.5, object()]))


def optional(kind: Kind) -> Kind:
    """An argument whose default None means "choose for me": None is valid, the kind's other bad values not."""
    return Kind(value(None), kind.bad.filter(lambda v: v is not None))


def inputs(make: Callable[[], torch.Tensor]) -> Kind:
    """Inputs of a model's forward pass: a tensor (..., in_features) in the model's dtype (values unchecked:
    a NaN input gives a NaN output, as in any torch module, and checking would cost a device sync per call)."""

    def broken(kind: str) -> torch.Tensor:
        x = make()
        return {
            "dim": torch.cat([x, x], dim=-1),
            "int": x.to(torch.int64),
            "complex": x.to(torch.complex64),
            "dtype": x.to(torch.float64 if x.dtype == torch.float32 else torch.float32),
        }[kind]

    kinds = st.sampled_from(["dim", "int", "complex", "dtype"]).map(broken)
    return Kind(make, st.one_of(kinds, st.sampled_from(["x", None, True, [[0.0]], np.zeros((3, 1))])))


def seed(valid: int = 0) -> Kind:
    return Kind(value(valid), st.sampled_from([-1, 2**64, "0", 1.5, True, [0]]))


# ---------------------------------------------------------------------------------------------------------
# Entry points: a function of keyword arguments and the kind of each checked argument


@dataclass(frozen=True)
class Entry:
    """``call(**arguments)``; ``run_valid=False`` for studies whose valid call trains networks for minutes."""

    call: Callable[..., Any]
    arguments: dict[str, Kind]
    needs_dolfinx: bool = False
    run_valid: bool = True

    def valid(self) -> dict[str, Any]:
        return {name: kind.valid() for name, kind in self.arguments.items()}


def entry(call: Callable[..., Any], **arguments: Kind) -> Entry:
    return Entry(call, arguments)


G = frequencies.Gaussian
BAND = frequencies.Uniform.band(2.0)
TARGET = targets.windowed_cosines()

ENTRIES: dict[str, Entry] = {
    # domain
    "Box": entry(domain.Box, lo=array((0.0,), wrong_shape=[[0.0]]), hi=array((1.0,), wrong_shape=(1.0, 2.0))),
    "Box.interval": entry(domain.Box.interval, lo=real(0.0), hi=real(1.0)),
    "Box.cube": entry(domain.Box.cube, lo=real(0.0), hi=real(1.0), dim=size(2)),
    "uniform_grid": entry(
        spectra.uniform_grid,
        domain=box((0.0, 1.0), 1, fixed_dim=False),
        n=size(4, per_axis=True),
        dtype=dtype(F64, none_ok=False),
    ),
    "sample_uniform": entry(
        spectra.sample_uniform,
        domain=box((0.0, 1.0), 1, fixed_dim=False),
        n=size(4),
        seed=seed(),
        dtype=dtype(F64, none_ok=False),
    ),
    "as_box": entry(
        lambda domain_arg: domain.as_box("domain_arg", domain_arg), domain_arg=box((0.0, 1.0), 1, fixed_dim=False)
    ),
    "grid_axes": entry(domain.grid_axes, box=box((0.0, 1.0), 1, fixed_dim=False), n=size(4, per_axis=True)),
    # frequencies
    "Gaussian": entry(G, std=positive(1.0), dim=size(1), mean=array(0.0, wrong_shape=(0.0, 1.0))),
    "Gaussian.sample": entry(lambda n, seed: G(1.0).sample(n, seed), n=size(4), seed=seed()),
    "Gaussian.density": entry(lambda xi: G(1.0).density(xi), xi=array([0.0, 1.0], wrong_shape=np.zeros((2, 2)))),
    "Gaussian.kernel": entry(lambda z: G(1.0).kernel(z), z=array([0.0, 1.0], wrong_shape=np.zeros((2, 2)))),
    "Uniform": entry(
        spectra.Uniform, low=array(0.0, wrong_shape=(0.0, 1.0)), high=array(1.0, wrong_shape=(1.0, 2.0)), dim=size(1)
    ),
    "Uniform.band": entry(frequencies.Uniform.band, bandwidth=positive(1.0), dim=size(1)),
    "Uniform.sample": entry(lambda n: BAND.sample(n, 0), n=size(4)),
    "Mixture": entry(
        spectra.Mixture,
        components=Kind(lambda: (G(1.0), BAND), st.sampled_from([(), G(1.0), ("a",), None, (G(1.0), G(1.0, 2))])),
        weights=optional(array((1.0, 2.0), wrong_shape=(1.0, 2.0, 3.0))),
    ),
    "Mixture.sample": entry(lambda n: frequencies.Mixture((G(1.0), BAND)).sample(n, 0), n=size(4)),
    "Empirical": entry(
        spectra.Empirical,
        samples=array(np.linspace(-1, 1, 8), wrong_shape=np.zeros(1)),
        bandwidth=Kind(value("scott"), st.sampled_from(["silverman", -1.0, NAN, 0.0, None])),
    ),
    "Empirical.sample": entry(lambda n: frequencies.Empirical(np.linspace(-1, 1, 8)).sample(n, 0), n=size(4)),
    "Symmetrized": entry(spectra.Symmetrized, base=instance(lambda: G(1.0))),
    # targets
    "SumOfSines": entry(
        targets.SumOfSines,
        frequencies=array([1.0, 2.0], wrong_shape=np.zeros((2, 2, 2))),
        amplitudes=array(1.0, wrong_shape=[1.0, 2.0, 3.0]),
        phases=array(0.0, wrong_shape=[1.0, 2.0, 3.0]),
        domain=box((0.0, 1.0), 1, fixed_dim=False),
    ),
    "SumOfSines.__call__": entry(lambda x: targets.multiscale_1d()(x), x=points(grid)),
    "WindowedCosines": entry(
        targets.WindowedCosines,
        frequencies=array([0.3], wrong_shape=np.zeros((1, 1, 1))),
        amplitudes=array(1.0, wrong_shape=[1.0, 2.0]),
        width=positive(1.0),
        center=array(0.0, wrong_shape=(0.0, 1.0)),
        domain=optional(box((0.0, 1.0), 1)),
    ),
    "WindowedCosines.fourier_transform": entry(
        lambda xi: TARGET.fourier_transform(xi), xi=array([0.0, 0.1], wrong_shape=np.zeros((2, 2)))
    ),
    "rahaman": entry(
        targets.rahaman,
        amplitudes=choice("equal", ("equal", "increasing")),
        seed=seed(),
        n_terms=size(3),
        spacing=positive(5.0),
    ),
    "multiscale_1d": entry(
        targets.multiscale_1d,
        frequencies=array((1.0, 25.0), wrong_shape=np.zeros((2, 2, 2))),
        amplitudes=array((1.0, 0.1), wrong_shape=(1.0, 0.1, 0.2)),
        domain=box((0.0, 1.0), 1),
    ),
    "multiscale_4d": entry(
        targets.multiscale_4d, low=real(1.0), high=real(8.0), amplitudes=array((1.0, 0.2), wrong_shape=(1.0,))
    ),
    "power_law_signal": entry(targets.power_law_signal, n=size(16), exponent=positive(1.0, zero_ok=True), seed=seed()),
    "windowed_cosines": entry(
        targets.windowed_cosines,
        frequencies=array((0.3, 0.9), wrong_shape=np.zeros((2, 2, 2))),
        amplitudes=array(1.0, wrong_shape=(1.0, 2.0, 3.0)),
        width=positive(1.5),
        center=real(0.0),
        half_width=positive(12.0),
    ),
    "sample_target": entry(
        targets.sample_target,
        target=instance(targets.multiscale_1d),
        points=points(grid),
        noise=positive(0.1, zero_ok=True),
        seed=seed(),
    ),
    # models
    "MLP": entry(
        spectra.MLP,
        in_features=size(1),
        out_features=size(1),
        width=size(4),
        depth=size(1),
        activation=choice("relu", ("relu", "tanh", "sin")),
        parameterization=choice("standard", ("standard", "ntk")),
        init=choice("torch", ("torch", "xavier", "he", "normal")),
        sigma_b=positive(0.1, zero_ok=True),
        seed=seed(),
        dtype=dtype(),
    ),
    "MLP.__call__": entry(lambda x: mlp()(x), x=inputs(grid)),
    "Dense": entry(models.Dense, in_features=size(2), out_features=size(3), dtype=dtype()),
    "RepNet": entry(
        spectra.RepNet,
        in_features=size(1),
        out_features=size(1),
        width=size(4),
        depth=size(1),
        activation=choice("relu", ("relu", "tanh")),
        s0=positive(1.0),
        scale=choice("shared", ("shared", "per_neuron")),
        placement=choice("uniform_grid", ("uniform_random", "uniform_grid", "quantiles")),
        domain=Kind(value((0.0, 1.0)), optional(box((0.0, 1.0), 1)).bad),
        variant=choice("adaptive", ("adaptive", "frozen_scale", "init_only")),
        output_scale=Kind(value("auto"), st.sampled_from(["none", -1.0, NAN, 0.0, None, True])),
        output_std=positive(1.0),
        seed=seed(),
        dtype=dtype(),
    ),
    "RepNet.__call__": entry(
        lambda x: models.RepNet(1, width=4, seed=0, domain=(-1.0, 1.0))(x), x=inputs(lambda: grid().float())
    ),
    "FourierFeatures": entry(
        spectra.FourierFeatures,
        frequencies=Kind(lambda: torch.ones(2, 1), st.sampled_from([torch.tensor([[NAN]]), torch.ones(0, 1), "ab"])),
        amplitudes=optional(array([1.0, 2.0], wrong_shape=[1.0, 2.0, 3.0])),
        dtype=dtype(),
    ),
    "FourierFeatures.__call__": entry(lambda x: models.FourierFeatures.basic(1)(x), x=inputs(lambda: grid().float())),
    "FourierFeatures.from_distribution": entry(
        models.FourierFeatures.from_distribution, rho_w=distribution(lambda: G(1.0), None), n_frequencies=size(3)
    ),
    "FourierFeatures.gaussian": entry(
        models.FourierFeatures.gaussian, in_features=size(1), n_frequencies=size(3), sigma=positive(1.0), seed=seed()
    ),
    "FourierFeatures.basic": entry(models.FourierFeatures.basic, in_features=size(2)),
    "FourierFeatures.positional": entry(
        models.FourierFeatures.positional, in_features=size(1), levels=size(3), base=positive(2.0)
    ),
    "FourierFeatures.power_law": entry(
        models.FourierFeatures.power_law,
        n_frequencies=size(3),
        exponent=Kind(value(1.0), positive(1.0, zero_ok=True).bad.filter(lambda v: v != INF)),
    ),
    "FourierFeatureMLP": entry(
        spectra.FourierFeatureMLP,
        encoder=instance(lambda: models.FourierFeatures.basic(1)),
        out_features=size(1),
        width=size(4),
        depth=size(1),
        seed=seed(),
        dtype=dtype(),
    ),
    "TwoLayerFourierNet": entry(
        spectra.TwoLayerFourierNet,
        in_features=size(1),
        width=size(4),
        rho_w=distribution(lambda: G(1.0)),
        sigma_a=positive(1.0),
        seed=seed(),
        dtype=dtype(),
    ),
    "DeepONet": entry(
        lambda branch, trunk, n_sensors, n_basis, out_features: models.DeepONet(
            branch, trunk, n_sensors=n_sensors, n_basis=n_basis, out_features=out_features
        ),
        branch=Kind(lambda: models.MLP(3, 2, 4, 1), st.sampled_from([None, "branch", 3])),
        trunk=Kind(lambda: models.MLP(1, 2, 4, 1), st.sampled_from([None, "trunk", 3])),
        n_sensors=size(3, huge=False),
        n_basis=size(2, huge=False),
        out_features=size(1),
    ),
    "RepLayer": entry(
        models.RepLayer,
        direction=Kind(
            lambda: torch.ones(3, 1), st.sampled_from([torch.zeros(3, 1), "ab", None, torch.full((3, 1), NAN)])
        ),
        offset=Kind(lambda: torch.zeros(3), st.sampled_from([torch.zeros(2), "ab", None, torch.full((3,), INF)])),
        scale=Kind(lambda: torch.ones(1), st.sampled_from([torch.ones(2), "ab", None, torch.full((1,), NAN)])),
    ),
    "calibrate_output_scale": entry(
        models.calibrate_output_scale,
        model=model(mlp),
        x=points(grid),
        output_std=positive(1.0),
        seed=seed(),
    ),
    "normalised_mlp": entry(
        models.normalised_mlp,
        in_features=size(1),
        out_features=size(1),
        width=size(4),
        depth=size(1),
        domain=box((0.0, 1.0), 1),
        activation=choice("relu", ("relu", "tanh", "sin")),
        seed=seed(),
    ),
    "count_parameters": entry(models.count_parameters, model=Kind(mlp, st.sampled_from([None, "model", 3]))),
    "shallow_relu_magnitudes": entry(
        models.shallow_relu_magnitudes,
        width=size(4, huge=False),
        s=positive(1.0),
        sigma_c=positive(1.0),
        domain=array((-1.0, 1.0), wrong_shape=(1.0, -1.0)),
        x=Kind(value(None), st.sampled_from(["ab", [NAN], [[1.0], [1.0, 2.0]]])),
    ),
    "Siren": entry(
        lambda in_features, width, depth, omega0, dtype: models.Siren(
            in_features, 1, width, depth, omega0=omega0, seed=0, dtype=dtype
        ),
        in_features=size(2),
        width=size(4),
        depth=size(1),
        omega0=positive(30.0),
        dtype=dtype(),
    ),
    "Siren.__call__": entry(lambda x: models.Siren(2, 1, 4, 1, seed=0)(x), x=inputs(lambda: torch.rand(3, 2))),
    "CoordinateNetwork": entry(
        lambda kind, depth, levels, sigma, omega0: models.CoordinateNetwork(
            kind, depth, levels=levels, sigma=sigma, omega0=omega0
        ),
        kind=choice("mlp", models.COORDINATE_KINDS),
        depth=size(1, huge=False),
        levels=size(6, huge=False),
        sigma=positive(10.0),
        omega0=positive(30.0),
    ),
    "CoordinateNetwork.build": entry(
        lambda width, domain: models.CoordinateNetwork("mlp", 1).build(2, 1, width, domain, seed=0),
        width=size(4),
        domain=box([(0.0, 1.0), (0.0, 1.0)], 2),
    ),
    "CoordinateNetwork.width_for": entry(
        lambda n_parameters: models.CoordinateNetwork("siren", 1).width_for(n_parameters, 2, 1, [(0.0, 1.0)] * 2),
        n_parameters=size(50, huge=False),
    ),
    # fourier
    "nudft": entry(
        spectra.nudft,
        x=points(grid, fixed_dim=False, list_ok=True),
        values=Kind(lambda: torch.ones(8, dtype=F64), st.sampled_from([torch.ones(7), "ab", None, [NAN] * 8])),
        freqs=Kind(lambda: torch.tensor([0.0, 1.0], dtype=F64), st.sampled_from([[NAN], "ab", None, torch.ones(2, 2)])),
        method=choice("direct", ("auto", "direct", "finufft")),
        eps=positive(1e-12),
        block=size(64, huge=False),
    ),
    "continuous_ft": entry(
        spectra.continuous_ft,
        x=points(grid, fixed_dim=False, list_ok=True),
        values=Kind(lambda: torch.ones(8, dtype=F64), st.sampled_from([torch.ones(7), "ab", None, [INF] * 8])),
        xi=Kind(lambda: torch.tensor([0.0, 1.0], dtype=F64), st.sampled_from([[NAN], "ab", None])),
        weights=Kind(value(None), st.sampled_from([-1.0, NAN, "ab", torch.ones(3), [INF] * 8, True])),
    ),
    "spectrum": entry(
        spectra.spectrum,
        values=Kind(
            sine, st.sampled_from([torch.ones(15), "ab", None, [NAN] * 16, torch.ones(16, dtype=torch.cfloat)])
        ),
        grid=Kind(lambda: grid(16), st.sampled_from([torch.rand(16, 1), "ab", None, torch.full((16, 1), NAN)])),
        window=Kind(value(None), st.sampled_from(["nonsense", 3, True])),
    ),
    "spectral_peaks": entry(
        fourier.spectral_peaks,
        values=Kind(sine, st.sampled_from(["ab", None, torch.ones(15)])),
        grid=Kind(lambda: grid(16), st.sampled_from([torch.rand(16, 1), "ab"])),
        threshold=positive(1e-3),
    ),
    "radial_average": entry(
        fourier.radial_average,
        spec=instance(lambda: spectra.spectrum(sine(), grid(16))),
        bin_width=optional(positive(1.0)),
    ),
    "radial_frequencies": entry(
        fourier.radial_frequencies,
        shape=Kind(
            value((4, 4)), st.sampled_from([(1, 4), (4,), "ab", None, (4.0, 4), (True, 4), (4, 4, 4), (10**7, 10**7)])
        ),
    ),
    "octave_edges": entry(
        fourier.octave_edges, shape=Kind(value((4, 6)), st.sampled_from([(4, 1), [4], None, (4, 4.5), (10**8, 10**8)]))
    ),
    "band_energy": entry(
        fourier.band_energy,
        values=Kind(
            lambda: np.ones((4, 4)), st.sampled_from([np.ones(4), "ab", None, np.full((4, 4), NAN), np.ones((1, 4))])
        ),
        edges=optional(array([0.0, 1.0, 3.0], wrong_shape=[[0.0, 1.0]])),
    ),
    "band_pass": entry(
        fourier.band_pass,
        values=Kind(lambda: np.ones((2, 4, 4)), st.sampled_from([np.ones(4), "ab", None, np.full((4, 4), INF)])),
        edges=optional(array([0.0, 1.0, 3.0], wrong_shape=[2.0, 1.0])),
    ),
    "band_errors": entry(
        fourier.band_errors,
        residual=Kind(lambda: np.ones((3, 4, 4)), st.sampled_from([np.ones(4), "ab", None, np.ones((3, 4, 5))])),
        target=Kind(lambda: np.ones((4, 4)), st.sampled_from(["ab", None, np.full((4, 4), NAN), np.ones(4)])),
        edges=optional(array([0.0, 1.0, 3.0], wrong_shape=[[0.0, 1.0]])),
        mask=Kind(value(None), st.sampled_from([np.ones((3, 3), bool), np.zeros((4, 4), bool), "ab", 1.0])),
    ),
    # data
    "load_image": entry(
        data_module.load_image,
        source=Kind(
            value("camera"),
            st.sampled_from(
                [None, 3, "no_such_image", np.full((4, 4), NAN), np.zeros((2, 2, 2, 2)), np.zeros((8, 8, 5))]
            ),
        ),
        size=Kind(value(8), st.sampled_from([0, -1, 3, 2.5, "8", True, (8,), (8, 8, 8), 10**7])),
        grey=Kind(value(None), st.sampled_from(["yes", 1, 0.5])),
    ),
    "image_data": entry(
        data_module.image_data,
        source=Kind(
            value(np.ones((8, 8))), st.sampled_from([None, "no_such_image", np.zeros((8, 8, 5)), np.full((8, 8), 2.0)])
        ),
        size=Kind(value(8), st.sampled_from([0, 3, 2.5, "8", (8, 8, 8), 10**7])),
        stride=Kind(value(2), st.sampled_from([1, 0, -2, 2.0, "2", 100])),
        name=Kind(value(None), st.sampled_from([3, True, ["a"]])),
    ),
    "bundled_images": entry(data_module.bundled_images),
    "psnr": entry(
        data_module.psnr,
        prediction=Kind(
            lambda: np.zeros(4), st.sampled_from([np.zeros(3), "ab", None, np.full(4, NAN), np.zeros(0)])
        ),
        target=Kind(lambda: np.full(4, 0.1), st.sampled_from([[0.1] * 4, "ab", None, np.full(4, INF)])),
        data_range=positive(1.0),
    ),
    "image_dynamics": entry(
        data_module.image_dynamics,
        history=Kind(image_history, st.sampled_from([None, "x", 3])),
        data=Kind(image, st.sampled_from([None, "x", 3, image(4)])),
        edges=optional(array([0.0, 1.0, 3.0], wrong_shape=[[0.0, 1.0]])),
    ),
    "fit_image": entry(
        lambda model, data, lr, steps: data_module.fit_image(model, data, lr=lr, steps=steps),
        model=model(lambda: models.MLP(2, 1, 4, 1, seed=0)),
        data=Kind(image, st.sampled_from([None, "x", 3])),
        lr=positive(1e-3),
        steps=size(2, huge=False),
    ),
    "ntk_band_prediction": entry(
        lambda model, data, times, max_points: data_module.ntk_band_prediction(
            model, data, times, max_points=max_points
        ),
        model=model(lambda: models.MLP(2, 1, 4, 1, seed=0, dtype=F64)),
        data=instance(image),
        times=Kind(value([0.1, 1.0]), st.sampled_from([[1.0, 0.5], "ab", None, [NAN], [-1.0, 1.0], []])),
        max_points=size(16, huge=False),
    ),
    "frequency_error": entry(
        spectra.frequency_error,
        pred=Kind(lambda: 0.5 * sine(), st.sampled_from([torch.ones(15), "ab", None, [NAN] * 16])),
        target=Kind(sine, st.sampled_from([torch.ones(15), "ab", None, [INF] * 16])),
        grid=Kind(lambda: grid(16), st.sampled_from([torch.rand(16, 1), "ab", None])),
        peaks=Kind(value("auto"), st.sampled_from(["best", [NAN], [100.0], None, [0.3]])),
        kind=choice("complex", ("complex", "magnitude")),
        threshold=positive(1e-3),
    ),
    "target_amplitudes": entry(
        fourier.target_amplitudes,
        pred_t=Kind(sine, st.sampled_from(["ab", None, [NAN] * 16])),
        freqs=Kind(value([2.0]), st.sampled_from([[NAN], [0.0], "ab", None])),
        amplitudes=Kind(value([1.0]), st.sampled_from([[-1.0], [NAN], [1.0, 2.0], "ab", None])),
    ),
    "decay_rates": entry(
        fourier.decay_rates,
        err_t=Kind(value(np.exp(-np.arange(4.0))), st.sampled_from(["ab", None, [NAN] * 4, np.zeros((4, 0))])),
        t=Kind(value(np.arange(4.0)), st.sampled_from(["ab", None, [0.0, 0.0, 1.0, 2.0], np.arange(3.0)])),
        t_range=Kind(value(None), st.sampled_from([(2.0, 1.0), "ab", (NAN, 1.0), (10.0, 20.0), (1.0,)])),
    ),
    "time_to_threshold": entry(
        fourier.time_to_threshold,
        err_t=Kind(value(np.exp(-np.arange(4.0))), st.sampled_from(["ab", None, [INF] * 4])),
        t=Kind(value(np.arange(4.0)), st.sampled_from(["ab", None, [3.0, 2.0, 1.0, 0.0]])),
        level=real(0.5),
        direction=choice("below", ("below", "above")),
    ),
    "gaussian_smooth": entry(
        fourier.gaussian_smooth,
        x=points(grid, fixed_dim=False, list_ok=True),
        values=Kind(lambda: torch.ones(8, dtype=F64), st.sampled_from([torch.ones(7), "ab", None])),
        deltas=Kind(value(0.1), st.sampled_from([-1.0, NAN, "ab", None, [], [0.1, -0.1]])),
        block=size(64, huge=False),
    ),
    "filtered_errors": entry(
        fourier.filtered_errors,
        pred=Kind(lambda: 0.5 * sine(), st.sampled_from([torch.ones(15), "ab", None])),
        target=Kind(sine, st.sampled_from([torch.ones(15), "ab", None, [NAN] * 16])),
        x=points(lambda: grid(16), fixed_dim=False, list_ok=True),
        deltas=Kind(value(0.01), st.sampled_from([-1.0, INF, "ab", None])),
    ),
    "principal_direction": entry(
        fourier.principal_direction, x=points(lambda: torch.rand(8, 2, dtype=F64), fixed_dim=False, list_ok=True)
    ),
    "projected_transform": entry(
        fourier.projected_transform,
        x=points(lambda: torch.rand(8, 2, dtype=F64), fixed_dim=False, list_ok=True),
        values=Kind(lambda: torch.ones(8, dtype=F64), st.sampled_from([torch.ones(7), "ab", None])),
        freqs=Kind(value([1.0]), st.sampled_from([[NAN], "ab", None, []])),
        direction=Kind(value(None), st.sampled_from([[0.0, 0.0], [NAN, 1.0], [1.0], "ab"])),
    ),
    "projection_error": entry(
        fourier.projection_error,
        pred=Kind(lambda: torch.zeros(16, dtype=F64), st.sampled_from([torch.ones(15), "ab", None])),
        target=Kind(sine, st.sampled_from([torch.ones(15), "ab", None])),
        x=points(lambda: grid(16), fixed_dim=False, list_ok=True),
        freqs=Kind(value([2.0]), st.sampled_from([[NAN], "ab", None, []])),
        kind=choice("complex", ("complex", "magnitude")),
    ),
    "grid_layout": entry(lambda points: fourier.grid_layout("points", points), points=points(grid, fixed_dim=False)),
    "is_uniform_grid": entry(
        fourier.is_uniform_grid, points=Kind(grid, st.sampled_from(["x", None, torch.ones(3, dtype=torch.int64)]))
    ),
    "FourierErrorRecorder": entry(
        spectra.FourierErrorRecorder,
        peaks=Kind(value("auto"), st.sampled_from(["best", [NAN], "ab", None])),
        threshold=positive(1e-3),
        output=size(0, huge=False, zero_ok=True),
    ),
    "error_dynamics": entry(
        spectra.error_dynamics,
        history=instance(history),
        name=Kind(value("fourier"), st.sampled_from(["nope", None, 3])),
    ),
    # ntk
    "empirical_ntk": entry(
        lambda model, x1, x2, method, block_size, outputs, dtype, max_memory_gb: spectra.empirical_ntk(
            model,
            x1,
            x2,
            method=method,
            block_size=block_size,
            outputs=outputs,
            dtype=dtype,
            max_memory_gb=max_memory_gb,
            progress=False,
        ),
        model=model(mlp),
        x1=points(grid),
        x2=optional(points(grid)),
        method=choice("auto", ("auto", "structured", "jacobian", "vector_products")),
        block_size=optional(size(4, huge=False)),
        outputs=choice("trace", ("trace", "full")),
        dtype=dtype(half_ok=False),
        max_memory_gb=Kind(value(8.0), optional(positive(8.0)).bad),
    ),
    "ntk_operator": entry(
        ntk.ntk_operator,
        model=model(mlp),
        x=points(grid),
        method=choice("auto", ("auto", "structured", "jacobian", "vector_products")),
        outputs=choice("trace", ("trace", "full")),
        dtype=dtype(half_ok=False),
    ),
    "top_eigenpairs": entry(
        lambda model, x, k, tol, seed: spectra.top_eigenpairs(model, x, k, tol=tol, seed=seed, progress=False),
        model=model(mlp),
        x=points(grid),
        k=size(2),
        tol=optional(positive(1e-8, zero_ok=True)),
        seed=seed(),
    ),
    "ntk_spectrum": entry(
        ntk.ntk_spectrum,
        kernel=Kind(
            kernel, st.sampled_from([torch.ones(3, 4), "ab", None, torch.full((3, 3), NAN), np.array([["a"]])])
        ),
        x=Kind(grid, st.sampled_from([grid(4), torch.rand(8, 1), "ab"])),
        k=optional(size(2, huge=False)),
    ),
    "eigenvector_frequencies": entry(
        ntk.eigenvector_frequencies,
        eigenvectors=Kind(lambda: torch.eye(8, dtype=F64), st.sampled_from([torch.eye(4), "ab", None])),
        x=Kind(grid, st.sampled_from([torch.rand(8, 1), "ab", None])),
    ),
    "linearized_prediction": entry(
        spectra.linearized_prediction,
        K_train=Kind(
            lambda: torch.eye(3, dtype=F64), st.sampled_from([torch.ones(3, 4), "ab", None, torch.full((3, 3), INF)])
        ),
        y=Kind(lambda: torch.zeros(3, 1), st.sampled_from([torch.zeros(4, 1), "ab", None, torch.full((3, 1), NAN)])),
        f0=Kind(lambda: torch.ones(3, 1), st.sampled_from([torch.zeros(2, 1), "ab", None])),
        lr=positive(0.1),
        times=Kind(value([0.0, 1.0]), st.sampled_from(["abc", "1", None, [-1.0], [NAN], []])),
    ),
    "max_stable_lr": entry(
        ntk.max_stable_lr, K=Kind(lambda: torch.eye(3), st.sampled_from([torch.ones(3, 4), "ab", None, -torch.eye(3)]))
    ),
    "kernel_drift": entry(
        ntk.kernel_drift,
        kernel=Kind(lambda: torch.eye(3), st.sampled_from([torch.eye(4), "ab", None])),
        reference=Kind(lambda: torch.eye(3), st.sampled_from([torch.zeros(3, 3), "ab", None])),
    ),
    "relu_mlp_ntk": entry(
        ntk.relu_mlp_ntk,
        x1=points(grid, fixed_dim=False),
        depth=size(2, huge=False),
        sigma_w=positive(1.4),
        sigma_b=positive(0.1, zero_ok=True),
    ),
    "two_layer_fourier_ntk": entry(
        ntk.two_layer_fourier_ntk, x1=points(grid), rho_w=distribution(lambda: G(1.0), None), sigma_a=positive(1.0)
    ),
    "analytic_ntk": entry(
        ntk.analytic_ntk,
        model=Kind(lambda: mlp(parameterization="ntk"), st.sampled_from([None, "model", 3])),
        x1=points(grid),
    ),
    "relu_mlp_nngp": entry(
        ntk.relu_mlp_nngp,
        x1=points(grid, fixed_dim=False),
        depth=size(2, huge=False),
        sigma_w=positive(1.4),
        sigma_b=positive(0.1, zero_ok=True),
    ),
    "two_layer_fourier_nngp": entry(
        ntk.two_layer_fourier_nngp, x1=points(grid), rho_w=distribution(lambda: G(1.0), None), sigma_a=positive(1.0)
    ),
    "analytic_nngp": entry(
        ntk.analytic_nngp,
        model=Kind(lambda: mlp(init="he"), st.sampled_from([None, "model", 3, mlp()])),
        x1=points(grid),
    ),
    "empirical_nngp": entry(
        lambda make_model, x1, seeds, outputs: ntk.empirical_nngp(
            make_model, x1, seeds=seeds, outputs=outputs, progress=False
        ),
        make_model=Kind(
            value(lambda seed: models.MLP(1, 1, 4, 1, seed=seed, dtype=F64)),
            st.sampled_from([None, "model", 3, lambda seed: None, lambda seed: "net"]),
        ),
        x1=points(grid),
        seeds=Kind(
            value(range(3)), st.sampled_from([[0], [], "ab", None, 3, [0, -1], [0, 1.5], [0, 2**64], range(10**13)])
        ),
        outputs=choice("trace", ("trace", "full")),
    ),
    "NTKRecorder": entry(
        spectra.NTKRecorder,
        x=optional(points(grid, fixed_dim=False)),
        n_eigenvalues=size(4),
        method=choice("auto", ("auto", "structured", "jacobian", "vector_products")),
        outputs=choice("trace", ("trace", "full")),
        dtype=dtype(F64, none_ok=False, half_ok=False),
    ),
    # partition
    "partition_points": entry(spectra.partition_points, model=model(mlp)),
    "breakpoints_1d": entry(
        spectra.breakpoints_1d,
        model=model(ff_mlp),
        a=real(0.0),
        b=Kind(value(1.0), st.sampled_from([NAN, -1.0, 0.0, "1", None])),
        method=choice("numerical", ("auto", "exact", "numerical")),
        tol=optional(positive(1e-9, zero_ok=True)),
        n_grid=Kind(value(64), optional(size(64)).bad),
    ),
    "regions_2d": entry(spectra.regions_2d, model=model(lambda: mlp(2)), box=box([(0.0, 1.0), (0.0, 1.0)], 2)),
    "regions_2d_sampled": entry(
        partition.regions_2d_sampled,
        model=model(lambda: mlp(2)),
        box=box([(0.0, 1.0), (0.0, 1.0)], 2),
        n=size(8),
        chunk_size=size(16, huge=False),
    ),
    "activation_patterns": entry(partition.activation_patterns, model=model(mlp), x=points(grid)),
    "count_patterns": entry(partition.count_patterns, model=model(mlp), x=points(grid), chunk_size=size(4, huge=False)),
    "dead_neurons": entry(partition.dead_neurons, model=model(mlp), x=points(grid)),
    "boundary_distance": entry(
        partition.boundary_distance, model=model(mlp), x=points(grid), chunk_size=size(4, huge=False)
    ),
    "local_pairs": entry(
        partition.local_pairs,
        x=points(grid, fixed_dim=False),
        n_pairs=optional(size(2, huge=False)),
        seed=seed(),
    ),
    "global_pairs": entry(partition.global_pairs, x=points(grid, fixed_dim=False), n_pairs=size(4), seed=seed()),
    "hamming_pairs": entry(
        partition.hamming_pairs,
        model=model(mlp),
        x=points(grid),
        pairs=Kind(value("local"), st.sampled_from(["near", None, torch.zeros(3), torch.full((2, 2), 99), 3])),
    ),
    "gradient_confusion": entry(
        partition.gradient_confusion,
        model=model(mlp),
        x=points(grid),
        y=Kind(lambda: torch.zeros(8, 1), st.sampled_from([torch.zeros(7, 1), "ab", None, torch.full((8, 1), NAN)])),
        chunk_size=size(4, huge=False),
    ),
    "PartitionRecorder": entry(
        spectra.PartitionRecorder,
        domain=optional(box((0.0, 1.0), 1, fixed_dim=False)),
        method=choice("auto", ("auto", "sampled")),
        n_grid=size(16),
    ),
    # fem
    "ReferenceSolver": entry(
        spectra.ReferenceSolver,
        rho_w=distribution(lambda: G(0.5)),
        sigma_a=positive(0.1, zero_ok=True),
        c=positive(1 / 24),
        window=Kind(value(None), st.sampled_from([-1.0, NAN, "ab", (1.0, 0.0), True, [(0, 1), (0, 1)]])),
        cells=optional(size(32, per_axis=True)),
        tolerance=positive(1e-4),
    ),
    "ReferenceSolver.solve": entry(
        lambda u0, times, scheme, dt: reference_solver().solve(u0, times, scheme, dt),
        u0=Kind(lambda: TARGET, st.sampled_from([None, 3, "u0", (np.zeros(3),), (np.zeros((3, 1)), np.zeros(2))])),
        times=Kind(value([1.0]), st.sampled_from(["abc", "1", None, [-1.0], [NAN], [], [2.0, 1.0]])),
        scheme=optional(choice("crank-nicolson", ("exact", "crank-nicolson", "backward-euler"))),
        dt=Kind(value(0.5), optional(positive(0.5)).bad),
    ),
    "FrequencyPDE": Entry(
        spectra.FrequencyPDE,
        {
            "rho_w": distribution(lambda: G(0.5), 2),
            "sigma_a": positive(0.1, zero_ok=True),
            "c": positive(1 / 24),
            "cells": Kind(value(16), optional(size(16, per_axis=True)).bad),
            "degree": Kind(value(1), st.sampled_from([0, 3, 1.0, True, "1", None])),
            "tolerance": positive(1e-4),
        },
        needs_dolfinx=True,
    ),
    "NonuniformSolver": entry(
        spectra.NonuniformSolver,
        rho_w=distribution(lambda: G(0.5)),
        sigma_a=positive(0.1, zero_ok=True),
        x=points(lambda: torch.linspace(-4, 4, 16, dtype=F64)[:, None]),
        weights=Kind(value(None), st.sampled_from([[-1.0] * 16, [NAN] * 16, "ab", np.ones(3)])),
        window=optional(positive(1.0)),
        cells=optional(size(32)),
        method=choice("auto", ("auto", "data", "nodes")),
        tolerance=positive(1e-4),
    ),
    "NonuniformSolver.solve": entry(
        lambda residual, times: fem_package.NonuniformSolver(G(0.5), 0.1, torch.linspace(-4, 4, 16)[:, None]).solve(
            residual, times
        ),
        residual=Kind(lambda: -torch.ones(16), st.sampled_from([torch.ones(15), "ab", None, torch.full((16,), NAN)])),
        times=Kind(value([0.0, 1.0]), st.sampled_from(["abc", None, [-1.0], [NAN], [1.0, 0.5]])),
    ),
    "UniformDataEquation": entry(
        fem_package.UniformDataEquation,
        rho_w=distribution(lambda: G(0.5)),
        sigma_a=positive(0.1, zero_ok=True),
        window=positive(2.0),
        cells=size(32),
    ),
    "UniformDataEquation.solve": entry(
        lambda x, residual, c, times, xi: fem_package.UniformDataEquation(G(0.2), 0.1, 1.0, 32).solve(
            x, residual, c, times, xi
        ),
        x=points(lambda: torch.rand(16, 1, dtype=F64, generator=torch.Generator().manual_seed(0))),
        residual=Kind(lambda: -torch.ones(16), st.sampled_from([torch.ones(15), "ab", None])),
        c=Kind(value(1.0), st.sampled_from([NAN, -1.0, 0.0, "1", None, [], [1.0, INF]])),
        times=Kind(value([1.0]), st.sampled_from(["abc", None, [-1.0], [NAN]])),
        xi=array([0.0, 0.1], wrong_shape=np.zeros((2, 2))),
    ),
    "lazy_limit": entry(
        fem_package.lazy_limit,
        u0=Kind(lambda: TARGET, st.sampled_from([None, 3, "u0"])),
        rho_w=distribution(lambda: G(0.5), None),
        c=Kind(value(1.0), st.sampled_from([NAN, -1.0, 0.0, "1", None, [], [1.0, INF]])),
        times=Kind(value([1.0]), st.sampled_from(["abc", None, [-1.0], [NAN]])),
        xi=array([0.0, 0.1], wrong_shape=np.zeros((2, 2))),
    ),
    "cosine_series_solution": entry(
        fem_package.cosine_series_solution,
        u0=Kind(lambda: TARGET, st.sampled_from([None, 3, "u0"])),
        window=Kind(value(2.0), st.sampled_from([-1.0, NAN, "ab", (1.0, 0.0), True])),
        rho0=positive(0.1),
        sigma_a=positive(0.1, zero_ok=True),
        c=positive(1.0),
        times=Kind(value([1.0]), st.sampled_from(["abc", None, [-1.0], [INF]])),
        xi=array([0.0, 0.1], wrong_shape=np.zeros((2, 2, 2))),
        terms=size(8),
    ),
    "NodeGrid": entry(
        fem_package.NodeGrid,
        window=instance(lambda: domain.Box((0.0,), (1.0,))),
        cells=Kind(value((4,)), st.sampled_from([(0,), (4, 4), 4, ("4",), (4.5,)])),
        degree=Kind(value(1), st.sampled_from([0, 3, True, "1"])),
    ),
    "as_initial_data": entry(
        fem_package.as_initial_data,
        u0=Kind(lambda: TARGET, st.sampled_from([None, 3, "u0", (np.zeros(3),), (np.array(["a"]), np.zeros(1))])),
        dim=size(1, huge=False),
        c=positive(1.0),
    ),
    # validate
    "LinearizedSettings": entry(
        validate.LinearizedSettings,
        frequencies=Kind(value((1.0, 2.0)), st.sampled_from(["ab", (NAN,), (0.5,), (100.0,), None])),
        n_train=size(64, huge=False),
        width=size(8, huge=False),
        lr_fraction=Kind(value(0.5), st.sampled_from([1.5, NAN, -0.1, "0.5", None])),
        rtol=positive(0.1, zero_ok=True),
    ),
    "MultilayerSettings": entry(
        validate.MultilayerSettings,
        n_points=size(128, huge=False),
        tail=positive(2.5),
        activation=choice("relu", ("relu", "tanh", "sin")),
        level=Kind(value(0.1), st.sampled_from([1.5, NAN, -0.1, "0.1", None])),
    ),
    "NonuniformSettings": entry(
        validate.NonuniformSettings,
        n_points=size(320, huge=False),
        half_length=positive(8.0),
        times=Kind(value((0.0, 25.0, 50.0)), st.sampled_from(["ab", (0.0, NAN), (1.0, 2.0), None, (0.0,)])),
        target_frequencies=Kind(value((0.3,)), st.sampled_from(["ab", (NAN,), (-1.0,), None])),
    ),
    "PDECase": entry(
        validate.PDECase,
        name=Kind(value("case"), st.sampled_from(["", "a/b", None])),
        target=instance(lambda: TARGET),
        rho_w=distribution(lambda: G(0.5)),
        sigma_a=positive(0.1),
        n_points=size(600, huge=False),
        window=positive(1.5),
    ),
    "PDEComparisonSettings": entry(
        validate.PDEComparisonSettings,
        cases=Kind(lambda: (validate.PDECase("a", TARGET, G(0.5)),), st.sampled_from([(), 3, None, ("a",)])),
        reference=Kind(value("a"), st.sampled_from(["b", None, 3])),
        bias=Kind(value(()), st.sampled_from([("a",), ("a", "b"), None, "a"])),
        bias_time=positive(50.0),
        solver=choice("auto", ("auto", "dolfinx", "reference")),
        dtype=choice("float32", ("float32", "float64")),
    ),
    "breakdown_times": entry(
        validate.breakdown_times,
        time=Kind(value(np.arange(3.0)), st.sampled_from(["ab", None, [0.0, 0.0, 1.0], [NAN, 1.0, 2.0]])),
        observed=Kind(value(np.zeros((3, 1))), st.sampled_from(["ab", None, np.zeros((2, 1)), -np.ones((3, 1))])),
        predicted=Kind(value(np.zeros((3, 1))), st.sampled_from(["ab", None, np.zeros((3, 2)), np.full((3, 1), NAN)])),
        rtol=positive(0.1, zero_ok=True),
        atol=positive(0.02, zero_ok=True),
    ),
    **{
        # None means "the default settings", so only wrong types are thrown
        study.__name__: Entry(
            study, {"settings": Kind(value(None), st.sampled_from(["x", 3, 1.5, {}]))}, run_valid=False
        )
        for study in (
            validate.linearized_against_training,
            validate.multilayer_frequency_bias,
            validate.nonuniform_against_training,
            validate.pde_against_network,
        )
    },
    # pinn
    "laplacian": entry(
        pinn.laplacian,
        u=Kind(lambda: mlp(activation="tanh"), st.sampled_from([None, 3, "u"])),
        x=points(grid),
    ),
    "box_boundary": entry(
        pinn.box_boundary,
        box=Kind(value([(0.0, 1.0), (0.0, 1.0)]), st.sampled_from([(1.0, 0.0), "ab", None, (0.0, NAN)])),
        n_per_face=size(3),
        dtype=dtype(F64, none_ok=False),
    ),
    "Poisson": entry(pinn.Poisson, solution=instance(targets.multiscale_1d), coefficient=positive(1.0)),
    "Poisson.residual": entry(
        lambda u, x: poisson().residual(u, x),
        u=Kind(lambda: mlp(activation="tanh"), st.sampled_from([None, 3])),
        x=points(grid),
    ),
    "InverseModel": entry(pinn.InverseModel, network=model(mlp), initial_coefficient=positive(1.0)),
    "PINNLoss": entry(
        pinn.PINNLoss,
        problem=instance(poisson),
        collocation=points(grid),
        boundary=points(lambda: torch.tensor([[0.0], [1.0]], dtype=F64)),
        observations=Kind(value(None), st.sampled_from(["obs", 3, (1, 2)])),
        boundary_weight=positive(1.0, zero_ok=True),
        data_weight=positive(1.0, zero_ok=True),
    ),
    "multiscale_poisson_1d": entry(
        pinn.multiscale_poisson_1d,
        frequencies=array((1.0, 25.0), wrong_shape=np.zeros((2, 2, 2))),
        amplitudes=array((1.0, 0.1), wrong_shape=(1.0,)),
        coefficient=positive(1.0),
    ),
    "multiscale_poisson_2d": entry(
        pinn.multiscale_poisson_2d,
        low=real(1.0),
        high=real(6.0),
        amplitudes=array((1.0, 0.1), wrong_shape=(1.0,)),
        coefficient=positive(1.0),
    ),
    # training
    "fit": entry(
        lambda model, x, y, **options: spectra.fit(model, x, y, progress=False, **options),
        model=model(mlp),
        x=points(grid),
        y=Kind(
            lambda: torch.zeros(8, 1, dtype=F64),
            st.sampled_from([torch.zeros(7, 1), "ab", None, torch.full((8, 1), NAN)]),
        ),
        optimizer=choice("adam", ("adam", "sgd", "lbfgs")),
        lr=positive(1e-3),
        steps=size(2, huge=False),
        batch_size=optional(size(4, huge=False)),
        record_every=optional(size(1, huge=False)),
        probe=optional(points(grid)),
        probe_target=optional(points(lambda: torch.zeros(8, 1, dtype=F64), fixed_dim=False)),
        recorders=Kind(value(()), st.sampled_from([None, 3, ("recorder",)])),
        seed=seed(),
        device=Kind(value(None), st.sampled_from(["nonsense", 3])),
        dtype=dtype(),
        checkpoint_every=optional(size(1, huge=False)),
        objective=Kind(value(None), st.sampled_from([3, "loss"])),
    ),
    "Monitor": entry(
        lambda model, step, x, y, **options: spectra.Monitor(x, y, **options)(model, step),
        model=model(mlp),
        step=size(0, huge=False, zero_ok=True),
        x=points(grid),
        y=Kind(
            lambda: torch.zeros(8, 1, dtype=F64),
            st.sampled_from([torch.zeros(7, 1), "ab", None, torch.full((8, 1), NAN)]),
        ),
        # lr=None is valid: the time then comes with each call (and its absence is named "time")
        lr=Kind(value(1e-3), positive(1e-3).bad.filter(lambda v: v is not None)),
        record_every=size(1, huge=False),
        steps=optional(size(2, huge=False)),
        probe=optional(points(grid)),
        probe_target=optional(points(lambda: torch.zeros(8, 1, dtype=F64), fixed_dim=False)),
        recorders=Kind(value(()), st.sampled_from([None, 3, ("recorder",)])),
        objective=Kind(value(None), st.sampled_from([3, "loss"])),
        seed=optional(seed()),
        config=Kind(value(None), st.sampled_from([3, "notes", {"lr": 1.0}])),
    ),
}


# ---------------------------------------------------------------------------------------------------------
# The findings of issue 13, one row each: (what, call, the argument its error names; None: now accepted)


def nan_frequency_fit() -> Any:
    """A NaN Fourier-feature frequency used to train unnoticed until the loss went NaN (blamed on lr)."""
    encoder = models.FourierFeatures(torch.tensor([[NAN]]))
    x = grid(8).float()
    return spectra.fit(
        models.FourierFeatureMLP(encoder, width=4, depth=1), x, torch.zeros(8, 1), steps=2, progress=False
    )


def pde(**options: Any) -> fem_package.FrequencyPDE:
    return fem_package.FrequencyPDE(G(0.5), 0.1, 1 / 24, **options)


FINDINGS: list[tuple[str, Callable[[], Any], str | None]] = [
    # silently wrong: NaN and inf taken as numbers
    ("FourierFeatures(frequencies=[[nan]])", lambda: models.FourierFeatures(torch.tensor([[NAN]])), "frequencies"),
    (
        "FourierFeatures(amplitudes=[1, inf])",
        lambda: models.FourierFeatures(torch.ones(2, 1), torch.tensor([1.0, INF])),
        "amplitudes",
    ),
    ("Gaussian(mean=nan)", lambda: G(1.0, mean=NAN), "mean"),
    ("Uniform(low=nan)", lambda: frequencies.Uniform(NAN, 1.0), "low"),
    ("Empirical(samples with nan)", lambda: frequencies.Empirical([0.0, 1.0, NAN]), "samples"),
    ("WindowedCosines(center=nan)", lambda: targets.WindowedCosines([0.3], center=NAN), "center"),
    ("Gaussian.density(nan)", lambda: G(1.0).density(NAN), "xi"),
    ("Gaussian.kernel(inf)", lambda: G(1.0).kernel(INF), "z"),
    ("fit of an FF-MLP with a NaN frequency (was blamed on lr)", nan_frequency_fit, "frequencies"),
    ("MLP(sigma_b=nan) in the standard parameterisation", lambda: models.MLP(1, sigma_b=NAN), "sigma_b"),
    # wrong argument named
    ("RepNet(domain=(1, 0))", lambda: models.RepNet(1, domain=(1.0, 0.0)), "domain"),
    ("regions_2d(box reversed)", lambda: spectra.regions_2d(mlp(2), [(0.0, 1.0), (1.0, 0.0)]), "box"),
    ("WindowedCosines(center=inf)", lambda: targets.WindowedCosines([0.3], center=INF), "center"),
    ("WindowedCosines(domain=(1, 0))", lambda: targets.WindowedCosines([0.3], domain=(1.0, 0.0)), "domain"),
    ("SumOfSines(domain=(1, 0))", lambda: targets.SumOfSines([1.0], domain=(1.0, 0.0)), "domain"),
    ("windowed_cosines(half_width=-1)", lambda: targets.windowed_cosines(half_width=-1.0), "half_width"),
    ("rahaman(spacing=nan)", lambda: targets.rahaman(spacing=NAN), "spacing"),
    ("multiscale_4d(low=nan)", lambda: targets.multiscale_4d(low=NAN), "low"),
    ("FourierFeatures.gaussian(sigma=-1)", lambda: models.FourierFeatures.gaussian(1, 4, sigma=-1.0), "sigma"),
    ("Box(hi=nan)", lambda: domain.Box((0.0,), (NAN,)), "hi"),
    ("Uniform(high < low)", lambda: frequencies.Uniform(1.0, 0.0), "high"),
    ("FrequencyPDE(rho_w in 3-D) (blamed on dim)", lambda: fem_package.FrequencyPDE(G(1.0, 3), 0.1, 1.0), "rho_w"),
    # foreign errors: a torch/NumPy error instead of ours
    ("empirical_ntk(meta model)", lambda: spectra.empirical_ntk(meta(mlp()), grid(), progress=False), "model"),
    ("ntk_operator(meta model)", lambda: ntk.ntk_operator(meta(mlp()), grid()), "model"),
    ("top_eigenpairs(meta model)", lambda: spectra.top_eigenpairs(meta(mlp()), grid(), 2, progress=False), "model"),
    ("partition_points(meta model)", lambda: spectra.partition_points(meta(mlp())), "model"),
    ("breakpoints_1d(meta model)", lambda: spectra.breakpoints_1d(meta(mlp()), 0.0, 1.0), "model"),
    ("activation_patterns(meta model)", lambda: partition.activation_patterns(meta(mlp()), grid()), "model"),
    ("calibrate_output_scale(meta model)", lambda: models.calibrate_output_scale(meta(mlp()), grid()), "model"),
    ("MLP(dtype=torch.int32)", lambda: models.MLP(1, dtype=torch.int32), "dtype"),
    ("MLP(dtype='float32')", lambda: models.MLP(1, dtype="float32"), "dtype"),
    (
        "uniform_grid(dtype=torch.int32) (truncated silently)",
        lambda: spectra.uniform_grid((0, 1), 4, dtype=torch.int32),
        "dtype",
    ),
    (
        "FourierFeatures(amplitudes=[1.0, 2.0]) (a list)",
        lambda: models.FourierFeatures(torch.ones(2, 1), [1.0, 2.0]),
        None,
    ),
    (
        "calibrate_output_scale(float32 model, float64 x)",
        lambda: models.calibrate_output_scale(models.MLP(1, seed=0), grid()),
        None,
    ),
    (
        "empirical_ntk(float32 model, float64 x)",
        lambda: spectra.empirical_ntk(models.MLP(1, seed=0), grid(), progress=False),
        None,
    ),
    ("MLP(float32)(float64 x)", lambda: models.MLP(1, seed=0)(grid()), "x"),
    ("MLP()(numpy x)", lambda: models.MLP(1, seed=0)(np.zeros((2, 1), dtype=np.float32)), "x"),
    (
        "linearized_prediction(times='abc')",
        lambda: spectra.linearized_prediction(torch.eye(3), torch.zeros(3, 1), torch.ones(3, 1), 0.1, "abc"),
        "times",
    ),
    ("ReferenceSolver.solve(times='abc')", lambda: reference_solver().solve(TARGET, "abc"), "times"),
    ("Uniform('a', 'b')", lambda: frequencies.Uniform("a", "b"), "low"),
    ("Uniform('0', '1') (read as numbers)", lambda: frequencies.Uniform("0", "1"), "low"),
    ("Mixture(weights='ab')", lambda: frequencies.Mixture((G(1.0), G(2.0)), "ab"), "weights"),
    ("Gaussian.density('x')", lambda: G(1.0).density("x"), "xi"),
    ("Gaussian(mean=(0, 1)) in 1-D", lambda: G(1.0, mean=(0.0, 1.0)), "mean"),
    ("rahaman(spacing='5')", lambda: targets.rahaman(spacing="5"), "spacing"),
    ("multiscale_4d(amplitudes=(1,))", lambda: targets.multiscale_4d(amplitudes=(1.0,)), "amplitudes"),
    ("multiscale_poisson_2d(amplitudes=(1,))", lambda: pinn.multiscale_poisson_2d(amplitudes=(1.0,)), "amplitudes"),
    ("decay_rates(err_t='ab')", lambda: fourier.decay_rates("ab", [0.0, 1.0]), "err_t"),
    ("time_to_threshold(level='a')", lambda: fourier.time_to_threshold([1.0, 0.5], [0.0, 1.0], "a"), "level"),
    ("Box.interval('a', 1)", lambda: domain.Box.interval("a", 1.0), "lo"),
    ("uniform_grid(n=4.0)", lambda: spectra.uniform_grid((0.0, 1.0), 4.0), "n"),
    (
        "FourierFeatures.from_distribution(rho_w='gaussian')",
        lambda: models.FourierFeatures.from_distribution("gaussian", 4),
        "rho_w",
    ),
    ("sample_target(target=None)", lambda: targets.sample_target(None, grid()), "target"),
    ("Symmetrized(base=3)", lambda: frequencies.Symmetrized(3), "base"),
    (
        "shallow_relu_magnitudes(domain=(0, 1, 2))",
        lambda: models.shallow_relu_magnitudes(4, 1.0, 1.0, domain=(0.0, 1.0, 2.0)),
        "domain",
    ),
    (
        "analytic_ntk(MLP in 1-D, x1 in 2-D) (computed silently)",
        lambda: ntk.analytic_ntk(mlp(parameterization="ntk"), torch.rand(4, 2)),
        "x1",
    ),
    # no size guard: refused with the estimate, before any allocation
    ("uniform_grid(n=10**10)", lambda: spectra.uniform_grid((0.0, 1.0), 10**10), "n"),
    ("sample_uniform(n=10**10)", lambda: spectra.sample_uniform((0.0, 1.0), 10**10), "n"),
    ("FrequencyPDE(cells=10**8)", lambda: pde(cells=10**8), "cells"),
    ("ReferenceSolver(cells=10**6)", lambda: fem_package.ReferenceSolver(G(0.5), 0.1, 1 / 24, cells=10**6), "cells"),
    (
        "NonuniformSolver(cells=10**10)",
        lambda: fem_package.NonuniformSolver(G(0.5), 0.1, torch.linspace(0, 1, 8)[:, None], cells=10**10),
        "cells",
    ),
    ("TwoLayerFourierNet(width=10**10)", lambda: models.TwoLayerFourierNet(1, 10**10, G(1.0)), "width"),
    ("MLP(width=10**6)", lambda: models.MLP(1, width=10**6), "width"),
    ("rahaman(n_terms=10**9)", lambda: targets.rahaman(n_terms=10**9), "n_terms"),
    ("Gaussian.sample(10**10)", lambda: G(1.0).sample(10**10), "n"),
    (
        "FourierFeatures.gaussian(n_frequencies=10**10)",
        lambda: models.FourierFeatures.gaussian(1, 10**10, 1.0),
        "n_frequencies",
    ),
    ("breakpoints_1d(n_grid=10**10)", lambda: spectra.breakpoints_1d(ff_mlp(), 0.0, 1.0, n_grid=10**10), "n_grid"),
    ("regions_2d_sampled(n=10**6)", lambda: partition.regions_2d_sampled(mlp(2), [(0, 1), (0, 1)], 10**6), "n"),
    ("relu_mlp_ntk(10**6 points)", lambda: ntk.relu_mlp_ntk(torch.zeros(10**6, 1), depth=1), "x1"),
    (
        "top_eigenpairs(tol=nan) (ARPACK crashed the interpreter)",
        lambda: spectra.top_eigenpairs(mlp(), grid(), 2, tol=NAN, progress=False),
        "tol",
    ),
    ("FrequencyPDE.solve(dt=1e-9) (hours of steps)", lambda: pde(cells=64).solve(TARGET, [1.0], dt=1e-9), "dt"),
]


def dolfinx_available() -> bool:
    try:
        dolfinx_modules()
    except ImportError:
        return False
    return True


@pytest.mark.filterwarnings("ignore")  # resolution warnings of deliberately tiny problems
@pytest.mark.parametrize("name", [n for n, e in ENTRIES.items() if e.run_valid])
def test_the_valid_call_of_each_entry_runs(name: str) -> None:
    entry_point = ENTRIES[name]
    if entry_point.needs_dolfinx and not dolfinx_available():
        pytest.skip("DOLFINx is not installed")
    entry_point.call(**entry_point.valid())


@pytest.mark.parametrize(
    ("name", "argument"),
    [pytest.param(n, a, id=f"{n}-{a}") for n, e in ENTRIES.items() for a in e.arguments],
)
@SETTINGS
@given(data=st.data())
def test_a_bad_argument_is_refused_with_its_name(name: str, argument: str, data: st.DataObject) -> None:
    entry_point = ENTRIES[name]
    arguments = entry_point.valid()
    arguments[argument] = data.draw(entry_point.arguments[argument].bad, label=argument)
    names_argument(lambda: entry_point.call(**arguments), argument)


def test_every_public_name_is_covered_or_listed() -> None:
    """Each public callable of spectra and its subpackages has an entry here, or is a result/abstract class."""
    not_entries = {
        # results, abstract bases and plain records: built by spectra, not from user arguments
        "EmpiricalNNGP",
        "EmpiricalNTK",
        "MagnitudeEstimate",
        "SpaceEstimate",
        "WidthFit",
        "FrequencyDistribution",
        "History",
        "PDESolution",
        "Recorder",
        "ErrorDynamics",
        "FilteredErrors",
        "FrequencyError",
        "GridLayout",
        "RadialSpectrum",
        "Spectrum",
        "LinearizedPrediction",
        "NTKOperator",
        "NTKSpectrum",
        "Breakpoints",
        "NeuronActivity",
        "PartitionPoints",
        "Regions2D",
        "SampledRegions",
        "FrequencyProblem",
        "InitialData",
        "NonuniformSolution",
        "ResolutionWarning",
        "NumericalPathWarning",
        "WindowWarning",
        "LinearizedComparison",
        "MultilayerResult",
        "NonuniformComparison",
        "PDEComparison",
        "Samples",
        "Target",
        "ImageData",
        "ImageDynamics",
        "NTKBandPrediction",
        "finufft_available",
    }
    covered = {name.split(".")[0] for name in ENTRIES}
    public = set()
    for module in (
        spectra, domain, fourier, frequencies, models, ntk, partition, pinn, targets, validate, fem_package, data_module
    ):
        exported = getattr(module, "__all__", None)
        for name, obj in vars(module).items():
            defined_here = getattr(obj, "__module__", None) == module.__name__
            if callable(obj) and not name.startswith("_") and (name in exported if exported else defined_here):
                public.add(name)
    assert public - covered - not_entries == set()


@pytest.mark.filterwarnings("ignore")  # resolution warnings of deliberately tiny problems
@pytest.mark.parametrize(("what", "call", "argument"), FINDINGS, ids=[row[0] for row in FINDINGS])
def test_each_finding_of_the_issue_is_fixed(what: str, call: Callable[[], Any], argument: str | None) -> None:
    if "FrequencyPDE" in what and argument not in ("cells", "rho_w") and not dolfinx_available():
        pytest.skip("DOLFINx is not installed")
    if argument is None:
        call()
    else:
        names_argument(call, argument)
