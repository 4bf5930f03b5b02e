package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernels: an {@code mr} x NR tile of C ({@code mr} = 4, 8 or 12 rows,
 * NR = two vectors) accumulated over a packed A sliver and a packed B sliver, then merged into C
 * with the epilogue. Which tile runs is {@link #BLOCKING}, chosen at class load from the
 * species' width ({@link GemmBlocking#forVectorBits}).
 *
 * <p>Why 4 x 2 vectors and not the 6 x 2 that BLIS/OpenBLAS use on AVX2: measured in isolation
 * (packed panels in cache, kc = 256, thread CPU time), C2 compiles 12-accumulator tiles (6 x 2,
 * 4 x 3) and even 10 (5 x 2) into code that reaches only 36-43 GFLOP/s per core, evidently
 * spilling, while 8 accumulators (4 x 2) reach 85-95 and 9 (3 x 3) 85-90, as fast as or faster than
 * OpenBLAS's hand-written kernel on that Zen 3 core (85-90). 4 x 2 costs 6 loads per 8 FMAs, well
 * under the three load ports' budget. With 32 registers (AVX-512, Zen 5) 8 x 2 and 12 x 2 reach
 * 200-207 GFLOP/s of a 205-210 peak in the same test, 8 x 3 and 6 x 4 only 147-154.
 *
 * <p>The species is {@link FloatVector#SPECIES_PREFERRED}: a fixed 512-bit species on a machine
 * whose C2 vectors are 256 bits wide (AVX2 only) is not intrinsified at all and runs orders of
 * magnitude slower.
 */
final class GemmMicroKernel {
    private GemmMicroKernel() {}

    /** Vector species; the widest the running JIT intrinsifies. */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    static final int L = S.length();
    /** This machine's register tile and cache blocks, from the species' width (32 vector registers at 512 bits). */
    static final GemmBlocking BLOCKING = GemmBlocking.forVectorBits(S.vectorBitSize(), L);
    /** Rows of the direct path's register tile. */
    static final int DMR = 4;
    /** Columns of every register tile (packed and direct): two vectors. */
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
     * Computes the full {@code mr x NR} tile of micro-kernel {@code tile} ({@link GemmBlocking})
     * {@code sum_p pa[p][r] * pb[p][j]} over {@code kc} packed steps and writes it row-major (row
     * stride NR) into {@code out}. The accumulators leave registers through this small
     * L1-resident buffer rather than as arguments of an epilogue method: a FloatVector passed to
     * a method that C2 does not inline is boxed, and a method compiled on its own is often too
     * large to be inlined later, which made whole GEMMs 4x slower depending on which shapes ran
     * first. The buffer and the generic merge are not free, though: at K = 128 they took ~12% of the
     * call (wave 8), so full tiles that only need scaling skip both ({@link #store8x2}).
     *
     * <p>Each tile is its own method with one local per accumulator (no arrays), so C2 allocates
     * every accumulator a register: with arrays it keeps them in memory.
     */
    /**
     * K blocks shorter than this run a separate copy of the tile method. C2 shapes a loop from its
     * profiled trip count: once a K = 10 GEMM (the MLP's dX of the last layer) had run first, every
     * later 128^3 GEMM in the JVM ran 103 instead of 132 GFLOP/s (thread CPU time, same run). Separate
     * copies keep separate profiles, so the long-K kernel is compiled for long K whatever ran first.
     */
    static final int SHORT_K = 48;

    static void kernel(int tile, int kc, float[] pa, int ao, float[] pb, int bo, float[] out) {
        if (kc < SHORT_K) {
            switch (tile) {
                case GemmBlocking.TILE_4X2 -> kernel4x2Short(kc, pa, ao, pb, bo, out);
                default -> kernel8x2Short(kc, pa, ao, pb, bo, out);
            }
            return;
        }
        switch (tile) {
            case GemmBlocking.TILE_4X2 -> kernel4x2(kc, pa, ao, pb, bo, out);
            default -> kernel8x2(kc, pa, ao, pb, bo, out);
        }
    }

    /** 4 x 2 vectors: 8 accumulators + 2 B vectors + 1 broadcast, within 16 registers. */
    static void kernel4x2(int kc, float[] pa, int ao, float[] pb, int bo, float[] out) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int p = 0; p < kc; p++, ao += 4, bo += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + 1 * L);
            FloatVector a = FloatVector.broadcast(S, pa[ao]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, pa[ao + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, pa[ao + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, pa[ao + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
        }
        c0_0.intoArray(out, 0 * L); c0_1.intoArray(out, 1 * L);
        c1_0.intoArray(out, 2 * L); c1_1.intoArray(out, 3 * L);
        c2_0.intoArray(out, 4 * L); c2_1.intoArray(out, 5 * L);
        c3_0.intoArray(out, 6 * L); c3_1.intoArray(out, 7 * L);
    }

    /** 8 x 2 vectors: 16 accumulators, for 32 registers. */
    static void kernel8x2(int kc, float[] pa, int ao, float[] pb, int bo, float[] out) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z, c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z, c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z;
        for (int p = 0; p < kc; p++, ao += 8, bo += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + 1 * L);
            FloatVector a = FloatVector.broadcast(S, pa[ao]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, pa[ao + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, pa[ao + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, pa[ao + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, pa[ao + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, pa[ao + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = FloatVector.broadcast(S, pa[ao + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = FloatVector.broadcast(S, pa[ao + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
        }
        c0_0.intoArray(out, 0 * L); c0_1.intoArray(out, 1 * L);
        c1_0.intoArray(out, 2 * L); c1_1.intoArray(out, 3 * L);
        c2_0.intoArray(out, 4 * L); c2_1.intoArray(out, 5 * L);
        c3_0.intoArray(out, 6 * L); c3_1.intoArray(out, 7 * L);
        c4_0.intoArray(out, 8 * L); c4_1.intoArray(out, 9 * L);
        c5_0.intoArray(out, 10 * L); c5_1.intoArray(out, 11 * L);
        c6_0.intoArray(out, 12 * L); c6_1.intoArray(out, 13 * L);
        c7_0.intoArray(out, 14 * L); c7_1.intoArray(out, 15 * L);
    }

    /**
     * Whether {@link #store8x2} may replace {@code kernel} + {@link #merge} for a tile: a full 8 x 2 tile
     * of a K block that is long enough for the long-K kernel and whose merge would only scale (no old C
     * to add, no bias or activation to apply). Such tiles skip the tile-buffer round trip and the
     * generic merge's loops: with K = 128 (one K block, as in 512x128x784) that merge cost ~12% of the
     * call although C stayed in cache (docs/perf/gemm.md, wave 8).
     */
    static boolean storesDirectly(int tile, int kc, int rows, int cols, int flags) {
        return tile == GemmBlocking.TILE_8X2 && rows == 8 && cols == NR && kc >= SHORT_K
                && (flags & ADD_OLD) == 0 && ((flags & LAST) == 0 || (flags & (BIAS_ROW | BIAS_COL | RELU)) == 0);
    }

    /**
     * {@link #kernel8x2} followed by what {@link #merge} does for a full tile without old C, bias or
     * activation: {@code C = alpha * acc}, written from the registers into C at {@code c[co + r*ldc]}
     * (the same multiply, so the result is bitwise the merge's). Only where {@link #storesDirectly}
     * holds. With old C to add it measured slower than the tile buffer + merge at 1024^3 and 2048^3
     * (146-154 vs 160-165 GFLOP/s, wave 8; cause not isolated), so those tiles keep the merge.
     */
    static void store8x2(int kc, float[] pa, int ao, float[] pb, int bo, float[] c, int co, int ldc, float alpha) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z, c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z, c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z;
        for (int p = 0; p < kc; p++, ao += 8, bo += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + 1 * L);
            FloatVector a = FloatVector.broadcast(S, pa[ao]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, pa[ao + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, pa[ao + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, pa[ao + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, pa[ao + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, pa[ao + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = FloatVector.broadcast(S, pa[ao + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = FloatVector.broadcast(S, pa[ao + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
        }
        final FloatVector al = FloatVector.broadcast(S, alpha);
        c0_0.mul(al).intoArray(c, co); c0_1.mul(al).intoArray(c, co + L); co += ldc;
        c1_0.mul(al).intoArray(c, co); c1_1.mul(al).intoArray(c, co + L); co += ldc;
        c2_0.mul(al).intoArray(c, co); c2_1.mul(al).intoArray(c, co + L); co += ldc;
        c3_0.mul(al).intoArray(c, co); c3_1.mul(al).intoArray(c, co + L); co += ldc;
        c4_0.mul(al).intoArray(c, co); c4_1.mul(al).intoArray(c, co + L); co += ldc;
        c5_0.mul(al).intoArray(c, co); c5_1.mul(al).intoArray(c, co + L); co += ldc;
        c6_0.mul(al).intoArray(c, co); c6_1.mul(al).intoArray(c, co + L); co += ldc;
        c7_0.mul(al).intoArray(c, co); c7_1.mul(al).intoArray(c, co + L);
    }

    /** {@link #kernel4x2} for short K blocks (its own copy: see {@link #kernel}). */
    static void kernel4x2Short(int kc, float[] pa, int ao, float[] pb, int bo, float[] out) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int p = 0; p < kc; p++, ao += 4, bo += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + 1 * L);
            FloatVector a = FloatVector.broadcast(S, pa[ao]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, pa[ao + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, pa[ao + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, pa[ao + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
        }
        c0_0.intoArray(out, 0 * L); c0_1.intoArray(out, 1 * L);
        c1_0.intoArray(out, 2 * L); c1_1.intoArray(out, 3 * L);
        c2_0.intoArray(out, 4 * L); c2_1.intoArray(out, 5 * L);
        c3_0.intoArray(out, 6 * L); c3_1.intoArray(out, 7 * L);
    }

    /** {@link #kernel8x2} for short K blocks (its own copy: see {@link #kernel}). */
    static void kernel8x2Short(int kc, float[] pa, int ao, float[] pb, int bo, float[] out) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z, c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z, c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z;
        for (int p = 0; p < kc; p++, ao += 8, bo += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, pb, bo);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + 1 * L);
            FloatVector a = FloatVector.broadcast(S, pa[ao]);
            c0_0 = a.fma(b0, c0_0); c0_1 = a.fma(b1, c0_1);
            a = FloatVector.broadcast(S, pa[ao + 1]);
            c1_0 = a.fma(b0, c1_0); c1_1 = a.fma(b1, c1_1);
            a = FloatVector.broadcast(S, pa[ao + 2]);
            c2_0 = a.fma(b0, c2_0); c2_1 = a.fma(b1, c2_1);
            a = FloatVector.broadcast(S, pa[ao + 3]);
            c3_0 = a.fma(b0, c3_0); c3_1 = a.fma(b1, c3_1);
            a = FloatVector.broadcast(S, pa[ao + 4]);
            c4_0 = a.fma(b0, c4_0); c4_1 = a.fma(b1, c4_1);
            a = FloatVector.broadcast(S, pa[ao + 5]);
            c5_0 = a.fma(b0, c5_0); c5_1 = a.fma(b1, c5_1);
            a = FloatVector.broadcast(S, pa[ao + 6]);
            c6_0 = a.fma(b0, c6_0); c6_1 = a.fma(b1, c6_1);
            a = FloatVector.broadcast(S, pa[ao + 7]);
            c7_0 = a.fma(b0, c7_0); c7_1 = a.fma(b1, c7_1);
        }
        c0_0.intoArray(out, 0 * L); c0_1.intoArray(out, 1 * L);
        c1_0.intoArray(out, 2 * L); c1_1.intoArray(out, 3 * L);
        c2_0.intoArray(out, 4 * L); c2_1.intoArray(out, 5 * L);
        c3_0.intoArray(out, 6 * L); c3_1.intoArray(out, 7 * L);
        c4_0.intoArray(out, 8 * L); c4_1.intoArray(out, 9 * L);
        c5_0.intoArray(out, 10 * L); c5_1.intoArray(out, 11 * L);
        c6_0.intoArray(out, 12 * L); c6_1.intoArray(out, 13 * L);
        c7_0.intoArray(out, 14 * L); c7_1.intoArray(out, 15 * L);
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
