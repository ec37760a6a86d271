"""The decision log: one JSON line per decision, appended whole."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Mapping

from ...errors import IncubatorRulesError


class DecisionLogError(IncubatorRulesError):
    """The decision log could not be opened or written."""


class DecisionLog:
    """Appends records to a JSON Lines file, each with one ``os.write`` on an ``O_APPEND`` descriptor.

    A line is encoded in full before it is written, so a crash of the
    service leaves every line whole; the lock keeps threads of one process
    from interleaving, and ``O_APPEND`` puts each write at the end even when
    other processes append to the same file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise DecisionLogError(f"cannot open the decision log: {exc.strerror or exc}", file=str(path),
                                   field="--decision-log") from None
        if not _ends_a_line(self.path):  # a line torn by a power failure or another writer: ours start afresh
            os.write(self._fd, b"\n")

    def append(self, record: Mapping[str, Any]) -> None:
        """Write ``record`` as one line; DecisionLogError if the line could not be written whole."""
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            try:
                written = os.write(self._fd, line)
            except OSError as exc:
                raise DecisionLogError(f"cannot write the decision log: {exc.strerror or exc}", file=str(self.path)) from None
        if written != len(line):  # only on a full disk or a quota: the line is torn, and says so
            raise DecisionLogError(f"the decision log took {written} of {len(line)} bytes", file=str(self.path))

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _ends_a_line(path: Path) -> bool:
    """Whether the file is empty or its last byte ends a line."""
    with open(path, "rb") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return True
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"
