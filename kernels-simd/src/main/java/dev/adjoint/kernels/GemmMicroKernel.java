package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel: an MR x NR tile of C ({@code MR = 4} rows, {@code NR} = two
 * vectors) accumulated over a packed A sliver and a packed B sliver, then merged into C with the
 * epilogue.
 *
 * <p>Why 4 x 2 vectors and not the 6 x 2 that BLIS/OpenBLAS use on AVX2: measured in isolation
 * (packed panels in cache, kc = 256, thread CPU time), C2 compiles 12-accumulator tiles (6 x 2,
 * 4 x 3) and even 10 (5 x 2) into code that reaches only 36-43 GFLOP/s per core, evidently
 * spilling, while 8 accumulators (4 x 2) reach 85-95 and 9 (3 x 3) 85-90, as fast as or faster than
 * OpenBLAS's hand-written kernel on this Zen 3 core (85-90). 4 x 2 costs 6 loads per 8 FMAs, well
 * under the three load ports' budget.
 *
 * <p>The species is {@link FloatVector#SPECIES_PREFERRED}: a fixed 512-bit species on a machine
 * whose C2 vectors are 256 bits wide (AVX2 only, as the reference machine turned out to be) is
 * not intrinsified at all and runs orders of magnitude slower.
 */
final class GemmMicroKernel {
    private GemmMicroKernel() {}

    /** Vector species; the widest the running JIT intrinsifies. */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    static final int L = S.length();
    /** Rows of the register tile. */
    static final int MR = 4;
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * L;

    /** Epilogue flag: add alpha * product to the old C instead of overwriting it. */
    static final int ADD_OLD = 1;
    /** Epilogue flag: this is the last K block, apply bias and activation. */
    static final int LAST = 2;
    /** Epilogue flag: per-row bias (with LAST). */
    static final int BIAS_ROW = 4;
    /** Epilogue flag: per-column bias (with LAST). */
    static final int BIAS_COL = 8;
    /** Epilogue flag: ReLU (with LAST). */
    static final int RELU = 16;

    /** MASKS[n] has the first n lanes set; precomputed so edge stores allocate nothing. */
    private static final VectorMask<Float>[] MASKS = makeMasks();

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] makeMasks() {
        VectorMask<Float>[] m = (VectorMask<Float>[]) new VectorMask<?>[L + 1];
        for (int i = 0; i <= L; i++) m[i] = S.indexInRange(0, i);
        return m;
    }

    /** The mask with the first {@code n} lanes set, {@code 0 <= n <= L}. */
    static VectorMask<Float> mask(int n) {
        return MASKS[n];
    }

    /**
     * Computes the full MR x NR tile {@code sum_p pa[p][r] * pb[p][j]} over {@code kc} packed steps
     * and writes it row-major (row stride NR) into {@code tile}. The accumulators leave registers
     * through this small L1-resident buffer rather than as arguments of an epilogue method: a
     * FloatVector passed to a method that C2 does not inline is boxed, and a method compiled on
     * its own is often too large to be inlined later, which made whole GEMMs 4x slower depending
     * on which shapes ran first. 8 stores and loads per 8*kc FMAs cost under 1%.
     */
    static void kernel(int kc, float[] pa, int ao, float[] pb, int bo, float[] tile) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int p = 0; p < kc; p++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + L);
            FloatVector a = FloatVector.broadcast(S, pa[ao]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, pa[ao + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, pa[ao + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, pa[ao + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
    }

    /** Loads {@code n} floats (clamped to a vector; none if {@code n <= 0}) from {@code a[off]}, zero elsewhere. */
    static FloatVector loadPart(float[] a, int off, int n) {
        if (n >= L) return FloatVector.fromArray(S, a, off);
        if (n <= 0) return FloatVector.zero(S);
        return FloatVector.fromArray(S, a, off, MASKS[n]);
    }

    /**
     * Merges rows {@code [0, rows)}, columns {@code [0, cols)} of an accumulator tile (row stride
     * NR) into C at {@code c[co + r*ldc + j]}: {@code alpha*acc (+ old C)}, then on the last K block
     * the bias and the activation. Shared by the packed and the direct path so both round alike.
     *
     * @param rowBias index in {@code bias} of row 0's bias (BIAS_ROW)
     * @param colBias index in {@code bias} of column 0's bias (BIAS_COL)
     */
    static void merge(float[] tile, int rows, int cols, float[] c, int co, int ldc,
                      int flags, float alpha, float[] bias, int rowBias, int colBias) {
        final FloatVector al = FloatVector.broadcast(S, alpha);
        final boolean add = (flags & ADD_OLD) != 0, last = (flags & LAST) != 0;
        final boolean bRow = last && (flags & BIAS_ROW) != 0, bCol = last && (flags & BIAS_COL) != 0;
        final boolean relu = last && (flags & RELU) != 0;
        for (int r = 0; r < rows; r++) {
            int cr = co + r * ldc;
            for (int j = 0; j < cols; j += L) {
                int nv = cols - j;
                FloatVector v = FloatVector.fromArray(S, tile, r * NR + j);
                if (nv >= L) {
                    v = add ? v.fma(al, FloatVector.fromArray(S, c, cr + j)) : v.mul(al);
                    if (bRow) v = v.add(bias[rowBias + r]);
                    if (bCol) v = v.add(FloatVector.fromArray(S, bias, colBias + j));
                    if (relu) v = v.max(0f);
                    v.intoArray(c, cr + j);
                } else {
                    VectorMask<Float> m = MASKS[nv];
                    v = add ? v.fma(al, FloatVector.fromArray(S, c, cr + j, m)) : v.mul(al);
                    if (bRow) v = v.add(bias[rowBias + r]);
                    if (bCol) v = v.add(FloatVector.fromArray(S, bias, colBias + j, m));
                    if (relu) v = v.max(0f);
                    v.intoArray(c, cr + j, m);
                }
            }
        }
    }

    /**
     * The unpacked small-matrix path of {@link Gemm}: rows of C four at a time, two vectors of
     * columns at a time, the whole K in registers; B has unit column stride. Lives here, with the
     * other vector code, so that {@code Gemm} links on a JVM without the Vector API.
     */
    static void direct(float[] a, int aBase, int ars, int acs, float[] bb, int bBase, int rs, int k,
                       int i0, int i1, int j0, int j1, float[] c, int cBase, int ldc, float[] tile,
                       int flags, float alpha, float[] bias, int biasOff) {
        final FloatVector z = FloatVector.zero(S);
        for (int j = j0; j < j1; j += NR) {
            // Two vectors of columns at a time, as in the packed kernel: eight independent FMA
            // chains hide the FMA latency that four chains (one vector) could not.
            int nv = Math.min(NR, j1 - j);
            var m0 = mask(Math.min(nv, L));
            var m1 = mask(Math.max(nv - L, 0));
            boolean full = nv == NR;
            int i = i0;
            for (; i + 4 <= i1; i += 4) {
                int ap = aBase + i * ars;
                int bp = bBase + j;
                FloatVector s00 = z, s01 = z, s10 = z, s11 = z, s20 = z, s21 = z, s30 = z, s31 = z;
                for (int p = 0; p < k; p++, ap += acs, bp += rs) {
                    FloatVector b0, b1;
                    if (full) {
                        b0 = FloatVector.fromArray(S, bb, bp);
                        b1 = FloatVector.fromArray(S, bb, bp + L);
                    } else {
                        b0 = FloatVector.fromArray(S, bb, bp, m0);
                        b1 = FloatVector.fromArray(S, bb, bp + L, m1);
                    }
                    FloatVector av = FloatVector.broadcast(S, a[ap]);
                    s00 = av.fma(b0, s00); s01 = av.fma(b1, s01);
                    av = FloatVector.broadcast(S, a[ap + ars]);
                    s10 = av.fma(b0, s10); s11 = av.fma(b1, s11);
                    av = FloatVector.broadcast(S, a[ap + 2 * ars]);
                    s20 = av.fma(b0, s20); s21 = av.fma(b1, s21);
                    av = FloatVector.broadcast(S, a[ap + 3 * ars]);
                    s30 = av.fma(b0, s30); s31 = av.fma(b1, s31);
                }
                s00.intoArray(tile, 0); s01.intoArray(tile, L);
                s10.intoArray(tile, NR); s11.intoArray(tile, NR + L);
                s20.intoArray(tile, 2 * NR); s21.intoArray(tile, 2 * NR + L);
                s30.intoArray(tile, 3 * NR); s31.intoArray(tile, 3 * NR + L);
                merge(tile, 4, nv, c, cBase + i * ldc + j, ldc, flags, alpha, bias, biasOff + i, biasOff + j);
            }
            for (; i < i1; i++) {
                int ap = aBase + i * ars;
                int bp = bBase + j;
                FloatVector s00 = z, s01 = z;
                for (int p = 0; p < k; p++, ap += acs, bp += rs) {
                    FloatVector b0 = FloatVector.fromArray(S, bb, bp, m0);
                    FloatVector b1 = FloatVector.fromArray(S, bb, bp + L, m1);
                    FloatVector av = FloatVector.broadcast(S, a[ap]);
                    s00 = av.fma(b0, s00); s01 = av.fma(b1, s01);
                }
                s00.intoArray(tile, 0); s01.intoArray(tile, L);
                merge(tile, 1, nv, c, cBase + i * ldc + j, ldc, flags, alpha, bias, biasOff + i, biasOff + j);
            }
        }
    }
}
