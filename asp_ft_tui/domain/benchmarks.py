"""The benchmark library: find benchmark folders at any depth and read them safely.

A benchmark is a folder with an ASP program (`ASP.txt`, `asp.txt` or `ASP.lp`) and a description
(`NL.txt` and/or `IR.txt`), names matched case-insensitively, plus an optional `structure.json`.
Categories come from the path; `<base>_variant_<x>` folders group with `<base>` in the same parent.

Discovery never raises and never skips silently: every folder that has some of these files but
cannot be used becomes a `FolderProblem` with the reason. A file or folder that links outside the
benchmark root is one too, and is never read: a shared tree must not make asp-ft read (or, through
a linked structure.json, write) files elsewhere. Links that stay inside the root are fine.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

ASP_NAMES = ("asp.txt", "asp.lp")
NL_NAME = "nl.txt"
IR_NAME = "ir.txt"
STRUCTURE_NAME = "structure.json"
KNOWN_NAMES = frozenset((*ASP_NAMES, NL_NAME, IR_NAME, STRUCTURE_NAME))
MAX_FILE_BYTES = 1 << 20
VARIANT_RE = re.compile(r"^(?P<base>.+?)_variant_(?P<variant>.+)$")
SKIPPED_DIRS = frozenset(("__pycache__", "node_modules"))
_DIGITS = re.compile(r"([0-9]+)")


@dataclass(frozen=True)
class Benchmark:
    id: str
    """Path relative to the library root, with `/` separators: stable and unique."""
    path: Path
    asp: str
    nl: str | None
    ir: str | None
    asp_file: Path
    structure_file: Path | None = None
    home: Path | None = None
    """Where its structure files are written when its own folder is read-only (a cache folder)."""

    @property
    def structure_home(self) -> Path:
        """The folder this benchmark's structure.json and sidecar are written to."""
        return self.home or self.path

    @property
    def name(self) -> str:
        return self.id.rsplit("/", 1)[-1]

    @property
    def category(self) -> str:
        """The parent path (`Room Booking/Easy Problems`), empty at the library root."""
        return self.id.rsplit("/", 1)[0] if "/" in self.id else ""

    @property
    def base_name(self) -> str:
        match = VARIANT_RE.match(self.name)
        return match["base"] if match else self.name

    @property
    def variant(self) -> str | None:
        match = VARIANT_RE.match(self.name)
        return match["variant"] if match else None

    @property
    def group(self) -> str:
        """A problem and its variants share one group id."""
        return f"{self.category}/{self.base_name}" if self.category else self.base_name

    @property
    def description(self) -> str:
        """The natural-language description, or the IR where there is no NL."""
        return self.nl if self.nl is not None else self.ir or ""


@dataclass(frozen=True)
class FolderProblem:
    id: str
    path: Path
    reason: str


@dataclass
class Library:
    root: Path
    benchmarks: list[Benchmark] = field(default_factory=list)
    problems: list[FolderProblem] = field(default_factory=list)
    relocated: int = 0
    """Benchmarks whose folders are read-only: their structure files are kept in `structures`."""
    structures: Path | None = None
    folders: list[str] = field(default_factory=list)
    """Every folder listed, in order (what a launch snapshot checks for new or removed entries)."""
    files: list[str] = field(default_factory=list)
    """Every benchmark file found (ASP, NL, IR, structure.json), of benchmarks and problems alike.
    Both as text: a snapshot's library is made of 4,000 of them, not worth a Path each."""
    links: list[str] = field(default_factory=list)
    """Every symbolic link met (not hidden): where it leads can change with nothing else."""

    @property
    def relocation_notice(self) -> str:
        """One line for all read-only benchmark folders (empty when there are none)."""
        if not self.relocated:
            return ""
        what = "benchmark folder is" if self.relocated == 1 else "benchmark folders are"
        return f"{self.relocated} {what} read-only: structures are kept in {self.structures} instead"

    def groups(self) -> dict[str, list[Benchmark]]:
        """Groups in discovery order; within a group the base problem comes first."""
        groups: dict[str, list[Benchmark]] = {}
        for bench in self.benchmarks:
            groups.setdefault(bench.group, []).append(bench)
        for members in groups.values():
            members.sort(key=lambda b: (b.variant is not None, natural_key(b.name)))
        return groups

    def get(self, benchmark_id: str) -> Benchmark | None:
        return next((b for b in self.benchmarks if b.id == benchmark_id), None)


def natural_key(text: str) -> tuple:
    """Sort `easy_2` before `easy_10`."""
    return tuple((0, int(part), "") if i % 2 else (1, 0, part.lower()) for i, part in enumerate(_DIGITS.split(text)))


def read_benchmark_text(path: Path) -> tuple[str | None, str | None]:
    """(text, None) or (None, reason). Strips a UTF-8 BOM and turns CRLF/CR into LF."""
    name = path.name
    try:
        info = os.stat(path)
    except OSError as err:
        return None, f"{name} is unreadable ({err.strerror or err})"
    if not stat.S_ISREG(info.st_mode):
        return None, f"{name} is not a regular file"
    if info.st_size > MAX_FILE_BYTES:
        return None, f"{name} is {info.st_size:,} bytes, over the 1 MiB limit"
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        return None, f"{name} is unreadable ({err.strerror or err})"
    if len(data) > MAX_FILE_BYTES:
        return None, f"{name} is over the 1 MiB limit"
    if b"\x00" in data:
        return None, f"{name} is binary (it contains NUL bytes), not UTF-8 text"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return None, f"{name} is not UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, f"{name} is empty"
    return text, None


def discover(root: Path | str, structures: Path | None = None) -> Library:
    """Find every benchmark folder below `root` (which may itself be one).

    `structures`: where the structure files of read-only benchmark folders go (default: the
    user cache); `Library.relocated` says how many were sent there."""
    root = Path(root)
    library = Library(root=root)
    try:
        root_info = os.stat(root)
    except OSError as err:
        library.problems.append(FolderProblem(".", root, f"cannot open the benchmark folder ({err.strerror or err})"))
        return library
    if not stat.S_ISDIR(root_info.st_mode):
        library.problems.append(FolderProblem(".", root, "the benchmark path is not a folder"))
        return library
    seen: dict[tuple[int, int], str] = {}
    real_root = os.path.realpath(root)
    # An explicit stack, not recursion: real trees can be deeper than Python's recursion limit.
    stack = [(root, (), ((root_info.st_dev, root_info.st_ino),))]
    while stack:
        folder, parts, ancestors = stack.pop()
        stack.extend(reversed(_scan_folder(library, folder, parts, ancestors, seen, real_root)))
    _place_homes(library, structures)
    return library


def _place_homes(library: "Library", structures: Path | None) -> None:
    """Give every benchmark whose folder cannot be written a folder of its own below
    `structures`, named by the real path of the benchmark (two trees never share one)."""
    import hashlib

    from asp_ft_tui.domain.structure import STRUCTURE_FILE

    for index, bench in enumerate(library.benchmarks):
        if os.access(bench.path, os.W_OK):
            continue
        if structures is None:
            from asp_ft_tui.paths import user_dirs

            structures = user_dirs().cache / "structures"
        library.structures = structures
        key = hashlib.sha256(os.path.realpath(bench.path).encode("utf-8", "surrogateescape")).hexdigest()[:20]
        home = structures / key
        own = home / STRUCTURE_FILE
        library.benchmarks[index] = replace(bench, home=home,
                                            structure_file=own if own.is_file() else bench.structure_file)
        library.relocated += 1


def read_one(root: Path | str, benchmark_id: str, structures: Path | None = None) -> Benchmark | None:
    """Re-read one benchmark folder (after an extraction or an edit) without walking the tree."""
    library = read_folder(root, benchmark_id, structures)
    return library.benchmarks[0] if library.benchmarks else None


def read_folder(root: Path | str, benchmark_id: str, structures: Path | None = None) -> Library:
    """One benchmark folder as a library of its own: the benchmark, or the problem it has now,
    and the files found (its subfolders are not entered)."""
    folder = Path(root) / benchmark_id
    library = Library(root=Path(root))
    real_root = os.path.realpath(root)
    if _outside(folder, real_root):
        return library
    try:
        entries = sorted(os.scandir(folder), key=lambda e: natural_key(e.name))
    except OSError:
        return library
    parts = tuple(benchmark_id.split("/"))
    files: dict[str, Path] = {}
    for entry in entries:
        if entry.name.lower() in KNOWN_NAMES:
            files.setdefault(entry.name.lower(), Path(entry.path))
        elif entry.is_symlink() and not entry.name.startswith(".") and not bad_folder_name(entry.name):
            library.links.append(entry.path)
    if files:
        library.files.extend(map(str, files.values()))
        _add_folder(library, folder, parts, files, real_root)
    _place_homes(library, structures)
    return library


def _outside(path: Path | str, real_root: str) -> str | None:
    """Where `path` really leads when that is outside the root (through a link at any level)."""
    real = os.path.realpath(path)
    return None if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep) else real


# Control characters, and the invisible ones that reorder text on a terminal (U+202E turns a
# name around).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def bad_folder_name(name: str) -> str:
    """Why a folder name cannot name a benchmark (ids travel into files, logs and terminals)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the folder name is not valid UTF-8; rename the folder"
    if _CONTROL.search(name):
        return "the folder name holds a control character (a newline, a tab, a direction mark, ...); rename the folder"
    return ""


def _printable(text: str) -> str:
    """`text` safe to print: undecodable bytes and control characters escaped."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _rel_id(parts: tuple[str, ...]) -> str:
    return "/".join(parts) if parts else "."


def _scan_folder(library: Library, folder: Path, parts: tuple[str, ...], ancestors: tuple, seen: dict,
                 real_root: str) -> list:
    """Record this folder's benchmark or problem; return its subfolders to scan."""
    seen[ancestors[-1]] = _rel_id(parts)
    library.folders.append(str(folder))
    try:
        entries = sorted(os.scandir(folder), key=lambda e: natural_key(e.name))
    except OSError as err:
        library.problems.append(FolderProblem(_rel_id(parts), folder, f"cannot list the folder ({err.strerror or err})"))
        return []
    files: dict[str, Path] = {}
    subdirs: list[os.DirEntry] = []
    for entry in entries:
        lower = entry.name.lower()
        if lower in KNOWN_NAMES:
            files.setdefault(lower, Path(entry.path))
            continue
        if entry.name.startswith(".") or entry.name in SKIPPED_DIRS:
            continue
        bad_name = bad_folder_name(entry.name)
        if bad_name:
            if entry.is_dir(follow_symlinks=False):
                shown = _rel_id((*parts, _printable(entry.name)))
                library.problems.append(FolderProblem(shown, Path(_printable(entry.path)), bad_name))
            continue
        if entry.is_symlink():
            library.links.append(entry.path)
        try:
            if entry.is_dir(follow_symlinks=True):
                target = _outside(entry.path, real_root) if entry.is_symlink() else None
                if target is not None:
                    library.problems.append(FolderProblem(_rel_id((*parts, entry.name)), Path(entry.path),
                                                          f"links outside the benchmark folder: {target}"))
                    continue
                subdirs.append(entry)
            elif entry.is_symlink() and not os.path.exists(entry.path):
                library.problems.append(FolderProblem(
                    _rel_id((*parts, entry.name)), Path(entry.path),
                    f"broken symbolic link to {os.readlink(entry.path)} (its target does not exist)"))
        except OSError:
            continue
    if files:
        library.files.extend(map(str, files.values()))
        _add_folder(library, folder, parts, files, real_root)
    out = []
    for entry in subdirs:
        sub_parts = (*parts, entry.name)
        try:
            info = os.stat(entry.path)
        except OSError as err:
            library.problems.append(
                FolderProblem(_rel_id(sub_parts), Path(entry.path), f"cannot open the folder ({err.strerror or err})")
            )
            continue
        ident = (info.st_dev, info.st_ino)
        if ident in ancestors:
            library.problems.append(
                FolderProblem(_rel_id(sub_parts), Path(entry.path), "symlink loop: it links back to a folder above it")
            )
            continue
        if ident in seen:
            library.problems.append(
                FolderProblem(
                    _rel_id(sub_parts), Path(entry.path), f"links to {seen[ident]}, which is already scanned"
                )
            )
            continue
        seen[ident] = _rel_id(sub_parts)
        out.append((Path(entry.path), sub_parts, (*ancestors, ident)))
    return out


def _add_folder(library: Library, folder: Path, parts: tuple[str, ...], files: dict[str, Path],
                real_root: str) -> None:
    ident = _rel_id(parts) if parts else folder.resolve().name
    for path in files.values():
        target = _outside(path, real_root) if path.is_symlink() else None
        if target is not None:
            reason = f"{path.name} links outside the benchmark folder: {target}"
            library.problems.append(FolderProblem(ident, folder, reason))
            return
    asp_file = next((files[n] for n in ASP_NAMES if n in files), None)
    nl_file, ir_file = files.get(NL_NAME), files.get(IR_NAME)
    present = ", ".join(sorted(p.name for p in files.values()))
    if asp_file is None and nl_file is None and ir_file is None:
        library.problems.append(FolderProblem(ident, folder, f"has {present} but no ASP.txt and no NL.txt or IR.txt"))
        return
    if asp_file is None:
        library.problems.append(FolderProblem(ident, folder, f"has {present} but no ASP.txt (or ASP.lp)"))
        return
    if nl_file is None and ir_file is None:
        library.problems.append(FolderProblem(ident, folder, f"has {present} but no NL.txt or IR.txt"))
        return
    texts: dict[Path, str | None] = {}
    reasons = []
    for path in (asp_file, nl_file, ir_file):
        if path is None:
            continue
        text, reason = read_benchmark_text(path)
        texts[path] = text
        if reason:
            reasons.append(reason)
    if reasons:
        library.problems.append(FolderProblem(ident, folder, "; ".join(reasons)))
        return
    library.benchmarks.append(
        Benchmark(
            id=ident,
            path=folder,
            asp=texts[asp_file] or "",
            nl=texts.get(nl_file) if nl_file else None,
            ir=texts.get(ir_file) if ir_file else None,
            asp_file=asp_file,
            structure_file=files.get(STRUCTURE_NAME),
        )
    )
