"""Put first on ``PYTHONPATH`` of spectra's worker processes only: see :mod:`spectra._lifeline`."""
