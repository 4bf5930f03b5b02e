package dev.adjoint.kernels;

import static dev.adjoint.kernels.TestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FusedProgramTest {
    /** A program in both forms: the kernel's and a double-precision reference. */
    static final class Prog {
        final int inputs;
        final List<int[]> ins = new ArrayList<>(); // kind, op, a, b, c
        final List<Float> consts = new ArrayList<>();
        FusedProgram compiled;

        Prog(int inputs) { this.inputs = inputs; }

        double eval(double[] operands) {
            double[] v = new double[ins.size()];
            for (int i = 0; i < v.length; i++) {
                int[] t = ins.get(i);
                v[i] = switch (t[0]) {
                    case FusedProgram.LOAD -> operands[t[2]];
                    case FusedProgram.CONST -> consts.get(i);
                    case FusedProgram.UNARY -> unary(UnaryKernelOp.values()[t[1]], v[t[2]]);
                    case FusedProgram.BINARY -> binary(BinaryKernelOp.values()[t[1]], v[t[2]], v[t[3]]);
                    case FusedProgram.COMPARE -> compare(CompareKernelOp.values()[t[1]], v[t[2]], v[t[3]]);
                    default -> v[t[2]] != 0 ? v[t[3]] : v[t[4]];
                };
            }
            return v[v.length - 1];
        }
    }

    private static final UnaryKernelOp[] SAFE_UNARY = {UnaryKernelOp.NEG, UnaryKernelOp.TANH, UnaryKernelOp.LOGISTIC,
            UnaryKernelOp.ABS, UnaryKernelOp.EXP};
    private static final BinaryKernelOp[] SAFE_BINARY = {BinaryKernelOp.ADD, BinaryKernelOp.SUB, BinaryKernelOp.MUL,
            BinaryKernelOp.MAX, BinaryKernelOp.MIN};

    /**
     * A random program whose values stay bounded and whose compares and signs only look at
     * raw operands and constants, so float and double evaluation take the same branches.
     */
    static Prog randomProgram(Random rnd, int inputs, int length) {
        Prog p = new Prog(inputs);
        FusedProgram.Builder b = FusedProgram.builder(inputs);
        List<Integer> raw = new ArrayList<>();
        List<Integer> bounded = new ArrayList<>();
        for (int k = 0; k < inputs; k++) {
            int id = b.load(k);
            p.ins.add(new int[] {FusedProgram.LOAD, 0, k, -1, -1});
            p.consts.add(0f);
            raw.add(id);
            bounded.add(id);
        }
        for (int i = 0; i < length; i++) {
            int kind = rnd.nextInt(6);
            int id;
            int x = bounded.get(rnd.nextInt(bounded.size())), y = bounded.get(rnd.nextInt(bounded.size()));
            switch (kind) {
                case 0 -> {
                    float c = Math.round(rnd.nextFloat() * 8 - 4) / 2f;
                    id = b.constant(c);
                    p.ins.add(new int[] {FusedProgram.CONST, 0, -1, -1, -1});
                    p.consts.add(c);
                    raw.add(id);
                    bounded.add(id);
                    continue;
                }
                case 1 -> {
                    UnaryKernelOp op = SAFE_UNARY[rnd.nextInt(SAFE_UNARY.length)];
                    if (op == UnaryKernelOp.EXP) { op = UnaryKernelOp.TANH; }
                    id = b.unary(op, x);
                    p.ins.add(new int[] {FusedProgram.UNARY, op.ordinal(), x, -1, -1});
                }
                case 2, 3 -> {
                    BinaryKernelOp op = SAFE_BINARY[rnd.nextInt(SAFE_BINARY.length)];
                    id = b.binary(op, x, y);
                    p.ins.add(new int[] {FusedProgram.BINARY, op.ordinal(), x, y, -1});
                }
                case 4 -> {
                    CompareKernelOp op = CompareKernelOp.values()[rnd.nextInt(5)];
                    int rx = raw.get(rnd.nextInt(raw.size())), ry = raw.get(rnd.nextInt(raw.size()));
                    id = b.compare(op, rx, ry);
                    p.ins.add(new int[] {FusedProgram.COMPARE, op.ordinal(), rx, ry, -1});
                    raw.add(id);
                }
                default -> {
                    int m = raw.get(rnd.nextInt(raw.size()));
                    id = b.select(m, x, y);
                    p.ins.add(new int[] {FusedProgram.SELECT, 0, m, x, y});
                }
            }
            p.consts.add(0f);
            // keep magnitudes bounded: squash every few steps
            if (rnd.nextInt(3) == 0) {
                int t = b.unary(UnaryKernelOp.TANH, id);
                p.ins.add(new int[] {FusedProgram.UNARY, UnaryKernelOp.TANH.ordinal(), id, -1, -1});
                p.consts.add(0f);
                id = t;
            }
            bounded.add(id);
        }
        p.compiled = b.build(p.ins.size() - 1);
        return p;
    }

    private static float[][] operands(Random rnd, Layout[] ls) {
        float[][] xs = new float[ls.length][];
        for (int k = 0; k < ls.length; k++) {
            xs[k] = random(rnd, ls[k].length(), -2f, 2f);
            for (int i = 0; i < xs[k].length; i += 5) xs[k][i] = Math.round(xs[k][i]);
        }
        return xs;
    }

    private static double[] reference(Prog p, int[] shape, float[][] xs, Layout[] ls) {
        int n = (int) product(shape);
        double[] ref = new double[n], ops = new double[ls.length];
        int[] idx = new int[shape.length];
        for (int f = 0; f < n; f++) {
            unflat(f, shape, idx);
            for (int k = 0; k < ls.length; k++) ops[k] = xs[k][at(ls[k].offset(), ls[k].strides(), idx)];
            ref[f] = p.eval(ops);
        }
        return ref;
    }

    @Test
    void randomProgramsOverLayouts() {
        Random rnd = new Random(11);
        int[][] shapes = {{}, {1}, {LANES - 1}, {LANES + 1}, {257}, {3, 70}, {2, 3, 2 * LANES + 1}, {3, 1, 4, 5}, {600, 3}};
        for (int trial = 0; trial < 150; trial++) {
            int[] shape = shapes[trial % shapes.length];
            int inputs = 1 + rnd.nextInt(3);
            Prog p = randomProgram(rnd, inputs, 1 + rnd.nextInt(10));
            Layout[] all = layouts(shape, rnd), ls = new Layout[inputs];
            for (int k = 0; k < inputs; k++) ls[k] = all[rnd.nextInt(all.length)];
            float[][] xs = operands(rnd, ls);
            double[] ref = reference(p, shape, xs, ls);
            float[] out = poisoned(ref.length);
            run(p.compiled, shape, xs, ls, out, WorkSplitter.SERIAL);
            assertClose("trial " + trial + " " + Arrays.toString(shape), ref, out, POISON_MARGIN, 1e-5, 1e-5);
        }
    }

    private static void run(FusedProgram f, int[] shape, float[][] xs, Layout[] ls, float[] out, WorkSplitter sp) {
        int[] offs = new int[ls.length];
        int[][] st = new int[ls.length][];
        for (int k = 0; k < ls.length; k++) { offs[k] = ls[k].offset(); st[k] = ls[k].strides(); }
        f.run(shape, xs, offs, st, out, POISON_MARGIN, sp);
    }

    @Test
    void chainOnLargeArraysMatchesSerialOnPool() {
        Random rnd = new Random(12);
        int n = 1_000_003;
        FusedProgram.Builder b = FusedProgram.builder(2);
        int x = b.load(0), y = b.load(1);
        int e = b.unary(UnaryKernelOp.EXP, b.binary(BinaryKernelOp.MUL, x, b.constant(0.5f)));
        int s = b.select(b.compare(CompareKernelOp.GT, x, y), e, b.unary(UnaryKernelOp.TANH, y));
        FusedProgram p = b.build(b.binary(BinaryKernelOp.ADD, s, b.unary(UnaryKernelOp.LOG, b.unary(UnaryKernelOp.ABS, y))));
        float[] a = random(rnd, n, -3, 3), c = random(rnd, n, -3, 3);
        float[] o1 = poisoned(n), o2 = poisoned(n);
        int[][] st = {{1}, {1}};
        p.run(new int[] {n}, new float[][] {a, c}, new int[2], st, o1, POISON_MARGIN, WorkSplitter.SERIAL);
        p.run(new int[] {n}, new float[][] {a, c}, new int[2], st, o2, POISON_MARGIN, POOL);
        assertBitsEqual("pool vs serial", o1, o2);
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) {
            double sel = a[i] > c[i] ? Math.exp(a[i] * 0.5) : Math.tanh(c[i]);
            ref[i] = sel + Math.log(Math.abs(c[i]));
        }
        assertClose("chain", ref, o1, POISON_MARGIN, 1e-5, 1e-6);
    }

    @Test
    void runAllocatesNothingOnceWarm() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        FusedProgram.Builder b = FusedProgram.builder(2);
        int x = b.load(0), y = b.load(1);
        FusedProgram p = b.build(b.unary(UnaryKernelOp.TANH, b.binary(BinaryKernelOp.ADD, b.binary(BinaryKernelOp.MUL, x, y), b.constant(1f))));
        int n = 10_000;
        float[][] in = {new float[n], new float[n * 3]};
        int[] offs = {0, 0};
        int[][] st = {{100, 1}, {1, 100}};
        int[] shape = {100, 100};
        float[] out = new float[n];
        for (int i = 0; i < 20_000; i++) p.run(shape, in, offs, st, out, 0, WorkSplitter.SERIAL);
        long per = TestSupport.warmAllocationPerRun(() -> p.run(shape, in, offs, st, out, 0, WorkSplitter.SERIAL), 1000, 16, 5000);
        assertTrue(per < 16, "allocated " + per + " B per run");
    }

    @Test
    void builderChecks() {
        FusedProgram.Builder b = FusedProgram.builder(1);
        assertThrows(IllegalArgumentException.class, () -> b.load(1));
        assertThrows(IllegalArgumentException.class, () -> b.unary(UnaryKernelOp.NEG, 0));
        int x = b.load(0);
        FusedProgram p = b.build(b.binary(BinaryKernelOp.ADD, x, x));
        assertEquals(1, p.inputCount());
        assertThrows(IllegalArgumentException.class, () -> p.run(new int[] {3}, new float[][] {new float[2]}, new int[1],
                new int[][] {{1}}, new float[3], 0, WorkSplitter.SERIAL));
    }
}
