#!/usr/bin/env python3
"""The Flux.1 transformer forward of black-forest-labs/flux (src/flux/model.py, modules/layers.py, math.py) in
PyTorch, batch 1, for `quanthub bench flux-forward`.

BFL's package is not installable here, so this is a faithful minimal copy of its forward: EmbedND RoPE (float64
angles), timestep_embedding, MLPEmbedder, Modulation, DoubleStreamBlock, SingleStreamBlock, LastLayer, with the same
operations in the same order. Weights and inputs are safetensors (F32, read without the safetensors package); the
output is written as safetensors {"out": [1, img_tokens, out_channels]}.

  flux_reference.py --version
  flux_reference.py --weights W --inputs I --out O --calls N --threads T [--float64]
      prints "seconds WALL cpu CPU" per call (CPU: process time, all threads); --float64 computes everything in
      double (BFL's float32 casts become float64 ones), a reference for how far each float32 result is from exact
"""
import argparse
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F


DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
# What BFL's ".float()" casts to: float32, or float64 with --float64.
COMPUTE = torch.float32


def read_safetensors(path):
    """Every tensor as float32 (BF16 and F16 widened exactly)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(info["dtype"])
        if dtype is None:
            raise SystemExit(f"{path}: {name} is {info['dtype']}, expected one of {sorted(DTYPES)}")
        start, end = info["data_offsets"]
        size = torch.tensor([], dtype=dtype).element_size()
        t = torch.frombuffer(data, dtype=dtype, count=(end - start) // size, offset=start)
        tensors[name] = t.reshape(info["shape"]).to(COMPUTE)
    return tensors


def write_safetensors(path, name, tensor):
    t = tensor.detach().contiguous().float()
    raw = t.numpy().tobytes()
    header = json.dumps({name: {"dtype": "F32", "shape": list(t.shape), "data_offsets": [0, len(raw)]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        f.write(raw)


# --- math.py -------------------------------------------------------------------------------------------------------

def attention(q, k, v, pe):
    q, k = apply_rope(q, k, pe)
    if hasattr(F, "scaled_dot_product_attention"):
        x = F.scaled_dot_product_attention(q, k, v)
    else:  # torch < 2.0: SDPA's math path, one head at a time so the score matrix stays small
        scale = 1.0 / math.sqrt(q.shape[-1])
        x = torch.empty_like(q)
        for h in range(q.shape[1]):
            s = torch.matmul(q[:, h], k[:, h].transpose(-2, -1)) * scale
            x[:, h] = torch.matmul(torch.softmax(s, dim=-1), v[:, h])
    b, h, l, d = x.shape
    return x.permute(0, 2, 1, 3).reshape(b, l, h * d)  # "B H L D -> B L (H D)"


def rope(pos, dim, theta):
    scale = torch.arange(0, dim, 2, dtype=torch.float64) / dim
    omega = 1.0 / (theta ** scale)
    out = torch.einsum("...n,d->...nd", pos, omega)
    out = torch.stack([torch.cos(out), -torch.sin(out), torch.sin(out), torch.cos(out)], dim=-1)
    out = out.reshape(*out.shape[:-1], 2, 2)  # "b n d (i j) -> b n d i j"
    return out.to(COMPUTE)


def apply_rope(xq, xk, freqs_cis):
    xq_ = xq.to(COMPUTE).reshape(*xq.shape[:-1], -1, 1, 2)
    xk_ = xk.to(COMPUTE).reshape(*xk.shape[:-1], -1, 1, 2)
    xq_out = freqs_cis[..., 0] * xq_[..., 0] + freqs_cis[..., 1] * xq_[..., 1]
    xk_out = freqs_cis[..., 0] * xk_[..., 0] + freqs_cis[..., 1] * xk_[..., 1]
    return xq_out.reshape(*xq.shape).type_as(xq), xk_out.reshape(*xk.shape).type_as(xk)


# --- layers.py -----------------------------------------------------------------------------------------------------

def embed_nd(ids, axes_dim, theta):
    n_axes = ids.shape[-1]
    emb = torch.cat([rope(ids[..., i], axes_dim[i], theta) for i in range(n_axes)], dim=-3)
    return emb.unsqueeze(1)


def timestep_embedding(t, dim, max_period=10000, time_factor=1000.0):
    t = time_factor * t
    half = dim // 2
    # float32 on purpose, as in BFL's code (also under --float64: it is part of the function, not rounding noise)
    freqs = torch.exp(-math.log(max_period) * torch.arange(start=0, end=half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1).to(COMPUTE)


class Weights:
    def __init__(self, tensors):
        self.t = tensors

    def linear(self, name, x):
        return F.linear(x, self.t[name + ".weight"], self.t.get(name + ".bias"))

    def has(self, name):
        return name in self.t


def mlp_embedder(w, name, x):
    return w.linear(name + ".out_layer", F.silu(w.linear(name + ".in_layer", x)))


def rms_norm(x, scale):
    x_dtype = x.dtype
    x = x.to(COMPUTE)
    rrms = torch.rsqrt(torch.mean(x ** 2, dim=-1, keepdim=True) + 1e-6)
    return (x * rrms).to(dtype=x_dtype) * scale


def layer_norm(x):
    return F.layer_norm(x, (x.shape[-1],), eps=1e-6)


def modulation(w, name, vec, chunks):
    return w.linear(name + ".lin", F.silu(vec))[:, None, :].chunk(chunks, dim=-1)


def split_heads(qkv, heads):
    b, l, _ = qkv.shape
    q, k, v = qkv.reshape(b, l, 3, heads, -1).permute(2, 0, 3, 1, 4)  # "B L (K H D) -> K B H L D"
    return q, k, v


def gelu(x):
    return F.gelu(x, approximate="tanh")


def double_block(w, p, img, txt, vec, pe, heads):
    img_shift1, img_scale1, img_gate1, img_shift2, img_scale2, img_gate2 = modulation(w, p + ".img_mod", vec, 6)
    txt_shift1, txt_scale1, txt_gate1, txt_shift2, txt_scale2, txt_gate2 = modulation(w, p + ".txt_mod", vec, 6)

    img_modulated = (1 + img_scale1) * layer_norm(img) + img_shift1
    img_q, img_k, img_v = split_heads(w.linear(p + ".img_attn.qkv", img_modulated), heads)
    img_q = rms_norm(img_q, w.t[p + ".img_attn.norm.query_norm.scale"]).to(img_v)
    img_k = rms_norm(img_k, w.t[p + ".img_attn.norm.key_norm.scale"]).to(img_v)

    txt_modulated = (1 + txt_scale1) * layer_norm(txt) + txt_shift1
    txt_q, txt_k, txt_v = split_heads(w.linear(p + ".txt_attn.qkv", txt_modulated), heads)
    txt_q = rms_norm(txt_q, w.t[p + ".txt_attn.norm.query_norm.scale"]).to(txt_v)
    txt_k = rms_norm(txt_k, w.t[p + ".txt_attn.norm.key_norm.scale"]).to(txt_v)

    q = torch.cat((txt_q, img_q), dim=2)
    k = torch.cat((txt_k, img_k), dim=2)
    v = torch.cat((txt_v, img_v), dim=2)
    attn = attention(q, k, v, pe)
    txt_attn, img_attn = attn[:, : txt.shape[1]], attn[:, txt.shape[1]:]

    img = img + img_gate1 * w.linear(p + ".img_attn.proj", img_attn)
    h = w.linear(p + ".img_mlp.0", (1 + img_scale2) * layer_norm(img) + img_shift2)
    img = img + img_gate2 * w.linear(p + ".img_mlp.2", gelu(h))

    txt = txt + txt_gate1 * w.linear(p + ".txt_attn.proj", txt_attn)
    h = w.linear(p + ".txt_mlp.0", (1 + txt_scale2) * layer_norm(txt) + txt_shift2)
    txt = txt + txt_gate2 * w.linear(p + ".txt_mlp.2", gelu(h))
    return img, txt


def single_block(w, p, x, vec, pe, heads, hidden, mlp_hidden):
    shift, scale, gate = modulation(w, p + ".modulation", vec, 3)
    x_mod = (1 + scale) * layer_norm(x) + shift
    qkv, mlp = torch.split(w.linear(p + ".linear1", x_mod), [3 * hidden, mlp_hidden], dim=-1)
    q, k, v = split_heads(qkv, heads)
    q = rms_norm(q, w.t[p + ".norm.query_norm.scale"]).to(v)
    k = rms_norm(k, w.t[p + ".norm.key_norm.scale"]).to(v)
    attn = attention(q, k, v, pe)
    output = w.linear(p + ".linear2", torch.cat((attn, gelu(mlp)), 2))
    return x + gate * output


def last_layer(w, x, vec):
    shift, scale = w.linear("final_layer.adaLN_modulation.1", F.silu(vec)).chunk(2, dim=1)
    x = (1 + scale[:, None, :]) * layer_norm(x) + shift[:, None, :]
    return w.linear("final_layer.linear", x)


# --- model.py ------------------------------------------------------------------------------------------------------

def count_blocks(w, prefix):
    n = 0
    while any(k.startswith(f"{prefix}.{n}.") for k in w.t):
        n += 1
    return n


def flux_forward(w, img, img_ids, txt, txt_ids, timesteps, y, guidance):
    hidden = w.t["img_in.weight"].shape[0]
    head_dim = w.t["double_blocks.0.img_attn.norm.query_norm.scale"].shape[0]
    heads = hidden // head_dim
    mlp_hidden = w.t["double_blocks.0.img_mlp.0.weight"].shape[0]
    axes_dim = [head_dim // 8, head_dim * 7 // 16, head_dim * 7 // 16]  # [16, 56, 56] for Flux's 128

    img = w.linear("img_in", img)
    vec = mlp_embedder(w, "time_in", timestep_embedding(timesteps, 256))
    if w.has("guidance_in.in_layer.weight"):
        vec = vec + mlp_embedder(w, "guidance_in", timestep_embedding(guidance, 256))
    vec = vec + mlp_embedder(w, "vector_in", y)
    txt = w.linear("txt_in", txt)

    ids = torch.cat((txt_ids, img_ids), dim=1)
    pe = embed_nd(ids, axes_dim, 10000)

    for i in range(count_blocks(w, "double_blocks")):
        img, txt = double_block(w, f"double_blocks.{i}", img, txt, vec, pe, heads)
    img = torch.cat((txt, img), 1)
    for i in range(count_blocks(w, "single_blocks")):
        img = single_block(w, f"single_blocks.{i}", img, vec, pe, heads, hidden, mlp_hidden)
    img = img[:, txt.shape[1]:, ...]
    return last_layer(w, img, vec)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", action="store_true")
    parser.add_argument("--weights")
    parser.add_argument("--inputs")
    parser.add_argument("--out")
    parser.add_argument("--calls", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--float64", action="store_true")
    args = parser.parse_args()
    global COMPUTE
    if args.float64:
        COMPUTE = torch.float64
    if args.version:
        print(torch.__version__)
        return
    torch.set_num_threads(args.threads)
    w = Weights(read_safetensors(args.weights))
    i = read_safetensors(args.inputs)
    with torch.inference_mode():
        for _ in range(args.calls):
            t0 = time.perf_counter()
            c0 = time.process_time()
            out = flux_forward(w, i["img"], i["img_ids"], i["txt"], i["txt_ids"], i["timesteps"], i["y"],
                               i["guidance"])
            print(f"seconds {time.perf_counter() - t0:.4f} cpu {time.process_time() - c0:.4f}", flush=True)
    write_safetensors(args.out, "out", out)


if __name__ == "__main__":
    sys.exit(main())
