"""What a coordinate network learns on an image, radial band by radial band, and what its eNTK predicted.

Radial bands are those of :mod:`spectra.fourier.bands` (cycles per unit length on [0, 1]²; default
octave bands 0, 1, 2, 4, ...). The training pixels (every ``stride``-th row and column) form a grid of their
own whose Nyquist frequency is min(H, W) / (2 stride): bands above it are invisible in the training data (they
alias onto lower ones), so the test pixels there measure what the network's bias fills in.

- :func:`image_dynamics` reads a :class:`~spectra.training.History` whose probe is every pixel
  (``probe=data.coordinates()``): per record step, the relative error per band of the residual on the whole
  image, on the held-out test pixels only (band-passed residual, :func:`spectra.fourier.band_errors` with a
  mask) and on the training grid alone; and the PSNR on training and test pixels.
- :func:`ntk_band_prediction` takes a model at initialisation, its empirical NTK Θ on the training pixels
  (or a sub-grid of them), and the linearised gradient flow r(t) = V exp(-Λ t / N) Vᵀ r(0) of the mean loss
  (:func:`spectra.ntk.linearized_prediction`): the relative error per band over theory time t = lr × steps,
  the time each band's error first falls below a level, the eigenvalues against the radial frequency of
  their eigenvectors, and the top eigenvectors as images. The kernel of several outputs is the trace over
  outputs divided by their number (the infinite-width kernel is the same for every output).

Adam is not gradient flow: its theory time is not lr × steps, so :meth:`ImageDynamics.learning_order` and
:attr:`NTKBandPrediction.learning_order` are compared as orders (which band first), not as times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from spectra._validation import _Described, as_real_array, brief, check_model, check_positive_int, describe, fail
from spectra.data.images import ImageData, psnr
from spectra.fourier.bands import _edges, band_errors, radial_frequencies
from spectra.fourier.dynamics import decay_rates, time_to_threshold
from spectra.results import Result
from spectra.training import History, fit

__all__ = ["ImageDynamics", "NTKBandPrediction", "image_dynamics", "ntk_band_prediction"]


def _first_below(errors: np.ndarray, times: np.ndarray, level: float) -> np.ndarray:
    """Per band, the first time the error is <= level; inf if never, NaN for an empty band."""
    out = np.full(errors.shape[1], np.nan)
    for b in range(errors.shape[1]):
        column = errors[:, b]
        if np.isfinite(column).all():
            out[b] = time_to_threshold(column[:, None], times, level)[0]
    return out


def _order(times: np.ndarray) -> np.ndarray:
    """Rank (0 = first) of each band by its learning time; ties by band; NaN where the time is NaN."""
    rank = np.full(len(times), np.nan)
    valid = np.flatnonzero(~np.isnan(times))
    order = valid[np.lexsort((valid, times[valid]))]
    rank[order] = np.arange(len(order))
    return rank


def _check_level(level: Any) -> float:
    value = as_real_array("level", level)
    if value.shape != () or not 0 < float(value) < 1:
        fail("level", "a relative error level between 0 and 1", brief(level))
    return float(value)


@dataclass(repr=False)
class ImageDynamics(Result):
    """Per-band errors and PSNR of a training run on an image (module docstring).

    ``band_error`` (R, B): relative error per band on the whole image; ``test_band_error`` (R, B): read on the
    test pixels (the band-passed residual's mean square there, which the residual on the training pixels
    leaks into: :func:`spectra.fourier.band_errors`); ``train_band_error`` (R, B): on the training grid alone
    (NaN above its Nyquist frequency); ``psnr_train`` / ``psnr_test`` (R,) in dB; ``target_energy`` (B,): the
    fraction of the image's mean square in each band; ``edges`` (B + 1,) in cycles per unit length.
    """

    steps: np.ndarray = Result.array_field(("R",), "int")
    time: np.ndarray = Result.array_field(("R",))
    edges: np.ndarray = Result.array_field(("B+1",))
    band_error: np.ndarray = Result.array_field(("R", "B"))
    test_band_error: np.ndarray = Result.array_field(("R", "B"))
    train_band_error: np.ndarray = Result.array_field(("R", "B"))
    psnr_train: np.ndarray = Result.array_field(("R",))
    psnr_test: np.ndarray = Result.array_field(("R",))
    target_energy: np.ndarray = Result.array_field(("B",))
    train_nyquist: float
    name: str = "image"

    def _headline(self) -> list[tuple[str, Any]]:
        return [("final PSNR train", self.psnr_train[-1]), ("final PSNR test", self.psnr_test[-1])]

    @property
    def band_labels(self) -> list[str]:
        """'[lo, hi)' of each band, cycles per unit length."""
        return [f"[{lo:g}, {hi:g})" for lo, hi in zip(self.edges[:-1], self.edges[1:], strict=True)]

    def learning_steps(self, level: float = 0.5, *, on: str = "image") -> np.ndarray:
        """Per band, the first recorded step at which its relative error is <= ``level`` (inf: never).

        Parameters
        ----------
        level
            The relative error level, in (0, 1).
        on
            ``"image"`` (whole image), ``"test"`` (test pixels) or ``"train"`` (training grid; NaN above its
            Nyquist frequency).
        """
        errors = {"image": self.band_error, "test": self.test_band_error, "train": self.train_band_error}
        if on not in errors:
            fail("on", "one of 'image', 'test', 'train'", on)
        return _first_below(errors[on], self.steps.astype(float), _check_level(level))

    def learning_order(self, level: float = 0.5, *, on: str = "train") -> np.ndarray:
        """Rank of each band (0 = learned first) by :meth:`learning_steps`; never-learned bands last."""
        return _order(self.learning_steps(level, on=on))

    def decay_rates(self, fraction: float = 0.25) -> np.ndarray:
        """Per band, the early decay rate -d log(error) / d step (1 / step), fitted over the first ``fraction`` of
        the steps (:func:`spectra.fourier.decay_rates`); NaN for a band without energy."""
        frac = as_real_array("fraction", fraction)
        if frac.shape != () or not 0 < float(frac) <= 1:
            fail("fraction", "a fraction of the steps in (0, 1]", brief(fraction))
        window = (0.0, float(self.steps[-1]) * float(frac))
        rates = np.full(self.band_error.shape[1], np.nan)
        for b in range(len(rates)):
            column = self.band_error[:, b]
            if np.isfinite(column).all() and (column > 0).all():
                inside = (self.steps >= window[0]) & (self.steps <= window[1])
                if inside.sum() >= 2:
                    rates[b] = decay_rates(column[:, None], self.steps.astype(float), t_range=window)[0]
        return rates

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per record step and band (step, band, band_lo, band_hi, error, test_error, train_error)."""
        n_records, n_bands = self.band_error.shape
        step, band = np.meshgrid(self.steps, np.arange(n_bands), indexing="ij")
        return pd.DataFrame(
            {
                "step": step.ravel(),
                "band": band.ravel(),
                "band_lo": self.edges[:-1][band.ravel()],
                "band_hi": self.edges[1:][band.ravel()],
                "error": self.band_error.ravel(),
                "test_error": self.test_band_error.ravel(),
                "train_error": self.train_band_error.ravel(),
            }
        )

    def psnr_frame(self) -> pd.DataFrame:
        """One row per record step: step, psnr_train, psnr_test (dB)."""
        return pd.DataFrame({"step": self.steps, "psnr_train": self.psnr_train, "psnr_test": self.psnr_test})


def _train_grid(data: ImageData) -> tuple[slice, slice, tuple[int, int]]:
    rows, cols = slice(0, None, data.stride), slice(0, None, data.stride)
    shape = data.train_mask[rows, cols].shape
    return rows, cols, shape


def image_dynamics(history: History, data: ImageData, edges: Any = None) -> ImageDynamics:
    """Per-band errors and PSNR of every record of ``history`` (module docstring).

    Parameters
    ----------
    history
        A run of ``fit`` on ``data.train()`` with ``probe=data.coordinates()`` (predictions on every pixel).
    data
        The image and its split.
    edges
        Radial band edges in cycles per unit length (default :func:`spectra.fourier.octave_edges`).

    Returns
    -------
    ImageDynamics
        Band errors on the image, the test pixels and the training grid; PSNR on train and test pixels.
    """
    if not isinstance(history, History):
        fail("history", "a History from spectra.fit", type(history).__name__, TypeError)
    if not isinstance(data, ImageData):
        fail("data", "an ImageData (spectra.data.image_data)", type(data).__name__, TypeError)
    pixels = data.coordinates(torch.float64).numpy()
    if history.probe.shape != pixels.shape or not np.allclose(history.probe, pixels, atol=1e-6):
        expected = f"the image whose every pixel the history recorded (probe of shape {history.probe.shape})"
        fail("data", expected, _Described(f"an image with pixel coordinates of shape {pixels.shape}"))
    if history.predictions.shape[2] != data.channels:
        fail("data", f"an image with the history's {history.predictions.shape[2]} channel(s)", data.channels)
    edges = _edges(edges, data.shape)
    h, w, c = data.height, data.width, data.channels
    images = history.predictions.reshape(-1, h, w, c)
    target = np.moveaxis(data.image, -1, 0)  # (C, H, W)
    residual = np.moveaxis(images, -1, 1) - target[None]  # (R, C, H, W)
    rows, cols, train_shape = _train_grid(data)
    train_residual, train_target = residual[:, :, rows, cols], target[:, rows, cols]
    train_nyquist = min(train_shape) / 2
    with np.errstate(invalid="ignore"):
        train_errors = band_errors(train_residual, train_target, edges)
    # Bands beyond the training grid's frequencies hold none of its bins: NaN there.
    train_errors[:, _empty_bands(train_shape, edges)] = np.nan
    energy = _band_energy_fraction(target, edges)
    return ImageDynamics(
        steps=history.steps.copy(),
        time=history.time.copy(),
        edges=edges,
        band_error=band_errors(residual, target, edges),
        test_band_error=band_errors(residual, target, edges, mask=data.test_mask),
        train_band_error=train_errors,
        psnr_train=np.array([psnr(im[data.train_mask], data.image[data.train_mask]) for im in images]),
        psnr_test=np.array([psnr(im[data.test_mask], data.image[data.test_mask]) for im in images]),
        target_energy=energy,
        train_nyquist=float(train_nyquist),
        name=data.name,
    )


def fit_image(
    model: nn.Module,
    data: ImageData,
    *,
    lr: float,
    steps: int,
    record_every: int | None = None,
    seed: int = 0,
    progress: bool = False,
) -> tuple[History, ImageDynamics]:
    """Train ``model`` in place on the training pixels of ``data`` and measure what it learned, band by band.

    Full-batch Adam on the mean squared loss over the training pixels (:func:`spectra.training.fit`),
    recording the prediction on every pixel, so that the held-out pixels are measured but never trained on.

    Parameters
    ----------
    model
        A coordinate network mapping (n, 2) points of [0, 1]² to (n, channels) values.
    data
        The image and its split (:func:`~spectra.data.images.image_data`).
    lr, steps, record_every, seed, progress
        As in :func:`spectra.training.fit`.

    Returns
    -------
    tuple
        The run's :class:`~spectra.training.History` and its :func:`image_dynamics`.
    """
    if not isinstance(data, ImageData):
        fail("data", "an ImageData (spectra.data.image_data)", type(data).__name__, TypeError)
    x, y = data.train()
    history = fit(
        model,
        x,
        y,
        lr=lr,
        steps=steps,
        record_every=record_every,
        probe=data.coordinates(),
        probe_target=data.values(),
        seed=seed,
        progress=progress,
    )
    return history, image_dynamics(history, data)


def _empty_bands(shape: tuple[int, int], edges: np.ndarray) -> np.ndarray:
    radius = radial_frequencies(shape)
    return np.array([not ((radius >= lo) & (radius < hi)).any() for lo, hi in zip(edges[:-1], edges[1:], strict=True)])


def _band_energy_fraction(target: np.ndarray, edges: np.ndarray) -> np.ndarray:
    from spectra.fourier.bands import band_energy

    energy = band_energy(target, edges).sum(axis=0)
    return energy / energy.sum()


@dataclass(repr=False)
class NTKBandPrediction(Result):
    """The linearised (eNTK) prediction of per-band learning on an image's training grid (module docstring).

    ``time`` (T,): theory times t = lr × steps; ``band_error`` (T, B): predicted relative error per band on the
    kernel's grid (NaN for bands without bins there); ``eigenvalues`` (N,) in decreasing order and
    ``eigen_frequency`` (N,): the radial frequency (cycles per unit length) where each eigenvector's power peaks;
    ``eigenvectors`` (k, h, w): the top k eigenvectors as images; ``edges`` (B + 1,).
    """

    time: np.ndarray = Result.array_field(("T",))
    edges: np.ndarray = Result.array_field(("B+1",))
    band_error: np.ndarray = Result.array_field(("T", "B"))
    eigenvalues: np.ndarray = Result.array_field(("N",))
    eigen_frequency: np.ndarray = Result.array_field(("N",))
    eigenvectors: np.ndarray = Result.array_field(("k", "h", "w"))
    grid_stride: int
    name: str = "image"

    def _headline(self) -> list[tuple[str, Any]]:
        return [("largest eigenvalue", self.eigenvalues[0]), ("kernel points", len(self.eigenvalues))]

    def learning_times(self, level: float = 0.5) -> np.ndarray:
        """Per band, the first theory time at which the predicted error is <= ``level`` (inf: never)."""
        return _first_below(self.band_error, self.time, _check_level(level))

    def learning_order(self, level: float = 0.5) -> np.ndarray:
        """Rank of each band (0 = learned first) by :meth:`learning_times`; NaN for bands without bins."""
        return _order(self.learning_times(level))

    def band_eigenvalue(self) -> np.ndarray:
        """Per band, the mean eigenvalue of the eigenvectors whose dominant frequency falls in it (NaN if none)."""
        out = np.full(len(self.edges) - 1, np.nan)
        for b, (lo, hi) in enumerate(zip(self.edges[:-1], self.edges[1:], strict=True)):
            inside = (self.eigen_frequency >= lo) & (self.eigen_frequency < hi)
            if inside.any():
                out[b] = float(self.eigenvalues[inside].mean())
        return out

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per theory time and band (time, band, band_lo, band_hi, error)."""
        n_times, n_bands = self.band_error.shape
        time, band = np.meshgrid(self.time, np.arange(n_bands), indexing="ij")
        return pd.DataFrame(
            {
                "time": time.ravel(),
                "band": band.ravel(),
                "band_lo": self.edges[:-1][band.ravel()],
                "band_hi": self.edges[1:][band.ravel()],
                "error": self.band_error.ravel(),
            }
        )

    def spectrum_frame(self) -> pd.DataFrame:
        """One row per eigenpair: index, eigenvalue, radial frequency of its eigenvector."""
        return pd.DataFrame(
            {
                "index": np.arange(len(self.eigenvalues)),
                "eigenvalue": self.eigenvalues,
                "frequency": self.eigen_frequency,
            }
        )


def _dominant_frequency(vectors: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Radial frequency (cycles per unit length) of the largest DFT power of each column of ``vectors`` (N, K)."""
    images = vectors.T.reshape(-1, *shape)
    power = np.abs(np.fft.fft2(images)) ** 2
    radius = radial_frequencies(shape).ravel()
    return radius[power.reshape(len(images), -1).argmax(axis=1)]


def ntk_band_prediction(
    model: nn.Module,
    data: ImageData,
    times: Any,
    *,
    edges: Any = None,
    max_points: int = 1024,
    n_eigenvectors: int = 8,
    progress: bool = False,
) -> NTKBandPrediction:
    """The eNTK of ``model`` on the training grid of ``data`` and the per-band errors its linearised flow predicts.

    Parameters
    ----------
    model
        A network (2 inputs, ``data.channels`` outputs) at the parameters the prediction starts from
        (usually its initialisation). It is not changed.
    data
        The image and its split; the kernel is computed on the training grid, or on every k-th of its rows and
        columns (k the smallest stride that leaves at most ``max_points`` points).
    times
        Theory times t = lr × steps (T,), increasing.
    edges
        Radial band edges (default :func:`spectra.fourier.octave_edges` of the image's shape).
    max_points
        The largest kernel (points); its float64 eigendecomposition costs O(N³).
    n_eigenvectors
        How many top eigenvectors to keep as images.
    progress
        Show the kernel's progress bar.

    Returns
    -------
    NTKBandPrediction
        The predicted per-band errors over ``times``, the kernel's eigenvalues against radial frequency, and the
        top eigenvectors.
    """
    from spectra.ntk import empirical_ntk, linearized_prediction
    from spectra.ntk.eigen import symmetric_eigh

    check_model("model", model)
    if not isinstance(data, ImageData):
        fail("data", "an ImageData (spectra.data.image_data)", type(data).__name__, TypeError)
    time = as_real_array("times", times)
    if time.ndim != 1 or len(time) == 0 or np.any(time < 0) or np.any(np.diff(time) <= 0):
        fail("times", "increasing non-negative theory times t = lr × steps, shape (T,)", brief(times))
    max_points = check_positive_int("max_points", max_points)
    n_eigenvectors = check_positive_int("n_eigenvectors", n_eigenvectors)
    if max_points < 4:
        fail("max_points", "at least 4 kernel points", max_points)
    edges = _edges(edges, data.shape)
    reference = next(model.parameters())
    # The kernel grid takes every step-th pixel, step a multiple of the training stride that divides both sides,
    # so that it spans exactly one period of the image and its DFT bins are integer cycles per unit length.
    step = next(
        (
            data.stride * k
            for k in range(1, max(data.height, data.width) + 1)
            if data.height % (data.stride * k) == 0
            and data.width % (data.stride * k) == 0
            and (data.height // (data.stride * k)) * (data.width // (data.stride * k)) <= max_points
        ),
        None,
    )
    if step is None:
        fail(
            "data",
            f"an image whose sides are multiples of a kernel-grid step (a multiple of the training stride "
            f"{data.stride}) giving at most max_points = {max_points} points",
            f"a {data.height} × {data.width} image",
        )
    rows, cols = slice(0, None, step), slice(0, None, step)
    grid_shape = data.train_mask[rows, cols].shape
    if min(grid_shape) < 2:
        fail("max_points", "enough points for a kernel grid of at least 2 × 2", max_points)
    mask = np.zeros(data.shape, dtype=bool)
    mask[rows, cols] = True
    index = torch.from_numpy(np.flatnonzero(mask.ravel()))
    x = data.coordinates(reference.dtype)[index].to(reference.device)
    y = data.values(torch.float64)[index]
    with torch.no_grad():
        f0 = model(x).to(torch.float64).cpu()
    if f0.shape != y.shape:
        fail("model", f"a network with 2 inputs and {data.channels} output(s)", _Described(describe(f0)))
    kernel = empirical_ntk(model, x, dtype=torch.float64, progress=progress).kernel.cpu() / data.channels
    prediction = linearized_prediction(kernel, y, f0, 1.0, time)
    residual = (prediction.train - y[None]).numpy()  # (T, N, C)
    n_times = len(time)
    residual_images = np.moveaxis(residual.reshape(n_times, *grid_shape, data.channels), -1, 1)
    target_images = np.moveaxis(y.numpy().reshape(*grid_shape, data.channels), -1, 0)
    with np.errstate(invalid="ignore"):
        errors = band_errors(residual_images, target_images, edges)
    errors[:, _empty_bands(grid_shape, edges)] = np.nan
    values, vectors = symmetric_eigh(kernel)
    values, vectors = values.numpy(), vectors.numpy()
    kept = min(n_eigenvectors, len(values))
    return NTKBandPrediction(
        time=time,
        edges=edges,
        band_error=errors,
        eigenvalues=values,
        eigen_frequency=_dominant_frequency(vectors, grid_shape),
        eigenvectors=vectors[:, :kept].T.reshape(kept, *grid_shape).copy(),
        grid_stride=step,
        name=data.name,
    )
