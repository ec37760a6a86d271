"""Writing an output file whole or not at all: into a temporary file beside it, then renamed over it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import IncubatorRulesError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_whole(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the temporary file to ``path``; on any failure nothing is left.

    The file gets the permissions a newly created file normally has (0666 less the umask).
    """
    target = Path(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())
        write(tmp)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise IncubatorRulesError(f"cannot write {str(target)!r}: {exc.strerror or exc}", field="output") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return target


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text whole or not at all (line ends as given)."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            out.write(text)

    return write_whole(path, write)
