"""Teachers: gemini (google-genai), mlx (a local mlx-lm model) and structural (offline).

`make_teacher` imports a teacher's heavy dependencies only when that teacher is asked for.
"""

from __future__ import annotations

import os

from asp_ft_tui.teachers.base import Estimate, Extraction, Teacher, TeacherError

TEACHERS = ("structural", "gemini", "mlx")
API_KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")


def api_key_from_env() -> str | None:
    return next((os.environ[v] for v in API_KEY_VARIABLES if os.environ.get(v)), None)


def default_teacher() -> str:
    """gemini when an API key is set, else the offline structural teacher."""
    return "gemini" if api_key_from_env() else "structural"


def make_teacher(name: str, *, engine, model: str | None = None, **options) -> Teacher:
    if name == "structural":
        from asp_ft_tui.teachers.structural import StructuralTeacher

        return StructuralTeacher(engine)
    if name == "gemini":
        from asp_ft_tui.teachers.gemini import GeminiTeacher

        return GeminiTeacher(model=model, **options)
    if name == "mlx":
        from asp_ft_tui.teachers.mlx_teacher import MLXTeacher

        if not model:
            # Worded for every front end: each says where its own model setting lives.
            raise TeacherError("the mlx teacher needs an mlx-lm model folder")
        return MLXTeacher(model, **{k: v for k, v in options.items() if k in ("max_tokens", "seed")})
    raise TeacherError(f"unknown teacher {name!r}; expected one of {', '.join(TEACHERS)}")


__all__ = ["TEACHERS", "Estimate", "Extraction", "Teacher", "TeacherError", "api_key_from_env", "default_teacher",
           "make_teacher"]
