"""A PyTorch Lightning callback that records a :class:`~spectra.training.History` while Lightning trains.

Needs the optional extra ``lightning`` (``pip install 'spectra[lightning]'``)::

    from spectra.lightning import SpectraCallback

    callback = SpectraCallback(Monitor(x, y, lr=1e-3, record_every=10, recorders=[NTKRecorder()]))
    pl.Trainer(max_steps=500, callbacks=[callback]).fit(module, loader)
    history = callback.history()

The callback drives a :class:`~spectra.training.Monitor`, so the conventions are the Monitor's (and
:func:`~spectra.training.fit`'s): step s is the model after s optimizer steps, here
``trainer.global_step``; records at the start of training (step 0), after every batch that completes a
record step, and at the end of training (the last step, whatever ``record_every``); records in eval
mode without gradients; time t = lr × steps with the Monitor's ``lr``. The LightningModule itself is
the model: its ``forward`` must map inputs (n, d) to outputs (n, c).
"""

from __future__ import annotations

from typing import Any

from spectra._validation import fail
from spectra.training import History, Monitor

try:
    import lightning.pytorch as pl
except ImportError as error:  # the extra is optional: say how to get it
    raise ImportError(
        "spectra.lightning needs PyTorch Lightning, which is not installed: "
        "pip install 'spectra[lightning]' (or pip install 'lightning>=2.2')"
    ) from error


class SpectraCallback(pl.Callback):
    """Calls ``monitor`` with the LightningModule and ``trainer.global_step`` during ``Trainer.fit``.

    Parameters
    ----------
    monitor
        The :class:`~spectra.training.Monitor` that records (its data, probe, recorders, ``lr`` and
        ``record_every``). Its ``steps`` may stay None: the last step is recorded when training ends.
    """

    def __init__(self, monitor: Monitor) -> None:
        super().__init__()
        if not isinstance(monitor, Monitor):
            fail("monitor", "a spectra.training.Monitor", type(monitor).__name__, TypeError)
        self.monitor = monitor

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.monitor(pl_module, trainer.global_step)

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        # global_step counts optimizer steps, so with gradient accumulation several batches share one
        # step; the Monitor records each step once.
        self.monitor(pl_module, trainer.global_step)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.monitor.record(pl_module, trainer.global_step)

    def history(self) -> History:
        """The monitor's :class:`~spectra.training.History` so far."""
        return self.monitor.history()
