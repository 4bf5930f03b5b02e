package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The narrow-N path of {@link Gemm}: C has at most one vector of columns ({@code n <= L}), as the
 * MLP's last layer (128 x 512 x 10) and its weight gradient (512 x 128 x 10, A transposed) have.
 *
 * <p>Why a path of its own: the packed path computes NR = 2L columns for these 10 and, worse,
 * packs all of A (M*K elements) for a product of only 2*M*N*K flops; the direct path's B loads
 * are masked and the last ones run past the array's end (the Vector API's slow path). Here B is
 * copied once per K block into a K x L panel, zero-padded to a whole vector (K*L floats, in L1
 * for K up to 512 at 16 lanes), and A is read in place, whatever its strides: {@link #ROWS}
 * rows of C at a time, one accumulator vector per row, {@code C[i, :] += A[i, p] * B[p, :]}.
 * Each step is one B load, ROWS broadcasts and ROWS FMAs (16 independent chains on AVX-512, 8 on
 * AVX2, enough to cover the FMA latency on two pipes).
 *
 * <p>Determinism: each row's sum is the same chain of FMAs over p whether it falls in a full
 * tile or an edge one (the edge kernels are the same arithmetic with fewer rows), so splitting M
 * between threads on any boundary gives bit-identical results. K is split in blocks that depend
 * only on K ({@link #blockK}); later blocks add onto C as the packed path's do.
 */
final class GemmNarrow {
    private GemmNarrow() {}

    static final VectorSpecies<Float> S = GemmMicroKernel.S;
    static final int L = GemmMicroKernel.L;
    /** Rows per register tile: 16 accumulators with 32 vector registers, 8 with 16. */
    static final int ROWS = L >= 16 ? 16 : 8;
    /** Deepest K block: bounds the packed B panel at KC*L floats (256 KB at 16 lanes). */
    static final int KC = 4096;

    /** Floats of packed B one chunk needs for depth {@code k}. */
    static int packLength(int k) {
        return blockK(k) * L;
    }

    /** Depth of each K block: K split into equal blocks of at most {@link #KC}. */
    static int blockK(int k) {
        int blocks = (k + KC - 1) / KC;
        return (k + blocks - 1) / blocks;
    }

    /**
     * Rows {@code [i0, i1)} of one matrix of C ({@code n <= L} columns).
     *
     * @param pb   scratch for the packed B panel ({@link #packLength})
     * @param tile scratch of at least {@code ROWS * NR + L} floats: the accumulator tile, then the zero-padded column bias
     */
    static void run(float[] a, int aBase, int ars, int acs, float[] b, int bBase, int brs, int bcs,
                    int k, int n, int i0, int i1, float[] c, int cBase, int ldc, float[] pb, float[] tile,
                    int flags, float alpha, float[] bias, int biasOff) {
        final int nr = GemmMicroKernel.NR, biasPad = ROWS * nr;
        int colBias = biasOff;
        float[] biasArr = bias;   // a row bias is read from the caller's array, a column bias from the padded copy
        if ((flags & GemmMicroKernel.BIAS_COL) != 0) {
            // The per-column bias padded to a whole vector, so merge's masked bias load stays inside its array.
            for (int j = 0; j < L; j++) tile[biasPad + j] = j < n ? bias[biasOff + j] : 0f;
            biasArr = tile;
            colBias = biasPad;
        }
        final int kcMax = blockK(k);
        for (int pc = 0; pc < k; pc += kcMax) {
            int kc = Math.min(kcMax, k - pc);
            int f = flags;
            if (pc > 0) f |= GemmMicroKernel.ADD_OLD;              // later K blocks add onto the earlier ones
            if (pc + kc < k) f &= GemmMicroKernel.ADD_OLD;         // bias and activation only after the last block
            pack(b, bBase + pc * brs, brs, bcs, kc, n, pb);
            int ab = aBase + pc * acs;
            int i = i0;
            if (ROWS == 16) {
                for (; i + 16 <= i1; i += 16) {
                    if (acs == 1) rows16Unit(a, ab + i * ars, ars, pb, kc, tile);
                    else rows16(a, ab + i * ars, ars, acs, pb, kc, tile);
                    merge(tile, 16, n, c, cBase + i * ldc, ldc, f, alpha, biasArr, biasOff + i, colBias);
                }
            }
            for (; i + 8 <= i1; i += 8) {
                if (acs == 1) rows8Unit(a, ab + i * ars, ars, pb, kc, tile);
                else rows8(a, ab + i * ars, ars, acs, pb, kc, tile);
                merge(tile, 8, n, c, cBase + i * ldc, ldc, f, alpha, biasArr, biasOff + i, colBias);
            }
            for (; i + 4 <= i1; i += 4) {
                rows4(a, ab + i * ars, ars, acs, pb, kc, tile);
                merge(tile, 4, n, c, cBase + i * ldc, ldc, f, alpha, biasArr, biasOff + i, colBias);
            }
            for (; i < i1; i++) {
                rows1(a, ab + i * ars, acs, pb, kc, tile);
                merge(tile, 1, n, c, cBase + i * ldc, ldc, f, alpha, biasArr, biasOff + i, colBias);
            }
        }
    }

    /**
     * Merges rows {@code [0, rows)} of the tile (one vector per row, row stride NR, {@code cols <= L})
     * into C, as {@link GemmMicroKernel#merge} does for two-vector tiles. A copy of its own rather
     * than a call to that one: C2 shapes merge's loops from its profile, and the narrow path's
     * one-masked-vector rows seen first made the packed path's later merges slow (128x10x512b ran
     * 47 instead of 66-73 GFLOP/s after a 128x512x10 in the same JVM).
     */
    static void merge(float[] tile, int rows, int cols, float[] c, int co, int ldc,
                      int flags, float alpha, float[] bias, int rowBias, int colBias) {
        final FloatVector al = FloatVector.broadcast(S, alpha);
        final boolean add = (flags & GemmMicroKernel.ADD_OLD) != 0, last = (flags & GemmMicroKernel.LAST) != 0;
        final boolean bRow = last && (flags & GemmMicroKernel.BIAS_ROW) != 0, bCol = last && (flags & GemmMicroKernel.BIAS_COL) != 0;
        final boolean relu = last && (flags & GemmMicroKernel.RELU) != 0;
        final VectorMask<Float> m = GemmMicroKernel.mask(cols);
        // Zero, not null, when unused: a vector that may be null is boxed (PlanAllocationTest saw 192 B per run).
        final FloatVector colB = bCol ? FloatVector.fromArray(S, bias, colBias, m) : FloatVector.zero(S);
        final int nr = GemmMicroKernel.NR;
        for (int r = 0; r < rows; r++) {
            int cr = co + r * ldc;
            FloatVector v = FloatVector.fromArray(S, tile, r * nr);
            v = add ? v.fma(al, FloatVector.fromArray(S, c, cr, m)) : v.mul(al);
            if (bRow) v = v.add(bias[rowBias + r]);
            if (bCol) v = v.add(colB);
            if (relu) v = v.max(0f);
            v.intoArray(c, cr, m);
        }
    }

    /** Copies rows {@code [0, kc)}, columns {@code [0, n)} of B into {@code pb[p*L + j]}, zero for {@code j >= n}. */
    static void pack(float[] b, int off, int rs, int cs, int kc, int n, float[] pb) {
        if (cs == 1) {
            VectorMask<Float> m = GemmMicroKernel.mask(n);
            int p = 0;
            // Masked loads are fast only while the whole vector lies inside the array.
            for (; p < kc && off + p * rs + L <= b.length; p++) {
                FloatVector.fromArray(S, b, off + p * rs, m).intoArray(pb, p * L);
            }
            for (; p < kc; p++) {
                int src = off + p * rs, o = p * L;
                for (int j = 0; j < L; j++) pb[o + j] = j < n ? b[src + j] : 0f;
            }
        } else {
            // Column-strided B (transposed): read each column's run contiguously.
            for (int j = 0; j < n; j++) {
                int src = off + j * cs;
                for (int p = 0; p < kc; p++) pb[p * L + j] = b[src + p * rs];
            }
            for (int p = 0; p < kc; p++) {
                for (int j = n; j < L; j++) pb[p * L + j] = 0f;
            }
        }
    }

    /** 16 rows: 16 accumulators + the B vector + a broadcast, within 32 registers. Row r's sum goes to {@code out[r*NR]}. */
    static void rows16(float[] a, int ap, int rs, int cs, float[] pb, int kc, float[] out) {
        final int nr = GemmMicroKernel.NR;
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
        FloatVector c8 = z, c9 = z, c10 = z, c11 = z, c12 = z, c13 = z, c14 = z, c15 = z;
        for (int p = 0, bo = 0; p < kc; p++, ap += cs, bo += L) {
            FloatVector bv = FloatVector.fromArray(S, pb, bo);
            c0 = FloatVector.broadcast(S, a[ap]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[ap + rs]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[ap + 2 * rs]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[ap + 3 * rs]).fma(bv, c3);
            c4 = FloatVector.broadcast(S, a[ap + 4 * rs]).fma(bv, c4);
            c5 = FloatVector.broadcast(S, a[ap + 5 * rs]).fma(bv, c5);
            c6 = FloatVector.broadcast(S, a[ap + 6 * rs]).fma(bv, c6);
            c7 = FloatVector.broadcast(S, a[ap + 7 * rs]).fma(bv, c7);
            c8 = FloatVector.broadcast(S, a[ap + 8 * rs]).fma(bv, c8);
            c9 = FloatVector.broadcast(S, a[ap + 9 * rs]).fma(bv, c9);
            c10 = FloatVector.broadcast(S, a[ap + 10 * rs]).fma(bv, c10);
            c11 = FloatVector.broadcast(S, a[ap + 11 * rs]).fma(bv, c11);
            c12 = FloatVector.broadcast(S, a[ap + 12 * rs]).fma(bv, c12);
            c13 = FloatVector.broadcast(S, a[ap + 13 * rs]).fma(bv, c13);
            c14 = FloatVector.broadcast(S, a[ap + 14 * rs]).fma(bv, c14);
            c15 = FloatVector.broadcast(S, a[ap + 15 * rs]).fma(bv, c15);
        }
        c0.intoArray(out, 0); c1.intoArray(out, nr); c2.intoArray(out, 2 * nr); c3.intoArray(out, 3 * nr);
        c4.intoArray(out, 4 * nr); c5.intoArray(out, 5 * nr); c6.intoArray(out, 6 * nr); c7.intoArray(out, 7 * nr);
        c8.intoArray(out, 8 * nr); c9.intoArray(out, 9 * nr); c10.intoArray(out, 10 * nr); c11.intoArray(out, 11 * nr);
        c12.intoArray(out, 12 * nr); c13.intoArray(out, 13 * nr); c14.intoArray(out, 14 * nr); c15.intoArray(out, 15 * nr);
    }

    /**
     * 16 rows of a row-major A ({@code cs == 1}): the index is {@code p} plus a loop-invariant row offset, so C2
     * eliminates the range checks (with a variable column stride each broadcast keeps its own check).
     */
    static void rows16Unit(float[] a, int ap, int rs, float[] pb, int kc, float[] out) {
        final int nr = GemmMicroKernel.NR;
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z, c8 = z, c9 = z, c10 = z, c11 = z, c12 = z, c13 = z, c14 = z, c15 = z;
        final int o0 = ap + 0 * rs; final int o1 = ap + 1 * rs; final int o2 = ap + 2 * rs; final int o3 = ap + 3 * rs; final int o4 = ap + 4 * rs; final int o5 = ap + 5 * rs; final int o6 = ap + 6 * rs; final int o7 = ap + 7 * rs; final int o8 = ap + 8 * rs; final int o9 = ap + 9 * rs; final int o10 = ap + 10 * rs; final int o11 = ap + 11 * rs; final int o12 = ap + 12 * rs; final int o13 = ap + 13 * rs; final int o14 = ap + 14 * rs; final int o15 = ap + 15 * rs;
        for (int p = 0; p < kc; p++) {
            FloatVector bv = FloatVector.fromArray(S, pb, p * L);
            c0 = FloatVector.broadcast(S, a[o0 + p]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[o1 + p]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[o2 + p]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[o3 + p]).fma(bv, c3);
            c4 = FloatVector.broadcast(S, a[o4 + p]).fma(bv, c4);
            c5 = FloatVector.broadcast(S, a[o5 + p]).fma(bv, c5);
            c6 = FloatVector.broadcast(S, a[o6 + p]).fma(bv, c6);
            c7 = FloatVector.broadcast(S, a[o7 + p]).fma(bv, c7);
            c8 = FloatVector.broadcast(S, a[o8 + p]).fma(bv, c8);
            c9 = FloatVector.broadcast(S, a[o9 + p]).fma(bv, c9);
            c10 = FloatVector.broadcast(S, a[o10 + p]).fma(bv, c10);
            c11 = FloatVector.broadcast(S, a[o11 + p]).fma(bv, c11);
            c12 = FloatVector.broadcast(S, a[o12 + p]).fma(bv, c12);
            c13 = FloatVector.broadcast(S, a[o13 + p]).fma(bv, c13);
            c14 = FloatVector.broadcast(S, a[o14 + p]).fma(bv, c14);
            c15 = FloatVector.broadcast(S, a[o15 + p]).fma(bv, c15);
        }
        c0.intoArray(out, 0 * nr); c1.intoArray(out, 1 * nr); c2.intoArray(out, 2 * nr); c3.intoArray(out, 3 * nr); c4.intoArray(out, 4 * nr); c5.intoArray(out, 5 * nr); c6.intoArray(out, 6 * nr); c7.intoArray(out, 7 * nr); c8.intoArray(out, 8 * nr); c9.intoArray(out, 9 * nr); c10.intoArray(out, 10 * nr); c11.intoArray(out, 11 * nr); c12.intoArray(out, 12 * nr); c13.intoArray(out, 13 * nr); c14.intoArray(out, 14 * nr); c15.intoArray(out, 15 * nr);
    }

    /**
     * 8 rows of a row-major A ({@code cs == 1}): the index is {@code p} plus a loop-invariant row offset, so C2
     * eliminates the range checks (with a variable column stride each broadcast keeps its own check).
     */
    static void rows8Unit(float[] a, int ap, int rs, float[] pb, int kc, float[] out) {
        final int nr = GemmMicroKernel.NR;
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
        final int o0 = ap + 0 * rs; final int o1 = ap + 1 * rs; final int o2 = ap + 2 * rs; final int o3 = ap + 3 * rs; final int o4 = ap + 4 * rs; final int o5 = ap + 5 * rs; final int o6 = ap + 6 * rs; final int o7 = ap + 7 * rs;
        for (int p = 0; p < kc; p++) {
            FloatVector bv = FloatVector.fromArray(S, pb, p * L);
            c0 = FloatVector.broadcast(S, a[o0 + p]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[o1 + p]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[o2 + p]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[o3 + p]).fma(bv, c3);
            c4 = FloatVector.broadcast(S, a[o4 + p]).fma(bv, c4);
            c5 = FloatVector.broadcast(S, a[o5 + p]).fma(bv, c5);
            c6 = FloatVector.broadcast(S, a[o6 + p]).fma(bv, c6);
            c7 = FloatVector.broadcast(S, a[o7 + p]).fma(bv, c7);
        }
        c0.intoArray(out, 0 * nr); c1.intoArray(out, 1 * nr); c2.intoArray(out, 2 * nr); c3.intoArray(out, 3 * nr); c4.intoArray(out, 4 * nr); c5.intoArray(out, 5 * nr); c6.intoArray(out, 6 * nr); c7.intoArray(out, 7 * nr);
    }

    /** 8 rows (the AVX2 tile, and edges on AVX-512). */
    static void rows8(float[] a, int ap, int rs, int cs, float[] pb, int kc, float[] out) {
        final int nr = GemmMicroKernel.NR;
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
        for (int p = 0, bo = 0; p < kc; p++, ap += cs, bo += L) {
            FloatVector bv = FloatVector.fromArray(S, pb, bo);
            c0 = FloatVector.broadcast(S, a[ap]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[ap + rs]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[ap + 2 * rs]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[ap + 3 * rs]).fma(bv, c3);
            c4 = FloatVector.broadcast(S, a[ap + 4 * rs]).fma(bv, c4);
            c5 = FloatVector.broadcast(S, a[ap + 5 * rs]).fma(bv, c5);
            c6 = FloatVector.broadcast(S, a[ap + 6 * rs]).fma(bv, c6);
            c7 = FloatVector.broadcast(S, a[ap + 7 * rs]).fma(bv, c7);
        }
        c0.intoArray(out, 0); c1.intoArray(out, nr); c2.intoArray(out, 2 * nr); c3.intoArray(out, 3 * nr);
        c4.intoArray(out, 4 * nr); c5.intoArray(out, 5 * nr); c6.intoArray(out, 6 * nr); c7.intoArray(out, 7 * nr);
    }

    /** 4 rows (edges). */
    static void rows4(float[] a, int ap, int rs, int cs, float[] pb, int kc, float[] out) {
        final int nr = GemmMicroKernel.NR;
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z;
        for (int p = 0, bo = 0; p < kc; p++, ap += cs, bo += L) {
            FloatVector bv = FloatVector.fromArray(S, pb, bo);
            c0 = FloatVector.broadcast(S, a[ap]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[ap + rs]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[ap + 2 * rs]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[ap + 3 * rs]).fma(bv, c3);
        }
        c0.intoArray(out, 0); c1.intoArray(out, nr); c2.intoArray(out, 2 * nr); c3.intoArray(out, 3 * nr);
    }

    /** One row (edges). */
    static void rows1(float[] a, int ap, int cs, float[] pb, int kc, float[] out) {
        FloatVector c0 = FloatVector.zero(S);
        for (int p = 0, bo = 0; p < kc; p++, ap += cs, bo += L) {
            c0 = FloatVector.broadcast(S, a[ap]).fma(FloatVector.fromArray(S, pb, bo), c0);
        }
        c0.intoArray(out, 0);
    }
}
