"""The Lazzari & Liu study runs end to end (--quick) and reproduces its robust findings."""

import math

VARIANTS = ("raw [0,1]", "raw [-1,1]", "positional")


def test_lazzari_regions_quick(run_study):
    stdout, summary = run_study("lazzari_regions", "--seeds", "0", "1")
    assert "patterns/input" in stdout and "3_local_hamming_ratio" in stdout
    assert summary["seeds"] == [0, 1]
    assert {"confusion_1d", "confusion_2d", "regions_2d_raw01", "regions_2d_raw11"} <= set(summary["figures"])
    metrics, findings = summary["metrics"], summary["findings"]
    for setting in ("1d", "2d"):
        for variant in VARIANTS:
            for stage in ("init", "trained"):
                numbers = {k: v["mean"] for k, v in metrics[setting][variant][stage].items()}
                assert 0 < numbers["patterns_per_input"] <= 1
                assert 0 <= numbers["dead_fraction"] <= 1 and 0 <= numbers["confusion_local_abs"] <= 1 + 1e-6
                assert math.isfinite(numbers["loss"]) and numbers["boundary_distance_in_spacings"] > 0
        n_inputs = 256  # quick: 256 points in 1-D, a 16 × 16 image in 2-D
        for variant in ("raw [0,1]", "raw [-1,1]"):  # exact region counts bound the patterns seen on samples
            for seed_value, regions in zip(
                metrics[setting][variant]["init"]["patterns_per_input"]["values"],
                metrics[setting][variant]["init"]["regions"]["values"],
                strict=True,
            ):
                assert seed_value * n_inputs <= regions
        # Robust findings: the encoding gives nearly every input its own region at initialisation,
        # raw [0, 1] coordinates leave the most neurons dead, and local Hamming distances are several times larger.
        own = findings[setting]["1_encoding_own_region_per_input"]
        assert own["holds"] and own["values"]["positional"] >= 0.9
        assert findings[setting]["2_raw01_dead_neurons"]["holds"]
        assert findings[setting]["3_local_hamming_ratio"]["ratio"] >= 2.0
        assert isinstance(findings[setting]["4_local_confusion"]["holds"], bool)
