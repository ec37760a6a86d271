"""Writing an output file whole or not at all, for the views: the package's one writer (``incubator_rules.output``)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..output import output_path
from ..output import write_text as _write_text


def write_whole(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the temporary file to ``path``; on any failure nothing is left."""
    with output_path(path, field="output") as temporary:
        write(str(temporary))
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text whole or not at all (line ends as given)."""
    _write_text(path, text, field="output")
    return Path(path)
