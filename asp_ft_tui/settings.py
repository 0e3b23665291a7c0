"""Workspace settings: which teacher extracts and how, kept in `asp-ft.yaml` at the workspace root.

The app's Settings screen writes the file; the app and the headless commands (`asp-ft extract`,
`asp-ft convert`) read it as their defaults. What a run uses, strongest first: a command-line
flag, then an environment variable (the model names: ASP_FT_GEMINI_MODEL, ASP_FT_MLX_MODEL), then
the file, then the built-in default. The Gemini API key stays in the environment only
(GEMINI_API_KEY or GOOGLE_API_KEY): it is never a setting and never written here.

No Textual here: the app and the CLI share this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from asp_ft_tui.fsio import atomic_write_text
from asp_ft_tui.oserrors import describe
from asp_ft_tui.teachers import API_KEY_VARIABLES, TEACHERS, TeacherError, default_teacher
from asp_ft_tui.workspace import WorkspaceError

FILE_NAME = "asp-ft.yaml"
ENVIRONMENT = {"gemini_model": "ASP_FT_GEMINI_MODEL", "mlx_model": "ASP_FT_MLX_MODEL"}
RANGES = {"repair_rounds": (0, 10), "concurrency": (1, 64)}
HEADER = ("# asp-ft workspace settings, written by the app's Settings screen (it may be edited by hand).\n"
          "# Environment variables override the model names; command-line flags override everything.\n")


class SettingsError(WorkspaceError):
    """A workspace's settings file cannot be used; the message names the file and the value."""


@dataclass(frozen=True)
class WorkspaceSettings:
    teacher: str | None = None
    """structural, gemini or mlx; None: gemini when an API key is set, else structural."""
    gemini_model: str | None = None
    """None: the Gemini teacher's default model."""
    mlx_model: str | None = None
    """An mlx-lm model folder (the mlx teacher has no default)."""
    all_tones: bool = False
    """Every description in all five tones, rather than one tone picked per benchmark."""
    repair_rounds: int = 3
    concurrency: int | None = None
    """Benchmarks extracted at once; None: the teacher's default."""


def settings_path(root: Path) -> Path:
    return Path(root) / FILE_NAME


def parse(data: object) -> tuple[WorkspaceSettings, list[str]]:
    """Settings from the file's mapping; every bad value is named in a problem and left at its
    default, so one typo never costs the other settings."""
    if data is None:
        return WorkspaceSettings(), []
    if not isinstance(data, dict):
        return WorkspaceSettings(), [f"expected `name: value` lines, found {type(data).__name__}"]
    problems, values = [], {}
    known = {f.name for f in fields(WorkspaceSettings)}
    for name, value in data.items():
        if name not in known:
            problems.append(f"unknown setting {name!r} (known: {', '.join(sorted(known))})")
            continue
        problem = check(name, value)
        if problem:
            problems.append(f"{name}: {problem}; using the default")
        else:
            values[name] = value
    return WorkspaceSettings(**values), problems


def check(name: str, value: object) -> str | None:
    """Why `value` cannot be setting `name`, or None when it can."""
    if value is None:
        return None if name not in ("all_tones", "repair_rounds") else "a value is required"
    if name == "teacher":
        return None if value in TEACHERS else f"{value!r} is not one of {', '.join(TEACHERS)}"
    if name in ("gemini_model", "mlx_model"):
        return None if isinstance(value, str) and value.strip() else f"{value!r} is not a name"
    if name == "all_tones":
        return None if isinstance(value, bool) else f"{value!r} is not true or false"
    low, high = RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"{value!r} is not a whole number from {low} to {high}"
    return None


def load_settings(root: Path) -> tuple[WorkspaceSettings, list[str]]:
    """The workspace's settings and what is wrong with its file (each problem names the file)."""
    path = settings_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return WorkspaceSettings(), []
    except (OSError, UnicodeDecodeError) as err:
        reason = describe(err) if isinstance(err, OSError) else "it is not UTF-8 text"
        return WorkspaceSettings(), [f"{path}: cannot be read ({reason}); using the defaults"]
    import yaml  # only when there is a settings file: the app's launch does without it

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return WorkspaceSettings(), [f"{path}: not valid YAML{where}; using the defaults"]
    settings, problems = parse(data)
    return settings, [f"{path}: {problem}" for problem in problems]


def load_strict(root: Path) -> WorkspaceSettings:
    """For the headless commands: a bad file stops the run rather than spend with other settings."""
    settings, problems = load_settings(root)
    if problems:
        raise SettingsError("; ".join(problems) + " (fix the file, or change the value in the app's Settings)")
    return settings


def save_settings(root: Path, settings: WorkspaceSettings) -> Path:
    """Write the file durably (a crash leaves the old file or the new one)."""
    for f in fields(settings):
        problem = check(f.name, getattr(settings, f.name))
        if problem:
            raise SettingsError(f"{f.name}: {problem}")
    data = {f.name: getattr(settings, f.name) for f in fields(settings)
            if getattr(settings, f.name) is not None}
    path = settings_path(root)
    import yaml

    atomic_write_text(path, HEADER + yaml.safe_dump(data, sort_keys=False))
    return path


def environment_override(name: str) -> tuple[str, str] | None:
    """(variable, value) when the environment overrides setting `name`."""
    variable = ENVIRONMENT.get(name)
    return (variable, os.environ[variable]) if variable and os.environ.get(variable) else None


def api_key_status() -> str:
    """Which variable holds the Gemini API key, never the key itself."""
    variable = next((v for v in API_KEY_VARIABLES if os.environ.get(v)), None)
    return f"set ({variable})" if variable else "not set"


@dataclass(frozen=True)
class Run:
    """What one extraction run uses, every source weighed."""

    teacher: str
    model: str | None
    all_tones: bool
    repair_rounds: int
    concurrency: int | None


def resolve(settings: WorkspaceSettings, *, teacher: str | None = None, model: str | None = None,
            all_tones: bool | None = None, repair_rounds: int | None = None, concurrency: int | None = None) -> Run:
    """The run's choices: the keyword arguments (command-line flags) win, then the environment,
    then the settings, then the defaults."""
    name = teacher or settings.teacher or default_teacher()
    setting = f"{name}_model"
    override = environment_override(setting)
    chosen = model or (override[1] if override else None) or getattr(settings, setting, None)
    return Run(name, chosen if name != "structural" else None,
               settings.all_tones if all_tones is None else all_tones,
               settings.repair_rounds if repair_rounds is None else repair_rounds,
               concurrency or settings.concurrency)


def for_command(workspace, args) -> Run:
    """A headless command's run: its flags over the workspace's settings (none without one)."""
    settings = load_strict(workspace.root) if workspace is not None else WorkspaceSettings()
    run = resolve(settings, teacher=args.teacher, model=args.model, all_tones=args.all_tones,
                  repair_rounds=getattr(args, "rounds", None), concurrency=args.concurrency)
    if run.teacher == "mlx" and not run.model:
        raise TeacherError(f"the mlx teacher needs an mlx-lm model folder: --model DIR, {ENVIRONMENT['mlx_model']}, "
                           f"or mlx_model in {FILE_NAME} (the app's Settings)")
    return run


__all__ = ["FILE_NAME", "Run", "SettingsError", "WorkspaceSettings", "api_key_status", "check", "environment_override",
           "for_command", "load_settings", "load_strict", "parse", "resolve", "save_settings",
           "settings_path"]
