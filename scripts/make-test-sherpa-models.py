#!/usr/bin/env python3
"""Writes tiny sherpa-onnx streaming models (random weights) for the tests: no model can be
downloaded on CI, so the tests load these through the real sherpa-onnx-node recogniser.

Each graph has the inputs, outputs, state tensors and metadata that sherpa-onnx's loaders read
(sherpa-onnx/csrc/online-zipformer2-transducer-model.cc, online-zipformer-transducer-model.cc,
online-zipformer2-ctc-model.cc): Zipformer2 and Zipformer (v1) transducers (encoder/decoder/joiner,
model_type "zipformer2" / "zipformer") and a Zipformer2 CTC model.
The maths inside is not a Zipformer. One channel of the encoder output is the frame's loudest
log-mel band, and the blank logit falls as it rises, so loud frames emit tokens (which ones is
decided by random weights) and quiet frames emit blanks. That makes sherpa's endpoint rules
(trailing blanks) fire on silence as with a real model; the text means nothing.

Usage: make-test-sherpa-models.py OUT_DIR   (writes OUT_DIR/<model>/..., deterministic)
"""
import os
import string
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8  # readable by the onnxruntime bundled in sherpa-onnx-node

FEAT = 80  # fbank bins sherpa computes
DECODE_CHUNK = 32  # feature frames per chunk (320 ms), as the chunk-16 release models
T = DECODE_CHUNK + 13  # frames the encoder sees per call (chunk + right/left padding)
SUB = 4  # output frames = DECODE_CHUNK / SUB (40 ms each)
JOIN = 16
CONTEXT = 2
# Two encoder stacks, one layer each: 12 state tensors + embed_states + processed_lens.
ENC = dict(
    encoder_dims=[16, 16],
    query_head_dims=[4, 4],
    value_head_dims=[4, 4],
    num_heads=[2, 2],
    num_encoder_layers=[1, 1],
    cnn_module_kernels=[3, 3],
    left_context_len=[8, 4],
)

# Zipformer v1 (the 2023-02-20 bilingual release's kind): T = chunk + 7 frames of padding.
V1 = dict(
    encoder_dims=[16, 16],
    attention_dims=[8, 8],
    num_encoder_layers=[1, 1],
    cnn_module_kernels=[3, 3],
    left_context_len=[8, 4],
)
T_V1 = DECODE_CHUNK + 7
CJK = "我要退款取消投诉经理你好谢谢"

rng = np.random.default_rng(20230626)


def tokens():
    # id 0 is blank (sherpa's greedy and beam search assume it). BPE-style pieces: a word-start
    # piece per letter, a continuation piece per letter, a few whole words. Enough to encode any
    # upper-case English hot-word with the bpe.vocab below.
    toks = ["<blk>", "<sos/eos>", "<unk>"]
    toks += ["\u2581" + c for c in string.ascii_uppercase]
    toks += list(string.ascii_uppercase)
    toks += ["\u2581SUPERVISOR", "\u2581CANCEL", "\u2581REFUND", "\u2581HELLO"]
    return toks


def write_tokens(d, toks):
    with open(os.path.join(d, "tokens.txt"), "w", encoding="utf-8") as f:
        for i, t in enumerate(toks):
            f.write(f"{t} {i}\n")


def write_bpe_vocab(d, toks):
    # sentencepiece vocab export: "piece<TAB>score"; whole words score higher than letters.
    with open(os.path.join(d, "bpe.vocab"), "w", encoding="utf-8") as f:
        for t in toks:
            score = 0.0 if t.startswith("<") else -1.0 if len(t.lstrip("\u2581")) > 1 else -5.0
            f.write(f"{t}\t{score}\n")


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def meta(model, kv):
    for k, v in kv.items():
        e = model.metadata_props.add()
        e.key = k
        e.value = v


def save(graph, path, kv):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="earshot-test")
    model.ir_version = IR_VERSION
    meta(model, kv)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def encoder_states():
    """(name, dtype, shape) of the Zipformer2 streaming states, in the loader's order; 'N' = batch."""
    out = []
    k = 0
    for i in range(len(ENC["encoder_dims"])):
        key_dim = ENC["query_head_dims"][i] * ENC["num_heads"][i]
        val_dim = ENC["value_head_dims"][i] * ENC["num_heads"][i]
        nonlin = 3 * ENC["encoder_dims"][i] // 4
        left = ENC["left_context_len"][i]
        conv = ENC["cnn_module_kernels"][i] // 2
        for _ in range(ENC["num_encoder_layers"][i]):
            out += [
                (f"cached_key_{k}", TensorProto.FLOAT, [left, "N", key_dim]),
                (f"cached_nonlin_attn_{k}", TensorProto.FLOAT, [1, "N", left, nonlin]),
                (f"cached_val1_{k}", TensorProto.FLOAT, [left, "N", val_dim]),
                (f"cached_val2_{k}", TensorProto.FLOAT, [left, "N", val_dim]),
                (f"cached_conv1_{k}", TensorProto.FLOAT, ["N", ENC["encoder_dims"][i], conv]),
                (f"cached_conv2_{k}", TensorProto.FLOAT, ["N", ENC["encoder_dims"][i], conv]),
            ]
            k += 1
    embed = (((FEAT - 1) // 2) - 1) // 2
    out += [("embed_states", TensorProto.FLOAT, ["N", 128, 3, embed]), ("processed_lens", TensorProto.INT64, ["N"])]
    return out


def encoder_meta():
    kv = {k: ",".join(str(x) for x in v) for k, v in ENC.items()}
    kv.update(T=str(T), decode_chunk_len=str(DECODE_CHUNK))
    return kv


def v1_states():
    """Zipformer (v1, model_type "zipformer") states: seven kinds, each for every stack in turn."""
    n = len(V1["encoder_dims"])
    kinds = []
    L, D, A, K, left = (V1[k] for k in ("num_encoder_layers", "encoder_dims", "attention_dims", "cnn_module_kernels", "left_context_len"))
    kinds.append([(f"cached_len_{i}", TensorProto.INT64, [L[i], "N"]) for i in range(n)])
    kinds.append([(f"cached_avg_{i}", TensorProto.FLOAT, [L[i], "N", D[i]]) for i in range(n)])
    kinds.append([(f"cached_key_{i}", TensorProto.FLOAT, [L[i], left[i], "N", A[i]]) for i in range(n)])
    kinds.append([(f"cached_val_{i}", TensorProto.FLOAT, [L[i], left[i], "N", A[i] // 2]) for i in range(n)])
    kinds.append([(f"cached_val2_{i}", TensorProto.FLOAT, [L[i], left[i], "N", A[i] // 2]) for i in range(n)])
    kinds.append([(f"cached_conv1_{i}", TensorProto.FLOAT, [L[i], "N", D[i], K[i] - 1]) for i in range(n)])
    kinds.append([(f"cached_conv2_{i}", TensorProto.FLOAT, [L[i], "N", D[i], K[i] - 1]) for i in range(n)])
    return [s for kind in kinds for s in kind]


def encoder_body(tail, states=None, t_in=T):
    """Frames [N, T, 80] → [N, DECODE_CHUNK/SUB, JOIN]: loudest band plus random projections.
    States pass through (counters count frames) so the stream's state plumbing is exercised."""
    states = states or encoder_states()
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", t_in, FEAT])]
    inputs += [helper.make_tensor_value_info(n, dt, s) for n, dt, s in states]
    init = [
        const("starts", np.array([0], np.int64)),
        const("ends", np.array([DECODE_CHUNK], np.int64)),
        const("axes", np.array([1], np.int64)),
        const("steps", np.array([SUB], np.int64)),
        const("w_enc", (rng.standard_normal((FEAT, JOIN - 1)) * 0.02).astype(np.float32)),
        const("chunk", np.array([DECODE_CHUNK], np.int64)),
    ]
    nodes = [
        helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["xs"]),
        helper.make_node("ReduceMax", ["xs"], ["loud"], axes=[2], keepdims=1),
        helper.make_node("MatMul", ["xs", "w_enc"], ["proj"]),
        helper.make_node("Tanh", ["proj"], ["proj_t"]),
        helper.make_node("Concat", ["loud", "proj_t"], ["enc"], axis=2),
    ]
    nodes += tail
    outputs = [None]  # output 0 (encoder_out or log_probs) is the caller's
    for n, dt, s in states:
        if dt == TensorProto.INT64:
            nodes.append(helper.make_node("Add", [n, "chunk"], [f"new_{n}"]))
        else:
            nodes.append(helper.make_node("Identity", [n], [f"new_{n}"]))
        outputs.append(helper.make_tensor_value_info(f"new_{n}", dt, s))
    return nodes, inputs, outputs, init


def transducer(d, toks, v1=False):
    os.makedirs(d, exist_ok=True)
    V = len(toks)
    # Encoder: x + states → encoder_out [N, 8, JOIN] + next states.
    if v1:
        nodes, inputs, outputs, init = encoder_body([], v1_states(), T_V1)
        kv = {"model_type": "zipformer", **{k: ",".join(str(x) for x in v) for k, v in V1.items()}, "T": str(T_V1), "decode_chunk_len": str(DECODE_CHUNK)}
    else:
        nodes, inputs, outputs, init = encoder_body([])
        kv = {"model_type": "zipformer2", **encoder_meta()}
    outputs[0] = helper.make_tensor_value_info("encoder_out", TensorProto.FLOAT, ["N", DECODE_CHUNK // SUB, JOIN])
    nodes.append(helper.make_node("Identity", ["enc"], ["encoder_out"]))
    g = helper.make_graph(nodes, "encoder", inputs, outputs, init)
    save(g, os.path.join(d, "encoder.onnx"), {"version": "1", "model_author": "earshot-test", **kv})

    # Decoder: y [N, context] int64 → decoder_out [N, JOIN] (mean of embeddings, tanh).
    emb = (rng.standard_normal((V, JOIN)) * 0.5).astype(np.float32)
    g = helper.make_graph(
        [
            helper.make_node("Gather", ["emb", "y"], ["e"], axis=0),
            helper.make_node("ReduceMean", ["e"], ["m"], axes=[1], keepdims=0),
            helper.make_node("Tanh", ["m"], ["decoder_out"]),
        ],
        "decoder",
        [helper.make_tensor_value_info("y", TensorProto.INT64, ["N", CONTEXT])],
        [helper.make_tensor_value_info("decoder_out", TensorProto.FLOAT, ["N", JOIN])],
        [const("emb", emb)],
    )
    save(g, os.path.join(d, "decoder.onnx"), {"context_size": str(CONTEXT), "vocab_size": str(V)})

    # Joiner: logit = enc·We + dec·Wd + b. Row 0 of We (the loudness channel) pushes blank down
    # and every token up; a frame's loudest log-mel band is about -16 in digital silence, above 0
    # in speech, so the threshold sits near 0 dB.
    we = (rng.standard_normal((JOIN, V)) * 0.3).astype(np.float32)
    we[0, :] = 1.0
    we[0, 0] = -1.0
    we[0, 1:3] = 0.0  # <sos/eos>, <unk> never win
    wd = (rng.standard_normal((JOIN, V)) * 0.3).astype(np.float32)
    b = np.zeros(V, np.float32)
    b[1:3] = -100.0
    g = helper.make_graph(
        [
            helper.make_node("MatMul", ["encoder_out", "we"], ["a"]),
            helper.make_node("MatMul", ["decoder_out", "wd"], ["c"]),
            helper.make_node("Add", ["a", "c"], ["ac"]),
            helper.make_node("Add", ["ac", "b"], ["logit"]),
        ],
        "joiner",
        [
            helper.make_tensor_value_info("encoder_out", TensorProto.FLOAT, ["N", JOIN]),
            helper.make_tensor_value_info("decoder_out", TensorProto.FLOAT, ["N", JOIN]),
        ],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", V])],
        [const("we", we), const("wd", wd), const("b", b)],
    )
    save(g, os.path.join(d, "joiner.onnx"), {"joiner_dim": str(JOIN)})
    write_tokens(d, toks)
    write_bpe_vocab(d, toks)


def ctc(d, toks):
    os.makedirs(d, exist_ok=True)
    V = len(toks)
    w = (rng.standard_normal((JOIN, V)) * 0.3).astype(np.float32)
    w[0, :] = 1.0
    w[0, 0] = -1.0
    w[0, 1:3] = 0.0
    b = np.zeros(V, np.float32)
    b[1:3] = -100.0
    tail = [
        helper.make_node("MatMul", ["enc", "w_out"], ["lg"]),
        helper.make_node("Add", ["lg", "b_out"], ["lgb"]),
        helper.make_node("LogSoftmax", ["lgb"], ["log_probs"], axis=2),
    ]
    nodes, inputs, outputs, init = encoder_body(tail)
    # The loader reads the vocabulary size from output 0's last dimension: it must be static.
    outputs[0] = helper.make_tensor_value_info("log_probs", TensorProto.FLOAT, ["N", DECODE_CHUNK // SUB, V])
    init += [const("w_out", w), const("b_out", b)]
    g = helper.make_graph(nodes, "zipformer2_ctc", inputs, outputs, init)
    save(g, os.path.join(d, "model.onnx"), {"model_type": "zipformer2", "version": "1", "model_author": "earshot-test", **encoder_meta()})
    write_tokens(d, toks)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    toks = tokens()
    transducer(os.path.join(out, "tiny-zipformer2-transducer"), toks)
    ctc(os.path.join(out, "tiny-zipformer2-ctc"), toks)
    # Bilingual vocabulary (CJK characters + English pieces), as the zh-en release.
    transducer(os.path.join(out, "tiny-zipformer-transducer-zh-en"), toks + list(CJK), v1=True)
    print(f"make-test-sherpa-models: wrote {', '.join(sorted(os.listdir(out)))} into {out}")


if __name__ == "__main__":
    main()
