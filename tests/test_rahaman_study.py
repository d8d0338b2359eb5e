"""Rahaman et al.'s spectral-bias experiment, quick mode: the low frequencies are learned first."""

import math


def test_rahaman_study_learns_the_lowest_frequency_first(run_study):
    stdout, summary = run_study("rahaman_spectral_bias")
    reached = summary["steps_to_0.9"]
    frequencies = [f"{k:g}" for k in range(5, 55, 5)]
    assert list(reached) == frequencies and summary["frequencies"] == list(range(5, 55, 5))
    # The lowest line reaches 0.9 within the quick run; the highest no earlier (never counts as later).
    assert reached["5"] is not None
    assert reached["50"] is None or reached["50"] >= reached["5"]
    steps = [math.inf if reached[k] is None else reached[k] for k in frequencies]
    assert steps[0] == min(steps)
    # Amplitudes at the end fall with frequency: the three lowest lines are far ahead of the three highest.
    final = [summary["final_amplitude"][k] for k in frequencies]
    assert min(final[:3]) > 0.1 and sum(final[:3]) > 3 * sum(final[-3:])
    assert final[0] > 0.9
    errors = [summary["final_relative_error"][k] for k in frequencies]
    assert errors[0] < errors[-1]
    assert set(summary["figures"]) == {"heatmap", "frequency_error", "curves", "spectra"}
    assert "steps to 0.9" in stdout
