"""Pieces of the teachers: answer parsing, prompt files, structure files, tones, rate limit."""

from __future__ import annotations

import json

import pytest

from asp_ft_tui.domain.structure import Structure, StructureError
from asp_ft_tui.domain.tones import TONES, pick_tone, template_tone
from asp_ft_tui.prompts import PLACEHOLDERS, PromptError, load_prompts
from asp_ft_tui.teachers.parsing import AnswerError, parse_json_answer
from asp_ft_tui.teachers.ratelimit import RateLimiter

OBJ = {"instance_template": "a.", "generator": "{b}."}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(OBJ),
        "```json\n" + json.dumps(OBJ) + "\n```",
        "Here you go:\n```\n" + json.dumps(OBJ, indent=2) + "\n```\nHope it helps!",
        json.dumps([OBJ]),
        "Sure! " + json.dumps(OBJ) + " That is all.",
        "[\n" + json.dumps(OBJ) + "\n, {\"x\": 1}]",
    ],
)
def test_json_answers_are_read_however_wrapped(text):
    assert parse_json_answer(text) == OBJ


@pytest.mark.parametrize("text", ["", "   ", "no json here", "```json\n{broken\n```", "[1, 2, 3]"])
def test_answers_without_an_object_are_errors(text):
    with pytest.raises(AnswerError):
        parse_json_answer(text)


def test_bundled_prompts_load_and_render():
    prompts = load_prompts()
    assert set(prompts.texts) == set(PLACEHOLDERS)
    text = prompts.render("repair", component="hard/0", description="d", context="c", code="a :- b", error="E1")
    assert "E1" in text and "a :- b" in text and "$" not in text.replace("$$", "")
    assert len(prompts.hashes()) == len(PLACEHOLDERS)


def test_workspace_prompt_overrides_one_file(tmp_path):
    (tmp_path / "repair.txt").write_text("Fix $component ($description) in $context: $code -- $error\n")
    prompts = load_prompts(tmp_path)
    assert prompts.sources["repair"] == tmp_path / "repair.txt"
    assert prompts.sources["extract"].parent != tmp_path
    assert prompts.render("repair", component="x", description="d", context="c", code="k", error="e").startswith("Fix x")


@pytest.mark.parametrize(
    "content, message",
    [
        ("Fix $component in $context: $code -- $error\n", "missing placeholder $description"),
        ("Fix $component $description $context $code $error $severity\n", "unknown placeholder $severity"),
        ("Fix $component $description $context $code $error costs 5 $ each\n", "lone '$'"),
    ],
)
def test_bad_placeholders_name_the_file(tmp_path, content, message):
    (tmp_path / "repair.txt").write_text(content)
    with pytest.raises(PromptError) as err:
        load_prompts(tmp_path)
    assert message in str(err.value) and "repair.txt" in str(err.value)


def test_foreign_structure_fields_survive_and_bad_shapes_are_named():
    foreign = {"instance_template": ["a.", "b."], "generator": "{c}.", "hard_constraints": [":- c."],
               "soft_constraints": [], "global_objective": "", "author": "other-pipeline"}
    structure = Structure.from_dict(foreign)
    assert structure.instance_template == "a.\nb." and structure.hard_constraints[0].asp_rule == ":- c."
    assert structure.to_dict()["author"] == "other-pipeline" and "show" not in structure.to_dict()
    with pytest.raises(StructureError, match="hard_constraints"):
        Structure.from_dict({"hard_constraints": "oops"})
    with pytest.raises(StructureError, match="generator"):
        Structure.from_dict({"generator": 7})


def test_components_and_their_context():
    structure = Structure.from_dict({
        "instance_template": "n(1..3).", "generator": "{ p(X) : n(X) }.",
        "hard_constraints": [{"description": "d", "asp_rule": ":- p(1), p(2)."}],
        "soft_constraints": [{"description": "s", "asp_rule": 'penalty("p",X,1) :- p(X).'}],
        "global_objective": "#minimize { W,N,T : penalty(N,T,W) }.",
    })
    assert [slot for slot, _ in structure.components()] == ["instance", "generator", "hard/0", "soft/0", "objective"]
    assert structure.context_for("instance") == ""
    assert structure.context_for("generator") == "n(1..3)."
    assert structure.context_for("hard/0") == "n(1..3).\n{ p(X) : n(X) }."
    assert 'penalty("p"' in structure.context_for("objective")
    assert structure.with_code("hard/0", ":- p(3).").hard_constraints[0].asp_rule == ":- p(3)."


def test_tone_choice_is_seeded_and_spread():
    assert pick_tone(1, "a/b") == pick_tone(1, "a/b")
    assert {pick_tone(0, f"bench_{i}") for i in range(60)} == set(TONES)
    assert any(pick_tone(0, f"b{i}") != pick_tone(1, f"b{i}") for i in range(10))


def test_template_tones_differ_and_keep_the_sentence():
    base = "Every vertex gets exactly one colour"
    variants = {tone: template_tone(base, tone) for tone in TONES}
    assert len(set(variants.values())) == 5
    assert all("colour" in text for text in variants.values())
    with pytest.raises(ValueError):
        template_tone(base, "Poetic")


def test_rate_limiter_spaces_requests_on_an_injected_clock():
    now = [100.0]
    limiter = RateLimiter(30, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    starts = []
    for _ in range(4):
        limiter.acquire()
        starts.append(now[0])
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:])] == [2.0, 2.0, 2.0]


def test_dollar_escape_in_placeholder_free_prompts(tmp_path):
    (tmp_path / "task_repair.txt").write_text("Fix it. Budget: $$5.\n")
    assert load_prompts(tmp_path).text("task_repair") == "Fix it. Budget: $5."


def test_secrets_are_redacted_from_tracebacks_too(user_home):
    import logging

    from asp_ft_tui.logs import add_secret, setup_logging

    path = setup_logging()
    add_secret("AIza-SECRET-42")
    try:
        raise RuntimeError("request failed with key=AIza-SECRET-42")
    except RuntimeError:
        logging.getLogger("asp_ft_tui.test").exception("boom AIza-SECRET-42")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "boom [redacted]" in text and "key=[redacted]" in text and "AIza-SECRET-42" not in text
