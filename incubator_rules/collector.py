"""The cycle collector paused while many objects that make no reference cycles are built (documents read into
carriers, evaluations): one pause for the whole library, safe across threads and forks; and forked workers
whose collector never scans what they inherit."""

from __future__ import annotations

import gc
import os
import threading

__all__ = ["gc_frozen_forks", "gc_paused"]


class _CollectorPause:
    """Pauses the cycle collector while any thread is inside; the last to leave restores what the first found.

    Carriers read from a document, and evaluations, make no reference
    cycles; scanning the many objects they create (or the caller's data,
    again and again) at each collection would cost more than building them,
    and more the more is held. Counting the threads inside keeps two
    overlapping batches from leaving the collector off.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.resume = False

    def __enter__(self) -> None:
        lock = self.lock
        lock.acquire()
        if self.inside == 0:
            self.resume = gc.isenabled()
            gc.disable()
        self.inside += 1
        lock.release()

    def __exit__(self, *exc: object) -> None:
        lock = self.lock
        lock.acquire()
        self.inside -= 1
        if self.inside == 0 and self.resume:
            gc.enable()
        lock.release()

    def forked(self) -> None:
        """In a forked child: no thread of the child is inside, whatever the parent's were doing."""
        if self.inside and self.resume:
            gc.enable()
        self.lock = threading.Lock()
        self.inside = 0


_PAUSE = _CollectorPause()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_PAUSE.forked)


class _KeptPause:
    """The pause, for a block whose objects are kept (a portfolio read whole): on leaving, what is in the young
    generations moves to the oldest one, so that the young collection resuming would start at the next
    allocation does not scan all of it at once, when its cache lines are cold; full collections still visit it.

    ``gc.freeze`` then ``gc.unfreeze`` is that move (no scan), unless the
    process keeps frozen objects of its own, which ``gc.unfreeze`` would
    release: then the young collection runs as after any pause.
    """

    def __enter__(self) -> None:
        _PAUSE.__enter__()

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None and gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
        finally:
            _PAUSE.__exit__(*exc)


_KEPT = _KeptPause()


def gc_paused(kept: bool = False) -> _CollectorPause | _KeptPause:
    """The cycle collector's pause, as a context manager (see ``_CollectorPause``); ``kept``: for a block whose
    objects are kept, moved to the oldest generation on leaving (see ``_KeptPause``)."""
    return _KEPT if kept else _PAUSE


class _FrozenForks:
    """While any thread is inside, each fork of this process freezes the collector's objects first.

    The child starts with everything it inherited in the collector's
    permanent generation, so its collections never scan it: a scan writes to
    each object's header, and so would copy every page of the parent's heap
    into the child. The parent thaws at once, as the fork returns. A process
    that froze objects of its own before (``gc.freeze`` by a pre-forking
    server) is left as it was.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.thaw = False

    def __enter__(self) -> None:
        with self.lock:
            self.inside += 1

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.inside -= 1

    def before(self) -> None:
        self.thaw = self.inside > 0 and gc.get_freeze_count() == 0
        if self.thaw:
            gc.freeze()

    def in_parent(self) -> None:
        if self.thaw:
            gc.unfreeze()
            self.thaw = False

    def in_child(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.thaw = False


_FORKS = _FrozenForks()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_FORKS.before, after_in_parent=_FORKS.in_parent, after_in_child=_FORKS.in_child)


def gc_frozen_forks() -> _FrozenForks:
    """Forks that leave the collector's objects frozen in the child, as a context manager (see ``_FrozenForks``)."""
    return _FORKS
