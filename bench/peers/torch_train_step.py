"""PyTorch peer of dev.adjoint.bench.TrainStepTiming: one SGD-momentum step of MLP 784-512-512-10
(batch 128) and LeNet-5 (batch 64), median [min, max] ms over repetitions of 20 steps, for each
thread count in 1..cores (the best is PyTorch's best configuration). On 1 thread it also prints the
median thread CPU time (time.thread_time), which a busy machine does not inflate: compare it with
the whole-run figure of `TrainStepTiming profile 1` or with `TrainStepTiming cpu`.
Usage: torch_train_step.py [REPS [THREADS]]."""
import os, sys, time, statistics
import torch
nn = torch.nn

def timing(model, x, y, reps):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(20):
        step()
    ms, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(20):
            step()
        ms.append((time.perf_counter() - t0) / 20 * 1e3)
        cpu.append((time.thread_time() - c0) / 20 * 1e3)
    return statistics.median(ms), min(ms), max(ms), statistics.median(cpu)

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 7
# An optional second argument times that one thread count only (1: the peer of `TrainStepTiming cpu`).
counts = [int(sys.argv[2])] if len(sys.argv) > 2 else range(1, (os.cpu_count() or 1) + 1)
for threads in counts:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    lenet = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    a = timing(mlp, torch.rand(128, 784), torch.randint(0, 10, (128,)), reps)
    c = timing(lenet, torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,)), reps)
    print("torch %d thread(s) MLP 784-512-512-10 batch 128 SGD step: median %.2f ms [%.2f, %.2f], thread CPU %.2f ms" % ((threads,) + a))
    print("torch %d thread(s) LeNet-5 batch 64 SGD step: median %.2f ms [%.2f, %.2f], thread CPU %.2f ms" % ((threads,) + c))
