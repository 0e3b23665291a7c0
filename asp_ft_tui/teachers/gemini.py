"""The Gemini teacher, through Google's google-genai SDK (google-generativeai is end-of-life).

The API key comes from GEMINI_API_KEY or GOOGLE_API_KEY and is handed to the SDK only; a key
passed in is added to the one redactor, so an error that echoes it is cut before any output.
JSON output is requested; the SDK's own retry options retry 408, 429 and 5xx answers and
timeouts with exponential backoff; a client-side rate limit spaces requests; the extraction run
bounds how many benchmarks are in flight.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Callable

from asp_ft_tui.redaction import add_secret
from asp_ft_tui.teachers import api_key_from_env
from asp_ft_tui.teachers.base import LanguageModelTeacher, TeacherError
from asp_ft_tui.teachers.ratelimit import RateLimiter

log = logging.getLogger(__name__)
DEFAULT_MODEL = "gemini-2.5-flash"
BASE_URL_VARIABLE = "ASP_FT_GEMINI_BASE_URL"
RETRY_STATUS = [408, 429, 500, 502, 503, 504]


class GeminiTeacher(LanguageModelTeacher):
    name = "gemini"

    def __init__(
        self,
        model: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        rpm: float = 10.0,
        timeout_s: float = 120.0,
        attempts: int = 5,
        initial_delay: float = 2.0,
        max_delay: float = 60.0,
        temperature: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        seed: int = 0,
    ) -> None:
        key = api_key or api_key_from_env()
        if not key:
            raise TeacherError("the gemini teacher needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY)")
        add_secret(key)
        from google import genai
        from google.genai import types

        self._types = types
        self.model = model or DEFAULT_MODEL
        self.temperature = temperature
        self.limiter = RateLimiter(rpm, clock, sleep)
        options = types.HttpOptions(
            base_url=base_url or os.environ.get(BASE_URL_VARIABLE) or None,
            timeout=int(timeout_s * 1000),
            retry_options=types.HttpRetryOptions(
                attempts=attempts, initial_delay=initial_delay, max_delay=max_delay, http_status_codes=RETRY_STATUS,
            ),
        )
        self._client = genai.Client(api_key=key, http_options=options)

    def complete(self, prompt: str) -> str:
        from google.genai import errors

        self.limiter.acquire()
        config = self._types.GenerateContentConfig(response_mime_type="application/json", temperature=self.temperature)
        started = time.monotonic()
        try:
            response = self._client.models.generate_content(model=self.model, contents=prompt, config=config)
        except errors.APIError as err:
            raise TeacherError(f"Gemini answered {err.code} {err.status or ''}: {err.message or ''}".strip()) from None
        except Exception as err:  # timeouts and connection errors (httpx2), after the SDK's retries
            raise TeacherError(f"Gemini request failed: {type(err).__name__}: {err}") from None
        usage = response.usage_metadata
        log.info("gemini %s answered in %.1f s (%s prompt tokens)", self.model, time.monotonic() - started,
                 getattr(usage, "prompt_token_count", "?"))
        return response.text or ""

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:
            pass
