"""PyTorch peer for `adjoint train --model cnn`: the same LeNet-like CNN (conv 5x5x6 pad 2, ReLU,
max pool 2, conv 5x5x16, ReLU, max pool 2, 400-120-84-10 with ReLU), batch, SGD with momentum, on
the same Fashion-MNIST files, the last partial batch included; prints the time and examples/s of
each epoch (training only, as `adjoint train` does) and the test accuracy after it.

    /usr/bin/python3 bench/peers/torch_cnn.py --threads 1 --epochs 3
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
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--batch", type=int, default=128)
p.add_argument("--lr", type=float, default=0.05)
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
d = a.data
x = torch.tensor(idx(f"{d}/train-images-idx3-ubyte.gz").reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
y = torch.tensor(idx(f"{d}/train-labels-idx1-ubyte.gz"), dtype=torch.long)
tx = torch.tensor(idx(f"{d}/t10k-images-idx3-ubyte.gz").reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
ty = torch.tensor(idx(f"{d}/t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
nn = torch.nn
model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
steps = (len(y) + a.batch - 1) // a.batch
for epoch in range(1, a.epochs + 1):
    perm = torch.randperm(len(y))
    start = time.perf_counter()
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
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    print(f"torch {a.threads} thread(s) epoch {epoch}: loss {total / steps:.4f}, test accuracy {100 * acc:.2f}%, {sec:.1f} s, "
          f"{len(y) / sec:.0f} examples/s", flush=True)
