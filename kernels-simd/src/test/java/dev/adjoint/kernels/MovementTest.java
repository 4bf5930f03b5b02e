package dev.adjoint.kernels;

import static dev.adjoint.kernels.TestSupport.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MovementTest {
    private static float[] data(int n, int off) {
        float[] x = new float[n + off];
        for (int i = 0; i < x.length; i++) x[i] = 1 + i; // distinct, exact
        return x;
    }

    private static void checkPad(int[] shape, int[] lo, int[] hi, int[] in, WorkSplitter sp) {
        int r = shape.length;
        float[] x = data((int) product(shape), 3);
        int[] os = new dev.adjoint.graph.op.Pad(dev.adjoint.graph.Ints.of(lo), dev.adjoint.graph.Ints.of(hi), dev.adjoint.graph.Ints.of(in))
                .infer(List.of(dev.adjoint.graph.Shape.of(shape))).dims();
        int n = (int) product(os);
        double[] ref = new double[n];
        int[] idx = new int[r], xs = Elementwise.denseStrides(shape);
        for (int f = 0; f < n; f++) {
            unflat(f, os, idx);
            int src = 3;
            boolean ok = true;
            for (int d = 0; d < r && ok; d++) {
                int rel = idx[d] - lo[d];
                if (rel < 0 || rel % (in[d] + 1) != 0 || rel / (in[d] + 1) >= shape[d]) ok = false;
                else src += rel / (in[d] + 1) * xs[d];
            }
            ref[f] = ok ? x[src] : 0;
        }
        float[] out = poisoned(n);
        Movement.pad(shape, x, 3, lo, hi, in, os, out, POISON_MARGIN, sp);
        assertClose("pad " + Arrays.toString(shape) + " lo " + Arrays.toString(lo) + " hi " + Arrays.toString(hi)
                + " interior " + Arrays.toString(in), ref, out, POISON_MARGIN, 0, 0);
    }

    @Test
    void padAllCombinationsRank1And2() {
        int[] los = {-3, -1, 0, 2}, his = {-2, 0, 1, 3}, ins = {0, 1, 2};
        for (int n : new int[] {0, 1, 2, 5, LANES + 1}) {
            for (int lo : los) for (int hi : his) for (int in : ins) {
                int[] s = {n};
                long o = n + (n > 0 ? (long) (n - 1) * in : 0) + (long) lo + hi;
                if (o < 0) continue;
                checkPad(s, new int[] {lo}, new int[] {hi}, new int[] {in}, WorkSplitter.SERIAL);
            }
        }
        int[] sh = {3, 4};
        for (int lo0 : los) for (int hi0 : his) for (int in0 : ins) for (int lo1 : los) for (int hi1 : his) for (int in1 : ins) {
            int[] lo = {lo0, lo1}, hi = {hi0, hi1}, in = {in0, in1};
            boolean ok = true;
            for (int d = 0; d < 2; d++) if (sh[d] + (sh[d] - 1) * in[d] + lo[d] + hi[d] < 0) ok = false;
            if (ok) checkPad(sh, lo, hi, in, WorkSplitter.SERIAL);
        }
    }

    @Test
    void padRank3And4RandomAndLarge() {
        Random rnd = new Random(31);
        for (int t = 0; t < 300; t++) {
            int r = 3 + rnd.nextInt(2);
            int[] sh = new int[r], lo = new int[r], hi = new int[r], in = new int[r];
            for (int d = 0; d < r; d++) {
                sh[d] = 1 + rnd.nextInt(4);
                in[d] = rnd.nextInt(3);
                lo[d] = rnd.nextInt(5) - 2;
                hi[d] = rnd.nextInt(5) - 2;
                while (sh[d] + (sh[d] - 1) * in[d] + lo[d] + hi[d] < 0) lo[d]++;
            }
            checkPad(sh, lo, hi, in, WorkSplitter.SERIAL);
        }
        checkPad(new int[] {300, 1001}, new int[] {2, -3}, new int[] {1, 5}, new int[] {0, 0}, POOL);
        checkPad(new int[] {300, 1001}, new int[] {-1, 1}, new int[] {0, 2}, new int[] {1, 1}, POOL);
        // NHWC with short channel rows (the conv and pooling gradients' pads): interior 1 in H and
        // W (a stride-2 scatter), padding and cropping, split across threads
        for (int c : new int[] {1, 3, 6, 16, 17}) {
            checkPad(new int[] {64, 14, 14, c}, new int[] {0, 0, 0, 0}, new int[] {0, 1, 1, 0}, new int[] {0, 1, 1, 0}, POOL);
            checkPad(new int[] {32, 10, 10, c}, new int[] {0, 2, -1, 0}, new int[] {0, 2, 3, 0}, new int[] {0, 0, 0, 0}, POOL);
        }
    }

    /** A slice is a strided view; plans materialize it with {@link Elementwise#copy}. */
    @Test
    void sliceStepsThroughStridedCopy() {
        Random rnd = new Random(32);
        for (int t = 0; t < 400; t++) {
            int r = 1 + rnd.nextInt(4);
            int[] sh = new int[r], start = new int[r], stop = new int[r], step = new int[r];
            for (int d = 0; d < r; d++) {
                sh[d] = rnd.nextInt(t < 200 ? 6 : 2 * LANES + 3);
                start[d] = sh[d] == 0 ? 0 : rnd.nextInt(sh[d] + 1);
                stop[d] = start[d] + rnd.nextInt(sh[d] - start[d] + 1);
                step[d] = 1 + rnd.nextInt(3);
            }
            float[] x = data((int) product(sh), 2);
            int[] os = new int[r];
            for (int d = 0; d < r; d++) os[d] = Math.max(0, Math.ceilDiv(stop[d] - start[d], step[d]));
            int n = (int) product(os);
            double[] ref = new double[n];
            int[] idx = new int[r], xs = Elementwise.denseStrides(sh);
            for (int f = 0; f < n; f++) {
                unflat(f, os, idx);
                int src = 2;
                for (int d = 0; d < r; d++) src += (start[d] + idx[d] * step[d]) * xs[d];
                ref[f] = x[src];
            }
            float[] out = poisoned(n);
            int[] xsl = Elementwise.denseStrides(sh), st = new int[r];
            int off = 2;
            for (int d = 0; d < r; d++) { off += start[d] * xsl[d]; st[d] = xsl[d] * step[d]; }
            Elementwise.copy(os, x, off, st, out, POISON_MARGIN, WorkSplitter.SERIAL);
            assertClose("slice " + Arrays.toString(sh) + Arrays.toString(start) + Arrays.toString(stop) + Arrays.toString(step), ref, out, POISON_MARGIN, 0, 0);
        }
    }

    @Test
    void revEveryAxisSubset() {
        int[][] shapes = {{0}, {1}, {LANES - 1}, {LANES}, {2 * LANES + 3}, {3, 2 * LANES + 1}, {2, 3, 4}, {2, 1, 3, LANES + 2}, {1000003}};
        for (int[] sh : shapes) {
            int r = sh.length;
            float[] x = data((int) product(sh), 1);
            for (int mask = 0; mask < (1 << r); mask++) {
                int[] axes = new int[Integer.bitCount(mask)];
                for (int d = 0, k = 0; d < r; d++) if ((mask >> d & 1) != 0) axes[k++] = d;
                int n = (int) product(sh);
                double[] ref = new double[n];
                int[] idx = new int[r], xs = Elementwise.denseStrides(sh);
                for (int f = 0; f < n; f++) {
                    unflat(f, sh, idx);
                    int src = 1;
                    for (int d = 0; d < r; d++) src += ((mask >> d & 1) != 0 ? sh[d] - 1 - idx[d] : idx[d]) * xs[d];
                    ref[f] = x[src];
                }
                float[] out = poisoned(n);
                Movement.rev(sh, x, 1, axes, out, POISON_MARGIN, n > 100_000 ? POOL : WorkSplitter.SERIAL);
                assertClose("rev " + Arrays.toString(sh) + " " + Arrays.toString(axes), ref, out, POISON_MARGIN, 0, 0);
            }
        }
    }

    private static void permutations(int[] p, int k, List<int[]> acc) {
        if (k == p.length) { acc.add(p.clone()); return; }
        for (int i = k; i < p.length; i++) {
            int t = p[k]; p[k] = p[i]; p[i] = t;
            permutations(p, k + 1, acc);
            t = p[k]; p[k] = p[i]; p[i] = t;
        }
    }

    @Test
    void transposeEveryPermutationRank1to4() {
        int[][] shapes = {{5}, {0, 3}, {3, 2 * LANES + 1}, {33, 40}, {1, 9}, {9, 1}, {2, 3, 4}, {3, 9, 35}, {2, 3, 1, 5}, {2, 9, 3, 33}};
        for (int[] sh : shapes) {
            int r = sh.length;
            List<int[]> perms = new ArrayList<>();
            int[] id = new int[r];
            for (int i = 0; i < r; i++) id[i] = i;
            permutations(id, 0, perms);
            float[] x = data((int) product(sh), 4);
            for (int[] perm : perms) checkTranspose(sh, x, perm, WorkSplitter.SERIAL);
        }
        int[] big = {1001, 1003};
        checkTranspose(big, data(1001 * 1003, 4), new int[] {1, 0}, POOL);
    }

    /** Sizes around the in-register tile (one vector square) on both transposed axes, with outer axes between and around them. */
    @Test
    void transposeTileEdges() {
        int t = BlockOps.TILE;
        int[] ext = {t - 1, t, t + 1, 2 * t, 3 * t + 5};
        for (int a : ext) for (int b : ext) {
            checkTranspose(new int[] {a, b}, data(a * b, 4), new int[] {1, 0}, WorkSplitter.SERIAL);
            checkTranspose(new int[] {2, a, 3, b}, data(6 * a * b, 4), new int[] {0, 3, 2, 1}, WorkSplitter.SERIAL);
            checkTranspose(new int[] {a, 3, b}, data(3 * a * b, 4), new int[] {2, 1, 0}, WorkSplitter.SERIAL);
        }
        // Large enough to split: chunks are whole tiles, so every thread count gives the same bits.
        checkTranspose(new int[] {517, 16 * 64 + 3}, data(517 * (16 * 64 + 3), 4), new int[] {1, 0}, POOL);
        checkTranspose(new int[] {3, 256, 300}, data(3 * 256 * 300, 4), new int[] {0, 2, 1}, POOL);
    }

    /**
     * Sizes around the transpose's blocks ({@code FusedRun.TRANSPOSE_BAND_ROWS} source columns by
     * {@code TRANSPOSE_BAND_COLS} source rows), primes among them, at every input phase against a
     * cache line (the first, ragged strip), serial and on the pool.
     */
    @Test
    void transposeBandEdges() {
        int br = FusedRun.TRANSPOSE_BAND_ROWS, bc = FusedRun.TRANSPOSE_BAND_COLS;
        int[][] shapes = {{bc - 1, br - 1}, {bc, br}, {bc + 1, br + 1}, {2 * bc + 3, 2 * br + 1}, {131, 263}, {263, 131}, {1, br + 1}, {br + 1, 1}};
        for (int[] sh : shapes) {
            for (int off : new int[] {0, 1, 7, 13}) {
                checkTranspose(sh, data(sh[0] * sh[1] + off, 4), new int[] {1, 0}, WorkSplitter.SERIAL, off);
                checkTranspose(sh, data(sh[0] * sh[1] + off, 4), new int[] {1, 0}, POOL, off);
            }
        }
        checkTranspose(new int[] {3, bc + 5, br + 7}, data(3 * (bc + 5) * (br + 7) + 5, 4), new int[] {0, 2, 1}, POOL, 5);
    }

    private static void checkTranspose(int[] sh, float[] x, int[] perm, WorkSplitter sp) {
        checkTranspose(sh, x, perm, sp, 4);
    }

    private static void checkTranspose(int[] sh, float[] x, int[] perm, WorkSplitter sp, int xOff) {
        int r = sh.length;
        int[] os = new int[r];
        for (int d = 0; d < r; d++) os[d] = sh[perm[d]];
        int n = (int) product(os);
        double[] ref = new double[n];
        int[] idx = new int[r], xs = Elementwise.denseStrides(sh);
        for (int f = 0; f < n; f++) {
            unflat(f, os, idx);
            int src = xOff;
            for (int d = 0; d < r; d++) src += idx[d] * xs[perm[d]];
            ref[f] = x[src];
        }
        float[] out = poisoned(n);
        Movement.transpose(sh, x, xOff, perm, out, POISON_MARGIN, sp);
        assertClose("transpose " + Arrays.toString(sh) + " " + Arrays.toString(perm), ref, out, POISON_MARGIN, 0, 0);
    }

    @Test
    void concatenateAxes() {
        Random rnd = new Random(33);
        for (int t = 0; t < 200; t++) {
            int r = 1 + rnd.nextInt(3), axis = rnd.nextInt(r), k = 1 + rnd.nextInt(3);
            int[] base = new int[r];
            for (int d = 0; d < r; d++) base[d] = rnd.nextInt(t < 150 ? 5 : 2 * LANES + 2);
            int[][] shapes = new int[k][];
            float[][] xs = new float[k][];
            int[] offs = new int[k];
            for (int i = 0; i < k; i++) {
                shapes[i] = base.clone();
                shapes[i][axis] = rnd.nextInt(4);
                offs[i] = i;
                xs[i] = data((int) product(shapes[i]), i);
                for (int j = 0; j < xs[i].length; j++) xs[i][j] += 1000 * i;
            }
            checkConcat(axis, shapes, xs, offs, WorkSplitter.SERIAL);
        }
        int[][] shapes = {{300, 1000}, {300, 7}, {300, 2001}};
        float[][] xs = {data(300000, 0), data(2100, 0), data(600300, 0)};
        checkConcat(1, shapes, xs, new int[3], POOL);
        int[][] s0 = {{1, 700000}, {3, 700000}};
        checkConcat(0, s0, new float[][] {data(700000, 0), data(2100000, 0)}, new int[2], POOL);
    }

    private static void checkConcat(int axis, int[][] shapes, float[][] xs, int[] offs, WorkSplitter sp) {
        int r = shapes[0].length, k = shapes.length;
        int[] os = shapes[0].clone();
        os[axis] = 0;
        for (int[] s : shapes) os[axis] += s[axis];
        int n = (int) product(os);
        double[] ref = new double[n];
        int[] idx = new int[r];
        for (int f = 0; f < n; f++) {
            unflat(f, os, idx);
            int i = 0, a = idx[axis];
            while (a >= shapes[i][axis]) a -= shapes[i++][axis];
            idx[axis] = a;
            ref[f] = xs[i][at(offs[i], Elementwise.denseStrides(shapes[i]), idx)];
        }
        float[] out = poisoned(n);
        Movement.concatenate(axis, shapes, xs, offs, out, POISON_MARGIN, sp);
        assertClose("concat axis " + axis + " " + Arrays.deepToString(shapes), ref, out, POISON_MARGIN, 0, 0);
    }
}
