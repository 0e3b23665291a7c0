"""Import a llama.cpp / Ollama GGUF file as an mlx-lm model folder.

`import_gguf(file, out_dir)` reads the file with mlx's own GGUF reader (`mx.load(...,
return_metadata=True)`) and writes what `mlx_lm.load` opens: `config.json`, `model.safetensors`
(+ index) saved by mlx-lm's own `save_model`/`save_config`, and `tokenizer.json` +
`tokenizer_config.json` rebuilt from the GGUF tokenizer metadata, chat template included.

What mlx's reader gives, and why the code below is shaped by it:
- Q4_0, Q4_1 and Q8_0 tensors come back already in mlx's affine quantization with group size
  32: `name.weight` (packed uint32), `name.scales`, `name.biases`. They stay quantized; the
  config names every layer whose bits differ from the most common ones (llama.cpp often keeps
  the embedding at 8 bits in a 4-bit file). Some K-quants (Q2_K, Q4_K, Q6_K) come back
  dequantized to float16; Q5_*, IQ* and the like make mlx fail, and a tensor of a type mlx does
  not know is silently left out, which shows here as a missing weight.
- llama.cpp's converter permutes the rows of q_proj and k_proj of llama models (its rope kernel
  pairs neighbouring dimensions, Hugging Face's pairs the two halves); the permutation is undone
  here on whole rows, so packed weights, scales and biases all undo it the same way. Qwen2 uses
  the NeoX rope in llama.cpp and is stored unpermuted.
- The tokenizer exists only as metadata (tokens, merges, token types, ids, pre-tokenizer name):
  a `tokenizers` byte-level BPE is rebuilt with the split that llama.cpp applies for that
  pre-tokenizer name. `tokenizer_class` is the generic fast tokenizer so transformers loads the
  pipeline as written; for qwen2 models transformers 5 rebuilds the Qwen2 pipeline anyway (see
  tiny_model.py), so they must carry llama.cpp's "qwen2" pre-tokenizer, which is that pipeline.

The folder is staged beside the target and renamed into place at the end, so a failed import
leaves nothing half-written. mlx, mlx_lm and tokenizers are imported inside functions only.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import shutil
from collections import Counter
from pathlib import Path

from asp_ft_tui.training.tiny_model import QWEN2_PRETOKENIZE_REGEX

ARCHITECTURES = ("llama", "qwen2")
GROUP_SIZE = 32  # the block size of every GGUF type mlx keeps quantized

# llama.cpp token types (llama.h: LLAMA_TOKEN_TYPE_*).
_CONTROL, _USER_DEFINED = 3, 4

# How llama.cpp splits text per `tokenizer.ggml.pre` (src/llama-vocab.cpp), as Hugging Face
# `tokenizers` pre-tokenizers: GPT-2's ByteLevel regex, single digits first and then that regex
# (SmolLM, StarCoder), or a split regex of the model's own before a regex-free ByteLevel.
_GPT2 = "gpt2"
_DIGITS = "digits"
_PRE_TOKENIZERS = {
    "gpt-2": _GPT2,
    "smollm": _DIGITS,
    "starcoder": _DIGITS,
    "refact": _DIGITS,
    "codeshell": _DIGITS,
    "qwen2": QWEN2_PRETOKENIZE_REGEX,
    "llama-bpe": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
}

# GGUF tensor name -> mlx-lm parameter path (without the .weight/.bias/.scales/.biases suffix).
_TOP_LEVEL = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
_IN_BLOCK = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_SUFFIXES = ("weight", "bias", "scales", "biases")


class GGUFError(Exception):
    """The GGUF file cannot be imported; the message says why."""


def import_gguf(gguf_file: Path, out_dir: Path, *, dequantize: bool = False) -> Path:
    """Convert `gguf_file` into an mlx-lm model folder at `out_dir`; return `out_dir`.

    `dequantize` writes float32 weights: on a CPU, mlx's quantized matrix products are far
    slower than float32 ones through BLAS (about 25x measured here), so training there wants them.
    """
    gguf_file, out_dir = Path(gguf_file), Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise GGUFError(f"{out_dir} exists and is not an empty folder")
    tensors, metadata = _read(gguf_file)
    arch = _text(metadata, "general.architecture")
    if arch not in ARCHITECTURES:
        raise GGUFError(
            f"{gguf_file.name}: architecture {arch!r} is not supported (supported: "
            f"{', '.join(ARCHITECTURES)})"
        )
    tokenizer, tokenizer_config, special_ids = _tokenizer(gguf_file.name, arch, metadata)
    config = _config(arch, metadata, tensors, special_ids)
    weights = _weights(arch, tensors, config)

    # A name of our own beside the target (same file system, so the final rename is atomic);
    # mkdir, unlike mkdtemp, gives the folder the user's usual permissions.
    staging = out_dir.parent / f".{out_dir.name}.{os.getpid()}.{secrets.token_hex(4)}.importing"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as exc:
        raise GGUFError(f"cannot write {out_dir}: {exc.strerror or exc}") from exc
    try:
        _save(staging, arch, config, weights, dequantize)
        tokenizer.save(str(staging / "tokenizer.json"))
        _write_json(staging / "tokenizer_config.json", tokenizer_config)
        _write_json(
            staging / "generation_config.json",
            {k: v for k, v in special_ids.items() if v is not None},
        )
        os.replace(staging, out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise GGUFError(f"cannot write {out_dir}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _read(gguf_file: Path):
    import mlx.core as mx

    try:
        with gguf_file.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise GGUFError(f"cannot read {gguf_file}: {exc.strerror or exc}") from exc
    if magic != b"GGUF":
        raise GGUFError(f"{gguf_file} is not a GGUF file")
    try:
        return mx.load(str(gguf_file), format="gguf", return_metadata=True)
    except (RuntimeError, ValueError) as exc:
        raise GGUFError(
            f"{gguf_file.name}: mlx cannot read its tensors ({exc}); supported tensor types are "
            "F32, F16, Q8_0, Q4_0 and Q4_1"
        ) from exc


def _value(metadata: dict, key: str, default=None):
    value = metadata.get(key, default)
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _text(metadata: dict, key: str) -> str | None:
    value = metadata.get(key)
    return value if isinstance(value, str) else None


def _config(arch: str, metadata: dict, tensors: dict, special_ids: dict) -> dict:
    def need(key: str):
        value = _value(metadata, f"{arch}.{key}")
        if value is None:
            raise GGUFError(f"the GGUF metadata lacks {arch}.{key}")
        return value

    heads = need("attention.head_count")
    hidden = need("embedding_length")
    head_dim = _value(metadata, f"{arch}.attention.key_length", hidden // heads)
    rope_dims = _value(metadata, f"{arch}.rope.dimension_count", head_dim)
    if rope_dims != head_dim:
        raise GGUFError(f"partial rotary embeddings ({rope_dims} of {head_dim}) are not supported")
    if "token_embd.weight" not in tensors:
        raise GGUFError("the file has no token embeddings (token_embd.weight)")
    config = {
        "model_type": arch,
        "hidden_size": hidden,
        "num_hidden_layers": need("block_count"),
        "intermediate_size": need("feed_forward_length"),
        "num_attention_heads": heads,
        "num_key_value_heads": _value(metadata, f"{arch}.attention.head_count_kv", heads),
        "head_dim": head_dim,
        "rms_norm_eps": need("attention.layer_norm_rms_epsilon"),
        "rope_theta": _value(metadata, f"{arch}.rope.freq_base", 10000.0),
        "rope_traditional": False,
        "vocab_size": tensors["token_embd.weight"].shape[0],
        "max_position_embeddings": _value(metadata, f"{arch}.context_length", 4096),
        "tie_word_embeddings": "output.weight" not in tensors,
        **{k: v for k, v in special_ids.items() if v is not None},
    }
    scaling = _text(metadata, f"{arch}.rope.scaling.type")
    if scaling == "linear":
        config["rope_scaling"] = {
            "type": "linear",
            "factor": _value(metadata, f"{arch}.rope.scaling.factor"),
        }
    elif scaling not in (None, "none"):
        raise GGUFError(f"rope scaling {scaling!r} is not supported")
    if "rope_freqs.weight" in tensors:
        config["rope_scaling"] = _llama3_rope(
            tensors["rope_freqs.weight"].tolist(), head_dim, config["rope_theta"]
        )
    return config


def _llama3_factors(dims: int, base: float, scaling: dict) -> list[float]:
    """Per-frequency divisors of Llama 3 rope scaling, as llama.cpp's converter computes them."""
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    context = scaling["original_max_position_embeddings"]
    factors = []
    for i in range(0, dims, 2):
        wavelen = 2 * math.pi * base ** (i / dims)
        if wavelen < context / high:
            factors.append(1.0)
        elif wavelen > context / low:
            factors.append(factor)
        else:
            smooth = (context / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return factors


def _llama3_rope(rope_freqs: list[float], dims: int, base: float) -> dict:
    """mlx-lm's `rope_scaling` for a `rope_freqs` tensor (Llama 3.1 and later).

    The GGUF keeps only the computed divisors, not the parameters: take the largest as the factor,
    Meta's published low/high frequency factors and original context, and check that they give
    the same divisors.
    """
    scaling = {
        "rope_type": "llama3",
        "factor": max(rope_freqs),
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
    }
    expected = _llama3_factors(dims, base, scaling)
    if len(expected) != len(rope_freqs) or any(
        not math.isclose(a, b, rel_tol=1e-4) for a, b in zip(expected, rope_freqs)
    ):
        raise GGUFError("the file's rope frequencies (rope_freqs) are not Llama 3 rope scaling")
    return scaling


def _unpermute(w, heads: int):
    """Undo llama.cpp's `permute(w, n_head)` on the rows of `w` (any trailing shape)."""
    shape = w.shape
    return w.reshape(heads, shape[0] // heads // 2, 2, *shape[1:]).swapaxes(1, 2).reshape(shape)


def _weights(arch: str, tensors: dict, config: dict) -> dict:
    block = re.compile(r"blk\.(\d+)\.(\w+)\.(\w+)$")
    top = re.compile(r"(\w+)\.(\w+)$")
    weights = {}
    for name, value in tensors.items():
        if match := block.match(name):
            layer, part, suffix = match.groups()
            path = _IN_BLOCK.get(part) and f"model.layers.{layer}.{_IN_BLOCK[part]}"
        elif match := top.match(name):
            part, suffix = match.groups()
            path = _TOP_LEVEL.get(part)
        else:
            path = suffix = None
        if name == "rope_freqs.weight":  # read into the config's rope_scaling
            continue
        if path is None or suffix not in _SUFFIXES:
            raise GGUFError(f"unexpected tensor {name!r} for a {arch} model")
        if arch == "llama" and path.endswith(("q_proj", "k_proj")):
            kind = "num_attention_heads" if path.endswith("q_proj") else "num_key_value_heads"
            if value.shape[0] % (2 * config[kind]):
                raise GGUFError(f"tensor {name!r} does not split into {config[kind]} heads")
            value = _unpermute(value, config[kind])
        weights[f"{path}.{suffix}"] = value
    return weights


def _quantization(weights: dict) -> dict | None:
    """mlx-lm's `quantization` config: the common bits, plus every layer that differs."""
    bits = {}
    for name, scales in weights.items():
        if name.endswith(".scales"):
            path = name[: -len(".scales")]
            packed = weights[f"{path}.weight"]
            bits[path] = packed.shape[-1] * 32 // (scales.shape[-1] * GROUP_SIZE)
    if not bits:
        return None
    common = Counter(bits.values()).most_common(1)[0][0]
    quantization = {"group_size": GROUP_SIZE, "bits": common}
    for path, b in sorted(bits.items()):
        if b != common:
            quantization[path] = {"group_size": GROUP_SIZE, "bits": b}
    return quantization


def _save(staging: Path, arch: str, config: dict, weights: dict, dequantize: bool = False) -> None:
    import importlib

    import mlx.core as mx
    import mlx.nn as nn
    from mlx_lm.utils import dequantize_model, save_config, save_model

    module = importlib.import_module(f"mlx_lm.models.{arch}")
    model = module.Model(module.ModelArgs.from_dict(config))
    quantization = _quantization(weights)
    if quantization is not None:
        config["quantization"] = quantization
        nn.quantize(
            model,
            group_size=GROUP_SIZE,
            bits=quantization["bits"],
            class_predicate=lambda path, m: (
                quantization.get(path, True) if f"{path}.scales" in weights else False
            ),
        )
    try:
        model.load_weights(list(weights.items()), strict=True)
    except ValueError as exc:
        raise GGUFError(
            f"the tensors do not fit a {arch} model ({exc}); a missing weight can be a tensor "
            "type mlx does not read"
        ) from exc
    if dequantize:
        model = dequantize_model(model)
        model.set_dtype(mx.float32)
        config.pop("quantization", None)
    save_model(staging, model)
    save_config(config, staging / "config.json")


def _tokenizer(file_name: str, arch: str, metadata: dict):
    """(tokenizers.Tokenizer, tokenizer_config dict, special ids) from the GGUF metadata."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from tokenizers.models import BPE

    kind = _text(metadata, "tokenizer.ggml.model")
    tokens = metadata.get("tokenizer.ggml.tokens")
    merges = metadata.get("tokenizer.ggml.merges")
    if kind is None or not tokens:
        raise GGUFError(f"{file_name} carries no tokenizer (tokenizer.ggml.* metadata missing)")
    if kind != "gpt2":
        raise GGUFError(
            f"{file_name}: tokenizer model {kind!r} is not supported (only byte-level BPE, 'gpt2')"
        )
    if merges is None:
        raise GGUFError(f"{file_name}: the BPE tokenizer has no merges (tokenizer.ggml.merges)")
    pre = _text(metadata, "tokenizer.ggml.pre")
    if pre not in _PRE_TOKENIZERS:
        raise GGUFError(
            f"{file_name}: pre-tokenizer {pre!r} (tokenizer.ggml.pre) is not supported; supported: "
            f"{', '.join(_PRE_TOKENIZERS)}"
        )
    if arch == "qwen2" and pre != "qwen2":
        # transformers replaces a qwen2 model's pipeline with the Qwen2 one whatever the file says.
        raise GGUFError(f"{file_name}: a qwen2 model with pre-tokenizer {pre!r} is not supported")

    tokenizer = Tokenizer(
        BPE(
            vocab={token: i for i, token in enumerate(tokens)},
            merges=[tuple(m.split(" ", 1)) for m in merges],
            fuse_unk=False,
            byte_fallback=False,
        )
    )
    split = _PRE_TOKENIZERS[pre]
    if split == _GPT2:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    elif split == _DIGITS:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
            ]
        )
    else:
        if pre == "qwen2":  # Qwen2's own tokenizer.json (and transformers' rebuild) normalize first
            tokenizer.normalizer = normalizers.NFC()
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(split), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    tokenizer.decoder = decoders.ByteLevel()

    types = _value(metadata, "tokenizer.ggml.token_type") or []
    special = [i for i, t in enumerate(types) if t == _CONTROL]
    user = [i for i, t in enumerate(types) if t == _USER_DEFINED]
    tokenizer.add_special_tokens(
        [AddedToken(tokens[i], special=True, normalized=False) for i in special]
    )
    tokenizer.add_tokens([AddedToken(tokens[i], special=False, normalized=False) for i in user])

    keys = ("bos", "eos", "padding", "eot", "eom", "unknown")
    found = {key: _value(metadata, f"tokenizer.ggml.{key}_token_id") for key in keys}
    for key, value in found.items():
        if value is not None and not 0 <= value < len(tokens):
            raise GGUFError(f"{file_name}: the {key} token id {value} is outside the vocabulary")
    # Chat models end a turn with an end-of-turn token that llama.cpp keeps apart from the eos
    # (Llama 3: <|eot_id|>); mlx-lm stops on every id of a list.
    stops = list(dict.fromkeys(found[k] for k in ("eos", "eot", "eom") if found[k] is not None))
    ids = {
        "bos_token_id": found["bos"],
        "eos_token_id": stops[0] if len(stops) == 1 else (stops or None),
        "pad_token_id": found["padding"],
    }
    add_bos = bool(_value(metadata, "tokenizer.ggml.add_bos_token", False))
    if add_bos and found["bos"] is not None:
        bos = tokens[found["bos"]]
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{bos}:0 $A:0",
            pair=f"{bos}:0 $A:0 {bos}:1 $B:1",
            special_tokens=[(bos, found["bos"])],
        )
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)

    def token(key: str):
        return tokens[found[key]] if found[key] is not None else None

    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": token("bos"),
        "eos_token": token("eos"),
        "pad_token": token("padding"),
        "unk_token": token("unknown"),
        "add_bos_token": add_bos,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": _value(metadata, f"{arch}.context_length", 4096),
    }
    template = _text(metadata, "tokenizer.chat_template")
    if template is not None:
        config["chat_template"] = template
    return tokenizer, config, ids


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def imported_model(model: str) -> str:
    """The model to load for `model`: a GGUF file is imported once into the user cache (keyed
    by its path, size and time) and that folder is returned; anything else as it is."""
    from asp_ft_tui import paths

    path = Path(model).expanduser()
    if path.suffix.lower() != ".gguf" or not path.is_file():
        return model
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    import mlx.core as mx

    # On a CPU quantized products are slow: train on float32 there (QLoRA where a GPU runs them).
    dequantize = mx.default_device().type == mx.DeviceType.cpu
    key += f":{'f32' if dequantize else 'q'}"
    folder = paths.user_dirs().cache / "gguf" / f"{path.stem}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"
    if not (folder / "config.json").is_file():
        import_gguf(path, folder, dequantize=dequantize)
    return str(folder)
