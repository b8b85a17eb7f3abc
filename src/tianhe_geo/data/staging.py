"""Folders of outputs that move in as a whole, with a manifest of what they hold.

A run writes every file into a staging folder beside its output folder
(``.<name>.tianhe-geo-staging-<pid>-<random>``; inside the folder when it is
a mount point), checks each as it is written, and only then moves them in:

- an output folder that does not exist yet is the staging folder renamed,
  one atomic step;
- into an existing folder, the staging folder first records the list of its
  files (``.ready``), then each file replaces its namesake, then
  ``manifest.json`` (every file of the folder written by tianhe-geo, with its
  size and SHA-256) is replaced last.

A run killed before the move leaves the previous outputs untouched; its
staging folder is removed by the next run into the same folder. A run killed
during the move (a few renames) is finished by the next run, which sees the
``.ready`` list. Other files in the output folder are never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..foundation.errors import DataSourceError
from .io import glob_escape, write_failed, write_text

#: The manifest every output folder gets, written last.
MANIFEST = "manifest.json"
_TAG = "tianhe-geo-staging-"
_READY = ".ready"


def _stage_place(out: Path, beside: bool) -> tuple[Path, str]:
    """Where staging folders of ``out`` go (same disk, writable) and their name prefix."""
    parent = out.parent
    if not beside:
        return out, f".{_TAG}"
    beside = (
        out.is_dir()
        and os.access(parent, os.W_OK)
        and os.stat(out).st_dev == os.stat(parent).st_dev
    ) or (not out.exists() and os.access(parent, os.W_OK))
    if beside and out.name:
        return parent, f".{out.name}.{_TAG}"
    return out, f".{_TAG}"


@contextlib.contextmanager
def staged_folder(
    out_dir: str | os.PathLike[str],
    replace_manifest: bool = False,
    manifest: bool = True,
    beside: bool = True,
) -> Iterator[Path]:
    """Yield a staging folder; move its files into ``out_dir`` when the block succeeds.

    Parameters
    ----------
    out_dir : path-like
        The output folder (created if missing).
    replace_manifest : bool, default False
        The manifest lists only this run's files (a whole build); otherwise
        this run's entries are merged into the existing manifest.
    manifest : bool, default True
        Write ``manifest.json`` (False for single outputs in a user's folder).
    beside : bool, default True
        Stage beside the folder (a new folder then appears in one step);
        False stages inside it (for a user's own folder).

    Yields
    ------
    pathlib.Path
        Folder to write into. Removed, with all it holds, if the block raises.
    """
    out = Path(out_dir).absolute()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        recover(out)
        place, prefix = _stage_place(out, beside)
        place.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=place))
    except OSError as exc:
        raise write_failed(out, exc) from exc
    try:
        yield stage
        _commit(stage, out, replace_manifest, manifest)
    except BaseException as exc:
        if (stage / _READY).exists():
            _roll_forward(stage, out)  # the move had begun: finish it
        shutil.rmtree(stage, ignore_errors=True)
        if isinstance(exc, DataSourceError) and str(stage) in str(exc):
            # Name the file the user asked for, not its staging copy.
            raise DataSourceError(str(exc).replace(str(stage), str(out))) from exc
        raise


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in (_READY, MANIFEST)
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest_text(stage: Path, out: Path, names: list[str], replace: bool) -> str:
    entries = {} if replace else read_manifest(out)
    entries = {k: v for k, v in entries.items() if (out / k).is_file() and k not in names}
    for name in names:
        entries[name] = {"bytes": (stage / name).stat().st_size, "sha256": _sha256(stage / name)}
    doc = {"written_by": "tianhe-geo", "files": dict(sorted(entries.items()))}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def _commit(stage: Path, out: Path, replace: bool, manifest: bool) -> None:
    names = _files(stage)
    try:
        if manifest:
            write_text(_manifest_text(stage, out, names, replace), stage / MANIFEST)
        if not out.exists() and stage.parent == out.parent:
            os.rename(stage, out)  # a new folder appears whole, in one step
            return
        write_text(json.dumps(names), stage / _READY)
    except OSError as exc:
        raise write_failed(out, exc) from exc
    _roll_forward(stage, out)


def _roll_forward(stage: Path, out: Path) -> None:
    """Move the files a ready staging folder lists into ``out``, the manifest last."""
    names = json.loads((stage / _READY).read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = stage / name
        if src.exists():  # absent: moved before an interruption
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, out / name)
    if (stage / MANIFEST).exists():
        os.replace(stage / MANIFEST, out / MANIFEST)
    shutil.rmtree(stage, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out_dir: str | os.PathLike[str]) -> None:
    """Clean up after runs into ``out_dir`` that were killed.

    A staging folder whose move had begun is finished; one whose run died
    before the move is removed. Folders of runs still going are left alone.

    Parameters
    ----------
    out_dir : path-like
        An output folder.
    """
    out = Path(out_dir).absolute()
    places = [(out.parent, f".{glob_escape(out.name)}.{_TAG}*"), (out, f".{_TAG}*")]
    for place, pattern in places:
        if not place.is_dir():
            continue
        for stage in place.glob(pattern):
            pid = stage.name.rsplit(_TAG, 1)[1].split("-", 1)[0]
            if not stage.is_dir() or (pid.isdigit() and _alive(int(pid))):
                continue
            if (stage / _READY).exists():
                _roll_forward(stage, out)
            shutil.rmtree(stage, ignore_errors=True)


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, dict[str, object]]:
    """The files an output folder's manifest lists: name -> ``{"bytes", "sha256"}``.

    Parameters
    ----------
    out_dir : path-like
        An output folder.

    Returns
    -------
    dict
        Empty when the folder has no manifest.
    """
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        return {}
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError) as exc:
        msg = f"{path}: not a tianhe-geo manifest ({exc}); delete it to start afresh"
        raise DataSourceError(msg) from exc
    return dict(files)


def check_manifest(out_dir: str | os.PathLike[str]) -> list[str]:
    """Files of an output folder that differ from its manifest.

    Parameters
    ----------
    out_dir : path-like
        An output folder.

    Returns
    -------
    list of str
        One line per file missing or changed since tianhe-geo wrote it;
        empty when every listed file is as written.
    """
    out, problems = Path(out_dir), []
    for name, entry in read_manifest(out).items():
        path = out / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif _sha256(path) != entry.get("sha256"):
            problems.append(f"{name}: changed since it was written")
    return problems
