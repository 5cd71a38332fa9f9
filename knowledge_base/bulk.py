"""Building a large KB in memory without the garbage collector's help it does not need."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many small objects are made at once.

    Loading and indexing a KB allocates millions of strings, tuples and dicts that form no
    reference cycles; each allocation burst triggers collections that walk every object built
    so far, which took about 45% of loading and indexing a 10,000-entry KB. Reference counting
    still frees everything as usual. When the block ends, what it built is moved straight to
    the oldest generation (freeze, then unfreeze), as long-lived data would end up anyway,
    instead of being walked once per generation on the way there; then the collector resumes
    if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()
