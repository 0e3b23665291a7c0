"""The launch snapshot: what a review session's full load found, kept so that the next launch
does not read every benchmark, sidecar and sample index of a large tree again.

It is a cache, never the truth. It is JSON (a copied or shared workspace may carry one: nothing in
it is ever executed), and it is used only when it was made for this workspace's folders, by this
code, with these prompts and build settings, and when every folder listed and every file read
still has the stat it had then (device, inode, size, modification and change time; a missing file
must still be missing). A benchmark whose own files changed is read again alone; any other change,
or anything unexpected in the file, means a full load (which writes a new snapshot).

A file modified at about the time of the load it would vouch for is recorded as unknown (so it
counts as changed next time): its stat might be newer than the text that was read, the way git
treats "racily clean" index entries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from pathlib import Path

from asp_ft_tui import __version__
from asp_ft_tui.domain.benchmarks import SKIPPED_DIRS, Benchmark, FolderProblem, Library
from asp_ft_tui.domain.structure import META_FILE, STRUCTURE_FILE
from asp_ft_tui.fsio import atomic_write_text, make_dirs
from asp_ft_tui.samples import SampleRow

log = logging.getLogger(__name__)
SNAPSHOT_FILE = "launch-snapshot.json"
FORMAT = 1
RACY_NS = 2_000_000_000
"""Files changed less than this before a load began are recorded as unknown (coarse file-system
clocks, a writer racing the load)."""
MAX_BYTES = 1 << 30
_UNKNOWN = "racy"


@dataclass
class Loaded:
    """What a snapshot gives back: the library, per benchmark its summary fields and sample
    rows (as stored), and the ids whose files changed since (to be read again)."""

    library: Library
    summaries: dict[str, dict]
    rows: dict[str, list[SampleRow]]
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
    from asp_ft_tui import review, samples
    from asp_ft_tui.domain import benchmarks, labels, structure

    digest = hashlib.sha256()
    for module in (benchmarks, structure, labels, samples, review):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:24]


def benchmark_paths(bench: Benchmark, index: Path, found: list[str]) -> list[str]:
    """Every path whose change can change what is known of one benchmark: its folder, its files,
    structure.json and sidecar at home and in its folder, its sample index."""
    paths = [str(bench.path), *found]
    for folder in (bench.path, bench.structure_home):
        paths += [str(folder / STRUCTURE_FILE), str(folder / META_FILE)]
    paths.append(str(index))
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
    """One workspace's launch snapshot file; `key` names what it must have been made with."""

    def __init__(self, directory: Path, key: dict) -> None:
        self.path = Path(directory) / SNAPSHOT_FILE
        self.key = {"format": FORMAT, "version": __version__, "code": code_digest(), **key}

    # -- reading -------------------------------------------------------------------------------
    def load(self) -> Loaded | None:
        """The snapshot when it is still good for this workspace, else None (never raises)."""
        try:
            with open(self.path, "rb") as handle:
                if os.fstat(handle.fileno()).st_size > MAX_BYTES:
                    return None
                data = json.loads(handle.read())
            return self._check(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as err:
            log.debug("launch snapshot %s not used: %s", self.path, err)
            return None

    def _check(self, data: dict) -> Loaded | None:
        if not isinstance(data, dict) or data.get("key") != self.key:
            return None
        if any(signature(path) != sig for path, sig in data["global"]):
            return None
        library = Library(root=Path(data["library"]["root"]), relocated=0,
                          structures=Path(data["library"]["structures"]) if data["library"]["structures"] else None)
        summaries, rows, stale = {}, {}, []
        for entry in data["benchmarks"]:
            bench = _benchmark(entry["bench"])
            library.benchmarks.append(bench)
            summaries[bench.id] = _summary(entry["summary"])
            rows[bench.id] = _rows(bench.id, entry["rows"])
            if bench.home is not None:
                library.relocated += 1
            changed = any(signature(path) != sig for path, sig in entry["witness"])
            # A folder that became writable (or stopped being) keeps its structures elsewhere now.
            if changed or os.access(bench.path, os.W_OK) != (bench.home is None):
                if _subfolders(bench.path) != entry["subfolders"]:
                    return None  # a benchmark folder with a new or removed folder inside: read all
                stale.append(bench.id)
        for entry in data["problems"]:
            library.problems.append(FolderProblem(entry[0], Path(entry[1]), entry[2]))
        library.folders, library.files = _texts(data["library"]["folders"]), _texts(data["library"]["files"])
        if len(stale) > max(8, len(library.benchmarks) // 4):
            return None  # reading that many alone is no faster than reading all
        return Loaded(library, summaries, rows, stale)

    # -- writing -------------------------------------------------------------------------------
    def save(self, library: Library, summaries: dict[str, dict], rows: dict[str, list[SampleRow]],
             index_of, started_ns: int) -> None:
        """Write the snapshot of a load that began at `started_ns` (`time.time_ns()`);
        `index_of(benchmark_id)` is the path of its sample index. Errors are logged, not raised:
        without a snapshot the next launch reads everything, as before."""
        racy_after = started_ns - RACY_NS

        def witness(path: str) -> list:
            sig = signature(path)
            if sig is not None and max(sig[3], sig[4]) >= racy_after:
                sig = _UNKNOWN
            return [path, sig]

        by_folder: dict[str, list[str]] = {}
        for path in library.files:
            by_folder.setdefault(os.path.dirname(path), []).append(path)
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
            paths = benchmark_paths(bench, index_of(bench.id), by_folder.get(home, []))
            owned.update(paths)
            benchmarks.append({"bench": _bench_dict(bench), "summary": summaries[bench.id],
                               "rows": _columns(rows.get(bench.id, [])),
                               "witness": [witness(p) for p in paths],
                               "subfolders": sorted(subfolders.get(home, []))})
        others = [p for p in (*library.folders, *library.files) if p not in owned]
        payload = {
            "key": self.key,
            "library": {"root": str(library.root), "structures": str(library.structures or ""),
                        "folders": library.folders, "files": library.files},
            "global": [witness(p) for p in dict.fromkeys(others)],
            "benchmarks": benchmarks,
            "problems": [[p.id, str(p.path), p.reason] for p in library.problems],
        }
        try:
            make_dirs(self.path.parent)
            atomic_write_text(self.path, json.dumps(payload, separators=(",", ":")))
        except (OSError, ValueError) as err:
            log.debug("launch snapshot %s not written: %s", self.path, err)


def _bench_dict(bench: Benchmark) -> dict:
    return {"id": bench.id, "path": str(bench.path), "asp": bench.asp, "nl": bench.nl, "ir": bench.ir,
            "asp_file": str(bench.asp_file), "structure_file": str(bench.structure_file or ""),
            "home": str(bench.home or "")}


def _benchmark(entry: dict) -> Benchmark:
    for name in ("id", "path", "asp", "asp_file", "structure_file", "home"):
        if not isinstance(entry[name], str):
            raise TypeError(f"{name} is not text")
    for name in ("nl", "ir"):
        if entry[name] is not None and not isinstance(entry[name], str):
            raise TypeError(f"{name} is not text")
    return Benchmark(id=entry["id"], path=Path(entry["path"]), asp=entry["asp"], nl=entry["nl"], ir=entry["ir"],
                     asp_file=Path(entry["asp_file"]),
                     structure_file=Path(entry["structure_file"]) if entry["structure_file"] else None,
                     home=Path(entry["home"]) if entry["home"] else None)


def _texts(values: list) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise TypeError("a path that is not text")
    return values


SUMMARY_FIELDS = {"extraction": str, "components_valid": int, "components_total": int, "faithful": str,
                  "samples_built": bool}


def _summary(entry: dict) -> dict:
    if set(entry) != set(SUMMARY_FIELDS) or not all(isinstance(entry[k], t) for k, t in SUMMARY_FIELDS.items()):
        raise TypeError("a summary of another shape")
    return entry


def _rows(benchmark_id: str, columns: list) -> list[SampleRow]:
    keys, *rest = columns
    if len(rest) != 6 or any(len(column) != len(keys) for column in rest):
        raise TypeError("sample rows of another shape")
    return list(map(SampleRow, keys, repeat(benchmark_id, len(keys)), *rest))


def _columns(rows: list[SampleRow]) -> list[list]:
    """Rows as columns, the benchmark id left out: smaller, and read back in one `map`."""
    return [[getattr(row, name) for row in rows] for name in SampleRow._fields if name != "benchmark_id"]
