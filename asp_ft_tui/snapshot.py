"""The launch snapshot: what a review session's full load found, kept so that the next launch
does not read every benchmark, sidecar and sample index of a large tree again.

It is a cache, never the truth. It is JSON (a copied or shared workspace may carry one: nothing in
it is ever executed), read only as a regular file (never through a link), and used only when it was
made for this workspace's folders, by this code, with these prompts and build settings, and when
every folder listed, file read and link met still has the stat it had then (device, inode, size,
modification and change time; a missing file must still be missing). Which paths are checked is
worked out here from the benchmarks, each of which must lie where discovery would have put it: the
file gives their stats only. A benchmark whose own files changed is read again alone; any other
change, or anything unexpected in the file, means a full load (which writes a new snapshot).

The sample rows are kept apart (`launch-rows.json`, paired by a stamp): a launch that has no
decision to count shows the tree without reading them.

A file modified at about the time of the load it would vouch for is recorded as unknown (so it
counts as changed next time): its stat might be newer than the text that was read, the way git
treats "racily clean" index entries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from operator import methodcaller
from pathlib import Path
from typing import Callable

from asp_ft_tui import __version__
from asp_ft_tui.domain.benchmarks import ASP_NAMES, SKIPPED_DIRS, Benchmark, FolderProblem, Library, bad_folder_name
from asp_ft_tui.domain.structure import META_FILE, STRUCTURE_FILE
from asp_ft_tui.fsio import atomic_write_text, make_dirs
from asp_ft_tui.samples import SampleRow

log = logging.getLogger(__name__)
SNAPSHOT_FILE = "launch-snapshot.json"
ROWS_FILE = "launch-rows.json"
"""The sample rows, apart: a launch reads them only when they are first wanted."""
FORMAT = 3
RACY_NS = 2_000_000_000
"""Files changed less than this before a load began are recorded as unknown (coarse file-system
clocks, a writer racing the load)."""
MAX_BYTES = 1 << 30
_UNKNOWN = "racy"


class Unusable(ValueError):
    """The snapshot file is not one this code wrote for this workspace."""


@dataclass
class Loaded:
    """What a snapshot gives back: the library, per benchmark its summary fields and how many
    samples it has, `rows()` that reads their rows (None when that file no longer fits), and the
    ids whose files changed since (to be read again)."""

    library: Library
    summaries: dict[str, dict]
    counts: dict[str, int]
    rows: Callable[[], dict[str, list[SampleRow]] | None]
    stale: list[str] = field(default_factory=list)


def signature(path: Path | str) -> list[int] | None:
    """What identifies a file's state without reading it; None when it does not exist."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


@cache
def code_digest() -> str:
    """The source of the modules whose reading a snapshot stands for: another version of them may
    read the same files differently."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    # Read by path, not imported: importing one only for its source cost the launch its regexes.
    for name in ("domain/benchmarks.py", "domain/structure.py", "domain/labels.py", "samples.py", "review.py",
                 "snapshot.py"):
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:24]


def benchmark_paths(bench: Benchmark, index: str, found: list[str]) -> list[str]:
    """Every path whose change can change what is known of one benchmark: its folder, its files,
    structure.json and sidecar at home and in its folder, its sample index."""
    folder = str(bench.path)
    paths = [folder, *found]
    for place in dict.fromkeys((folder, str(bench.home) if bench.home is not None else folder)):
        paths += [f"{place}/{STRUCTURE_FILE}", f"{place}/{META_FILE}"]
    paths.append(index)
    return list(dict.fromkeys(paths))


def _subfolders(path: Path) -> list[str] | None:
    """Names of the folders discovery would enter below `path` (None: it cannot be listed)."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return None
    names = []
    for entry in entries:
        if entry.name.startswith(".") or entry.name in SKIPPED_DIRS:
            continue
        try:
            if entry.is_dir(follow_symlinks=True):
                names.append(entry.name)
        except OSError:
            continue
    return sorted(names)


class Snapshot:
    """One workspace's launch snapshot file. `key` names what it must have been made with; `root`
    and `structures` are where its benchmarks and their relocated structures must lie, and
    `index_of(benchmark_id)` is the path of a benchmark's sample index."""

    def __init__(self, directory: Path, key: dict, *, root: Path, structures: Path, index_of) -> None:
        self.path = Path(directory) / SNAPSHOT_FILE
        self.rows_path = Path(directory) / ROWS_FILE
        self.root, self.structures, self.index_of = str(root), str(structures), index_of
        self.key = {"format": FORMAT, "version": __version__, "code": code_digest(), **key}

    # -- reading -------------------------------------------------------------------------------
    def load(self) -> Loaded | None:
        """The snapshot when it is still good for this workspace, else None (never raises)."""
        try:
            data = json.loads(self._read())
            return self._check(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as err:
            log.debug("launch snapshot %s not used: %s", self.path, err)
            return None

    def _read(self, path: Path | None = None) -> bytes:
        # Never through a link, never a FIFO or a device that would block or never end.
        fd = os.open(path or self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
                raise Unusable("not a regular file of a sane size")
            return handle.read(MAX_BYTES + 1)

    def _check(self, data: dict) -> Loaded | None:
        if not isinstance(data, dict) or data.get("key") != self.key:
            return None
        described = data["library"]
        if described["root"] != self.root or described["structures"] not in ("", self.structures):
            raise Unusable("made for other folders")
        folders, files, links = (_inside(described[name], self.root) for name in ("folders", "files", "links"))
        by_folder = _by_folder(files)
        library = Library(root=Path(self.root), structures=Path(self.structures) if described["structures"] else None,
                          folders=folders, files=files, links=links)
        summaries, counts, stale, owned = {}, {}, [], set()
        for entry in data["benchmarks"]:
            bench = self._benchmark(entry["bench"])
            if bench.id in summaries:
                raise Unusable(f"{bench.id!r} twice")
            library.benchmarks.append(bench)
            summaries[bench.id] = _summary(entry["summary"])
            if type(entry["count"]) is not int or entry["count"] < 0:
                raise TypeError("a sample count that is not a count")
            counts[bench.id] = entry["count"]
            library.relocated += bench.home is not None
            # The paths to check are this code's, from the benchmark: the file gives their stat only.
            paths = benchmark_paths(bench, self.index_of(bench.id), by_folder.get(entry["bench"]["path"], []))
            witness = entry["witness"]
            if [p for p, _ in witness] != paths or entry["bench"]["asp_file"] not in paths:
                raise Unusable(f"the files of {bench.id!r} are not those it was read from")
            owned.update(paths)
            recorded = dict(witness)
            # A folder or program recorded as missing was deleted during that load: read it again.
            changed = (recorded[entry["bench"]["path"]] is None or recorded[entry["bench"]["asp_file"]] is None
                       or any(signature(path) != sig for path, sig in witness))
            # A folder that became writable (or stopped being) keeps its structures elsewhere now.
            if changed or os.access(bench.path, os.W_OK) != (bench.home is None):
                if _subfolders(bench.path) != _names(entry["subfolders"]):
                    return None  # a benchmark folder with a new or removed folder inside: read all
                stale.append(bench.id)
        if [p for p, _ in data["global"]] != _unowned(library, owned):
            raise Unusable("the folders checked are not those that were read")
        if any(signature(path) != sig for path, sig in data["global"]):
            return None
        for entry in data["problems"]:
            problem_id, path, reason = _names(entry)
            library.problems.append(FolderProblem(problem_id, Path(_inside([path], self.root)[0]), reason))
        if len(stale) > max(8, len(library.benchmarks) // 4):
            return None  # reading that many alone is no faster than reading all
        stamp = data["rows"]
        if type(stamp) is not str:
            raise TypeError("a rows stamp that is not text")
        return Loaded(library, summaries, counts, lambda: self._load_rows(stamp, counts), stale)

    def _load_rows(self, stamp: str, counts: dict[str, int]) -> dict[str, list[SampleRow]] | None:
        """The rows written with the snapshot that was read (its stamp), each benchmark's as many
        as it said; None when that file is gone, replaced or damaged (never raises)."""
        try:
            data = json.loads(self._read(self.rows_path))
            if type(data) is not dict or data.get("stamp") != stamp or data.get("key") != self.key:
                return None
            found = data["rows"]
            if type(found) is not dict or set(found) != set(counts):
                return None
            rows = {bench_id: _rows(bench_id, columns) for bench_id, columns in found.items()}
            if any(len(rows[bench_id]) != count for bench_id, count in counts.items()):
                return None
            return rows
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as err:
            log.debug("launch snapshot rows %s not used: %s", self.rows_path, err)
            return None

    def _benchmark(self, entry: dict) -> Benchmark:
        """A benchmark as discovery makes them: its folder below the root, named by its id (a name
        discovery accepts), its files in it, its structures there or in this workspace's cache.
        Checked on the text of its paths, before any Path is made."""
        bench_id, folder, program = entry["id"], entry["path"], entry["asp_file"]
        structure, home = entry["structure_file"], entry["home"]
        for value in (bench_id, folder, program, structure, home, entry["asp"]):
            if type(value) is not str:
                raise TypeError("a benchmark field that is not text")
        for value in (entry["nl"], entry["ir"]):
            if value is not None and type(value) is not str:
                raise TypeError("a description that is not text")
        parts = bench_id.split("/")
        if any(part in ("", ".", "..") or bad_folder_name(part) for part in parts):
            raise Unusable(f"{bench_id!r} is no folder name")
        if folder != f"{self.root}/{bench_id}" and not (folder == self.root and len(parts) == 1):
            raise Unusable(f"{bench_id!r} is not in its place")
        where, name = os.path.split(program)
        if where != folder or name.lower() not in ASP_NAMES:
            raise Unusable(f"the program of {bench_id!r} is elsewhere")
        if home and os.path.dirname(home) != self.structures:
            raise Unusable(f"the structures of {bench_id!r} are elsewhere")
        if structure and (os.path.basename(structure) != STRUCTURE_FILE
                          or os.path.dirname(structure) not in (folder, home or folder)):
            raise Unusable(f"the structure of {bench_id!r} is elsewhere")
        return Benchmark(id=bench_id, path=Path(folder), asp=entry["asp"], nl=entry["nl"], ir=entry["ir"],
                         asp_file=Path(program), structure_file=Path(structure) if structure else None,
                         home=Path(home) if home else None)

    # -- writing -------------------------------------------------------------------------------
    def save(self, library: Library, summaries: dict[str, dict], rows: dict[str, list[SampleRow]],
             started_ns: int) -> None:
        """Write the snapshot of a load that began at `started_ns` (`time.time_ns()`). Errors are
        logged, not raised: without a snapshot the next launch reads everything, as before."""
        racy_after = started_ns - RACY_NS

        def witness(path: str) -> list:
            sig = signature(path)
            if sig is not None and max(sig[3], sig[4]) >= racy_after:
                sig = _UNKNOWN
            return [path, sig]

        by_folder = _by_folder(library.files)
        homes = {str(b.path) for b in library.benchmarks}
        subfolders: dict[str, list[str]] = {}
        for folder in library.folders:
            parent, name = os.path.split(folder)
            if parent in homes:
                subfolders.setdefault(parent, []).append(name)
        owned = set()
        benchmarks = []
        for bench in library.benchmarks:
            home = str(bench.path)
            paths = benchmark_paths(bench, self.index_of(bench.id), by_folder.get(home, []))
            owned.update(paths)
            benchmarks.append({"bench": _bench_dict(bench), "summary": summaries[bench.id],
                               "count": len(rows.get(bench.id, ())),
                               "witness": [witness(p) for p in paths],
                               "subfolders": sorted(subfolders.get(home, []))})
        others = _unowned(library, owned)
        stamp = os.urandom(12).hex()
        payload = {
            "key": self.key, "rows": stamp,
            "library": {"root": str(library.root), "structures": str(library.structures or ""),
                        "folders": library.folders, "files": library.files, "links": library.links},
            "global": [witness(p) for p in others],
            "benchmarks": benchmarks,
            "problems": [[p.id, str(p.path), p.reason] for p in library.problems],
        }
        rows_payload = {"key": self.key, "stamp": stamp,
                        "rows": {bench.id: _columns(rows.get(bench.id, [])) for bench in library.benchmarks}}
        try:
            make_dirs(self.path.parent)
            # The rows first: a snapshot is never read beside the rows of another.
            atomic_write_text(self.rows_path, json.dumps(rows_payload, separators=(",", ":")))
            atomic_write_text(self.path, json.dumps(payload, separators=(",", ":")))
        except (OSError, ValueError) as err:
            log.debug("launch snapshot %s not written: %s", self.path, err)


def _by_folder(files: list[str]) -> dict[str, list[str]]:
    """The benchmark files found, by the folder they are in."""
    found: dict[str, list[str]] = {}
    for path in files:
        found.setdefault(os.path.dirname(path), []).append(path)
    return found


def _unowned(library: Library, owned: set[str]) -> list[str]:
    """The folders, files and links read that belong to no benchmark: a change there reads all."""
    return list(dict.fromkeys(p for p in (*library.folders, *library.files, *library.links) if p not in owned))


def _bench_dict(bench: Benchmark) -> dict:
    return {"id": bench.id, "path": str(bench.path), "asp": bench.asp, "nl": bench.nl, "ir": bench.ir,
            "asp_file": str(bench.asp_file), "structure_file": str(bench.structure_file or ""),
            "home": str(bench.home or "")}


def _names(values: list) -> list[str]:
    if type(values) is not list or set(map(type, values)) - {str}:
        raise TypeError("a name that is not text")
    return values


def _inside(paths: list, root: str) -> list[str]:
    """`paths` when each is text and lies in `root` (as written, links aside: discovery's own)."""
    below = root.rstrip("/") + "/"
    if any(path != root and not path.startswith(below) for path in _names(paths)):
        raise Unusable("a path outside the benchmark folder")
    return paths


SUMMARY_FIELDS = {"extraction": str, "components_valid": int, "components_total": int, "faithful": str,
                  "samples_built": bool, "failure": str}


def _summary(entry: dict) -> dict:
    if type(entry) is not dict or set(entry) != set(SUMMARY_FIELDS) or \
            any(type(entry[k]) is not t for k, t in SUMMARY_FIELDS.items()):
        raise TypeError("a summary of another shape")
    return entry


ROW_TYPES = ({str}, {str}, {str}, {str, type(None)}, {str, type(None)}, {str}, {bool})


def _rows(benchmark_id: str, columns: list) -> list[SampleRow]:
    """The rows of one benchmark from their columns: each of its type, each key this benchmark's."""
    if type(columns) is not list or len(columns) != len(ROW_TYPES):
        raise TypeError("sample rows of another shape")
    keys = columns[0]
    for column, types in zip(columns, ROW_TYPES):
        if type(column) is not list or len(column) != len(keys) or set(map(type, column)) - types:
            raise TypeError("sample rows of another shape")
    prefix = f"{benchmark_id}::"
    if not all(map(methodcaller("startswith", prefix), keys)):
        raise Unusable(f"a sample that is not of {benchmark_id!r}")
    return list(map(SampleRow, keys, repeat(benchmark_id, len(keys)), *columns[1:]))


def _columns(rows: list[SampleRow]) -> list[list]:
    """Rows as columns, the benchmark id left out: smaller, and read back in one `map`."""
    return [[getattr(row, name) for row in rows] for name in SampleRow._fields if name != "benchmark_id"]
