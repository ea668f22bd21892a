"""Python's cyclic garbage collector, told what lives as long as the process.

After start-up the modules, routes, models, settings and compiled statements (some 160 000
objects in an API process) live until the process ends. Left in the collector's oldest
generation, every full collection walks them all while every request in flight waits: 58 ms
a collection in one process creating and paying payments, long enough to land on the
slowest hundredth of answers. Frozen (`gc.freeze`, made for this), a full collection walks only what
the process made since. Reference counting still frees frozen objects; only a cycle among
them would stay, and start-up's cycles are collected just before.
"""

from __future__ import annotations

import gc


def freeze_what_start_up_made() -> None:
    gc.collect()
    gc.freeze()
