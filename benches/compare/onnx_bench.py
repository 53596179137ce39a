"""The onnxruntime half of the side-by-side bench (run by benches/compare.sh, in its own venv).

  export DIR            build DIR/model.onnx from DIR/weights.safetensors (written by
                        `cargo bench -p verifier-train --bench compare -- export DIR`) and check
                        that onnxruntime gives our native step probabilities on both bench inputs
                        to 1e-3 (exit status 1 if not)
  time DIR --threads N  onnxruntime CPU, the whole 256-token input at batch 1 and 16: 3 warm-up
                        runs, then 10 timed runs each; one JSON line on stdout

The graph is the verifier's forward written out op by op (embeddings, six post-norm BERT layers
with step-causal attention, the PRM head): what exporting the model from a training framework
gives, with the same f32 weights our CPU backend computes with.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

WARMUP, RUNS, TOLERANCE = 3, 10, 1e-3


class Graph:
    """A small builder: every op gets a fresh output name."""

    def __init__(self, weights):
        self.nodes, self.inits, self.count, self.weights = [], [], 0, weights

    def const(self, name, value):
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def w(self, key):
        return self.const(key, self.weights[key])

    def op(self, kind, *inputs, **attrs):
        self.count += 1
        out = f"{kind.lower()}_{self.count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [out], **attrs))
        return out

    def linear(self, x, prefix):
        return self.op("Add", self.op("MatMul", x, self.w(f"{prefix}.weight")), self.w(f"{prefix}.bias"))

    def layer_norm(self, x, prefix, eps):
        return self.op("LayerNormalization", x, self.w(f"{prefix}.gamma"), self.w(f"{prefix}.beta"),
                       axis=-1, epsilon=eps)


def build(weights, arch):
    g = Graph(weights)
    h, heads, eps = arch["hidden_size"], arch["num_heads"], arch["layer_norm_eps"]
    head_dim = h // heads
    # embeddings: word + position (the first T rows) + token type 0, then layer norm
    t = g.op("Slice", g.op("Shape", "input_ids"), g.const("one", np.array([1], np.int64)),
             g.const("two", np.array([2], np.int64)))
    pos = g.op("Slice", g.w("embeddings.position_embeddings.weight"),
               g.const("zero", np.array([0], np.int64)), t, g.const("axis0", np.array([0], np.int64)))
    x = g.op("Add", g.op("Gather", g.w("embeddings.word_embeddings.weight"), "input_ids"), pos)
    x = g.op("Add", x, g.const("type0", weights["embeddings.token_type_embeddings.weight"][0]))
    x = g.layer_norm(x, "embeddings.layer_norm", eps)
    # step-causal mask: a token attends to keys of its own block and earlier ones
    query_block = g.op("Unsqueeze", "blocks", g.const("ax13", np.array([1, 3], np.int64)))
    key_block = g.op("Unsqueeze", "blocks", g.const("ax12", np.array([1, 2], np.int64)))
    blocked = g.op("Greater", key_block, query_block)
    split = g.const("split_heads", np.array([0, 0, heads, head_dim], np.int64))
    merge = g.const("merge_heads", np.array([0, 0, h], np.int64))
    scale = g.const("scale", np.array(1.0 / np.sqrt(head_dim), np.float32))
    masked = g.const("masked", np.array(-1.0e4, np.float32))
    for i in range(arch["num_layers"]):
        p = f"encoder.layer.{i}"
        heads_of = lambda y, perm: g.op("Transpose", g.op("Reshape", y, split), perm=perm)
        proj = lambda name: g.linear(x, f"{p}.attention.self_attn.{name}")
        q = heads_of(g.op("Mul", proj("query"), scale), [0, 2, 1, 3])  # scaled before the product
        k, v = heads_of(proj("key"), [0, 2, 3, 1]), heads_of(proj("value"), [0, 2, 1, 3])
        scores = g.op("Where", blocked, masked, g.op("MatMul", q, k))
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        ctx = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]), merge)
        x = g.layer_norm(g.op("Add", g.linear(ctx, f"{p}.attention.output.dense"), x),
                         f"{p}.attention.output.layer_norm", eps)
        inner = g.linear(x, f"{p}.intermediate.dense")
        erf = g.op("Erf", g.op("Div", inner, g.const(f"sqrt2_{i}", np.array(np.sqrt(2.0), np.float32))))
        gelu = g.op("Mul", g.op("Mul", inner, g.op("Add", erf, g.const(f"one_f_{i}", np.array(1.0, np.float32)))),
                    g.const(f"half_{i}", np.array(0.5, np.float32)))
        x = g.layer_norm(g.op("Add", g.linear(gelu, f"{p}.output.dense"), x), f"{p}.output.layer_norm", eps)
    logits = g.op("Squeeze", g.linear(x, "prm_head"), g.const("ax2", np.array([2], np.int64)))
    g.nodes.append(helper.make_node("Sigmoid", [logits], ["prm_probability"]))
    int_input = lambda name: helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
    graph = helper.make_graph(
        g.nodes, "step_verifier", [int_input("input_ids"), int_input("blocks")],
        [helper.make_tensor_value_info("prm_probability", TensorProto.FLOAT, ["batch", "tokens"])], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="benches/compare")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def session(path, threads):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def feed(item, batch=1):
    ids = np.array([item["ids"]] * batch, np.int64)
    return {"input_ids": ids, "blocks": np.array([item["blocks"]] * batch, np.int64)}


def export(folder):
    inputs = json.loads((folder / "inputs.json").read_text())
    model = build(load_file(folder / "weights.safetensors"), inputs["architecture"])
    onnx.save(model, folder / "model.onnx")
    sess = session(folder / "model.onnx", 1)
    parity = {}
    for name in ("whole", "stream"):
        item = inputs[name]
        out = sess.run(None, feed(item))[0][0]
        diff = float(np.max(np.abs(out[item["markers"]] - np.array(item["prm_probability"]))))
        parity[name] = diff
    (folder / "parity-native.json").write_text(json.dumps(parity))
    print(f"model.onnx written; largest |onnxruntime - ours| over the step probabilities: "
          f"{max(parity.values()):.2e} (tolerance {TOLERANCE})", file=sys.stderr)
    return 0 if max(parity.values()) <= TOLERANCE else 1


def timed(run):
    for _ in range(WARMUP):
        run()
    ms = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        run()
        ms.append((time.perf_counter() - t0) * 1e3)
    s = sorted(ms)
    return {"min": s[0], "median": (s[RUNS // 2 - 1] + s[RUNS // 2]) / 2, "max": s[-1], "runs_ms": ms}


def time_native(folder, threads):
    item = json.loads((folder / "inputs.json").read_text())["whole"]
    sess = session(folder / "model.onnx", threads)
    out = {"runtime": f"onnxruntime {ort.__version__} CPU", "threads": str(threads)}
    tokens = len(item["ids"])
    for batch in (1, 16):
        f = feed(item, batch)
        t = timed(lambda: sess.run(None, f))
        out[f"whole_{tokens}_b{batch}"] = t
        out[f"tokens_per_s_b{batch}"] = batch * tokens / t["median"] * 1e3
    print(json.dumps(out))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["export", "time"])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    return export(a.folder) if a.command == "export" else time_native(a.folder, a.threads)


if __name__ == "__main__":
    sys.exit(main())
