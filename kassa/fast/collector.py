"""Python's cyclic garbage collector, told what lives as long as the process and how
little a request leaves for it.

After start-up the modules, routes, models, settings and compiled statements (some 160 000
objects in an API process) live until the process ends. Left in the collector's oldest
generation, every full collection walks them all while every request in flight waits: 58 ms
a collection in one process creating and paying payments, long enough to land on the
slowest hundredth of answers. Frozen (`gc.freeze`, made for this), a full collection walks only what
the process made since. Reference counting still frees frozen objects; only a cycle among
them would stay, and start-up's cycles are collected just before.

A request's objects are freed by reference counting when it ends; creating and paying
payments through the API leaves no cycles (counted with `gc.callbacks`: thousands of
collections, nothing collected). Python starts a young collection each time 700 more objects
are alive than at the last one, so the mere objects of the requests in flight started them:
with 32 requests in flight a process, one collection every 6 creates, and every tenth of
them an older one, 0.1 ms of CPU a request (0.18 at 128 in flight) and pauses of 2 to 5 ms
for every request waiting. With `YOUNG_THRESHOLD` the requests in flight at 64 clients stay
under it; at 256 a young collection runs a few times in 10 s (measured when it was set).
Cycles are still collected, in fewer and larger collections: a worker's renewal leaves some
fifty cyclic objects (Stripe's SDK and its HTTP client), and the collections of a 6 000-
renewal backlog took 2.2 s across the API and worker processes instead of 5.1.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000  # objects alive beyond the last collection (Python's default: 700)


def freeze_what_start_up_made() -> None:
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
