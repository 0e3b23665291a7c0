"""GGUF import: tiny models written out as llama.cpp would, imported back, compared with originals.

The GGUF files are written here with `mx.save_gguf` under llama.cpp's tensor names and metadata
keys. mx.save_gguf writes only plain types, so a quantized tensor (Q8_0, Q4_0, Q4_1) is written as
an int8 tensor holding the block bytes, then its type and row length are patched in the header.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
from tokenizers import Tokenizer

from asp_ft_tui.training.gguf import GGUFError, import_gguf
from asp_ft_tui.training.tiny_model import make_tiny_model

TEXTS = [
    "node(1..4).\n:- edge(X,Y), assign(X,C), assign(Y,C).\n#show assign/2.",
    "It's   spaced\n\n\tout  12345 apples",
    "café – “x” e\u0301 日本語 ＡＢＣ１２３",
    "<|im_start|>user\nhi<|im_end|>",
]
MESSAGES = [{"role": "user", "content": "Colour the graph."}]
TOKENS = [[1, 5, 17, 200, 3, 900, 42, 7, 7, 512, 2, 64]]

GGML = {"Q4_0": (2, 18), "Q4_1": (3, 20), "Q8_0": (8, 34), "Q5_0": (6, 22)}  # type, bytes/block
TOP = {"model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output"}
BLOCK = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


@pytest.fixture(scope="module")
def qwen2_dir(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "qwen2", seed=0)


@pytest.fixture(scope="module")
def llama_dir(qwen2_dir, tmp_path_factory):
    """mlx-lm's llama Model with the tiny model's sizes, random weights and tokenizer."""
    import mlx.core as mx
    from mlx_lm.models import llama
    from mlx_lm.utils import save_config, save_model

    config = json.loads((qwen2_dir / "config.json").read_text())
    config.update(model_type="llama", architectures=["LlamaForCausalLM"], rope_theta=10000.0)
    config["tie_word_embeddings"] = False
    out = tmp_path_factory.mktemp("tiny") / "llama"
    out.mkdir()
    mx.random.seed(1)
    model = llama.Model(llama.ModelArgs.from_dict(config))
    mx.eval(model.parameters())
    save_model(out, model)
    save_config(config, out / "config.json")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(qwen2_dir / name, out / name)
    return out


def _permute(w: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's convert_hf_to_gguf permute() of q/k rows."""
    rows = w.shape[0]
    return w.reshape(heads, 2, rows // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _nonzero(d: np.ndarray) -> np.ndarray:
    return np.where(d == 0, 1, d).astype(np.float32)


def _rows(w: np.ndarray, parts: list[np.ndarray]) -> np.ndarray:
    raw = np.concatenate([p.view(np.uint8) for p in parts], axis=1)
    return raw.view(np.int8).reshape(w.shape[0], -1)


def _quantize(w: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(block bytes as int8 rows, the weights they dequantize to) in llama.cpp's block layouts."""
    blocks = w.astype(np.float32).reshape(-1, 32)
    if kind == "Q8_0":
        d = (np.abs(blocks).max(1, keepdims=True) / 127).astype(np.float16)
        q = np.round(blocks / _nonzero(d)).astype(np.int8)
        return _rows(w, [d, q]), (d.astype(np.float32) * q).reshape(w.shape)
    if kind == "Q4_1":  # affine: scale and minimum per block
        m = blocks.min(1, keepdims=True).astype(np.float16)
        d = ((blocks.max(1, keepdims=True) - m) / 15).astype(np.float16)
        heads, base, offset = [d, m], m.astype(np.float32), 0.0
    else:  # Q4_0: symmetric, the value of largest magnitude maps to -8
        peak = np.take_along_axis(blocks, np.abs(blocks).argmax(1)[:, None], 1)
        d = (peak / -8).astype(np.float16)
        heads, base, offset = [d], 0.0, 8.0
    q = np.clip(np.floor((blocks - base) / _nonzero(d) + offset + 0.5), 0, 15).astype(np.uint8)
    nibbles = q[:, :16] | (q[:, 16:] << 4)  # byte j holds weights j and j + 16
    deq = d.astype(np.float32) * (q - offset) + base
    return _rows(w, heads + [nibbles]), deq.reshape(w.shape)


def _patch_type(path, name: str, kind: str, row_length: int) -> None:
    """Turn the int8 tensor `name` into a `kind` tensor of `row_length` weights per row."""
    data = bytearray(path.read_bytes())
    key = struct.pack("<Q", len(name)) + name.encode()
    at = data.index(key) + len(key)
    (ndim,) = struct.unpack_from("<I", data, at)
    struct.pack_into("<Q", data, at + 4, row_length)
    struct.pack_into("<I", data, at + 4 + 8 * ndim, GGML[kind][0])
    path.write_bytes(bytes(data))


def _tokenizer_metadata(model_dir) -> dict:
    import mlx.core as mx

    spec = json.loads((model_dir / "tokenizer.json").read_text())
    config = json.loads((model_dir / "config.json").read_text())
    template = json.loads((model_dir / "tokenizer_config.json").read_text())["chat_template"]
    vocab = dict(spec["model"]["vocab"])
    special = {t["content"]: t["id"] for t in spec["added_tokens"]}
    vocab.update(special)
    tokens = [t for t, _ in sorted(vocab.items(), key=lambda item: item[1])]
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    types = [3 if t in special else 1 for t in tokens]
    return {
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": "qwen2",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.merges": merges,
        "tokenizer.ggml.token_type": mx.array(types, dtype=mx.int32),
        "tokenizer.ggml.bos_token_id": mx.array(config["bos_token_id"], dtype=mx.uint32),
        "tokenizer.ggml.eos_token_id": mx.array(config["eos_token_id"], dtype=mx.uint32),
        "tokenizer.ggml.padding_token_id": mx.array(config["pad_token_id"], dtype=mx.uint32),
        "tokenizer.ggml.add_bos_token": mx.array(False),
        "tokenizer.chat_template": template,
    }


def write_gguf(
    model_dir, path, *, dtype="F32", quant=None, embed_quant=None, metadata=None, extra=None
):
    """Write `model_dir` as llama.cpp would: 2-D weights as `dtype` or quantized as `quant`
    (`embed_quant` for the embedding), 1-D ones as F32; `metadata` adds or (None) drops keys,
    `extra` adds tensors."""
    import mlx.core as mx

    config = json.loads((model_dir / "config.json").read_text())
    arch = config["model_type"]
    source = mx.load(str(model_dir / "model.safetensors"))
    arrays, quantized = {}, {}
    for name, value in source.items():
        value = np.array(value.astype(mx.float32))
        prefix, suffix = name.rsplit(".", 1)
        if prefix in TOP:
            gguf = f"{TOP[prefix]}.{suffix}"
        else:
            layer, part = prefix.split(".", 3)[2:]
            gguf = f"blk.{layer}.{BLOCK[part]}.{suffix}"
        if arch == "llama" and prefix.endswith(("q_proj", "k_proj")):
            heads = config["num_attention_heads" if "q_proj" in prefix else "num_key_value_heads"]
            value = _permute(value, heads)
        kind = (embed_quant or quant) if prefix == "model.embed_tokens" else quant
        if kind and value.ndim == 2:
            arrays[gguf] = mx.array(_quantize(value, kind)[0])
            quantized[gguf] = (kind, value.shape[1])
        elif dtype == "F16" and value.ndim == 2:
            arrays[gguf] = mx.array(value.astype(np.float16))
        else:
            arrays[gguf] = mx.array(value)
    arrays.update(extra or {})
    arch_meta = {
        "block_count": config["num_hidden_layers"],
        "embedding_length": config["hidden_size"],
        "feed_forward_length": config["intermediate_size"],
        "attention.head_count": config["num_attention_heads"],
        "attention.head_count_kv": config["num_key_value_heads"],
        "context_length": config["max_position_embeddings"],
    }
    meta = {f"{arch}.{k}": mx.array(v, dtype=mx.uint32) for k, v in arch_meta.items()}
    floats = {"attention.layer_norm_rms_epsilon": "rms_norm_eps", "rope.freq_base": "rope_theta"}
    for key, name in floats.items():
        meta[f"{arch}.{key}"] = mx.array(config[name], dtype=mx.float32)
    meta["general.architecture"] = arch
    meta.update(_tokenizer_metadata(model_dir))
    meta.update(metadata or {})
    meta = {k: v for k, v in meta.items() if v is not None}
    mx.save_gguf(str(path), arrays, meta)
    for gguf, (kind, row_length) in quantized.items():
        _patch_type(path, gguf, kind, row_length)


def _as_stored(model_dir, store) -> dict:
    """The model's weights with every 2-D one put through `store` (what the GGUF holds)."""
    import mlx.core as mx

    weights = mx.load(str(model_dir / "model.safetensors"))
    return {
        name: store(name, np.array(v.astype(mx.float32))) if v.ndim == 2 else np.array(v)
        for name, v in weights.items()
    }


def _logits(model_dir, weights=None, tokens=TOKENS, **config):
    import mlx.core as mx
    import mlx_lm

    model, tokenizer = mlx_lm.load(str(model_dir), model_config=config)
    if weights is not None:
        model.load_weights([(k, mx.array(v)) for k, v in weights.items()])
    return np.array(model(mx.array(tokens)).astype(mx.float32)), tokenizer, model


@pytest.mark.parametrize("dtype", ["F32", "F16"])
@pytest.mark.parametrize("arch", ["qwen2", "llama"])
def test_a_float_gguf_imports_with_the_same_logits_and_tokenizer(
    arch, dtype, qwen2_dir, llama_dir, tmp_path
):
    original = qwen2_dir if arch == "qwen2" else llama_dir
    gguf = tmp_path / "model.gguf"
    write_gguf(original, gguf, dtype=dtype)

    out = import_gguf(gguf, tmp_path / "imported")

    want, want_tok, _ = _logits(original)
    got, got_tok, _ = _logits(out)
    # F16 weights alone move these logits (magnitude ~3) by up to ~3e-3; against the original
    # with its weights rounded to F16 the import itself must add nothing measurable.
    assert np.abs(got - want).max() < (1e-5 if dtype == "F32" else 5e-3)
    if dtype == "F16":
        rounded, _, _ = _logits(original, _as_stored(original, lambda _, w: w.astype(np.float16)))
        assert np.abs(got - rounded).max() < 1e-5
    written = Tokenizer.from_file(str(out / "tokenizer.json"))
    for text in TEXTS:
        ids = want_tok.encode(text)
        assert got_tok.encode(text) == written.encode(text).ids == ids
        assert got_tok.decode(ids) == want_tok.decode(ids)
    render = dict(add_generation_prompt=True, tokenize=False)
    assert got_tok.apply_chat_template(MESSAGES, **render) == want_tok.apply_chat_template(
        MESSAGES, **render
    )
    assert got_tok.eos_token_ids == want_tok.eos_token_ids
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("quant", "embed_quant"), [("Q8_0", None), ("Q4_0", "Q8_0"), ("Q4_1", None)]
)
def test_quantized_tensors_stay_quantized_and_match_their_dequantized_weights(
    quant, embed_quant, llama_dir, tmp_path
):
    import mlx.core as mx
    import mlx.nn as nn
    import mlx_lm

    gguf = tmp_path / "model.gguf"
    write_gguf(llama_dir, gguf, quant=quant, embed_quant=embed_quant)
    out = import_gguf(gguf, tmp_path / "imported")

    def dequantized(name, w):
        kind = (embed_quant or quant) if name.startswith("model.embed_tokens") else quant
        return _quantize(w, kind)[1]

    want, _, _ = _logits(llama_dir, _as_stored(llama_dir, dequantized))
    got, tokenizer, model = _logits(out)
    # mlx's quantized layers compute in float16 (the dtype of the scales), which moves these
    # logits by ~1e-3; a misplaced block, nibble or row moves them by ~1.
    assert np.abs(got - want).max() < 1e-2

    bits = {"Q8_0": 8, "Q4_0": 4, "Q4_1": 4}
    q_proj = model.model.layers[0].self_attn.q_proj
    assert isinstance(q_proj, nn.QuantizedLinear) and q_proj.bits == bits[quant]
    assert q_proj.group_size == 32
    assert model.model.embed_tokens.bits == bits[embed_quant or quant]
    assert isinstance(mlx_lm.generate(model, tokenizer, "node(", max_tokens=3), str)


@pytest.mark.parametrize(
    ("pre", "split"),
    [
        ("smollm", ["x", " ", "1", "2", "3", "4", "5", " apples"]),
        ("llama-bpe", ["x", " ", "123", "45", " apples"]),
        ("gpt-2", ["x", " 12345", " apples"]),
    ],
)
def test_a_llama_vocabulary_keeps_its_own_split_and_bos(pre, split, llama_dir, tmp_path):
    import mlx.core as mx
    import mlx_lm

    gguf = tmp_path / "model.gguf"
    metadata = {"tokenizer.ggml.pre": pre, "tokenizer.ggml.add_bos_token": mx.array(True)}
    write_gguf(llama_dir, gguf, metadata=metadata)
    out = import_gguf(gguf, tmp_path / "imported")

    written = Tokenizer.from_file(str(out / "tokenizer.json"))
    pieces = [p for p, _ in written.pre_tokenizer.pre_tokenize_str("x 12345 apples")]
    assert [p.replace("Ġ", " ") for p in pieces] == split
    _, tokenizer = mlx_lm.load(str(out))
    bos = json.loads((llama_dir / "config.json").read_text())["bos_token_id"]
    for text in TEXTS:
        ids = tokenizer.encode(text)
        assert ids == written.encode(text).ids and ids[0] == bos


def test_llama3_rope_frequencies_become_its_rope_scaling(llama_dir, tmp_path):
    import mlx.core as mx
    from mlx_lm.models.rope_utils import Llama3RoPE

    config = json.loads((llama_dir / "config.json").read_text())
    dims = config["hidden_size"] // config["num_attention_heads"]
    scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
    # mlx-lm's own Llama 3 rope: its frequencies over the plain ones are llama.cpp's rope_freqs.
    rope = Llama3RoPE(dims, base=config["rope_theta"], scaling_config=scaling)
    plain_freqs = config["rope_theta"] ** (mx.arange(0, dims, 2) / dims)
    factors = (rope._freqs / plain_freqs).astype(mx.float32)
    context = {"llama.context_length": mx.array(131072, dtype=mx.uint32)}
    gguf = tmp_path / "model.gguf"
    write_gguf(llama_dir, gguf, metadata=context, extra={"rope_freqs.weight": factors})
    out = import_gguf(gguf, tmp_path / "imported")

    tokens = [list(range(3, 1000, 2))]
    want, _, _ = _logits(llama_dir, tokens=tokens, rope_scaling=scaling)
    plain, _, _ = _logits(llama_dir, tokens=tokens)
    got, _, _ = _logits(out, tokens=tokens)
    assert np.abs(got - want).max() < 1e-4 < np.abs(got - plain).max()

    mangled = tmp_path / "mangled.gguf"
    reversed_factors = mx.array(np.array(factors)[::-1].copy())
    write_gguf(llama_dir, mangled, metadata=context, extra={"rope_freqs.weight": reversed_factors})
    with pytest.raises(GGUFError, match="not Llama 3 rope scaling"):
        import_gguf(mangled, tmp_path / "refused")


def test_importing_the_module_stays_light():
    code = (
        "import sys, asp_ft_tui.training.gguf\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('mlx', 'mlx_lm', 'tokenizers', 'transformers', 'numpy')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_end_of_turn_token_also_stops_generation(qwen2_dir, tmp_path):
    import mlx.core as mx
    import mlx_lm

    gguf = tmp_path / "model.gguf"
    eot = {"tokenizer.ggml.eot_token_id": mx.array(1, dtype=mx.uint32)}
    write_gguf(qwen2_dir, gguf, metadata=eot)
    _, tokenizer = mlx_lm.load(str(import_gguf(gguf, tmp_path / "imported")))
    eos = json.loads((qwen2_dir / "config.json").read_text())["eos_token_id"]
    assert set(tokenizer.eos_token_ids) == {eos, 1}
    assert tokenizer.eos_token_id == eos


def test_not_a_gguf_file(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_text("hello")
    with pytest.raises(GGUFError, match="not a GGUF file"):
        import_gguf(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_unsupported_architecture_is_named(qwen2_dir, tmp_path):
    gguf = tmp_path / "model.gguf"
    write_gguf(qwen2_dir, gguf, metadata={"general.architecture": "gemma"})
    with pytest.raises(GGUFError, match="architecture 'gemma' is not supported"):
        import_gguf(gguf, tmp_path / "out")


def test_an_unsupported_tensor_type_is_refused(qwen2_dir, tmp_path):
    import mlx.core as mx

    gguf = tmp_path / "model.gguf"
    write_gguf(qwen2_dir, gguf)
    # Make the first block's gate weights a Q5_0 tensor of the right byte size.
    weights, metadata = mx.load(str(gguf), return_metadata=True)
    rows, cols = weights["blk.0.ffn_gate.weight"].shape
    weights["blk.0.ffn_gate.weight"] = mx.zeros((rows, cols // 32 * GGML["Q5_0"][1]), dtype=mx.int8)
    mx.save_gguf(str(gguf), weights, metadata)
    _patch_type(gguf, "blk.0.ffn_gate.weight", "Q5_0", cols)
    with pytest.raises(GGUFError, match="supported tensor types are F32, F16, Q8_0, Q4_0 and Q4_1"):
        import_gguf(gguf, tmp_path / "out")


@pytest.mark.parametrize("key", ["tokenizer.ggml.tokens", "tokenizer.ggml.merges"])
def test_missing_tokenizer_metadata_is_refused(key, qwen2_dir, tmp_path):
    gguf = tmp_path / "model.gguf"
    write_gguf(qwen2_dir, gguf, metadata={key: None})
    with pytest.raises(GGUFError, match="tokenizer"):
        import_gguf(gguf, tmp_path / "out")


def test_a_folder_with_files_is_not_overwritten(qwen2_dir, tmp_path):
    gguf = tmp_path / "model.gguf"
    write_gguf(qwen2_dir, gguf)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(GGUFError, match="not an empty folder"):
        import_gguf(gguf, out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]

    empty = tmp_path / "empty"
    empty.mkdir()
    assert (import_gguf(gguf, empty) / "config.json").is_file()


def test_a_failed_rename_is_a_clear_error_and_leaves_nothing(qwen2_dir, tmp_path, monkeypatch):
    import errno

    from asp_ft_tui.training import gguf as module

    gguf = tmp_path / "model.gguf"
    write_gguf(qwen2_dir, gguf)
    (tmp_path / "out").mkdir()

    def no_space(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(module.os, "replace", no_space)
    with pytest.raises(GGUFError, match="cannot write .*No space left on device"):
        import_gguf(gguf, tmp_path / "out" / "model")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failed_import_leaves_nothing_behind(qwen2_dir, tmp_path):
    import mlx.core as mx

    gguf = tmp_path / "model.gguf"
    write_gguf(qwen2_dir, gguf)
    weights, metadata = mx.load(str(gguf), return_metadata=True)
    del weights["blk.1.ffn_down.weight"]
    mx.save_gguf(str(gguf), weights, metadata)
    with pytest.raises(GGUFError, match="do not fit a qwen2 model"):
        import_gguf(gguf, tmp_path / "out" / "model")
    assert list((tmp_path / "out").iterdir()) == []
