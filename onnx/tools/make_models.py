#!/usr/bin/python3
"""Writes real models in ONNX's backend-test layout, with reference outputs and gradients from torch.

Usage: make_models.py [--out DIR] [--batch B] [--size S] [--list] [MODEL...]

Each MODEL becomes DIR/MODEL/ holding
  model.onnx                       torch.onnx.export of the model in eval mode
  test_data_set_0/input_K.pb       the inputs (serialized TensorProtos, in the graph's input order)
  test_data_set_0/output_K.pb      torch's outputs for them
  test_data_set_0/output_0_cotangent.pb and input_K_grad.pb, for every float input K:
                                   a random cotangent c and d sum(output_0 * c) / d input_K, by torch's autograd
That is the layout `./adjoint onnx test [--grad] DIR` and the onnx module's model tests read.

The models (default: all):
  resnet18 mobilenet_v2 squeezenet1_1 shufflenet_v2_x0_5 efficientnet_b0 densenet121
      torchvision 0.14 classifiers with random weights; every batch norm gets non-trivial running
      statistics and affine parameters (otherwise BN in eval mode is close to the identity and a
      wrong mean/variance/eps would go unseen); input [B, 3, S, S] (densenet121: 32x32,
      see MODELS), a dynamic batch axis "batch"
  transformer   token ids (int64 [B, 12], vocab 50) -> embedding + learned positions ->
                torch.nn.TransformerEncoder (2 pre-norm layers, d 32, 4 heads, GELU) -> LayerNorm -> logits
  mlp_layernorm_gelu   Linear -> LayerNorm -> GELU (erf) -> Linear -> LayerNorm -> GELU -> Linear, opset 17
  conv1d        Conv1d with groups and dilation, strided Conv1d, ConvTranspose1d (stride, padding,
                output_padding, groups), opset 17

Deterministic for a given torch build: every random draw comes from one seeded generator per model.
Debian packages: python3-torch (1.13), python3-torchvision (0.14), python3-onnx (1.12).
The torchvision models are 5 to 45 MB each, so they are generated (into target/) rather than
committed; see onnx/README.md.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn


def randomize_batch_norm(model, gen):
    """Gives every batch norm random running statistics and affine parameters."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)


def torchvision_model(name, own_size=None):
    import torchvision

    def make(batch, size, gen):
        size = own_size or size
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        model = getattr(torchvision.models, name)(weights=None)
        randomize_batch_norm(model, gen)
        x = torch.randn(batch, 3, size, size, generator=gen)
        return model, [x], ["input"], True

    return make


class Transformer(nn.Module):
    """Token ids -> logits: embedding, learned positions, a pre-norm TransformerEncoder, a head."""

    def __init__(self, vocab=50, length=12, d=32, heads=4, ff=64, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, length, d) * 0.1)
        # Pre-norm (norm_first) keeps torch off its fused inference fast path, which torch.onnx
        # cannot export, and is what current transformers use anyway.
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.1, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, ids):
        return self.head(self.norm(self.encoder(self.embed(ids) + self.pos)))


def transformer(batch, size, gen):
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
    model = Transformer()
    ids = torch.randint(0, 50, (batch, 12), generator=gen, dtype=torch.int64)
    return model, [ids], ["ids"], True


def mlp(batch, size, gen):
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
    model = nn.Sequential(
        nn.Linear(20, 48), nn.LayerNorm(48), nn.GELU(),
        nn.Linear(48, 32), nn.LayerNorm(32, eps=1e-3), nn.GELU(),
        nn.Linear(32, 5))
    with torch.no_grad():  # LayerNorm starts as the identity affine map; make its parameters matter
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
    x = torch.randn(batch, 20, generator=gen)
    return model, [x], ["x"], False


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(4, 8, 3, padding=2, dilation=2, groups=2)
        self.b = nn.Conv1d(8, 12, 5, stride=2, padding=1, groups=4)
        self.c = nn.ConvTranspose1d(12, 6, 4, stride=2, padding=1, output_padding=1, groups=3)
        self.d = nn.ConvTranspose1d(6, 3, 3, stride=1, dilation=2)

    def forward(self, x):
        return self.d(torch.tanh(self.c(torch.relu(self.b(torch.relu(self.a(x)))))))


def conv1d(batch, size, gen):
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
    model = Conv1dNet()
    x = torch.randn(batch, 4, 29, generator=gen)
    return model, [x], ["x"], False


# name -> (maker, opset). The opsets differ on purpose: the importer reads opsets 11 to 17.
MODELS = {
    "resnet18": (torchvision_model("resnet18"), 13),
    "mobilenet_v2": (torchvision_model("mobilenet_v2"), 13),
    "squeezenet1_1": (torchvision_model("squeezenet1_1"), 11),
    "shufflenet_v2_x0_5": (torchvision_model("shufflenet_v2_x0_5"), 13),
    "efficientnet_b0": (torchvision_model("efficientnet_b0"), 13),
    # 32x32: densenet121's 120 ReLUs over [2, 3, 64, 64] see a few pre-activations within float32
    # rounding of 0, where any float32 engine's gradient mask may differ from torch's (a kink, not
    # a bug: one of 16384 mask elements flipped, and the input gradient differed in 412 places).
    "densenet121": (torchvision_model("densenet121", own_size=32), 17),
    "transformer": (transformer, 14),
    "mlp_layernorm_gelu": (mlp, 17),
    "conv1d": (conv1d, 17),
}


def save_tensor(array, name, path):
    from onnx import numpy_helper
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array), name).SerializeToString())


def write(name, out_dir, batch, size, seed):
    import onnx
    maker, opset = MODELS[name]
    gen = torch.Generator().manual_seed(seed)
    model, inputs, in_names, dynamic_batch = maker(batch, size, gen)
    model.eval()
    dynamic = {n: {0: "batch"} for n in in_names + ["output"]} if dynamic_batch else None
    d = os.path.join(out_dir, name)
    data = os.path.join(d, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    torch.onnx.export(model, tuple(inputs), os.path.join(d, "model.onnx"), opset_version=opset,
                      input_names=in_names, output_names=["output"], dynamic_axes=dynamic,
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(os.path.join(d, "model.onnx")))

    # Reference outputs and the gradient of sum(output_0 * cotangent) with respect to each float input.
    leaves = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    out = model(*leaves)
    outs = out if isinstance(out, (tuple, list)) else [out]
    for k, x in enumerate(inputs):
        save_tensor(x.numpy(), in_names[k], os.path.join(data, f"input_{k}.pb"))
    for k, o in enumerate(outs):
        save_tensor(o.detach().numpy(), f"output_{k}", os.path.join(data, f"output_{k}.pb"))
    floats = [k for k, x in enumerate(leaves) if x.requires_grad]
    if floats:
        cot = torch.randn(outs[0].shape, generator=gen)
        grads = torch.autograd.grad((outs[0] * cot).sum(), [leaves[k] for k in floats])
        save_tensor(cot.numpy(), "output_0_cotangent", os.path.join(data, "output_0_cotangent.pb"))
        for k, g in zip(floats, grads):
            save_tensor(g.numpy(), f"input_{k}_grad", os.path.join(data, f"input_{k}_grad.pb"))
    size_mb = os.path.getsize(os.path.join(d, "model.onnx")) / 2**20
    print(f"{name}: opset {opset}, inputs {[tuple(x.shape) for x in inputs]}, "
          f"outputs {[tuple(o.shape) for o in outs]}, {size_mb:.1f} MB")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="*", help="models to write (default: all)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "models"))
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--size", type=int, default=64, help="image height and width for the torchvision models")
    p.add_argument("--seed", type=int, default=20261201)
    p.add_argument("--list", action="store_true", help="print the model names and exit")
    a = p.parse_args()
    if a.list:
        print("\n".join(MODELS))
        return
    unknown = [m for m in a.models if m not in MODELS]
    if unknown:
        sys.exit(f"make_models.py: unknown model {', '.join(unknown)}; known: {', '.join(MODELS)}")
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for name in a.models or MODELS:
        write(name, a.out, a.batch, a.size, a.seed)


if __name__ == "__main__":
    main()
