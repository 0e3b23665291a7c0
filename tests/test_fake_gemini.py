"""Tests of the FakeGemini test helper, driven by the real google-genai client (no network: the
fake listens on 127.0.0.1)."""

from __future__ import annotations

import threading
import time

import pytest
from google import genai
from google.genai import errors, types

from fake_gemini import FakeGemini, delay, hang, status, text

# google-genai 3.x sends through httpx2 (pydantic's fork of httpx, its own exception classes);
# legacy httpx only with GOOGLE_GENAI_HTTP_CLIENT=httpx, which _clean_env removes.
httpx2 = pytest.importorskip("httpx2")

MODEL = "gemini-2.5-flash"
KEY = "test-key-123"

# Fast retries: the SDK waits min(initial_delay * exp_base**n + jitter*rand, max_delay).
FAST = dict(initial_delay=0.01, max_delay=0.05, exp_base=2.0, jitter=0.0)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """Environment settings that would redirect the SDK (Vertex, another base URL or version,
    a proxy) must not leak into these tests."""
    for var in (
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_API_VERSION",
        "GOOGLE_GENAI_HTTP_CLIENT",
        "GOOGLE_GEMINI_BASE_URL",
        "GOOGLE_VERTEX_BASE_URL",
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def fake():
    with FakeGemini() as f:
        yield f


def make_client(fake: FakeGemini, *, timeout_ms: int | None = None, retry=None, **http) -> genai.Client:
    return genai.Client(
        api_key=KEY,
        http_options=types.HttpOptions(
            base_url=fake.base_url, timeout=timeout_ms, retry_options=retry, **http
        ),
    )


def ask(client: genai.Client, prompt: str, **config):
    cfg = types.GenerateContentConfig(**config) if config else None
    return client.models.generate_content(model=MODEL, contents=prompt, config=cfg)


# ------------------------------------------------------------------------------------ basics
def test_scripted_text_comes_back(fake):
    fake.default(text("hello from the fake"))
    resp = ask(make_client(fake), "Say hello")
    assert isinstance(resp, types.GenerateContentResponse)
    assert resp.text == "hello from the fake"
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP
    um = resp.usage_metadata
    assert um.prompt_token_count >= 1
    assert um.candidates_token_count >= 1
    assert um.total_token_count == um.prompt_token_count + um.candidates_token_count
    assert resp.model_version == MODEL


def test_request_is_recorded(fake):
    fake.default(text("ok"))
    before = time.monotonic()
    ask(
        make_client(fake, timeout_ms=5000),
        "Solve benchmark QUEENS",
        system_instruction="You write ASP.",
        temperature=0.2,
    )
    (rec,) = fake.requests
    assert before <= rec.time <= time.monotonic()
    # google-genai 3.x talks to /v1 by default (v1beta only when asked for).
    assert rec.path == f"/v1/models/{MODEL}:generateContent"
    assert rec.api_version == "v1"
    assert rec.method == "generateContent"
    assert rec.model == MODEL
    assert rec.api_key == KEY
    assert rec.headers["content-type"] == "application/json"
    assert rec.headers["user-agent"].startswith("google-genai-sdk/")
    assert rec.headers["x-server-timeout"] == "5"
    assert rec.prompt == "Solve benchmark QUEENS"
    assert rec.system == "You write ASP."
    assert rec.response_mime_type is None
    assert rec.status == 200
    assert rec.body["contents"] == [{"role": "user", "parts": [{"text": "Solve benchmark QUEENS"}]}]
    assert rec.body["systemInstruction"]["parts"] == [{"text": "You write ASP."}]
    assert rec.body["generationConfig"] == {"temperature": 0.2}


def test_response_mime_type_is_recorded(fake):
    fake.default(text('{"answer": 42}'))
    resp = ask(make_client(fake), "json please", response_mime_type="application/json")
    assert resp.text == '{"answer": 42}'
    assert fake.requests[-1].response_mime_type == "application/json"


def test_v1beta_and_streaming(fake):
    fake.default(text("streamed"))
    client = make_client(fake, api_version="v1beta")
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="stream it"))
    assert "".join(c.text for c in chunks) == "streamed"
    rec = fake.requests[-1]
    assert rec.path == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert rec.method == "streamGenerateContent"


# ---------------------------------------------------------------------------------- scripting
def test_per_key_scripting(fake):
    fake.script("BENCH-A", text("a1"), text("a2"))
    fake.script("BENCH-B", text("b"))
    fake.default(text("other"))
    client = make_client(fake)
    assert ask(client, "do BENCH-A").text == "a1"
    assert ask(client, "do BENCH-B").text == "b"
    assert ask(client, "do BENCH-A").text == "a2"
    assert ask(client, "do BENCH-A").text == "a2"  # the last step repeats
    assert ask(client, "do BENCH-B").text == "b"
    assert ask(client, "something else").text == "other"
    # The key may also sit in the system instruction.
    assert ask(client, "plain prompt", system_instruction="context: BENCH-B").text == "b"
    assert fake.count("BENCH-A") == 3
    assert fake.count("BENCH-B") == 3
    assert fake.count() == 7
    assert [r.key for r in fake.requests] == [
        "BENCH-A", "BENCH-B", "BENCH-A", "BENCH-A", "BENCH-B", None, "BENCH-B"
    ]


def test_unscripted_request_fails_loudly(fake):
    with pytest.raises(errors.ClientError) as ei:
        ask(make_client(fake), "nobody scripted this")
    assert ei.value.code == 404
    assert ei.value.status == "NOT_FOUND"
    assert "no script" in ei.value.message


# ----------------------------------------------------------------------------- errors/retries
@pytest.mark.parametrize(
    ("code", "exc", "rpc"),
    [
        (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
        (500, errors.ServerError, "INTERNAL"),
        (503, errors.ServerError, "UNAVAILABLE"),
    ],
)
def test_error_status_without_retry_options_is_not_retried(fake, code, exc, rpc):
    fake.default(status(code), text("never reached"))
    with pytest.raises(exc) as ei:
        ask(make_client(fake), "x")
    assert ei.value.code == code
    assert ei.value.status == rpc
    assert isinstance(ei.value, errors.APIError)
    # Without HttpOptions.retry_options the SDK makes exactly one attempt.
    assert fake.count("x") == 1
    assert fake.requests[0].status == code


def test_429_then_text_succeeds_with_sdk_retry(fake):
    fake.default(status(429), text("after quota"))
    client = make_client(fake, retry=types.HttpRetryOptions(attempts=3, **FAST))
    assert ask(client, "retry me").text == "after quota"
    assert [r.status for r in fake.requests] == [429, 200]


def test_three_500s_then_text_succeeds_with_four_attempts(fake):
    fake.script("flaky", status(500), status(500), status(500), text("finally"))
    client = make_client(fake, retry=types.HttpRetryOptions(attempts=4, **FAST))
    assert ask(client, "flaky call").text == "finally"
    assert fake.count("flaky") == 4
    assert [r.status for r in fake.requests] == [500, 500, 500, 200]


@pytest.mark.parametrize(("code", "exc"), [(429, errors.ClientError), (500, errors.ServerError)])
def test_retries_exhausted_reraise_the_api_error(fake, code, exc):
    fake.default(status(code))
    client = make_client(fake, retry=types.HttpRetryOptions(attempts=3, **FAST))
    with pytest.raises(exc) as ei:
        ask(client, "always failing")
    assert ei.value.code == code
    assert fake.count() == 3


def test_retry_status_codes_can_be_narrowed(fake):
    fake.default(status(503), text("unreached"))
    client = make_client(
        fake, retry=types.HttpRetryOptions(attempts=3, http_status_codes=[429], **FAST)
    )
    with pytest.raises(errors.ServerError):
        ask(client, "x")
    assert fake.count() == 1


# ---------------------------------------------------------------------------- delays/timeouts
def test_delay_shorter_than_timeout_answers(fake):
    fake.default(delay(0.2, then=text("slow but fine")))
    assert ask(make_client(fake, timeout_ms=3000), "slow").text == "slow but fine"
    assert fake.requests[0].status == 200


def test_delay_longer_than_timeout_raises_httpx2_read_timeout(fake):
    fake.default(delay(2, then=text("too late")))
    client = make_client(fake, timeout_ms=500)  # HttpOptions.timeout is in milliseconds
    with pytest.raises(httpx2.TimeoutException) as ei:
        ask(client, "slow")
    assert type(ei.value) is httpx2.ReadTimeout
    assert fake.count() == 1


def test_timeouts_are_retried_by_sdk_retry_options(fake):
    fake.default(delay(2, then=text("too late")), text("fast"))
    client = make_client(fake, timeout_ms=300, retry=types.HttpRetryOptions(attempts=2, **FAST))
    assert ask(client, "slow then fast").text == "fast"
    assert fake.count() == 2


def test_hang_times_out_and_close_does_not_block():
    fake = FakeGemini()
    fake.default(hang())
    client = make_client(fake, timeout_ms=300)
    with pytest.raises(httpx2.TimeoutException):
        ask(client, "hang")
    assert fake.requests[0].status is None  # never answered
    # Another request is still hanging in a server thread while we close.
    t = threading.Thread(target=lambda: pytest.raises(Exception, ask, client, "hang"), daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while fake.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    closer = threading.Thread(target=fake.close, daemon=True)
    closer.start()
    closer.join(30)
    assert not closer.is_alive(), "close() returns while a request still hangs"
    fake.close()  # idempotent
    t.join(30)
    assert not t.is_alive()


def test_concurrent_requests_are_all_recorded(fake):
    fake.script("K", text("k"))
    client = make_client(fake)
    results: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        r = ask(client, f"K request {i}")
        with lock:
            results.append(r.text)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert results == ["k"] * 8
    assert fake.count("K") == 8
    assert sorted(r.prompt for r in fake.requests) == sorted(f"K request {i}" for i in range(8))
