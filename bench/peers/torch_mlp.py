"""PyTorch peer for `adjoint train`: the same MLP (784-256-128-10, ReLU), batch, SGD with momentum,
on the same Fashion-MNIST files; prints examples/s per epoch and test accuracy.

    /usr/bin/python3 bench/peers/torch_mlp.py --threads 2 --epochs 2
"""
import argparse, gzip, time
import numpy as np
import torch

def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--batch", type=int, default=128)
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
d = a.data
x = torch.tensor(idx(f"{d}/train-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
y = torch.tensor(idx(f"{d}/train-labels-idx1-ubyte.gz"), dtype=torch.long)
tx = torch.tensor(idx(f"{d}/t10k-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
ty = torch.tensor(idx(f"{d}/t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
steps = len(y) // a.batch
for epoch in range(1, a.epochs + 1):
    perm = torch.randperm(len(y))
    start = time.perf_counter()
    cpu0 = time.thread_time()  # with --threads 1 PyTorch computes on this thread: comparable to adjoint's "(... s CPU)"
    total = 0.0
    for s in range(steps):
        idx_ = perm[s * a.batch:(s + 1) * a.batch]
        xb, yb = x[idx_], y[idx_]
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item()
    sec = time.perf_counter() - start
    cpu = time.thread_time() - cpu0
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    print(f"torch epoch {epoch}: loss {total / steps:.4f}, test accuracy {100 * acc:.2f}%, {sec:.1f} s, {steps * a.batch / sec:.0f} examples/s ({cpu:.2f} s CPU)")
