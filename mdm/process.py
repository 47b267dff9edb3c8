"""Settling a long-running process (server, benchmark) after start-up."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Move everything start-up built (app, governance, compiled schemas) out of the collector's view.

    A full collection walks every tracked object; with the app loaded that is ~60 ms, landing on
    whichever request crosses the threshold. Start-up objects live as long as the process, so they
    are frozen once (CPython's `gc.freeze`) and later full collections only walk what requests made.
    """
    gc.collect()
    gc.freeze()
