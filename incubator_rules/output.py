"""Writing files whole or not at all: the one writer behind every file the library writes.

A file is written into a temporary file created exclusively, under a random
name, in the target's own folder; it replaces the target in one atomic rename
only once it is complete and on disk. An error or an interruption removes
the temporary file and leaves the target as it was. Two writers of one
target each write their own temporary file, so the target ends up as one
complete output, whichever rename comes last. A target that is not a
regular file (a symbolic link, a FIFO, a device, a folder) is not replaced
unless the caller asks for it (``replace_special``); a folder never is.

A read-modify-write of a shared file (a lock file of released versions) holds
``updating`` on the file's folder, so two such writers run one after the other
and neither loses the other's change.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import stat
import tempfile
import threading
from pathlib import Path
from typing import IO, Callable, Iterator

from .errors import OutputError

try:
    import fcntl
except ImportError:  # not on Windows: there updates of one file by two processes at once are not serialised
    fcntl = None  # type: ignore[assignment]

_KINDS = {
    stat.S_IFLNK: "a symbolic link", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device", stat.S_IFDIR: "a folder",
}


def _fail(path: Path, reason: str, field: str | None) -> OutputError:
    return OutputError(f"cannot write {str(path)!r}: {reason}", field=field)


def check_target(path: str | Path, *, replace_special: bool = False, field: str | None = None) -> Path:
    """The target as a Path, when it can be written; raises OutputError saying why not."""
    p = Path(path)
    if not str(path) or p.name in ("", ".", ".."):
        raise _fail(p, "not a file name", field)
    folder = p.parent
    try:
        if not folder.is_dir():
            raise _fail(p, f"the folder {str(folder)!r} does not exist", field)
        mode = os.lstat(p).st_mode
    except FileNotFoundError:
        return p
    except OSError as exc:
        raise _fail(p, exc.strerror or str(exc), field) from None
    except ValueError as exc:  # an embedded NUL byte
        raise _fail(p, str(exc), field) from None
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFDIR:
        raise _fail(p, "it is a folder", field)
    if kind != stat.S_IFREG and not replace_special:
        raise _fail(p, f"it is {_KINDS.get(kind, 'not a regular file')}, not a regular file; "
                       "refusing to replace it (--force replaces it)", field)
    return p


@contextlib.contextmanager
def output_path(path: str | Path, *, replace_special: bool = False, field: str | None = None) -> Iterator[Path]:
    """A temporary path, created exclusively beside ``path``, that becomes the file at ``path`` when the block
    ends without an error; for writers that take a path (a workbook, a PDF). See the module's rules."""
    target = check_target(path, replace_special=replace_special, field=field)
    prefix = "." + target.name[:64] + "."
    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".partial", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise _fail(target, exc.strerror or str(exc), field) from None
    temporary = Path(name)
    try:
        try:
            yield temporary
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            try:
                os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode) if target.is_file() else 0o644)
            except OSError:
                pass
            check_target(target, replace_special=replace_special, field=field)  # still what it was
            os.replace(temporary, target)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise _fail(target, exc.strerror or str(exc), field) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def output_file(
    path: str | Path, *, replace_special: bool = False, field: str | None = None, encoding: str = "utf-8",
) -> Iterator[IO[str]]:
    """A text stream whose content becomes the file at ``path`` when the block ends without an error."""
    with output_path(path, replace_special=replace_special, field=field) as temporary:
        try:
            with open(temporary, "w", encoding=encoding, newline="") as out:
                yield out
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise _fail(Path(path), exc.strerror or str(exc), field) from None


def write_text(path: str | Path, text: str, *, replace_special: bool = False, field: str | None = None) -> None:
    """Write ``text`` to ``path`` whole or not at all (see ``output_file``)."""
    with output_file(path, replace_special=replace_special, field=field) as out:
        out.write(text)


@contextlib.contextmanager
def updating(path: str | Path, *, field: str | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path``'s folder while the block reads, changes and rewrites ``path``."""
    folder = Path(path).parent
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise _fail(Path(path), f"cannot lock its folder: {exc.strerror or exc}", field) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class BackgroundWriter:
    """Blocks of bytes written by a thread of their own, in order, so that the writing (and, given ``sync``, the
    flushing of a file's pages to disk every ``sync_every`` bytes, which leaves little for the last ``fsync``)
    overlaps the work that makes the next blocks. At most ``depth`` blocks wait. A failed write is raised
    to the caller, with its own type, at its next ``write`` or at ``close``; nothing is written after it."""

    def __init__(self, write: Callable[[bytes], object], sync: Callable[[], None] | None = None,
                 sync_every: int = 1 << 25, depth: int = 8) -> None:
        self._write, self._sync, self._sync_every = write, sync, sync_every
        self._blocks: queue.Queue[bytes | None] = queue.Queue(depth)
        self._error: BaseException | None = None
        self._stopped = self._closed = False
        self._thread = threading.Thread(target=self._run, name="incubator-rules-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        unsynced = 0
        while True:
            data = self._blocks.get()
            if data is None or self._stopped:
                return
            try:
                self._write(data)
                unsynced += len(data)
                if self._sync is not None and unsynced >= self._sync_every:
                    self._sync()
                    unsynced = 0
            except BaseException as exc:  # handed to the caller, which raises it
                self._error = exc
                self._stopped = True
                return

    def _raise(self) -> None:
        error = self._error
        if error is not None:
            self._error = None
            raise error

    def write(self, data: bytes) -> None:
        """Queue ``data`` (waiting while ``depth`` blocks wait); raises the error of an earlier write."""
        if self._closed:
            raise ValueError("write to a closed BackgroundWriter")
        self._raise()
        while not self._stopped:
            try:
                self._blocks.put(data, timeout=0.1)
                return
            except queue.Full:
                continue
        self._raise()

    def close(self, abandon: bool = False) -> None:
        """Wait until every queued block is written, then raise the error of any write; ``abandon`` drops the
        blocks still queued instead (after an error of the caller's)."""
        self._closed = True
        if abandon:  # the thread stops at its next block; one stuck in a write to a stalled pipe is left behind
            self._stopped = True
            with contextlib.suppress(queue.Full):
                self._blocks.put_nowait(None)  # wakes a thread waiting for a block
            self._thread.join(timeout=1.0)
            return
        while self._thread.is_alive():
            try:
                self._blocks.put(None, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()
        self._raise()
