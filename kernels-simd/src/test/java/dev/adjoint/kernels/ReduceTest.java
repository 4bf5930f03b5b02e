package dev.adjoint.kernels;

import static dev.adjoint.kernels.TestSupport.*;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReduceTest {
    private static double[] reference(ReduceKernelOp op, int[] shape, float[] x, int off, int[] st, boolean[] red, double[] magOut) {
        int r = shape.length;
        int[] keptShape = new int[r];
        int nk = 0;
        for (int d = 0; d < r; d++) if (!red[d]) keptShape[nk++] = shape[d];
        keptShape = Arrays.copyOf(keptShape, nk);
        int outN = (int) product(keptShape);
        double[] ref = new double[outN];
        Arrays.fill(ref, op == ReduceKernelOp.SUM ? 0 : Double.NEGATIVE_INFINITY);
        int[] idx = new int[r], kidx = new int[nk];
        long n = product(shape);
        double mag = 0;
        for (long f = 0; f < n; f++) {
            unflat(f, shape, idx);
            int k = 0;
            for (int d = 0; d < r; d++) if (!red[d]) kidx[k++] = idx[d];
            int o = at(0, Elementwise.denseStrides(keptShape), kidx);
            double v = x[at(off, st, idx)];
            ref[o] = op == ReduceKernelOp.SUM ? ref[o] + v : Math.max(ref[o], v);
            mag += Math.abs(v);
        }
        magOut[0] = mag;
        return ref;
    }

    private static void check(ReduceKernelOp op, int[] shape, float[] x, int off, int[] st, int[] axes, String what) {
        boolean[] red = new boolean[shape.length];
        for (int a : axes) red[a] = true;
        double[] mag = new double[1];
        double[] ref = reference(op, shape, x, off, st, red, mag);
        float[] out = poisoned(ref.length), par = poisoned(ref.length);
        Reduce.reduce(op, shape, x, off, st, axes, out, POISON_MARGIN, WorkSplitter.SERIAL);
        Reduce.reduce(op, shape, x, off, st, axes, par, POISON_MARGIN, POOL);
        String w = op + " " + what + " shape " + Arrays.toString(shape) + " strides " + Arrays.toString(st) + " axes " + Arrays.toString(axes);
        long per = ref.length == 0 ? 0 : product(shape) / ref.length;
        assertClose(w, ref, out, POISON_MARGIN, 1e-6, 1e-6 + 2e-7 * Math.sqrt(per) * mag[0] / Math.max(1, ref.length));
        assertBitsEqual(w + " pool", out, par);
    }

    @Test
    void everyAxisSubsetRanks1to4() {
        Random rnd = new Random(21);
        int[][] shapes = {{}, {0}, {1}, {LANES - 1}, {LANES + 1}, {1000}, {3, 0}, {3, 2 * LANES + 1}, {1, 7}, {17, 1},
                {2, 3, 17}, {4, 1, 9}, {2, 3, 4, 5}, {3, 1, 2, 11}};
        for (int[] shape : shapes) {
            int r = shape.length;
            for (Layout l : layouts(shape, rnd)) {
                float[] x = random(rnd, l.length(), -2, 2);
                for (int mask = 0; mask < (1 << r); mask++) {
                    int[] axes = new int[Integer.bitCount(mask)];
                    for (int d = 0, k = 0; d < r; d++) if ((mask >> d & 1) != 0) axes[k++] = d;
                    for (ReduceKernelOp op : ReduceKernelOp.values()) check(op, shape, x, l.offset(), l.strides(), axes, l.name());
                }
            }
        }
    }

    @Test
    void largeSizes() {
        Random rnd = new Random(22);
        float[] big = random(rnd, 1_000_003, -1, 1);
        for (ReduceKernelOp op : ReduceKernelOp.values()) {
            check(op, new int[] {1_000_003}, big, 0, new int[] {1}, new int[] {0}, "1-D");
            check(op, new int[] {997, 1003}, big, 0, new int[] {1003, 1}, new int[] {0}, "rows");
            check(op, new int[] {997, 1003}, big, 0, new int[] {1003, 1}, new int[] {1}, "cols");
            check(op, new int[] {31, 32, 1007}, big, 0, new int[] {32 * 1007, 1007, 1}, new int[] {0, 2}, "outer+inner");
            // Contiguous rows that do not merge (padded rows), of 16k+3 and of 1 to 17 floats: the row-at-a-time path.
            check(op, new int[] {60, 16387}, big, 5, new int[] {16400, 1}, new int[] {1}, "padded rows");
            for (int n : new int[] {1, 15, 16, 17}) check(op, new int[] {999, n}, big, 3, new int[] {n + 2, 1}, new int[] {1}, "short rows " + n);
            // Channel sums of NHWC tensors (a bias gradient, batch-norm statistics): short kept rows
            // that follow each other contiguously, summed as one wide run (Prepared.wide), with
            // leftover rows; and the same with a kept outer axis and through a non-contiguous view.
            for (int c : new int[] {1, 3, 6, 15, 16, 17, 33, 120}) {
                check(op, new int[] {7, 9, 11, c}, big, 1, new int[] {99 * c, 11 * c, c, 1}, new int[] {0, 1, 2}, "channel sums " + c);
                check(op, new int[] {5, 13, 3, c}, big, 2, new int[] {39 * c, 3 * c, c, 1}, new int[] {1, 2}, "per-image channel sums " + c);
                check(op, new int[] {7, 9, c}, big, 0, new int[] {9 * (c + 1), c + 1, 1}, new int[] {0, 1}, "padded channel sums " + c);
                // Global pooling read through an NCHW view of NHWC data: the innermost axis is
                // reduced, the last kept one (channels) is contiguous and becomes the rows' axis.
                check(op, new int[] {1, c, 7, 7}, big, 4, new int[] {49 * c, 1, 7 * c, c}, new int[] {2, 3}, "NCHW-view global pool " + c);
                check(op, new int[] {3, c, 5, 9}, big, 1, new int[] {45 * c, 1, 9 * c, c}, new int[] {2, 3}, "NCHW-view pool, batch " + c);
                check(op, new int[] {3, c, 5, 9}, big, 1, new int[] {45 * c, 1, 9 * c, c}, new int[] {0, 2, 3}, "NCHW-view pool over batch " + c);
                check(op, new int[] {c, 5, 9}, big, 2, new int[] {1, 9 * (c + 2), c + 2}, new int[] {1, 2}, "padded CHW view " + c);
            }
        }
    }

    /**
     * Reductions whose reduced axes are one dense run per output (sum-all, row sums) are summed in
     * {@code Reduce} itself: the same bits as the fused reduction path they bypass, at sizes around
     * its pieces ({@code FusedRun.PIECE}) and blocks, primes among them, with kept axes dense,
     * padded and transposed; and against float64 and across thread counts ({@link #check}).
     */
    @Test
    void denseRunsMatchTheFusedPathBitwise() {
        Random rnd = new Random(23);
        FusedProgram.Builder b = FusedProgram.builder(1);
        FusedProgram identity = b.build(b.load(0));
        int piece = (int) FusedRun.PIECE, blk = identity.block;
        float[] big = random(rnd, 3 * piece + 4 * blk + 64, -1, 1);
        for (ReduceKernelOp op : ReduceKernelOp.values()) {
            for (int n : new int[] {1, LANES - 1, LANES + 1, 131, blk - 1, blk, blk + 1, piece - 1, piece, piece + 1, 2 * piece + 3}) {
                check(op, new int[] {n}, big, 7, new int[] {1}, new int[] {0}, "all " + n);
                sameAsFused(identity, op, new int[] {n}, big, 7, new int[] {1}, new int[] {0});
            }
            int[][][] cases = { // shape, strides, axes
                    {{7, blk + 1}, {blk + 1, 1}, {1}},
                    {{3, piece + 1}, {piece + 1, 1}, {1}},
                    {{5, 2 * blk + 3}, {2 * blk + 40, 1}, {1}},           // padded rows
                    {{3, 5, 2 * blk + 1}, {5 * (2 * blk + 1), 2 * blk + 1, 1}, {1, 2}},
                    {{5, 3, 2 * blk + 1}, {2 * blk + 1, 5 * (2 * blk + 1), 1}, {2}},  // kept axes transposed
                    {{4, 1, 131, 1}, {131, 131, 1, 1}, {1, 2, 3}}};
            for (int[][] c : cases) {
                check(op, c[0], big, 3, c[1], c[2], "dense run");
                sameAsFused(identity, op, c[0], big, 3, c[1], c[2]);
            }
        }
    }

    /** {@code Reduce.reduce} against the fused path run directly (kept axes first, then the reduced ones). */
    private static void sameAsFused(FusedProgram identity, ReduceKernelOp op, int[] shape, float[] x, int off, int[] st, int[] axes) {
        int r = shape.length;
        boolean[] red = new boolean[r];
        for (int a : axes) red[a] = true;
        int[] ps = new int[r], pt = new int[r];
        int k = 0;
        for (int d = 0; d < r; d++) if (!red[d]) { ps[k] = shape[d]; pt[k++] = st[d]; }
        for (int d = 0; d < r; d++) if (red[d]) { ps[k] = shape[d]; pt[k++] = st[d]; }
        long outN = 1;
        for (int d = 0; d < r; d++) if (!red[d]) outN *= shape[d];
        float[] want = new float[(int) outN], got = new float[(int) outN], gotPool = new float[(int) outN];
        FusedRun g = FusedRun.attach(identity);
        g.bind(0, x, off, pt);
        g.execute(ps, axes.length, op, want, 0, WorkSplitter.SERIAL);
        Reduce.reduce(op, shape, x, off, st, axes, got, 0, WorkSplitter.SERIAL);
        Reduce.reduce(op, shape, x, off, st, axes, gotPool, 0, POOL);
        String w = op + " shape " + Arrays.toString(shape) + " strides " + Arrays.toString(st) + " axes " + Arrays.toString(axes);
        assertBitsEqual(w + " vs the fused path", want, got);
        assertBitsEqual(w + " vs the fused path, pool", want, gotPool);
    }

    @Test
    void rejectsBadAxes() {
        assertThrows(IllegalArgumentException.class, () -> Reduce.reduce(ReduceKernelOp.SUM, new int[] {2, 2}, new float[4], 0,
                new int[] {2, 1}, new int[] {0, 0}, new float[2], 0, WorkSplitter.SERIAL));
        assertThrows(IllegalArgumentException.class, () -> Reduce.reduce(ReduceKernelOp.SUM, new int[] {2, 2}, new float[4], 0,
                new int[] {2, 1}, new int[] {2}, new float[2], 0, WorkSplitter.SERIAL));
    }
}
