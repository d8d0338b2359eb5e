"""Real signals as data: natural images as coordinate-regression problems, (x0, x1) in [0, 1]² -> pixel value.

- :mod:`~spectra.data.images`: bundled natural images, image files and arrays, cropped and resized; the held-out
  pixel protocol (train on every other pixel, test on the rest) and the PSNR;
- :mod:`~spectra.data.dynamics`: what a training run on an image learned, radial band by radial band
  (:class:`ImageDynamics`), and what the linearised (eNTK) dynamics predicted (:func:`ntk_band_prediction`).
"""

from spectra.data.dynamics import ImageDynamics, NTKBandPrediction, fit_image, image_dynamics, ntk_band_prediction
from spectra.data.images import BUNDLED_IMAGES, ImageData, bundled_images, image_data, load_image, psnr

__all__ = [
    "BUNDLED_IMAGES",
    "ImageData",
    "ImageDynamics",
    "NTKBandPrediction",
    "bundled_images",
    "fit_image",
    "image_data",
    "image_dynamics",
    "load_image",
    "ntk_band_prediction",
    "psnr",
]
