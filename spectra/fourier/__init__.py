"""Fourier-domain diagnostics: transforms, spectra, per-frequency errors and their evolution in training.

Conventions (docs/conventions.rst; docs/theory.rst, "Per-frequency diagnostics"): frequencies in cycles
per unit length; u_hat(xi) = ∫ u(x) exp(-2πi xi·x) dx; values on points (n, d), sample axis first.

One concept per module:

- :mod:`~spectra.fourier.transforms`: ``nudft`` and ``continuous_ft`` on scattered points (tiled; finufft if installed);
- :mod:`~spectra.fourier.grid`: uniform grids recognised from their points;
- :mod:`~spectra.fourier.spectrum`: single-sided spectra on uniform grids, peaks, radial averages;
- :mod:`~spectra.fourier.errors`: Xu's relative error per frequency, Rahaman's normalised amplitudes;
- :mod:`~spectra.fourier.projection` and :mod:`~spectra.fourier.filtering`: the two methods for d > 1;
- :mod:`~spectra.fourier.bands`: radial frequency bands of 2-D signals on a pixel grid (energy, band-pass, errors);
- :mod:`~spectra.fourier.dynamics`: decay rates and times to a threshold, per frequency;
- :mod:`~spectra.fourier.recorder`: ``FourierErrorRecorder`` for ``fit()`` and ``error_dynamics(history)``.
"""

from spectra.fourier.bands import band_energy, band_errors, band_pass, octave_edges, radial_frequencies
from spectra.fourier.dynamics import decay_rates, time_to_threshold
from spectra.fourier.errors import FrequencyError, frequency_error, target_amplitudes
from spectra.fourier.filtering import FilteredErrors, filtered_errors, gaussian_smooth
from spectra.fourier.grid import GridLayout, grid_layout, is_uniform_grid
from spectra.fourier.projection import principal_direction, projected_transform, projection_error
from spectra.fourier.recorder import ErrorDynamics, FourierErrorRecorder, error_dynamics
from spectra.fourier.spectrum import RadialSpectrum, Spectrum, radial_average, spectral_peaks, spectrum
from spectra.fourier.transforms import continuous_ft, finufft_available, nudft

__all__ = [
    "ErrorDynamics",
    "FilteredErrors",
    "FourierErrorRecorder",
    "FrequencyError",
    "GridLayout",
    "RadialSpectrum",
    "Spectrum",
    "band_energy",
    "band_errors",
    "band_pass",
    "continuous_ft",
    "decay_rates",
    "error_dynamics",
    "filtered_errors",
    "finufft_available",
    "frequency_error",
    "gaussian_smooth",
    "grid_layout",
    "is_uniform_grid",
    "nudft",
    "octave_edges",
    "principal_direction",
    "projected_transform",
    "projection_error",
    "radial_average",
    "radial_frequencies",
    "spectral_peaks",
    "spectrum",
    "target_amplitudes",
    "time_to_threshold",
]
