"""Use only the CPU cores other processes leave idle (CPU runs without ``OMP_NUM_THREADS`` only).

Two OpenMP threads on two cores, one of which another process keeps busy, made every stage 3-15x slower here than
one thread (the threads wait for each other at every small op). A :class:`ThreadGovernor` measures, between two
looks, how many CPUs *other* processes kept busy (all busy time minus this process's own) and sets torch's thread
count to the rest. A stage creates one and hands its trainer callback to the trainer.
"""

from __future__ import annotations

import os
import time

#: Seconds between two looks: long enough that a look costs nothing, short enough to follow other jobs.
CHECK_EVERY_S = 20.0
#: The first look samples the others' load over this many seconds.
FIRST_SAMPLE_S = 0.5


def _cpu_jiffies() -> tuple[int, int, int]:
    """(all CPUs' total, all CPUs' busy, this process's own) jiffies so far."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    total, idle = sum(values), values[3] + values[4]
    with open("/proc/self/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    own = int(fields[11]) + int(fields[12])  # utime + stime of all threads
    return total, total - idle, own


class ThreadGovernor:
    """Sets torch's CPU thread count to the cores other processes leave idle, at the start and every
    :data:`CHECK_EVERY_S` seconds (from :meth:`callback`)."""

    def __init__(self, log=print):
        import torch

        self.log = log
        self.enabled = not (os.environ.get("OMP_NUM_THREADS") or torch.cuda.is_available()
                            or int(os.environ.get("WORLD_SIZE", "1")) > 1)
        self.max_threads = torch.get_num_threads()
        self.last = None
        self.last_time = 0.0

    def check(self, force: bool = False) -> None:
        import torch

        if not self.enabled or self.max_threads < 2:
            return
        now = time.time()
        if not force and now - self.last_time < CHECK_EVERY_S:
            return
        try:
            snap = _cpu_jiffies()
            if self.last is None:
                self.last = snap
                time.sleep(FIRST_SAMPLE_S)
                snap = _cpu_jiffies()
        except (OSError, ValueError, IndexError):
            self.enabled = False
            return
        d_total, d_busy, d_own = (a - b for a, b in zip(snap, self.last))
        self.last, self.last_time = snap, now
        ncpu = os.cpu_count() or 1
        if d_total <= 0:
            return
        others = max(0.0, (d_busy - d_own) / d_total * ncpu)
        threads = max(1, min(self.max_threads, round(ncpu - others)))
        if threads != torch.get_num_threads():
            self.log(f"CPU threads: {threads} of {self.max_threads} (other processes keep {others:.1f} of {ncpu} "
                     "CPUs busy; set OMP_NUM_THREADS to fix the number)")
            torch.set_num_threads(threads)

    def callbacks(self) -> list:
        """A trainer callback that looks again after every step and evaluation (none when disabled)."""
        if not self.enabled:
            return []
        from transformers import TrainerCallback

        governor = self

        class Governor(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                governor.check()

            def on_evaluate(self, args, state, control, **kwargs):
                governor.check()

        return [Governor()]
