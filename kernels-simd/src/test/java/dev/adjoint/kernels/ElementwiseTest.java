package dev.adjoint.kernels;

import static dev.adjoint.kernels.TestSupport.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ElementwiseTest {
    private static final int BIG = 1_000_003;

    private static float[] domain(UnaryKernelOp op, Random rnd, int n) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> random(rnd, n, 0.01f, 5f);
            default -> random(rnd, n, -4f, 4f);
        };
    }

    private static double tol(UnaryKernelOp op) {
        return switch (op) {
            case NEG, ABS, SIGN -> 0;
            case SQRT -> 1.2e-7;
            default -> 4e-6;
        };
    }

    @Test
    void unaryContiguousAllSizes() {
        Random rnd = new Random(1);
        for (UnaryKernelOp op : UnaryKernelOp.values()) {
            for (int n : sizes()) checkUnary(op, new int[] {n}, rnd);
            checkUnary(op, new int[] {BIG}, rnd);
        }
    }

    private static void checkUnary(UnaryKernelOp op, int[] shape, Random rnd) {
        int n = (int) product(shape);
        float[] x = domain(op, rnd, n + 3);
        if (op == UnaryKernelOp.SIGN && n > 2) { x[3] = 0f; x[4] = -0f; }
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) ref[i] = unary(op, x[i + 3]);
        float[] out = poisoned(n);
        Elementwise.unary(op, shape, x, 3, Elementwise.denseStrides(shape), out, POISON_MARGIN, WorkSplitter.SERIAL);
        assertClose(op + " n=" + n, ref, out, POISON_MARGIN, tol(op), 1e-7);
        if (n >= 100_000) {
            float[] par = poisoned(n);
            Elementwise.unary(op, shape, x, 3, Elementwise.denseStrides(shape), par, POISON_MARGIN, POOL);
            assertBitsEqual(op + " pool", out, par);
        }
    }

    @Test
    void unaryStridedLayouts() {
        Random rnd = new Random(2);
        int[][] shapes = {{}, {7}, {3, 9}, {2, 3, 17}, {LANES + 1, 1, 5}, {2, 1, 3, 4}};
        for (int[] shape : shapes) {
            int n = (int) product(shape);
            for (Layout l : layouts(shape, rnd)) {
                for (UnaryKernelOp op : new UnaryKernelOp[] {UnaryKernelOp.EXP, UnaryKernelOp.NEG, UnaryKernelOp.SQRT}) {
                    float[] x = domain(op, rnd, l.length());
                    double[] ref = new double[n];
                    int[] idx = new int[shape.length];
                    for (int f = 0; f < n; f++) ref[f] = unary(op, x[at(l.offset(), l.strides(), unflat(f, shape, idx))]);
                    float[] out = poisoned(n);
                    Elementwise.unary(op, shape, x, l.offset(), l.strides(), out, POISON_MARGIN, WorkSplitter.SERIAL);
                    assertClose(op + " " + l.name() + " " + java.util.Arrays.toString(shape), ref, out, POISON_MARGIN, tol(op), 1e-7);
                }
            }
        }
    }

    @Test
    void binaryCompareSelectAllLayoutPairs() {
        Random rnd = new Random(3);
        int[][] shapes = {{}, {1}, {LANES - 1}, {LANES}, {LANES + 1}, {300}, {3, 9}, {2, 3, 17}, {4, 1, 2 * LANES + 1}, {2, 2, 3, 5}};
        for (int[] shape : shapes) {
            int n = (int) product(shape);
            Layout[] ls = layouts(shape, rnd);
            int[] idx = new int[shape.length];
            for (Layout la : ls) {
                for (Layout lb : ls) {
                    float[] a = random(rnd, la.length(), 0.5f, 3f), b = random(rnd, lb.length(), -2f, 2f);
                    for (int i = 0; i < b.length; i += 3) b[i] = Math.round(b[i]); // ties for EQ/LE
                    for (int i = 0; i < a.length; i += 4) a[i] = Math.round(a[i]);
                    double[] av = new double[n], bv = new double[n];
                    for (int f = 0; f < n; f++) {
                        unflat(f, shape, idx);
                        av[f] = a[at(la.offset(), la.strides(), idx)];
                        bv[f] = b[at(lb.offset(), lb.strides(), idx)];
                    }
                    String where = la.name() + "/" + lb.name() + " " + java.util.Arrays.toString(shape);
                    for (BinaryKernelOp op : BinaryKernelOp.values()) {
                        double[] ref = new double[n];
                        for (int f = 0; f < n; f++) ref[f] = binary(op, av[f], bv[f]);
                        float[] out = poisoned(n);
                        Elementwise.binary(op, shape, a, la.offset(), la.strides(), b, lb.offset(), lb.strides(), out, POISON_MARGIN, WorkSplitter.SERIAL);
                        assertClose(op + " " + where, ref, out, POISON_MARGIN, op == BinaryKernelOp.POW ? 4e-6 : 1e-7, 1e-7);
                    }
                    for (CompareKernelOp op : CompareKernelOp.values()) {
                        double[] ref = new double[n];
                        for (int f = 0; f < n; f++) ref[f] = compare(op, av[f], bv[f]);
                        float[] out = poisoned(n);
                        Elementwise.compare(op, shape, a, la.offset(), la.strides(), b, lb.offset(), lb.strides(), out, POISON_MARGIN, WorkSplitter.SERIAL);
                        assertClose(op + " " + where, ref, out, POISON_MARGIN, 0, 0);
                    }
                    // select: the mask is b's sign pattern (0 where b rounds to 0), picking a or the third operand (dense)
                    float[] m = new float[b.length];
                    for (int i = 0; i < b.length; i++) m[i] = b[i] > 0.3f ? 1f : (b[i] < -0.3f ? -2f : 0f);
                    float[] c = random(rnd, n + 1, -9f, 9f);
                    double[] ref = new double[n];
                    for (int f = 0; f < n; f++) {
                        unflat(f, shape, idx);
                        ref[f] = m[at(lb.offset(), lb.strides(), idx)] != 0 ? av[f] : c[f + 1];
                    }
                    float[] out = poisoned(n);
                    Elementwise.select(shape, m, lb.offset(), lb.strides(), a, la.offset(), la.strides(), c, 1,
                            Elementwise.denseStrides(shape), out, POISON_MARGIN, WorkSplitter.SERIAL);
                    assertClose("select " + where, ref, out, POISON_MARGIN, 0, 0);
                }
            }
        }
    }

    @Test
    void largeBroadcastBinaryMatchesSerialOnPool() {
        Random rnd = new Random(4);
        int[] shape = {997, 1009};
        int n = (int) product(shape);
        float[] a = random(rnd, n, -1, 1), b = random(rnd, 1009, -1, 1), c = random(rnd, 997, 0.5f, 2);
        float[] s1 = poisoned(n), s2 = poisoned(n), p1 = poisoned(n), p2 = poisoned(n);
        Elementwise.binary(BinaryKernelOp.ADD, shape, a, 0, new int[] {1009, 1}, b, 0, new int[] {0, 1}, s1, POISON_MARGIN, WorkSplitter.SERIAL);
        Elementwise.binary(BinaryKernelOp.ADD, shape, a, 0, new int[] {1009, 1}, b, 0, new int[] {0, 1}, p1, POISON_MARGIN, POOL);
        Elementwise.binary(BinaryKernelOp.DIV, shape, a, 0, new int[] {1, 997}, c, 0, new int[] {1, 0}, s2, POISON_MARGIN, WorkSplitter.SERIAL);
        Elementwise.binary(BinaryKernelOp.DIV, shape, a, 0, new int[] {1, 997}, c, 0, new int[] {1, 0}, p2, POISON_MARGIN, POOL);
        assertBitsEqual("add pool", s1, p1);
        assertBitsEqual("div pool", s2, p2);
        double[] ref = new double[n];
        for (int i = 0; i < 997; i++) for (int j = 0; j < 1009; j++) ref[i * 1009 + j] = (double) a[j * 997 + i] / c[i];
        assertClose("div transposed/column", ref, s2, POISON_MARGIN, 1e-7, 1e-7);
    }

    @Test
    void rejectsOutOfBoundsOperands() {
        float[] x = new float[10], out = new float[10];
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Elementwise.unary(UnaryKernelOp.NEG, new int[] {11}, x, 0, new int[] {1}, new float[11], 0, WorkSplitter.SERIAL));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Elementwise.unary(UnaryKernelOp.NEG, new int[] {10}, x, 0, new int[] {1}, out, 1, WorkSplitter.SERIAL));
    }
}
