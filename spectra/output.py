"""Files and folders on disk: written whole or not at all, one writer at a time, only where spectra may write.

Every file and folder the toolkit writes goes through this module.

Single files (:func:`atomic_path`, :func:`write_atomic`): the data go to a temporary file beside the
target, named ``.<name>.spectra-tmp-<hex>``, which is renamed onto the target only once complete
(``os.replace`` is atomic on POSIX): a reader sees the old file or the new one, never half of one.

Output folders (:func:`output_folder`, used by ``spectra report``, every ``analysis/*.py`` study and
any user code that writes a folder of results):

- **Refused at once**, before any computation, with a message that says why and what to do: the
  current folder or one of its parents, ``/``, the home folder, a repository root (a folder holding
  ``.git``), a symbolic link, a file, and any existing folder without the toolkit's marker file
  (``.spectra-output``, written into every output folder). A folder with the marker is replaced only
  with ``force=True`` (``--force``).
- **Staged and swapped**: the new output is written into ``.<name>.spectra-staging-<hex>`` beside the
  target and exchanged with the old one in one ``renameat2(RENAME_EXCHANGE)`` system call (Linux;
  ``renamex_np(RENAME_SWAP)`` on macOS), so that at every instant the path holds either the complete
  old output or the complete new one. The old output is then deleted from the staging name. Where
  the file system cannot exchange (rare), two renames are used and the path is missing for the
  instant between them.
- **One writer per folder**: an exclusive ``flock`` on ``.<name>.spectra-lock`` beside the target,
  taken before any computation; a second run on the same folder fails at once and names the
  process that holds it. The kernel releases the lock when its holder dies, however it dies.
- **Leftovers cleaned**: staging folders of killed runs (only those named as above) are removed by
  the next run on the same folder, which holds the lock, so no live run can be using them.
- **Permissions follow the umask** (folders are created with mode 0o777, files 0o666, before the
  umask).

Folders that grow (:func:`resumable_folder`, used by :mod:`spectra.sweep`): the same refusals and
the same lock, but the folder is written in place, one whole file at a time, so that a run that is
killed keeps every file it finished, and the next run of the same kind on the folder continues it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

MARKER = ".spectra-output"
_TMP_TAG = "spectra-tmp"
_STAGING_TAG = "spectra-staging"
_LOCK_TAG = "spectra-lock"
_HEX = 16  # characters of the random part of a staging or temporary name


class OutputBusyError(RuntimeError):
    """Another process is writing the same output folder or file (it holds the lock)."""


# ---------------------------------------------------------------------------------------------- locks


def lock_path(target: Path) -> Path:
    """The lock file that guards ``target``: ``.<name>.spectra-lock`` in the same folder."""
    return target.parent / f".{target.name}.{_LOCK_TAG}"


@contextmanager
def exclusive_lock(target: str | os.PathLike[str], *, argument: str = "out") -> Iterator[None]:
    """Hold an exclusive lock on ``target`` for the block; raise :class:`OutputBusyError` at once if held.

    The lock file is created beside ``target`` and removed on release. It is removed while still
    locked, and a process that locks a file which has meanwhile been unlinked tries again, so two
    processes can never both believe they hold the lock.
    """
    target = Path(target)
    path = lock_path(target)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)  # never through a planted link
        except OSError as error:
            raise ValueError(
                f"{argument}: expected a path whose lock file {str(path)!r} spectra can create, got {str(target)!r} "
                f"({error.strerror}); remove that file if it is not spectra's, or choose another path"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputBusyError(
                f"{argument}: expected a path no other run is writing, got {str(target)!r}, which "
                f"{_holder(path)} is writing now (lock {path.name}); wait for it to finish or choose another path"
            ) from None
        if os.fstat(fd).st_nlink > 0:
            break
        os.close(fd)  # the previous holder unlinked this file while we waited for it: lock the new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return "another process"
    return f"process {pid}"


# ---------------------------------------------------------------------------------------------- files


def _new_name(parent: Path, name: str, tag: str) -> Path:
    return parent / f".{name}.{tag}-{secrets.token_hex(_HEX // 2)}"


def leftover_pattern(target: Path, tag: str) -> re.Pattern[str]:
    """Names of the staging folders or temporary files that spectra makes beside ``target``."""
    return re.compile(rf"\.{re.escape(target.name)}\.{tag}-[0-9a-f]{{{_HEX}}}")


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary file is created empty (mode 0o666 before the umask); the block writes it.
    """
    path = Path(path)
    make_folder(path.parent)
    while True:
        tmp = _new_name(path.parent, path.name, _TMP_TAG)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)


def write_atomic(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Write a file through ``write(fileobj)`` so that it appears whole or not at all."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` so that it appears whole or not at all."""
    return write_atomic(path, lambda handle: handle.write(text.encode("utf-8")))


def remove_leftover_files(path: Path) -> list[Path]:
    """Remove the temporary files of killed writes of ``path`` (call it while holding ``path``'s lock)."""
    pattern = leftover_pattern(path, _TMP_TAG)
    removed = []
    for candidate in _siblings(path):
        if pattern.fullmatch(candidate.name) and candidate.is_file() and not candidate.is_symlink():
            candidate.unlink()
            removed.append(candidate)
    return removed


def make_folder(path: Path) -> None:
    """``mkdir -p`` with mode 0o777 before the umask."""
    path.mkdir(mode=0o777, parents=True, exist_ok=True)


def _siblings(path: Path) -> list[Path]:
    try:
        return list(path.parent.iterdir())
    except FileNotFoundError:
        return []


# ---------------------------------------------------------------------------------------------- folders


def output_kind(folder: Path) -> str | None:
    """The kind recorded in ``folder``'s marker file ("report", "study", "sweep", ...); None if not spectra's."""
    marker = folder / MARKER
    if folder.is_symlink() or not folder.is_dir() or marker.is_symlink() or not marker.is_file():
        return None
    try:
        content = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict) or content.get("tool") != "spectra":
        return None
    return str(content.get("kind", "output"))


def is_spectra_output(folder: Path) -> bool:
    """Whether ``folder`` is a real folder that holds the toolkit's marker file."""
    return output_kind(folder) is not None


def check_output_folder(
    out: Any, *, force: bool = False, argument: str = "out", resume: str | None = None
) -> Path:
    """Return ``out`` as an absolute path if spectra may write its output folder there; refuse otherwise.

    See the module docstring for the rules. Refusals raise ``ValueError`` (or ``TypeError`` for a
    non-path), except an existing spectra output without ``force``, which raises ``FileExistsError``.
    With ``resume`` (a kind), an existing spectra output of that kind is accepted as it is, to be continued.
    """
    if not isinstance(out, (str, os.PathLike)) or str(out) == "":
        raise TypeError(f"{argument}: expected a folder path (str or os.PathLike), got {out!r}")
    given = str(out)
    path = Path(os.path.abspath(os.fspath(out)))
    resolved = path.resolve()

    def refuse(why: str, what_to_do: str = "choose a new folder path, for example results/<name>") -> None:
        raise ValueError(f"{argument}: expected a folder spectra may write, got {given!r}, {why}; {what_to_do}")

    if path.is_symlink():
        refuse(f"a symbolic link to {os.readlink(path)!r}", "give the path of a real folder instead")
    if path.exists() and not path.is_dir():
        refuse("which is a file, not a folder")
    cwd = Path.cwd().resolve()
    if resolved == Path(resolved.anchor):
        refuse("the root of the file system")
    if resolved == Path.home().resolve():
        refuse("the home folder")
    if cwd == resolved or resolved in cwd.parents:
        refuse("the current folder or a folder that contains it")
    if (resolved / ".git").exists():
        refuse("a repository root (it holds .git)")
    if path.exists():
        if resume is not None and output_kind(path) == resume:
            return path
        if not is_spectra_output(path):
            refuse(
                f"an existing folder that spectra did not write (it has no {MARKER} marker file); "
                "spectra replaces only its own output folders",
                "choose a new folder path, or move that folder away yourself",
            )
        if not force:
            raise FileExistsError(
                f"{argument}: expected a new folder path, got {given!r}, which holds an earlier spectra output; "
                "pass force=True (--force on the command line) to replace it"
            )
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        refuse(f"whose nearest existing folder {str(existing)!r} is not a writable folder")
    return path


def remove_leftover_folders(target: Path) -> list[Path]:
    """Remove the staging folders of killed runs on ``target`` (call it while holding ``target``'s lock)."""
    pattern = leftover_pattern(target, _STAGING_TAG)
    removed = []
    for candidate in _siblings(target):
        if pattern.fullmatch(candidate.name) and candidate.is_dir() and not candidate.is_symlink():
            shutil.rmtree(candidate)
            removed.append(candidate)
    return removed


def write_marker(folder: Path, kind: str) -> None:
    """Write the marker that makes ``folder`` a spectra output (and so replaceable with force=True)."""
    text = json.dumps({"tool": "spectra", "kind": kind, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    (folder / MARKER).write_text(text + "\n", encoding="utf-8")


@contextmanager
def output_folder(
    out: str | os.PathLike[str], *, force: bool = False, kind: str = "output", argument: str = "out"
) -> Iterator[Path]:
    """Claim the output folder ``out``; yield an empty staging folder that replaces ``out`` if the block succeeds.

    Enter it *before* the computation that produces the output: the checks and the lock come first, so a
    refused path or a busy folder costs nothing. Everything written into the yielded folder appears at
    ``out`` at once when the block ends without an exception; on an exception (or Ctrl-C) ``out`` is left
    as it was and the staging folder is removed. ``kind`` is recorded in the marker ("report", "study").
    """
    target = check_output_folder(out, force=force, argument=argument)
    make_folder(target.parent)
    with exclusive_lock(target, argument=argument):
        check_output_folder(out, force=force, argument=argument)  # another run may have finished meanwhile
        remove_leftover_folders(target)
        staging = _new_name(target.parent, target.name, _STAGING_TAG)
        staging.mkdir(mode=0o777)
        try:
            write_marker(staging, kind)
            yield staging
            check_output_folder(out, force=force, argument=argument)  # the user may have put something there
            swap_into_place(staging, target)
        finally:
            if staging.exists():  # the failed new output, or the old one after the swap
                shutil.rmtree(staging)


@contextmanager
def resumable_folder(out: str | os.PathLike[str], *, kind: str, argument: str = "out") -> Iterator[Path]:
    """Claim ``out`` for a run that writes it file by file and may be continued; yield the folder itself.

    A new path is created with the marker of ``kind``; an existing spectra output of the same ``kind`` is
    continued as it is (its files stay, the temporary files of killed writes inside it are removed); every
    other path is refused as by :func:`check_output_folder`. The lock is held for the block. Write each
    file with :func:`write_atomic` so that it exists whole or not at all.
    """
    target = check_output_folder(out, argument=argument, resume=kind)
    make_folder(target.parent)
    with exclusive_lock(target, argument=argument):
        check_output_folder(out, argument=argument, resume=kind)
        if not target.exists():
            make_folder(target)
            write_marker(target, kind)
        for folder, _, files in os.walk(target):
            for name in files:
                if re.fullmatch(rf"\..+\.{_TMP_TAG}-[0-9a-f]{{{_HEX}}}", name):
                    os.remove(os.path.join(folder, name))
        yield target


# ---------------------------------------------------------------------------------------------- the swap


_AT_FDCWD = -100
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2  # linux/fs.h
_RENAME_SWAP, _RENAME_EXCL = 0x2, 0x4  # macOS sys/stdio.h
_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _rename_with_flags(source: Path, target: Path, *, exchange: bool) -> bool:
    """One atomic system call: exchange ``source`` and ``target``, or move ``source`` where nothing is.

    Returns False when the platform or file system does not offer the call (the caller falls back).
    """
    src, dst = os.fsencode(source), os.fsencode(target)
    if sys.platform.startswith("linux") and hasattr(_libc, "renameat2"):
        flags = _RENAME_EXCHANGE if exchange else _RENAME_NOREPLACE
        result = _libc.renameat2(_AT_FDCWD, src, _AT_FDCWD, dst, ctypes.c_uint(flags))
    elif sys.platform == "darwin" and hasattr(_libc, "renamex_np"):
        result = _libc.renamex_np(src, dst, ctypes.c_uint(_RENAME_SWAP if exchange else _RENAME_EXCL))
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(source), None, str(target))


def swap_into_place(staging: Path, target: Path) -> None:
    """Put the folder ``staging`` at ``target`` atomically; an old ``target`` ends up at ``staging``."""
    if os.path.lexists(target):
        if not _rename_with_flags(staging, target, exchange=True):
            retired = _new_name(target.parent, target.name, _STAGING_TAG)
            os.rename(target, retired)  # the path is missing until the next rename
            os.rename(staging, target)
            os.rename(retired, staging)
    elif not _rename_with_flags(staging, target, exchange=False):
        os.rename(staging, target)
