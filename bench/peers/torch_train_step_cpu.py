"""PyTorch peer of dev.adjoint.bench.TrainStepCpuTime: one SGD-momentum step of MLP 784-512-512-10
(batch 128) and LeNet-5 (batch 64, NCHW) on one thread, timed in thread CPU time
(time.thread_time, which time-slicing on a shared machine does not inflate): median [min, max] ms
over repetitions of 20 steps."""
import sys, time, statistics
import torch
nn = torch.nn
torch.set_num_threads(1)

def timing(model, x, y, reps):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(40):
        step()
    ms = []
    for _ in range(reps):
        t0 = time.thread_time()
        for _ in range(20):
            step()
        ms.append((time.thread_time() - t0) / 20 * 1e3)
    return statistics.median(ms), min(ms), max(ms)

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 7
torch.manual_seed(0)
mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
lenet = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                      nn.Linear(84, 10))
a = timing(mlp, torch.rand(128, 784), torch.randint(0, 10, (128,)), reps)
c = timing(lenet, torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,)), reps)
print("torch 1 thread MLP 784-512-512-10 batch 128 SGD step: cpu median %.2f ms [%.2f, %.2f]" % a)
print("torch 1 thread LeNet-5 batch 64 SGD step: cpu median %.2f ms [%.2f, %.2f]" % c)
