"""A tiny, randomly initialised Qwen2 model built locally, for tests and offline demos.

Nothing is downloaded. `make_tiny_model(directory)` writes a folder that `mlx_lm.load` opens like
any converted Hugging Face checkpoint:

- `tokenizer.json` + `tokenizer_config.json`: a byte-level BPE tokenizer trained here with the
  `tokenizers` library on a small corpus (by default the bundled benchmark NL.txt / ASP.txt
  files, the bundled prompt files, and a few built-in English and ASP sentences so the corpus is
  never empty). The ChatML special tokens `<|endoftext|>` (pad), `<|im_start|>` and `<|im_end|>`
  (eos) take ids 0, 1 and 2, and the config carries a ChatML Jinja `chat_template`.
  The BPE is trained with exactly the pipeline that transformers 5 rebuilds for a
  `Qwen2Tokenizer` when it loads one (an NFC normalizer, the Qwen2 split regex, then ByteLevel
  without a prefix space), because transformers keeps only the vocab and merges from
  tokenizer.json and replaces the rest: a tokenizer trained with any other pipeline would load
  without complaint and then silently tokenize differently from the one that was trained.
- `config.json`: a Qwen2 config (hidden 128, 2 layers, 4 query / 2 key-value heads, MLP 256,
  tied embeddings) whose `vocab_size` is the tokenizer's.
- `model.safetensors` (+ `model.safetensors.index.json`): the parameters of mlx_lm's own qwen2
  `Model` class, instantiated from that config after `mx.random.seed(seed)` and saved with
  `mlx_lm.utils.save_model`, so the weight names are exactly the ones `mlx_lm.load` expects.

The same seed and corpus give byte-identical files. A build takes a second or two on two CPU
cores. mlx, mlx_lm and tokenizers are imported inside the function only, so importing this
module stays cheap.

Such a model generates gibberish, and LoRA on a random base plateaus quickly: the adapters only
have a low-rank update of frozen random weights to work with. A short full fine-tune of the tiny
base before LoRA is planned (a later issue); this module only builds the base.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (ENDOFTEXT, IM_START, IM_END)

# The split regex of transformers' Qwen2Tokenizer (models/qwen2/tokenization_qwen2.py).
QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
    r"""\s*[\r\n]+|\s+(?!\S)|\s+"""
)

CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + (message['content'] or '')"
    " + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)

MODEL_MAX_LENGTH = 4096

BUILTIN_SENTENCES = (
    "Write an answer set program that solves the following problem.",
    "You are a helpful assistant that writes clingo programs in Answer Set Programming.",
    "Each node must be assigned exactly one color, and adjacent nodes get different colors.",
    "The quick brown fox jumps over the lazy dog.",
    "It is a café – “quoted” text, naïve résumé.",
    "% Graph coloring\nnode(1..4).\nedge(1,2). edge(2,3). edge(3,4).\ncolor(red;green;blue).\n",
    "{ assign(N,C) : color(C) } = 1 :- node(N).\n:- edge(X,Y), assign(X,C), assign(Y,C).\n",
    "#show assign/2.\n#const n=8.\n#minimize { W,X : cost(X,W) }.\n",
    "queen(1..n, 1..n). :- queen(R,C1), queen(R,C2), C1 != C2. not reached(X) :- node(X).",
)


def _config(vocab_size: int) -> dict:
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "hidden_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "intermediate_size": 256,
        "hidden_act": "silu",
        "vocab_size": vocab_size,
        "max_position_embeddings": MODEL_MAX_LENGTH,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0,
        "rope_traditional": False,
        "tie_word_embeddings": True,
        "bos_token_id": SPECIAL_TOKENS.index(ENDOFTEXT),
        "eos_token_id": SPECIAL_TOKENS.index(IM_END),
        "pad_token_id": SPECIAL_TOKENS.index(ENDOFTEXT),
        "torch_dtype": "float32",
        "use_sliding_window": False,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
    }


def _tokenizer_config() -> dict:
    added = {
        str(i): {
            "content": token,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for i, token in enumerate(SPECIAL_TOKENS)
    }
    return {
        "tokenizer_class": "Qwen2Tokenizer",
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": [IM_START, IM_END],
        "bos_token": None,
        "eos_token": IM_END,
        "pad_token": ENDOFTEXT,
        "unk_token": None,
        "chat_template": CHATML_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "errors": "replace",
        "model_max_length": MODEL_MAX_LENGTH,
        "split_special_tokens": False,
    }


def default_corpus() -> Iterator[str]:
    """The bundled benchmark texts, the prompt files, then the built-in sentences: a fixed order."""
    from asp_ft_tui import paths

    benchmarks = paths.bundled_benchmarks()
    if benchmarks.is_dir():
        files = [p for p in benchmarks.rglob("*.txt") if p.name in ("NL.txt", "ASP.txt")]
        for path in sorted(files, key=lambda p: p.relative_to(benchmarks).as_posix()):
            yield path.read_text(encoding="utf-8", errors="replace")
    prompts = paths.bundled_prompts()
    if prompts.is_dir():
        files = [p for p in prompts.rglob("*") if p.is_file() and not p.name.startswith(".")]
        for path in sorted(files, key=lambda p: p.relative_to(prompts).as_posix()):
            try:
                yield path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
    yield from BUILTIN_SENTENCES


def train_tokenizer(corpus: Iterable[str], vocab_size: int = 1024):
    """A `tokenizers.Tokenizer`: byte-level BPE with the Qwen2 pipeline and the ChatML tokens."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import BPE
    from tokenizers.trainers import BpeTrainer

    tokenizer = Tokenizer(BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        show_progress=False,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    texts = [text for text in corpus if text] or list(BUILTIN_SENTENCES)
    tokenizer.train_from_iterator(texts, trainer=trainer, length=len(texts))
    return tokenizer


def make_tiny_model(
    directory: Path,
    *,
    seed: int = 0,
    corpus: Iterable[str] | None = None,
    vocab_size: int = 1024,
) -> Path:
    """Build a tiny random Qwen2 model + trained tokenizer in `directory`; return `directory`.

    `corpus` is the tokenizer's training text (default: `default_corpus()`); `vocab_size` is an
    upper bound (a small corpus may yield fewer tokens) and the config gets the real size.
    """
    import mlx.core as mx
    from mlx_lm.models import qwen2
    from mlx_lm.utils import save_config, save_model

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    tokenizer = train_tokenizer(default_corpus() if corpus is None else corpus, vocab_size)
    for i, token in enumerate(SPECIAL_TOKENS):
        if tokenizer.token_to_id(token) != i:  # pragma: no cover - guards the layout above
            raise RuntimeError(f"special token {token!r} is not at id {i}")
    tokenizer.save(str(directory / "tokenizer.json"), pretty=True)
    (directory / "tokenizer_config.json").write_text(
        json.dumps(_tokenizer_config(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )

    config = _config(tokenizer.get_vocab_size(with_added_tokens=True))
    mx.random.seed(seed)
    model = qwen2.Model(qwen2.ModelArgs.from_dict(config))
    mx.eval(model.parameters())
    save_model(directory, model)
    save_config(dict(config), directory / "config.json")
    (directory / "generation_config.json").write_text(
        json.dumps(
            {
                "bos_token_id": config["bos_token_id"],
                "eos_token_id": config["eos_token_id"],
                "pad_token_id": config["pad_token_id"],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return directory
