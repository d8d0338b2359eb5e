"""The RepNet studies run end to end in quick mode, compare models of equal size, and show the robust outcomes.

Asserted are only the qualitative results that hold at every seed both at quick and at full size (the full
runs are quoted in the closing note of the issue). Outcomes that flip with the budget are not asserted: in
4-D RepNet leads early and falls behind at full size, and so does the ReLU trunk of the operator study.
"""


def assert_equal_sizes(summary):
    assert summary["parameter_deviation"], "no parameter counts were compared"
    assert all(deviation <= 0.1 for deviation in summary["parameter_deviation"].values())


def beats(summary, group, model="RepNet adaptive", baselines=("MLP (torch)", "MLP (Xavier)")):
    """``model`` has a lower error than each vanilla baseline at every seed."""
    ratios = summary["results"][group][model]["ratio_vs"]
    return all(ratios[b]["max"] < 1 for b in baselines)


def diagnostic(summary, group_key, group, model, column):
    return next(row[column] for row in summary["diagnostics"] if row[group_key] == group and row["model"] == model)


def test_multiscale_1d(run_study):
    stdout, summary = run_study("repnet_multiscale_1d")
    assert "ratio vs MLP (torch)" in stdout and "s0 sweep" in stdout
    assert_equal_sizes(summary)
    assert beats(summary, "tanh")  # RepNet beats vanilla on the 1-D multiscale target
    assert beats(summary, "tanh", "FF-MLP") and beats(summary, "relu", "FF-MLP")
    # Partition points: RepNet's all lie in the domain at the start, PyTorch's default init leaves most outside.
    assert diagnostic(summary, "activation", "relu", "RepNet adaptive", "inside_start") == 1.0
    assert diagnostic(summary, "activation", "relu", "MLP (torch)", "inside_start") < 0.6
    # The tanh RepNet learns the 25-cycle line that the vanilla MLPs leave untouched.
    assert diagnostic(summary, "activation", "tanh", "RepNet adaptive", "error_k25") < 0.5
    assert diagnostic(summary, "activation", "tanh", "MLP (torch)", "error_k25") > 0.7
    assert {"error_curves", "frequency_error", "s0_sweep", "breakpoint_density"} <= set(summary["figures"])
    sweep = {(row["activation"], round(row["s0"], 3)) for row in summary["s0_sweep"]}
    assert len(sweep) == 2 * len(summary["settings"]["s0_sweep"])


def test_multiscale_4d(run_study):
    stdout, summary = run_study("repnet_multiscale_4d")
    assert "held-out" in stdout
    assert_equal_sizes(summary)
    for activation in ("relu", "tanh"):
        # The fast scale (8 cycles per unit along each axis) stays unlearned by the vanilla MLPs ...
        assert diagnostic(summary, "activation", activation, "MLP (torch)", "error_high") > 0.8
        # ... although RepNet starts with more kinks (or transitions) along the segment than PyTorch's init.
        start = diagnostic(summary, "activation", activation, "RepNet adaptive", "density_start")
        assert start > diagnostic(summary, "activation", activation, "MLP (torch)", "density_start")


def test_pinn(run_study):
    stdout, summary = run_study("repnet_pinn", "--seeds", "0", "1")
    assert "inverse_1d: |k - k*| / k*" in stdout
    assert_equal_sizes(summary)
    # The vanilla tanh MLPs do not learn the 25-cycle part of the 1-D solution; RepNet starts to.
    repnet = diagnostic(summary, "problem", "poisson_1d", "RepNet adaptive", "error_high")
    assert repnet < 0.9 * diagnostic(summary, "problem", "poisson_1d", "MLP (torch)", "error_high")
    coefficient = summary["coefficient_error"]["inverse_1d"]
    assert set(coefficient) == {"MLP (torch)", "MLP (Xavier)", "RepNet adaptive", "FF-MLP"}
    assert all(entry["mean"] >= 0 for entry in coefficient.values())


def test_operator(run_study):
    stdout, summary = run_study("repnet_operator")
    assert "held-out input functions" in stdout
    assert_equal_sizes(summary)
    assert beats(summary, "tanh")  # the tanh RepNet trunk beats the vanilla ones (quick and full size)
