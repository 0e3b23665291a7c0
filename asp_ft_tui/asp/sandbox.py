"""The walls around a clingo worker besides the guard, so that one lexer miss reads nothing.

Parent side: every worker gets a fresh, empty private folder as working folder and temp folder
(removed when the worker ends; a relative `#include` finds nothing there) and an environment
without credentials. Worker side, on Linux where the kernel offers Landlock: once clingo is
imported, the worker denies itself every file access except reading the interpreter, its packages
and the system libraries, and working inside its private folder; TCP is denied too where the
kernel can (Landlock ABI 4). Elsewhere, or where Landlock is off, `confine` says so and changes
nothing.

Landlock is called through ctypes (three system calls and prctl) rather than the `landlock`
PyPI binding: that binding is a pre-release (1.0.0.dev5) and the calls are small and stable.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)

# Linux system call numbers: Landlock's are the same on every architecture.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_READ_FILE, _WRITE_FILE, _READ_DIR = 1 << 2, 1 << 1, 1 << 3
_REMOVE_DIR, _REMOVE_FILE, _MAKE_DIR, _MAKE_REG = 1 << 4, 1 << 5, 1 << 7, 1 << 8
_REFER, _TRUNCATE = 1 << 13, 1 << 14
_FILE_ONLY = (1 << 0) | _WRITE_FILE | _READ_FILE | _TRUNCATE | (1 << 15)
"""The rights that apply to a file (not a folder) in a rule: execute, write, read, truncate, ioctl."""

_READ = _READ_FILE | _READ_DIR
_PRIVATE = _READ | _WRITE_FILE | _TRUNCATE | _MAKE_REG | _MAKE_DIR | _REMOVE_FILE | _REMOVE_DIR
_SYSTEM_LIBRARIES = ("/lib", "/lib32", "/lib64", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/local/lib")


def private_folder() -> tempfile.TemporaryDirectory:
    # The owner's PID in the name: a folder whose owner was killed (-9) is swept later.
    return tempfile.TemporaryDirectory(prefix=f"asp-ft-worker-{os.getpid()}-", ignore_cleanup_errors=True)


_OWNED = re.compile(r"^asp-ft-worker-(\d+)-")


def sweep_stale_folders() -> int:
    """Remove the private folders of workers whose owning process is gone; returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return 0
    for entry in entries:
        match = _OWNED.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            os.kill(int(match.group(1)), 0)
            continue  # its owner still runs
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed += 1
    return removed


def worker_environment(folder: str) -> dict[str, str]:
    """The parent's environment less anything that looks like a credential, with the private
    folder as temp folder and this very copy of asp_ft_tui first on the import path (the working
    folder no longer is the parent's)."""
    env = {name: value for name, value in os.environ.items() if not _SECRET_NAME.search(name)}
    env.update(TMPDIR=folder, TEMP=folder, TMP=folder)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def _readable_paths() -> set[str]:
    """What the interpreter may still need to read: its prefixes (standard library, the virtual
    environment), the folders of the packages already imported (an editable install lives
    outside the prefixes) and the shared libraries."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *_SYSTEM_LIBRARIES}
    for name in ("asp_ft_tui", "clingo"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            paths.add(str(Path(module.__file__).resolve().parent))
    return paths


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(number: int, *args) -> int:
    """syscall(2) with every integer passed as a C long, as its variadic arguments are read."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(number), *(ctypes.c_long(a) if isinstance(a, int) else a for a in args))
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where there is none (not Linux, too old, disabled)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        return _syscall(_CREATE_RULESET, None, 0, _CREATE_RULESET_VERSION)
    except OSError:  # ENOSYS: too old a kernel; EOPNOTSUPP: Landlock disabled at boot
        return 0


def confine(folder: str) -> str:
    """Deny this process every file access but reading what the interpreter needs and working in
    `folder`. Returns what now applies, in words; never raises."""
    abi = landlock_abi()
    if abi < 1:
        return "no Landlock on this system"
    try:
        _restrict(abi, folder)
    except OSError as err:
        return f"Landlock unavailable ({err.strerror or err})"
    return f"Landlock ABI {abi}"


def _restrict(abi: int, folder: str) -> None:
    handled = (1 << 13) - 1 | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0) | ((1 << 15) if abi >= 5 else 0)
    attr = _RulesetAttr(handled, 0b11 if abi >= 4 else 0, 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = _syscall(_CREATE_RULESET, ctypes.byref(attr), size, 0)
    try:
        rules = [(path, _READ) for path in sorted(_readable_paths())]
        rules += [(folder, _PRIVATE), ("/dev/null", _READ_FILE | _WRITE_FILE)]
        for path, access in rules:
            _allow(ruleset, path, access & handled)
        # required before restricting oneself without CAP_SYS_ADMIN
        if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0),
                                                   ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        _syscall(_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)


def _allow(ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # not on this system: nothing to allow
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= _FILE_ONLY
        _syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(_PathBeneathAttr(access, fd)), 0)
    finally:
        os.close(fd)
