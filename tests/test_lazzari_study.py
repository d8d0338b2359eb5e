"""The Lazzari & Liu study runs end to end (--quick) and reproduces its robust findings."""

import math

VARIANTS = ("raw [0,1]", "raw [-1,1]", "positional")


def test_lazzari_regions_quick(run_study):
    stdout, summary = run_study("lazzari_regions", "--protocol", "toolkit", "--seeds", "0", "1")
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


def test_lazzari_regions_authors_protocol_quick(run_study):
    """The default protocol is the authors': window and zone pairs, 8/14 features, signed cosines over training."""
    stdout, summary = run_study("lazzari_regions", "--seeds", "0")
    assert summary["protocol"] == "authors" and "4_local_confusion_signed" in stdout
    assert {"confusion_1d", "confusion_2d", "trajectories_1d", "trajectories_2d"} <= set(summary["figures"])
    metrics, findings = summary["metrics"], summary["findings"]
    assert set(metrics["1d"]) == {"raw [0,1]", "raw [-1,1]", "positional 8", "positional 14"}
    for setting in ("1d", "2d"):
        for stages in metrics[setting].values():
            for stage in ("init", "trained"):
                numbers = {k: v["mean"] for k, v in stages[stage].items()}
                assert 0 < numbers["patterns_per_input"] <= 1 and -1 <= numbers["cos_local_mean"] <= 1
                assert 0 <= numbers["cos_local_negative"] <= 1 and math.isfinite(numbers["loss"])
        assert set(findings[setting]) == {
            "1_encoding_own_region_per_input",
            "2_raw01_dead_neurons",
            "3_local_hamming_ratio",
            "4_local_confusion_signed",
        }
        assert all(isinstance(check["holds"], bool) for check in findings[setting].values())
    # The 14-feature encoding gives every input its own pattern from the start, in 1-D and on the image.
    assert metrics["1d"]["positional 14"]["init"]["patterns_per_input"]["mean"] >= 0.9
    assert metrics["2d"]["positional 14"]["init"]["patterns_per_input"]["mean"] >= 0.9


def test_authors_pairs_are_local_windows_and_separated_zones():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
    from lazzari_authors import window_pairs, zone_pairs

    local = window_pairs(2048, 1, 50, 500, seed=0)
    assert ((local[:, 0] - local[:, 1]).abs() < 50).all() and (local[:, 0] != local[:, 1]).all()
    far = zone_pairs(2048, 1, 500, seed=0)
    assert (far[:, 0] < 800).all() and (far[:, 1] > 1200).all()
    patch = window_pairs(64, 2, 16, 500, seed=0)
    rows, cols = patch // 64, patch % 64
    assert ((rows[:, 0] - rows[:, 1]).abs() < 16).all() and ((cols[:, 0] - cols[:, 1]).abs() < 16).all()
    quadrants = zone_pairs(64, 2, 500, seed=0)
    r, c = quadrants // 64, quadrants % 64
    low, high = 225 / 512 * 64, 275 / 512 * 64  # the zones of the authors' image scripts
    assert ((r[:, 0] < low) & (r[:, 1] > high)).all()  # opposite quadrants along rows, with the gap
    assert (((c[:, 0] < low) & (c[:, 1] > high)) | ((c[:, 0] > high) & (c[:, 1] < low))).all()
