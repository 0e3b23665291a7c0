"""clingo's verdicts on (code, context) pairs, remembered across runs.

One dataset build checks the same component several times: when it is imported or extracted,
when its samples are built, and when the export checks every answer again. A verdict depends only
on the code, its context and clingo (and on our checker, whose version is in the key too), so it
is computed once and kept in a SQLite file in the data folder's cache: a rerun with nothing changed
asks clingo nothing. A damaged or unwritable cache file is ignored (a cache, never a source of
truth): checks then simply run again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Sequence

import clingo

from asp_ft_tui import __version__
from asp_ft_tui.asp.diagnostics import Diagnostic
from asp_ft_tui.asp.engine import ValidationResult
from asp_ft_tui.oserrors import is_disk_error

log = logging.getLogger(__name__)
FILE_NAME = "verdicts.sqlite"
def _checker_version() -> str:
    """A digest of the code that decides a verdict: a fix there must not be answered from a
    cache filled before it (the package version does not change between commits)."""
    from asp_ft_tui.asp import checker, diagnostics, facts, guard, reduce

    digest = hashlib.sha256()
    for module in (checker, diagnostics, facts, guard, reduce):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


_SALT = f"clingo {clingo.__version__}\x00asp-ft {__version__}\x00checker {_checker_version()}\x00errors only\x00"


def verdict_key(code: str, context: str) -> str:
    digest = hashlib.sha256(_SALT.encode())
    digest.update(code.encode("utf-8", "surrogatepass"))
    digest.update(b"\x00\x01\x00")
    digest.update(context.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class VerdictCache:
    """A thread-safe verdict store: in memory, backed by SQLite when a folder is given."""

    def __init__(self, directory: Path | None = None) -> None:
        self._memory: dict[str, ValidationResult] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.problem = ""
        """Why the file is not used, or was started again (empty when all is well)."""
        if directory is not None:
            self._open(Path(directory) / FILE_NAME)

    def _open(self, path: Path) -> None:
        try:
            from asp_ft_tui.fsio import make_dirs

            make_dirs(path.parent)
            if path.is_symlink() or (path.exists() and not path.is_file()):
                # Never written through a link, nor over what is not ours.
                self.problem = f"{path} is not a plain file: the verdict cache is not used"
                log.warning("%s", self.problem)
                return
            try:
                self._db = self._connect(path)
            except sqlite3.OperationalError:
                raise  # a full or read-only disk, a lock: nothing wrong with the file
            except sqlite3.DatabaseError:
                # A damaged cache is set aside (kept for a look) and started again.
                aside = path.with_name(f"{path.name}.damaged")
                path.replace(aside)
                self.problem = f"{path} was damaged: moved to {aside.name}, and a new one started"
                log.warning("%s", self.problem)
                self._db = self._connect(path)
        except (OSError, sqlite3.Error) as err:
            log.warning("the verdict cache %s is not used: %s", path, err)
            # A full or read-only disk is reported by the write that needs it, once; anything
            # else the user should hear about.
            if not (is_disk_error(err) or "disk is full" in str(err) or "readonly" in str(err)):
                self.problem = f"the verdict cache {path} is not used: {err}"

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False, timeout=10)
        try:
            db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, diagnostics TEXT NOT NULL)")
            db.execute("SELECT count(*) FROM verdicts LIMIT 1").fetchone()
            db.commit()
        except sqlite3.Error:
            db.close()
            raise
        return db

    def get_many(self, keys: Sequence[str]) -> dict[str, ValidationResult]:
        with self._lock:
            found = {k: self._memory[k] for k in keys if k in self._memory}
            missing = [k for k in dict.fromkeys(keys) if k not in found]
            if missing and self._db is not None:
                try:
                    for start in range(0, len(missing), 500):
                        chunk = missing[start : start + 500]
                        rows = self._db.execute(
                            f"SELECT key, diagnostics FROM verdicts WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                        for key, text in rows:
                            result = _decode(text)
                            if result is not None:
                                found[key] = self._memory[key] = result
                except sqlite3.Error as err:
                    self._give_up(err)
            return found

    def put_many(self, items: Iterable[tuple[str, ValidationResult]]) -> None:
        items = list(items)
        with self._lock:
            self._memory.update(items)
            if self._db is None or not items:
                return
            try:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?, ?)",
                                         [(k, _encode(r)) for k, r in items])
            except sqlite3.Error as err:
                self._give_up(err)

    def _give_up(self, err: Exception) -> None:
        log.warning("verdict cache not used any more: %s", err)
        try:
            self._db.close()
        except sqlite3.Error:
            pass
        self._db = None

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _encode(result: ValidationResult) -> str:
    return json.dumps([d.to_dict() for d in result.diagnostics])


def _decode(text: str) -> ValidationResult | None:
    try:
        return ValidationResult.from_diagnostics([Diagnostic.from_dict(d) for d in json.loads(text)])
    except (ValueError, TypeError, KeyError):
        return None


class CachingEngine:
    """An engine whose validations are verdicts (errors only, see `Engine.validate_many`) that go
    through a VerdictCache; everything else is the engine's. Resource-limit verdicts (a busy
    machine's time-out) are never remembered."""

    def __init__(self, engine, cache: VerdictCache) -> None:
        self.engine = engine
        self.cache = cache

    def __getattr__(self, name: str):
        return getattr(self.engine, name)

    def validate(self, snippet: str, context: str = "") -> ValidationResult:
        return self.validate_many([(snippet, context)])[0]

    def validate_many(self, items, progress=None) -> list[ValidationResult]:
        pairs = [(item, "") if isinstance(item, str) else tuple(item) for item in items]
        keys = [verdict_key(code, context) for code, context in pairs]
        known = self.cache.get_many(keys)
        todo = list(dict.fromkeys(k for k in keys if k not in known))
        if todo:
            first = {k: pair for k, pair in zip(keys, pairs)}
            fresh = self.engine.validate_many([first[k] for k in todo], errors_only=True)
            known.update(zip(todo, fresh))
            self.cache.put_many((k, r) for k, r in zip(todo, fresh) if _lasting(r))
        if progress:
            progress(len(keys), len(keys))
        return [known[k] for k in keys]

    def check_and_pair(self, snippets, seeds, *, rate: float = 0.5, tries: int = 3):
        out = self.engine.check_and_pair(snippets, seeds, rate=rate, tries=tries)
        self.cache.put_many((verdict_key(code, context), result)
                            for (code, context), (result, _) in zip(snippets, out) if _lasting(result))
        return out


def _lasting(result: ValidationResult) -> bool:
    return not any(d.kind in ("resource-limit", "worker") for d in result.diagnostics)
