"""Adjoint against PyTorch on the issue's LeNet and CNN-epoch figures, interleaved in one run
(A, B, B, A, ...) with the load average before each, as docs/PERFORMANCE.md asks on a shared machine:

- one SGD-momentum step: `dev.adjoint.bench.TrainStepTiming` (MLP 784-512-512-10 batch 128 and
  LeNet-5 batch 64, Adjoint's default pool) against bench/peers/torch_train_step.py (PyTorch at
  every thread count; its best is the comparison);
- a Fashion-MNIST CNN epoch: `./adjoint train --model cnn` against bench/peers/torch_cnn.py at 1 and
  2 threads (the last epoch of each run, past warm-up, is the figure).

    ./adjoint --version     # builds bench/target once
    /usr/bin/python3 bench/peers/compare_lenet_cnn.py --rounds 3 --epochs 2
"""
import argparse, os, re, statistics, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
p = argparse.ArgumentParser()
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--epochs", type=int, default=2, help="epochs per CNN run (the last one is timed)")
p.add_argument("--reps", type=int, default=7, help="repetitions of 20 steps per step timing")
p.add_argument("--skip-steps", action="store_true")
p.add_argument("--skip-epochs", action="store_true")
p.add_argument("--threads", default="1,2", help="thread counts for the CNN epoch")
a = p.parse_args()
jdk = os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64")
java = [f"{jdk}/bin/java", "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "--sun-misc-unsafe-memory-access=allow",
        "-cp", f"{root}/bench/target/bench-0.1.0-SNAPSHOT.jar:{root}/bench/target/lib/*"]
data = "/usr/share/datasets/fashion-mnist"

def load():
    return open("/proc/loadavg").read().split()[0]

def run(cmd):
    la = load()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return la, out.stdout

results = {}
def record(key, ms, la):
    results.setdefault(key, []).append((ms, la))
    print(f"  {key}: {ms:.2f} (load {la})", flush=True)

step_re = re.compile(r"^(adjoint|torch (\d) thread\(s\)) (MLP|LeNet)\S* .*median ([0-9.]+) ms", re.M)
for r in range(a.rounds):
    order = ["adjoint", "torch"] if r % 2 == 0 else ["torch", "adjoint"]
    if not a.skip_steps:
        print(f"round {r + 1}: steps", flush=True)
        for who in order:
            cmd = java + ["dev.adjoint.bench.TrainStepTiming", str(a.reps)] if who == "adjoint" else \
                ["/usr/bin/python3", "bench/peers/torch_train_step.py", str(a.reps)]
            la, out = run(cmd)
            for m in step_re.finditer(out):
                record(f"{m.group(3)} step ms, " + ("adjoint" if m.group(1) == "adjoint" else f"torch {m.group(2)}t"), float(m.group(4)), la)
    if not a.skip_epochs:
        print(f"round {r + 1}: CNN epochs", flush=True)
        for t in a.threads.split(","):
            for who in order:
                cmd = java + ["dev.adjoint.bench.Main", "train", "--model", "cnn", "--epochs", str(a.epochs), "--threads", t, "--data", data] \
                    if who == "adjoint" else ["/usr/bin/python3", "bench/peers/torch_cnn.py", "--threads", t, "--epochs", str(a.epochs)]
                la, out = run(cmd)
                ep = re.findall(r"epoch (\d+): loss [0-9.]+, test accuracy ([0-9.]+)%, ([0-9.]+) s", out)
                if not ep:
                    sys.exit(f"no epoch line in:\n{out}")
                record(f"CNN epoch {ep[-1][0]} s, {who} {t}t", float(ep[-1][2]), la)

print("\nmedian [min, max] over rounds, load averages seen")
for k in sorted(results):
    v = [x for x, _ in results[k]]
    print(f"{k}: {statistics.median(v):.2f} [{min(v):.2f}, {max(v):.2f}], load {', '.join(l for _, l in results[k])}")
