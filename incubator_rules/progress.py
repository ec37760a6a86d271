"""A small progress bar for long batch runs, in a terminal or a notebook; no dependencies."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Callable, Iterator, TextIO

# A run shorter than this never shows a bar (when the bar is left on "auto").
AUTO_AFTER_SECONDS = 2.0


def _interactive(stream: TextIO) -> bool:
    """True in a terminal or a Jupyter kernel, where a redrawn line is read by a person."""
    if "ipykernel" in sys.modules:
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """Counts work done and redraws one line (``\\r``) at most a few times a second.

    ``enabled`` is True (always show), False (never) or None (show in a
    terminal or notebook once the run has lasted ``AUTO_AFTER_SECONDS``).
    ``total`` may be None when the amount of work is not known in advance;
    ``share``, when given, says what part of it is done (0 to 1), for work
    counted in one unit and measured in another (carriers read from a file
    of known size).
    """

    def __init__(
        self, total: int | None, *, enabled: bool | None = None, label: str = "evaluating",
        unit: str = "carriers", stream: TextIO | None = None, share: Callable[[], float] | None = None,
    ) -> None:
        self.total = total
        self.share = share
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.done = 0
        self.started = time.perf_counter()
        self.drawn_at = 0.0
        self.shown = False

    def _should_show(self, now: float) -> bool:
        if self.enabled is None:
            return now - self.started >= AUTO_AFTER_SECONDS and _interactive(self.stream)
        return self.enabled

    def update(self, n: int = 1) -> None:
        """Record ``n`` more units done; redraw if it is time to."""
        self.done += n
        if self.enabled is False:
            return
        now = time.perf_counter()
        if now - self.drawn_at >= 0.2 and self._should_show(now):
            self.drawn_at = now
            self._draw(now)

    def close(self) -> None:
        """Draw the final state and end the line, if the bar was shown."""
        if self.shown:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()

    def line(self, now: float) -> str:
        """The text of the bar at time ``now``."""
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total or self.share is not None:
            share = min(self.done / self.total, 1.0) if self.total else max(0.0, min(self.share(), 1.0))  # type: ignore[misc]
            filled = int(share * 24)
            bar = "#" * filled + "-" * (24 - filled)
            count = f"{self.done:,}/{self.total:,}" if self.total else f"{self.done:,}"
            return f"{self.label} [{bar}] {share:4.0%} {count} {self.unit}, {rate:,.0f}/s"
        if not self.done:  # one long step, such as parsing a file: how long it has lasted
            return f"{self.label}: {elapsed:,.0f} s"
        return f"{self.label}: {self.done:,} {self.unit}, {rate:,.0f}/s"

    @contextlib.contextmanager
    def ticking(self, every: float = 0.5) -> Iterator["Progress"]:
        """Redraw the bar from a background thread while the block runs: for one long call (a parse)
        that cannot report its own progress."""
        if self.enabled is False:
            yield self
            return
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(every):
                self.update(0)

        thread = threading.Thread(target=tick, name="progress", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def _draw(self, now: float) -> None:
        self.shown = True
        self.stream.write("\r" + self.line(now))
        self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
