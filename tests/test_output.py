"""Output folders: refused at once where spectra may not write, one writer at a time, swapped in atomically
(tested by killing a writer at many points of the swap), leftovers of killed runs cleaned, umask honoured."""

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from spectra import output
from spectra.output import MARKER, OutputBusyError, check_output_folder, output_folder

ROOT = Path(__file__).resolve().parents[1]


def listing(folder: Path) -> dict[str, bytes | str | None]:
    """Every path under ``folder`` with its content (links by target, folders as None): a snapshot to compare."""

    def content(p: Path) -> bytes | str | None:
        if p.is_symlink():
            return f"-> {os.readlink(p)}"
        return None if p.is_dir() else p.read_bytes()

    return {str(p.relative_to(folder)): content(p) for p in sorted(folder.rglob("*"))}


def write_output(out, token="new", *, force=False, files=3):
    with output_folder(out, force=force, kind="test") as staging:
        for i in range(files):
            (staging / f"f{i}.txt").write_text(token)
    return Path(out)


def refused_cases(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Paths that must be refused, each with the words of the reason; the set-up happens here."""
    unmarked = tmp_path / "papers"
    unmarked.mkdir()
    (unmarked / "draft.tex").write_text("months of work")
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("notes")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    ours = write_output(tmp_path / "ours")
    (tmp_path / "link").symlink_to(ours, target_is_directory=True)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    bad_marker = tmp_path / "bad_marker"
    bad_marker.mkdir()
    (bad_marker / MARKER).write_text("{not json")
    other_tool = tmp_path / "other_tool"
    other_tool.mkdir()
    (other_tool / MARKER).write_text(json.dumps({"tool": "something else"}))
    return {
        "current folder": (".", "the current folder or a folder that contains it"),
        "current folder, absolute": (str(tmp_path / "cwd"), "the current folder or a folder that contains it"),
        "parent of the current folder": (str(tmp_path), "the current folder or a folder that contains it"),
        "root": ("/", "the root of the file system"),
        "home": (str(tmp_path / "home"), "the home folder"),
        "repository root": (str(repo), "a repository root"),
        "folder without marker": (str(unmarked), "an existing folder that spectra did not write"),
        "empty folder without marker": (str(tmp_path / "empty"), "an existing folder that spectra did not write"),
        "marker that is not JSON": (str(bad_marker), "an existing folder that spectra did not write"),
        "marker of another tool": (str(other_tool), "an existing folder that spectra did not write"),
        "file": (str(tmp_path / "notes.txt"), "which is a file"),
        "symlink to a spectra output": (str(tmp_path / "link"), "a symbolic link"),
        "dangling symlink": (str(tmp_path / "dangling"), "a symbolic link"),
        "inside a file": (str(tmp_path / "notes.txt" / "out"), "is not a writable folder"),
    }


@pytest.mark.parametrize("force", [False, True])
def test_refused_paths_fail_at_once_and_touch_nothing(tmp_path, monkeypatch, force):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name, (path, reason) in refused_cases(tmp_path).items():
        before = listing(tmp_path)
        ran = []
        with pytest.raises(ValueError, match=rf"^out: expected a folder spectra may write, got .*{reason}.*; "):
            with output_folder(path, force=force):
                ran.append(name)
        assert ran == [], f"{name}: the block ran"
        assert listing(tmp_path) == before, f"{name}: something changed on disk"


@pytest.mark.parametrize("value", [None, 3, b"", ""])
def test_non_paths_are_refused(value):
    with pytest.raises(TypeError, match="out: expected a folder path"):
        check_output_folder(value)


def test_an_earlier_output_is_replaced_only_with_force(tmp_path):
    out = write_output(tmp_path / "out", "first")
    with pytest.raises(FileExistsError, match="holds an earlier spectra output; pass force=True"):
        write_output(out, "second")
    assert (out / "f0.txt").read_text() == "first"
    write_output(out, "second", force=True)
    assert (out / "f0.txt").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert json.loads((out / MARKER).read_text())["tool"] == "spectra"


def test_a_failed_run_leaves_the_old_output_and_no_staging(tmp_path):
    out = write_output(tmp_path / "out", "old")
    before = listing(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with output_folder(out, force=True) as staging:
            (staging / "f0.txt").write_text("half")
            raise KeyboardInterrupt
    assert listing(tmp_path) == before


def test_one_writer_per_folder(tmp_path):
    out = tmp_path / "out"
    with output_folder(out):
        with pytest.raises(OutputBusyError, match=rf"out: .*process {os.getpid()} is writing now.*choose another"):
            with output_folder(out):
                pass
    assert not out.exists() or (out / MARKER).exists()


def test_a_link_planted_as_the_lock_file_is_never_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / ".out.spectra-lock").symlink_to(victim)
    with pytest.raises(ValueError, match="out: expected a path whose lock file .* spectra can create"):
        write_output(tmp_path / "out")
    assert victim.read_text() == "precious" and not (tmp_path / "out").exists()


def test_the_lock_is_taken_before_the_block_and_held_across_processes(tmp_path):
    out = tmp_path / "out"
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('o', {str(ROOT / 'spectra' / 'output.py')!r})\n"
        "o = importlib.util.module_from_spec(spec); spec.loader.exec_module(o)\n"
        "try:\n"
        f"    with o.output_folder({str(out)!r}): pass\n"
        "except o.OutputBusyError as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    with output_folder(out):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 3 and "is writing now" in result.stdout


def test_leftovers_of_killed_runs_are_removed_and_nothing_else(tmp_path):
    out = write_output(tmp_path / "out", "old")
    leftovers = [tmp_path / ".out.spectra-staging-0123456789abcdef", tmp_path / ".out.spectra-staging-fedcba9876543210"]
    for folder in leftovers:
        folder.mkdir()
        (folder / "index.html").write_text("half a report")
    (tmp_path / ".out.spectra-lock").write_text("12345\n")  # a killed run's lock file (no longer locked)
    strangers = [
        tmp_path / ".out.spectra-staging-xyz",  # not a name spectra makes
        tmp_path / ".other.spectra-staging-0123456789abcdef",  # another output's staging
        tmp_path / "out.spectra-staging-0123456789abcdef",  # not hidden: not ours
    ]
    for folder in strangers:
        folder.mkdir()
        (folder / "data").write_text("keep me")
    write_output(out, "new", force=True)
    assert not any(folder.exists() for folder in leftovers)
    assert not (tmp_path / ".out.spectra-lock").exists()
    assert all((folder / "data").read_text() == "keep me" for folder in strangers)


@pytest.mark.parametrize("umask, folder_mode, file_mode", [(0o022, 0o755, 0o644), (0o002, 0o775, 0o664)])
def test_permissions_follow_the_umask(tmp_path, umask, folder_mode, file_mode):
    previous = os.umask(umask)
    try:
        out = write_output(tmp_path / "deep" / "out")
        saved = output.write_text_atomic(tmp_path / "single.txt", "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "deep").stat().st_mode & 0o777 == folder_mode
    assert out.stat().st_mode & 0o777 == folder_mode
    assert (out / "f0.txt").stat().st_mode & 0o777 == file_mode
    assert (out / MARKER).stat().st_mode & 0o777 == file_mode
    assert saved.stat().st_mode & 0o777 == file_mode


def test_the_fallback_without_an_exchange_call_gives_the_same_result(tmp_path, monkeypatch):
    out = write_output(tmp_path / "out", "old")
    monkeypatch.setattr(output, "_rename_with_flags", lambda *args, **kwargs: False)
    write_output(out, "new", force=True)
    write_output(tmp_path / "fresh", "new")
    assert (out / "f0.txt").read_text() == (tmp_path / "fresh" / "f0.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "out"]


# --- killing a writer at many points of the swap -------------------------------------------------

WRITER = """
import importlib.util, json, os, sys, time
spec = importlib.util.spec_from_file_location("output", sys.argv[4])
output = importlib.util.module_from_spec(spec)
spec.loader.exec_module(output)
out, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

def announce(event):
    print(event, flush=True)
    time.sleep(0.002)

real_unlink, real_swap = os.unlink, output.swap_into_place
os.unlink = lambda *a, **k: (announce("unlink"), real_unlink(*a, **k))
output.swap_into_place = lambda *a: (announce("swap"), real_swap(*a), announce("swapped"))
with output.output_folder(out, force=os.path.exists(out), kind="test") as staging:
    announce("staging")
    for i in range(count):
        (staging / f"f{i:04d}.txt").write_text(token)
        if i % 50 == 0:
            announce("writing")
    (staging / "summary.json").write_text(json.dumps({"token": token, "count": count}))
announce("done")
"""

COUNT = 300


def complete_token(out: Path) -> str | None:
    """The token of a complete output at ``out`` (every file present and from one run), else None."""
    try:
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return None
    try:
        names = set(os.listdir(fd))
        summary = json.loads(_read(fd, "summary.json"))
        expected = {f"f{i:04d}.txt" for i in range(summary["count"])} | {"summary.json", MARKER}
        if names != expected or any(_read(fd, f"f{i:04d}.txt") != summary["token"] for i in range(summary["count"])):
            return None
        return summary["token"]
    except (FileNotFoundError, ValueError):
        return None
    finally:
        os.close(fd)


def _read(folder_fd: int, name: str) -> str:
    fd = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
    with os.fdopen(fd) as handle:
        return handle.read()


class Reader(threading.Thread):
    """Looks at ``out`` continuously; records any instant at which the path held an incomplete output.

    A look that opened the folder at ``out`` and found it incomplete counts only if that same folder is
    still at ``out`` afterwards (otherwise a swap happened during the look, and the old folder being
    deleted is not what the path holds).
    """

    def __init__(self, out: Path) -> None:
        super().__init__(daemon=True)
        self.out, self.stop, self.violations, self.looks = out, threading.Event(), [], 0

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                before = os.stat(self.out).st_ino
            except FileNotFoundError:
                self.violations.append("missing")
                continue
            if complete_token(self.out) is None:
                try:
                    if os.stat(self.out).st_ino == before:
                        self.violations.append("incomplete")
                except FileNotFoundError:
                    self.violations.append("missing")
            self.looks += 1


def run_writer(out: Path, token: str, *, kill_at: tuple[str, int] | None = None, sig=signal.SIGKILL) -> None:
    command = [sys.executable, "-c", WRITER, str(out), token, str(COUNT), str(ROOT / "spectra" / "output.py")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    seen = 0
    for line in process.stdout:
        if kill_at is not None and line.strip() == kill_at[0]:
            seen += 1
            if seen == kill_at[1]:
                process.send_signal(sig)
                break
    process.stdout.close()
    process.wait(timeout=60)


KILL_POINTS = [
    ("staging", 1, signal.SIGKILL),
    ("writing", 3, signal.SIGKILL),
    ("writing", 5, signal.SIGTERM),
    ("writing", 2, signal.SIGINT),
    ("swap", 1, signal.SIGKILL),
    ("swapped", 1, signal.SIGKILL),
    ("unlink", 1, signal.SIGKILL),
    ("unlink", 40, signal.SIGKILL),
    ("unlink", 150, signal.SIGTERM),
    ("unlink", 290, signal.SIGKILL),
    ("done", 1, signal.SIGKILL),
]


def test_the_path_holds_a_complete_old_or_new_output_whenever_the_writer_is_killed(tmp_path):
    out = tmp_path / "out"
    run_writer(out, "token-initial")
    assert complete_token(out) == "token-initial"
    reader = Reader(out)
    reader.start()
    try:
        previous = "token-initial"
        for index, (event, count, sig) in enumerate(KILL_POINTS):
            token = f"token-{index}"
            run_writer(out, token, kill_at=(event, count), sig=sig)
            found = complete_token(out)
            assert found in (previous, token), f"killed at {event} #{count}: found {found!r}"
            previous = found
        run_writer(out, "token-final")  # the next run cleans every leftover of the killed ones
    finally:
        reader.stop.set()
        reader.join()
    assert complete_token(out) == "token-final"
    assert reader.violations == [] and reader.looks > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
