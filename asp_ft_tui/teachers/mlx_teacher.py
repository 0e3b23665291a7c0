"""The MLX teacher: any local mlx-lm model folder (e.g. an MLX build of Qwen2.5-7B-Instruct),
driven by the same prompt files as the Gemini teacher. The model is loaded once per run, on the
first request; generation is greedy, so a run is repeatable.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from asp_ft_tui.teachers.base import LanguageModelTeacher, TeacherError

log = logging.getLogger(__name__)


class MLXTeacher(LanguageModelTeacher):
    name = "mlx"

    def __init__(self, model_dir: str | Path, *, max_tokens: int = 2048, seed: int = 0) -> None:
        path = Path(model_dir).expanduser()
        if not (path / "config.json").is_file():
            raise TeacherError(f"{path} is not an mlx-lm model folder (it has no config.json)")
        self.model = str(path)
        self.max_tokens = max_tokens
        self.seed = seed
        self._loaded = None
        self._lock = threading.Lock()
        self.loads = 0

    def _model(self):
        if self._loaded is None:
            from mlx_lm import load

            started = time.monotonic()
            try:
                self._loaded = load(self.model)
            except Exception as err:
                raise TeacherError(f"cannot load the mlx model at {self.model}: {err}") from None
            self.loads += 1
            log.info("loaded %s in %.1f s", self.model, time.monotonic() - started)
        return self._loaded

    def complete(self, prompt: str) -> str:
        with self._lock:  # one generation at a time on one model
            model, tokenizer = self._model()
            import mlx.core as mx
            from mlx_lm import generate
            from mlx_lm.sample_utils import make_sampler

            chat = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                 add_generation_prompt=True)
            mx.random.seed(self.seed)
            return generate(model, tokenizer, prompt=chat, max_tokens=self.max_tokens, sampler=make_sampler(temp=0.0))

    def close(self) -> None:
        self._loaded = None
