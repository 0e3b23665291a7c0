"""The tiny offline Qwen2 model: loads with mlx_lm, tokenizes as trained, generates, repeats."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from asp_ft_tui.training.tiny_model import IM_END, SPECIAL_TOKENS, make_tiny_model

SAMPLES = [
    "node(1..4).\n:- edge(X,Y), assign(X,C), assign(Y,C).\n#show assign/2.",
    "{ pick(I) : item(I) } <= 3.\n#minimize { W,I : pick(I), weight(I,W) }.",
    "Write an answer set program: each node gets exactly one colour.",
    "It's   spaced\n\n\tout  ",
    "café – “x”",
    "e\u0301 (decomposed) and 日本語 ＡＢＣ１２３",
    "<|im_start|>user\nhi<|im_end|>",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="module")
def loaded(built):
    import mlx_lm

    return mlx_lm.load(str(built))


def test_importing_the_module_stays_light():
    code = (
        "import sys, asp_ft_tui.training.tiny_model\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('mlx', 'mlx_lm', 'tokenizers', 'transformers'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_config_matches_the_tokenizer(built):
    config = json.loads((built / "config.json").read_text())
    tokenizer = json.loads((built / "tokenizer.json").read_text())
    assert config["model_type"] == "qwen2"
    assert config["hidden_size"] == 128 and config["num_hidden_layers"] == 2
    assert config["num_attention_heads"] == 4 and config["num_key_value_heads"] == 2
    assert config["tie_word_embeddings"] is True
    assert config["max_position_embeddings"] >= 4096
    assert config["vocab_size"] == len(tokenizer["model"]["vocab"]) == 1024
    assert [t["content"] for t in tokenizer["added_tokens"]] == list(SPECIAL_TOKENS)
    assert config["eos_token_id"] == SPECIAL_TOKENS.index(IM_END)
    assert (built / "model.safetensors").is_file()


def test_the_chat_template_renders_chatml(loaded):
    _, tokenizer = loaded
    messages = [
        {"role": "system", "content": "You write ASP."},
        {"role": "user", "content": "Colour a graph."},
        {"role": "assistant", "content": "node(1..3)."},
        {"role": "user", "content": "Again."},
    ]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nYou write ASP.<|im_end|>\n"
        "<|im_start|>user\nColour a graph.<|im_end|>\n"
        "<|im_start|>assistant\nnode(1..3).<|im_end|>\n"
        "<|im_start|>user\nAgain.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    without = tokenizer.apply_chat_template(messages[:2], tokenize=False)
    assert without.endswith("Colour a graph.<|im_end|>\n")
    ids = tokenizer.apply_chat_template(messages[:2], add_generation_prompt=True)
    assert ids[0] == SPECIAL_TOKENS.index("<|im_start|>")
    assert tokenizer.eos_token == IM_END
    assert tokenizer.pad_token == "<|endoftext|>"
    assert tokenizer.eos_token_ids == {SPECIAL_TOKENS.index(IM_END)}


def test_the_loaded_tokenizer_tokenizes_like_the_trained_one(built, loaded):
    from tokenizers import Tokenizer

    trained = Tokenizer.from_file(str(built / "tokenizer.json"))
    _, tokenizer = loaded
    for text in SAMPLES:
        ids = trained.encode(text).ids
        assert tokenizer.encode(text, add_special_tokens=False) == ids, text
        assert tokenizer.encode(text) == ids, text
    # Special tokens stay whole, and text round-trips (NFC-normalised).
    assert trained.encode("<|im_start|>user").ids[0] == 1
    assert tokenizer.decode(tokenizer.encode("café – “x”")) == "café – “x”"


def test_generate_returns_text(loaded):
    import mlx_lm

    model, tokenizer = loaded
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Colour the graph."}], add_generation_prompt=True
    )
    out = mlx_lm.generate(model, tokenizer, prompt=prompt, max_tokens=8)
    assert isinstance(out, str)
    assert isinstance(mlx_lm.generate(model, tokenizer, prompt="node(1).", max_tokens=8), str)


def test_the_build_is_deterministic(built, tmp_path):
    again = make_tiny_model(tmp_path / "again", seed=0)
    names = sorted(p.name for p in built.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (built / name).read_bytes() == (again / name).read_bytes(), name

    other = make_tiny_model(tmp_path / "other", seed=1)
    assert (other / "tokenizer.json").read_bytes() == (built / "tokenizer.json").read_bytes()
    assert (other / "model.safetensors").read_bytes() != (built / "model.safetensors").read_bytes()


def test_a_small_custom_corpus_sets_a_smaller_vocab(tmp_path):
    import mlx_lm

    directory = make_tiny_model(tmp_path / "small", corpus=["a(1). a(2). b(X) :- a(X)."] * 3)
    config = json.loads((directory / "config.json").read_text())
    assert 259 <= config["vocab_size"] < 1024
    model, tokenizer = mlx_lm.load(str(directory))
    assert len(tokenizer.get_vocab()) == config["vocab_size"]
    assert isinstance(mlx_lm.generate(model, tokenizer, prompt="a(1).", max_tokens=4), str)
