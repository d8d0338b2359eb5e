"""Partition points and activation regions of piecewise-linear networks (docs/theory.rst, "Partition diagnostics").

The toolkit's own networks take fast paths; any other torch module the generic path of
:mod:`spectra.partition.capture` (see :mod:`spectra.partition.network` for what is supported).
"""

from spectra.partition.breakpoints import Breakpoints, breakpoints_1d
from spectra.partition.capture import NumericalPathWarning
from spectra.partition.patterns import (
    NeuronActivity,
    activation_patterns,
    boundary_distance,
    count_patterns,
    dead_neurons,
    global_pairs,
    gradient_confusion,
    hamming_pairs,
    local_pairs,
)
from spectra.partition.points import PartitionPoints, partition_points
from spectra.partition.recorder import PartitionRecorder
from spectra.partition.regions import Regions2D, SampledRegions, regions_2d, regions_2d_sampled

__all__ = [
    "Breakpoints",
    "NeuronActivity",
    "NumericalPathWarning",
    "PartitionPoints",
    "PartitionRecorder",
    "Regions2D",
    "SampledRegions",
    "activation_patterns",
    "boundary_distance",
    "breakpoints_1d",
    "count_patterns",
    "dead_neurons",
    "global_pairs",
    "gradient_confusion",
    "hamming_pairs",
    "local_pairs",
    "partition_points",
    "regions_2d",
    "regions_2d_sampled",
]
