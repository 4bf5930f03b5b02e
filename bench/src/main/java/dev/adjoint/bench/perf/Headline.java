package dev.adjoint.bench.perf;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.bench.cli.ModelChoice;
import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.WorkSplitter;
import dev.adjoint.train.Batch;
import dev.adjoint.train.HostArray;
import dev.adjoint.train.Layer;
import dev.adjoint.train.Sgd;
import dev.adjoint.train.TrainState;
import dev.adjoint.train.TrainStep;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The headline problems of docs/PERFORMANCE.md, each a user-level workload with its peer in
 * {@code bench/peers/headline.py} under the same id: SGEMM at square sizes and at the MLP's
 * shapes (numpy/OpenBLAS), the conv layers A-D forward and forward+backward through autodiff
 * gradient graphs (PyTorch/oneDNN, channels last), the memory-bound kernels (numpy), and the
 * training steps of the MLP and the LeNet-like CNN through {@link TrainStep} with donation
 * (PyTorch). Every workload runs through what users call: {@link Cpu#compile} plans or
 * {@link TrainStep#run}.
 */
public final class Headline {
    private Headline() {}

    /**
     * One workload.
     *
     * @param id the id the peer script shares (e.g. {@code gemm-512}, {@code conv-A-fwdbwd})
     * @param group table section: gemm, conv, memory or training
     * @param what the problem, for the table
     * @param flops floating-point operations per run (0 for memory-bound ones)
     * @param bytes bytes a run must at least move (0 for compute-bound ones)
     * @param run one run
     */
    public record Workload(String id, String group, String what, double flops, double bytes, Runnable run) {}

    /** The conv layers A-D (as ConvBench and bench/peers/torch_conv.py): N, H(=W), Cin, Cout, k, stride, pad. */
    static final int[][] CONV_LAYERS = {{32, 14, 32, 64, 3, 1, 1}, {8, 56, 64, 64, 3, 1, 1}, {8, 56, 64, 64, 3, 2, 1}, {32, 28, 1, 32, 5, 1, 2}};

    /** Workload ids in table order; {@code quick} drops the largest problems. */
    public static List<String> ids(boolean quick) {
        List<String> ids = new ArrayList<>();
        for (int n : quick ? new int[] {128, 512} : new int[] {128, 256, 512, 1024, 2048}) ids.add("gemm-" + n);
        ids.addAll(List.of("gemm-128x784x512", "gemm-128x512x512", "gemm-512x128x784t", "gemm-128x512x10"));
        for (String l : List.of("A", "B", "C", "D")) {
            ids.add("conv-" + l + "-fwd");
            ids.add("conv-" + l + "-fwdbwd");
        }
        ids.addAll(List.of("neg", "exp", "chain4", "transpose", "sum", "rowsum"));
        ids.addAll(List.of("train-mlp", "train-lenet"));
        return ids;
    }

    /** Builds workload {@code id} for plans split by {@code splitter}. */
    public static Workload build(String id, WorkSplitter splitter) {
        CompileOptions o = CompileOptions.defaults().withSplitter(splitter);
        if (id.startsWith("gemm-")) return gemm(id, o);
        if (id.startsWith("conv-")) return conv(id, o);
        if (id.startsWith("train-")) return train(id, o);
        return memory(id, o);
    }

    private static Workload gemm(String id, CompileOptions o) {
        String size = id.substring(5);
        boolean transposed = size.endsWith("t");
        if (transposed) size = size.substring(0, size.length() - 1);
        String[] p = size.split("x");
        int m = Integer.parseInt(p[0]), k = p.length == 1 ? m : Integer.parseInt(p[1]), n = p.length == 1 ? m : Integer.parseInt(p[2]);
        Graph g = new Graph();
        Tensor c;
        String what;
        if (transposed) {
            // A weight gradient: dy^T x with dy [K, M] and x [K, N] stored as the forward pass left them.
            Tensor a = g.input("a", k, m), b = g.input("b", k, n);
            c = a.transpose(1, 0).matmul(b);
            what = "A^T B, " + m + "x" + k + "x" + n;
        } else {
            Tensor a = g.input("a", m, k), b = g.input("b", k, n);
            c = a.matmul(b);
            what = "A B, " + m + "x" + k + "x" + n;
        }
        Plan plan = Cpu.compile(List.of(c), o);
        Object[] feeds = random(plan);
        return new Workload(id, "gemm", what, 2.0 * m * k * n, 0, () -> plan.run(feeds));
    }

    private static Workload conv(String id, CompileOptions o) {
        String[] p = id.split("-");
        int[] l = CONV_LAYERS[p[1].charAt(0) - 'A'];
        boolean backward = p[2].equals("fwdbwd");
        int n = l[0], h = l[1], cin = l[2], cout = l[3], k = l[4], s = l[5], pad = l[6];
        Graph g = new Graph();
        Tensor x = g.input("x", n, h, h, cin), w = g.input("k", k, k, cin, cout);
        Tensor y = Nn.conv(x, w, new int[] {s, s}, new int[] {pad, pad});
        int ho = y.shape().dim(1);
        double fwdFlops = 2.0 * n * ho * ho * cout * k * k * cin;
        List<Tensor> outs;
        double flops;
        if (backward) {
            Tensor dy = g.input("dy", y.shape().dims());
            Tensor loss = y.mul(dy).sum();
            // Layer D is a first layer: it needs no input gradient (PyTorch's peer skips it too).
            boolean first = cin == 1;
            outs = new ArrayList<>(List.of(y));
            outs.addAll(first ? Autodiff.grad(loss, List.of(w)) : Autodiff.grad(loss, List.of(x, w)));
            flops = fwdFlops * (first ? 2 : 3);
        } else {
            outs = List.of(y);
            flops = fwdFlops;
        }
        Plan plan = Cpu.compile(outs, o);
        Object[] feeds = random(plan);
        String what = String.format("%s N%d %dx%d %d->%d k%d s%d%s", p[1], n, h, h, cin, cout, k, s, backward ? ", fwd+bwd" : ", fwd");
        return new Workload(id, "conv", what, flops, 0, () -> plan.run(feeds));
    }

    /** Whether a memory workload only reads (a reduction): its yardstick is read bandwidth, not copy. */
    static boolean readsOnly(String id) {
        return id.equals("sum") || id.equals("rowsum");
    }

    private static Workload memory(String id, CompileOptions o) {
        int n = 1 << 24, side = 1 << 12;
        Graph g = new Graph();
        Tensor a = g.input("a", n), b = g.input("b", n), m = g.input("m", side, side);
        record Spec(Tensor out, Tensor[] in, String what, double bytes) {}
        Spec spec = switch (id) {
            case "neg" -> new Spec(a.neg(), new Tensor[] {a}, "-a, 16M floats", 8.0 * n);
            case "exp" -> new Spec(a.exp(), new Tensor[] {a}, "exp(a), 16M floats", 8.0 * n);
            case "chain4" -> new Spec(a.mul(b).add(a).mul(b).sub(a), new Tensor[] {a, b}, "((a*b+a)*b)-a, 16M floats", 12.0 * n);
            case "transpose" -> new Spec(m.transpose(1, 0), new Tensor[] {m}, "4096x4096 transpose", 8.0 * n);
            case "sum" -> new Spec(a.sum(), new Tensor[] {a}, "sum of 16M floats", 4.0 * n);
            case "rowsum" -> new Spec(m.sum(1), new Tensor[] {m}, "row sums of 4096x4096", 4.0 * n);
            default -> throw new IllegalArgumentException("unknown headline workload '" + id + "'; one of " + ids(false));
        };
        Plan plan = Cpu.compile(List.of(spec.out()), o);
        Object[] feeds = random(plan);
        return new Workload(id, "memory", spec.what(), 0, spec.bytes(), () -> plan.run(feeds));
    }

    private static Workload train(String id, CompileOptions o) {
        boolean lenet = id.equals("train-lenet");
        ModelChoice choice = lenet ? ModelChoice.cnn : ModelChoice.mlp;
        Layer model = choice.build(lenet ? null : new int[] {512, 512});
        int batch = lenet ? 64 : 128;
        TrainStep step = TrainStep.of(model, Sgd.of(0.01, 0.9), Nn::crossEntropy).with(2, o).withDonation();
        SplittableRandom rnd = new SplittableRandom(7);
        float[] x = new float[batch * 784];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = i % 10;
        Batch b = new Batch(HostArray.f32(x, choice.inputDims(batch)), HostArray.i32(y, batch));
        TrainState[] state = {step.init(1)};
        // About 3 FLOPs x 2 per weight and example (forward, input gradient, weight gradient) for dense layers;
        // the CNN's convolutions reuse each weight at every output position, counted by the layers' own MACs.
        double flops = lenet ? 6.0 * batch * (28 * 28 * 6 * 25 + 10 * 10 * 16 * 150 + 400 * 120 + 120 * 84 + 84 * 10)
                : 6.0 * batch * model.parameterCount();
        String what = choice.describe(lenet ? null : new int[] {512, 512}) + ", batch " + batch + ", SGD momentum step";
        return new Workload(id, "training", what, flops, 0, () -> state[0] = step.run(state[0], b).state());
    }

    private static Object[] random(Plan p) {
        SplittableRandom rnd = new SplittableRandom(7);
        Object[] f = new Object[p.inputs().size()];
        for (int i = 0; i < f.length; i++) {
            float[] v = new float[p.inputs().get(i).shape().size()];
            for (int j = 0; j < v.length; j++) v[j] = (float) rnd.nextDouble(-1, 1);
            f[i] = v;
        }
        return f;
    }
}
