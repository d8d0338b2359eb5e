"""Images as coordinate-regression data: (x0, x1) in [0, 1]² -> pixel value, with the held-out pixel protocol.

An image of H × W pixels and C channels (1 grey, 3 RGB), values in [0, 1], becomes the points of its pixel
centres x = ((i + 1/2) / H, (j + 1/2) / W) (row i along x0, column j along x1) and the values y = image[i, j]
(C,). The points are in C order (row by row), the order of ``spectra.domain.uniform_grid`` and of
``numpy.reshape``, so ``values.reshape(H, W, C)`` is the image again.

The protocol of coordinate-network papers (Tancik et al. 2020; Sitzmann et al. 2020): train on every other
pixel along each axis (the pixels with i and j both multiples of ``stride`` = 2, a quarter of the image) and
test on the held-out pixels (every other pixel); report the PSNR, 10 log10(range² / MSE), on both.

- :data:`BUNDLED_IMAGES`: natural images shipped inside scikit-image (read from its package folder, never
  downloaded; install with ``pip install 'spectra[images]'``);
- :func:`load_image`: a bundled image by name, an image file (a path) or an array, as floats (H, W, C) in
  [0, 1], centre-cropped to the aspect ratio of ``size`` and resized (anti-aliased area averaging);
- :func:`image_data`: the same as :class:`ImageData`, with the train/test split;
- :func:`psnr`: peak signal-to-noise ratio in dB.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from spectra._validation import (
    _Described,
    brief,
    check_float_dtype,
    check_memory,
    check_positive_float,
    check_positive_int,
    describe,
    fail,
)
from spectra.results import Result

__all__ = ["BUNDLED_IMAGES", "ImageData", "bundled_images", "image_data", "load_image", "psnr"]

# Natural images that scikit-image ships in its wheel (file name, description). Only files inside the package
# are read: nothing is downloaded.
BUNDLED_IMAGES: dict[str, tuple[str, str]] = {
    "camera": ("camera.png", "grey, 512 × 512: a photographer on a lawn"),
    "astronaut": ("astronaut.png", "RGB, 512 × 512: astronaut Eileen Collins"),
    "coffee": ("coffee.png", "RGB, 400 × 600: a cup of coffee"),
    "chelsea": ("chelsea.png", "RGB, 300 × 451: a cat"),
    "rocket": ("rocket.jpg", "RGB, 427 × 640: a rocket on its launch pad"),
    "coins": ("coins.png", "grey, 303 × 384: Greek coins"),
    "moon": ("moon.png", "grey, 512 × 512: the lunar surface"),
    "grass": ("grass.png", "grey, 512 × 512: a texture of grass"),
    "gravel": ("gravel.png", "grey, 512 × 512: a texture of gravel"),
    "brick": ("brick.png", "grey, 512 × 512: a brick wall"),
    "hubble_deep_field": ("hubble_deep_field.jpg", "RGB, 872 × 1000: the Hubble deep field"),
    "motorcycle": ("motorcycle_left.png", "RGB, 500 × 741: a motorcycle"),
}
# Images whose values are refused beyond this many pixels before they are resized (8 GiB work arrays).
IMAGE_BYTES_PER_PIXEL_CHANNEL = 8 * 4


def _skimage_folder() -> Path:
    try:
        import skimage.data
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The bundled images come with scikit-image: install it with pip install 'spectra[images]' "
            "(or pip install scikit-image)"
        ) from error
    return Path(skimage.data.__file__).parent


def bundled_images() -> list[str]:
    """Names of the bundled natural images that are present in the installed scikit-image.

    Returns
    -------
    list of str
        Keys of :data:`BUNDLED_IMAGES` whose files are in scikit-image's package folder.
    """
    folder = _skimage_folder()
    return [name for name, (file, _) in BUNDLED_IMAGES.items() if (folder / file).is_file()]


def _read_file(path: Path) -> np.ndarray:
    from PIL import Image  # Pillow: a dependency of matplotlib

    try:
        with Image.open(path) as opened:
            opened.load()
            mode = opened.mode
            # 16-bit grey ("I;16", "I;16B", ...) is read as uint16 and scaled by 65535 below: converting it to RGB
            # would clip every value above 255 to 255 (a saturated image).
            if mode in ("P", "CMYK", "YCbCr", "LAB", "HSV"):
                opened = opened.convert("RGBA" if "transparency" in opened.info else "RGB")
            array = np.asarray(opened)
    except (OSError, ValueError) as error:
        fail("source", "a readable image file (PNG, JPEG, TIFF, ...)", _Described(f"{str(path)!r} ({error})"))
    if array.dtype == bool:
        return array.astype(np.float64)
    if array.dtype.kind in "ui":
        return array.astype(np.float64) / np.iinfo(array.dtype).max
    return array.astype(np.float64)


def _source_array(source: Any) -> tuple[np.ndarray, str]:
    """(raw array, name) of a bundled name, a path or an array."""
    if isinstance(source, str) and source in BUNDLED_IMAGES:
        file = _skimage_folder() / BUNDLED_IMAGES[source][0]
        if not file.is_file():
            fail("source", f"a bundled image present in this scikit-image (one of {bundled_images()})", source)
        return _read_file(file), source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            expected = f"the name of a bundled image ({', '.join(BUNDLED_IMAGES)}) or the path of an image file"
            fail("source", expected, str(source))
        size = path.stat().st_size
        # A compressed file decodes to ~ (width × height × 4) bytes: refuse a file whose raw size already says it
        # cannot fit, before it is decoded.
        check_memory(
            "source", str(source), 4 * size, subject=f"an image file of {size} bytes", advice="use a smaller image"
        )
        return _read_file(path), path.stem
    if isinstance(source, torch.Tensor):
        if source.is_complex() or source.dtype == torch.bool:
            fail("source", "an array of real numbers (H, W) or (H, W, C)", brief(source), TypeError)
        return source.detach().to("cpu", torch.float64).numpy(), "array"
    if isinstance(source, np.ndarray):
        if source.dtype == bool:
            return source.astype(np.float64), "array"
        if source.dtype.kind not in "uif":
            fail("source", "an array of real numbers (H, W) or (H, W, C)", brief(source), TypeError)
        if source.dtype.kind in "ui":
            return source.astype(np.float64) / np.iinfo(source.dtype).max, "array"
        return source.astype(np.float64), "array"
    fail("source", "a bundled image name, a path to an image file, or an array (H, W) or (H, W, C)", brief(source))
    raise AssertionError  # unreachable


def _size(size: Any) -> tuple[int, int]:
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            fail("size", "an int or a pair (H, W) of positive ints", brief(size))
        h, w = (check_positive_int("size", s) for s in size)
    else:
        h = w = check_positive_int("size", size)
    if min(h, w) < 4:
        fail("size", "at least 4 pixels along each axis (the held-out protocol needs 2 × 2 blocks)", (h, w))
    return h, w


def _as_channels(array: np.ndarray, grey: bool | None) -> np.ndarray:
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        fail("source", "an image array (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)", _Described(describe(array)))
    if array.shape[0] < 2 or array.shape[1] < 2:
        fail("source", "an image of at least 2 × 2 pixels", _Described(describe(array)))
    if array.shape[2] in (2, 4):  # grey + alpha or RGB + alpha: drop the alpha channel
        array = array[:, :, :-1]
    if not np.isfinite(array).all():
        fail("source", "finite pixel values (no NaN or inf)", _Described(describe(array) + " with non-finite values"))
    if grey and array.shape[2] == 3:
        array = array @ np.array([0.2125, 0.7154, 0.0721])  # ITU-R BT.709 luminance, as skimage.color.rgb2gray
        array = array[:, :, None]
    return array


def _crop(array: np.ndarray, h: int, w: int) -> np.ndarray:
    """The largest centred window of ``array`` with the aspect ratio h : w."""
    rows, cols = array.shape[:2]
    if rows * w > cols * h:  # too tall
        keep = max(1, round(cols * h / w))
        start = (rows - keep) // 2
        return array[start : start + keep]
    keep = max(1, round(rows * w / h))
    start = (cols - keep) // 2
    return array[:, start : start + keep]


def _resize(array: np.ndarray, h: int, w: int) -> np.ndarray:
    """Area-averaging resize (anti-aliased when shrinking, bilinear when enlarging) of (rows, cols, C)."""
    if array.shape[:2] == (h, w):
        return array
    tensor = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))[None]
    shrinking = array.shape[0] >= h and array.shape[1] >= w
    mode = "area" if shrinking else "bilinear"
    options = {} if shrinking else {"align_corners": False, "antialias": False}
    resized = torch.nn.functional.interpolate(tensor, size=(h, w), mode=mode, **options)
    return resized[0].numpy().transpose(1, 2, 0)


def load_image(source: Any, size: int | tuple[int, int] | None = 64, *, grey: bool | None = None) -> np.ndarray:
    """An image as floats (H, W, C) in [0, 1]: a bundled natural image, an image file or an array.

    Parameters
    ----------
    source
        A name of :data:`BUNDLED_IMAGES` (``bundled_images()`` lists those installed), the path of an image
        file (PNG, JPEG, TIFF, ... read by Pillow) or an array (H, W) or (H, W, C) with C in 1..4 (an alpha
        channel is dropped). Integer arrays and files are scaled by their dtype's maximum; float arrays
        must already lie in [0, 1].
    size
        The resolution: an int (square) or (H, W); the image is centre-cropped to that aspect ratio, then
        resized by area averaging. None keeps the source's resolution.
    grey
        True: RGB is converted to luminance (one channel). None or False: the channels are kept.

    Returns
    -------
    numpy.ndarray
        float64 (H, W, C) with values in [0, 1].
    """
    if grey is not None and not isinstance(grey, bool):
        fail("grey", "True, False or None", grey, TypeError)
    target = None if size is None else _size(size)
    if target is not None:
        check_memory(
            "size",
            size,
            target[0] * target[1] * 3 * IMAGE_BYTES_PER_PIXEL_CHANNEL,
            subject=f"an image of {target[0]} × {target[1]} pixels",
            advice="choose a smaller size",
        )
    raw, _ = _source_array(source)
    if raw.ndim >= 2:
        check_memory(
            "source",
            _Described(describe(raw)),
            raw.size * IMAGE_BYTES_PER_PIXEL_CHANNEL,
            subject=f"an image of {raw.size} values",
            advice="use a smaller image",
        )
    array = _as_channels(raw, grey)
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 1:
        fail(
            "source", "pixel values in [0, 1] (scale a float image first)", _Described(f"values in [{low:g}, {high:g}]")
        )
    if target is None:
        return array
    return np.clip(_resize(_crop(array, *target), *target), 0.0, 1.0)


def psnr(prediction: Any, target: Any, *, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio 10 log10(data_range² / MSE) in dB (inf for a perfect prediction).

    Parameters
    ----------
    prediction, target
        Arrays or tensors of the same shape (pixels × channels, or images).
    data_range
        The range of the pixel values (1 for images in [0, 1]).

    Returns
    -------
    float
        The PSNR over every value given.
    """
    data_range = check_positive_float("data_range", data_range)
    p = _values("prediction", prediction)
    t = _values("target", target)
    if p.shape != t.shape:
        fail("prediction", f"the shape of target {t.shape}", _Described(describe(p)))
    mse = float(np.mean((p - t) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(data_range**2 / mse)


def _values(argument: str, value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        if value.is_complex() or value.dtype == torch.bool:
            fail(argument, "real values", brief(value), TypeError)
        value = value.detach().to("cpu", torch.float64).numpy()
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "uif":
        fail(argument, "an array or tensor of real values", brief(value), TypeError)
    if value.size == 0:
        fail(argument, "at least one value", _Described(describe(value)))
    if not np.isfinite(value).all():
        fail(argument, "finite values (no NaN or inf)", _Described(describe(value) + " with non-finite values"))
    return value.astype(np.float64)


@dataclass(repr=False)
class ImageData(Result):
    """An image as coordinate-regression data with the held-out pixel split (module docstring).

    ``image`` (H, W, C) in [0, 1]; ``train_mask`` (H, W): True on the training pixels (row and column both
    multiples of ``stride``), False on the test pixels; ``name``: where the image came from.
    """

    image: np.ndarray = Result.array_field(("H", "W", "C"))
    train_mask: np.ndarray = Result.array_field(("H", "W"), "bool")
    name: str = "image"
    stride: int = 2

    def _headline(self) -> list[tuple[str, Any]]:
        return [("image", self.name), ("pixels", f"{self.height} × {self.width} × {self.channels}")]

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def channels(self) -> int:
        return int(self.image.shape[2])

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W)."""
        return self.height, self.width

    @property
    def test_mask(self) -> np.ndarray:
        """True on the held-out test pixels (H, W)."""
        return ~self.train_mask

    @property
    def train_index(self) -> np.ndarray:
        """Indices of the training pixels among all pixels (C order)."""
        return np.flatnonzero(self.train_mask.ravel())

    @property
    def test_index(self) -> np.ndarray:
        """Indices of the test pixels among all pixels (C order)."""
        return np.flatnonzero(self.test_mask.ravel())

    def coordinates(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Pixel centres of every pixel (H W, 2) in [0, 1]², C order (x0 along rows, x1 along columns)."""
        dtype = check_float_dtype("dtype", dtype, allow_none=False)
        i = (torch.arange(self.height, dtype=torch.float64) + 0.5) / self.height
        j = (torch.arange(self.width, dtype=torch.float64) + 0.5) / self.width
        grid = torch.stack(torch.meshgrid(i, j, indexing="ij"), dim=-1).reshape(-1, 2)
        return grid.to(dtype)

    def values(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Pixel values of every pixel (H W, C), C order."""
        dtype = check_float_dtype("dtype", dtype, allow_none=False)
        return torch.from_numpy(self.image.reshape(-1, self.channels).copy()).to(dtype)

    def train(self, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, y) of the training pixels: (N, 2) and (N, C)."""
        index = torch.from_numpy(self.train_index)
        return self.coordinates(dtype)[index], self.values(dtype)[index]

    def test(self, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """(x, y) of the held-out test pixels: (M, 2) and (M, C)."""
        index = torch.from_numpy(self.test_index)
        return self.coordinates(dtype)[index], self.values(dtype)[index]

    def as_image(self, values: Any) -> np.ndarray:
        """Values on every pixel ((..., H W, C) in C order) as images (..., H, W, C)."""
        array = _values("values", values)
        if array.shape[-2:] != (self.height * self.width, self.channels):
            expected = f"values (..., {self.height * self.width}, {self.channels}) on every pixel"
            fail("values", expected, _Described(describe(array)))
        return array.reshape(*array.shape[:-2], self.height, self.width, self.channels)

    def psnr(self, prediction: Any) -> dict[str, float]:
        """PSNR on the training pixels and on the test pixels of a prediction on every pixel (H W, C).

        Parameters
        ----------
        prediction
            Values (H W, C) on :meth:`coordinates` (or an image (H, W, C)).

        Returns
        -------
        dict
            {"train": dB on the training pixels, "test": dB on the held-out pixels}.
        """
        image = self.as_image(_values("prediction", prediction).reshape(-1, self.channels))
        return {
            "train": psnr(image[self.train_mask], self.image[self.train_mask]),
            "test": psnr(image[self.test_mask], self.image[self.test_mask]),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per pixel: row, column, x0, x1, split ("train"/"test") and the value of each channel."""
        rows, cols = np.meshgrid(np.arange(self.height), np.arange(self.width), indexing="ij")
        frame = pd.DataFrame(
            {
                "row": rows.ravel(),
                "column": cols.ravel(),
                "x0": (rows.ravel() + 0.5) / self.height,
                "x1": (cols.ravel() + 0.5) / self.width,
                "split": np.where(self.train_mask.ravel(), "train", "test"),
            }
        )
        for c in range(self.channels):
            frame[f"c{c}"] = self.image[:, :, c].ravel()
        return frame


def image_data(
    source: Any,
    size: int | tuple[int, int] | None = 64,
    *,
    grey: bool | None = None,
    stride: int = 2,
    name: str | None = None,
) -> ImageData:
    """An image as coordinate-regression data with the held-out split (module docstring).

    Parameters
    ----------
    source, size, grey
        As in :func:`load_image`.
    stride
        Training pixels are those whose row and column are multiples of ``stride`` (2: every other pixel
        along each axis, a quarter of the image); every other pixel is a test pixel.
    name
        A label (default: the bundled name, the file's stem, or "array").

    Returns
    -------
    ImageData
        The image, its training mask and its name.
    """
    stride = check_positive_int("stride", stride)
    if stride < 2:
        fail("stride", "an integer >= 2 (stride 1 would leave no test pixels)", stride)
    if name is not None and not isinstance(name, str):
        fail("name", "a string or None", name, TypeError)
    image = load_image(source, size, grey=grey)
    if stride > min(image.shape[:2]):
        fail("stride", f"at most the image's shorter side ({min(image.shape[:2])} pixels)", stride)
    mask = np.zeros(image.shape[:2], dtype=bool)
    mask[::stride, ::stride] = True
    label = name or (source if isinstance(source, str) and source in BUNDLED_IMAGES else None)
    if label is None:
        label = Path(source).stem if isinstance(source, (str, os.PathLike)) else "array"
    return ImageData(image=image, train_mask=mask, name=label, stride=stride)
