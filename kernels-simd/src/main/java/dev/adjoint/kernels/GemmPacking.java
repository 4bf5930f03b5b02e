package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Packs blocks of A and B into the contiguous, zero-padded sliver layout the micro-kernel
 * streams through. Packing is where strides are absorbed: a transposed operand is only a
 * different (rowStride, colStride) pair here and is never materialized.
 *
 * <p>Slivers are zero-padded to full mr rows / NR columns so the micro-kernel always runs the
 * same full-tile arithmetic; only its stores are masked at the edges. That also makes every
 * output element's sum independent of where a tile falls, which determinism relies on.
 */
final class GemmPacking {
    private GemmPacking() {}

    /**
     * Packs rows {@code [0, rows)} and columns {@code [0, kc)} of A (element (i, p) at
     * {@code a[off + i*rs + p*cs]}) into {@code ceil(rows/mr)} slivers, each {@code kc*mr}
     * floats laid out p-major ({@code dst[s*kc*mr + p*mr + r]}).
     */
    static void packA(float[] a, int off, int rs, int cs, int rows, int kc, int mr, float[] dst) {
        int d = 0;
        for (int i0 = 0; i0 < rows; i0 += mr) {
            int mv = Math.min(mr, rows - i0);
            int base = off + i0 * rs;
            if (cs == 1 && mv == mr && mr == 8 && GemmMicroKernel.L == 16) {
                pack8RowMajor(a, base, rs, kc, dst, d);
            } else if (cs == 1 && mv == mr) {
                // Row-major A: walk each row contiguously (strided writes stay in L1). Reading the
                // MR rows side by side with contiguous writes was measured 1.6x slower.
                for (int r = 0; r < mr; r++) {
                    int src = base + r * rs;
                    for (int p = 0; p < kc; p++) dst[d + p * mr + r] = a[src + p];
                }
            } else if (rs == 1 && mv == mr && mr <= GemmMicroKernel.L && GemmMicroKernel.L >= 16) {
                // Transposed A (as dW = X^T dY reads it): each sliver row is mr contiguous floats,
                // one masked vector copy. AVX-512 masks are native; 1.0 -> 0.2 ns per element on
                // Zen 5 (AVX2's vmaskmov stores are slow on Zen 3, so 256-bit keeps the loop below).
                VectorMask<Float> m = GemmMicroKernel.mask(mr);
                for (int p = 0; p < kc; p++) {
                    FloatVector.fromArray(GemmMicroKernel.S, a, base + p * cs, m).intoArray(dst, d + p * mr, m);
                }
            } else {
                // Transposed (rs == 1) or edge sliver: walk p outer so the reads of one column are
                // contiguous for a transposed A, and pad missing rows with zeros.
                for (int p = 0; p < kc; p++) {
                    int src = base + p * cs;
                    int o = d + p * mr;
                    int r = 0;
                    for (; r < mv; r++) dst[o + r] = a[src + r * rs];
                    for (; r < mr; r++) dst[o + r] = 0f;
                }
            }
            d += kc * mr;
        }
    }

    /** Index vectors of {@link #pack8RowMajor}'s three two-source permute stages (16 lanes; index >= 16 picks the second source). */
    private static final FloatVector[] T8 = transposeIndices();

    private static FloatVector[] transposeIndices() {
        float[][] idx = new float[6][16];
        for (int i = 0; i < 16; i++) {
            int s = i % 2, q = i % 4, r = i % 8;
            idx[0][i] = s * 16 + i / 2;                                   // interleave two rows, columns 0-7
            idx[1][i] = s * 16 + 8 + i / 2;                               // columns 8-15
            idx[2][i] = q < 2 ? 2 * (i / 4) + q : 16 + 2 * (i / 4) + q - 2;          // 2+2 rows -> 4 rows, columns 0-3
            idx[3][i] = q < 2 ? 2 * (i / 4 + 4) + q : 16 + 2 * (i / 4 + 4) + q - 2;  // columns 4-7
            idx[4][i] = r < 4 ? 4 * (i / 8) + r : 16 + 4 * (i / 8) + r - 4;          // 4+4 rows -> 8 rows, columns 0-1
            idx[5][i] = r < 4 ? 4 * (i / 8 + 2) + r : 16 + 4 * (i / 8 + 2) + r - 4;  // columns 2-3
        }
        FloatVector[] v = new FloatVector[6];
        for (int t = 0; t < 6; t++) v[t] = FloatVector.fromArray(GemmMicroKernel.S, idx[t], 0);
        return v;
    }

    /**
     * One full 8-row sliver of a row-major A on 16-lane vectors: an 8 x 16 block at a time is
     * loaded as 8 row vectors and transposed in registers by three stages of two-source permutes
     * (24 {@code vpermi2ps} per 128 floats), then stored as 8 whole vectors (two p steps of 8 rows
     * each). The scalar scatter took 0.5 ns per element, a quarter of a 128^3 GEMM's time.
     */
    private static void pack8RowMajor(float[] a, int base, int rs, int kc, float[] dst, int d) {
        final var sp = GemmMicroKernel.S;
        final FloatVector lo = T8[0], hi = T8[1], qa = T8[2], qb = T8[3], oa = T8[4], ob = T8[5];
        int p = 0;
        for (; p + 16 <= kc; p += 16) {
            int src = base + p;
            FloatVector r0 = FloatVector.fromArray(sp, a, src), r1 = FloatVector.fromArray(sp, a, src + rs);
            FloatVector r2 = FloatVector.fromArray(sp, a, src + 2 * rs), r3 = FloatVector.fromArray(sp, a, src + 3 * rs);
            FloatVector r4 = FloatVector.fromArray(sp, a, src + 4 * rs), r5 = FloatVector.fromArray(sp, a, src + 5 * rs);
            FloatVector r6 = FloatVector.fromArray(sp, a, src + 6 * rs), r7 = FloatVector.fromArray(sp, a, src + 7 * rs);
            // Stage 1: row pairs interleaved (lane 2c+s = row s, column c).
            FloatVector s01l = lo.selectFrom(r0, r1), s01h = hi.selectFrom(r0, r1);
            FloatVector s23l = lo.selectFrom(r2, r3), s23h = hi.selectFrom(r2, r3);
            FloatVector s45l = lo.selectFrom(r4, r5), s45h = hi.selectFrom(r4, r5);
            FloatVector s67l = lo.selectFrom(r6, r7), s67h = hi.selectFrom(r6, r7);
            // Stage 2: four rows (lane 4c+q = row q, column c); columns 0-3, 4-7, 8-11, 12-15.
            FloatVector q0 = qa.selectFrom(s01l, s23l), q1 = qb.selectFrom(s01l, s23l);
            FloatVector q2 = qa.selectFrom(s01h, s23h), q3 = qb.selectFrom(s01h, s23h);
            FloatVector w0 = qa.selectFrom(s45l, s67l), w1 = qb.selectFrom(s45l, s67l);
            FloatVector w2 = qa.selectFrom(s45h, s67h), w3 = qb.selectFrom(s45h, s67h);
            // Stage 3: eight rows (lane 8c+r = row r, column c), two columns per vector.
            int o = d + p * 8;
            oa.selectFrom(q0, w0).intoArray(dst, o);
            ob.selectFrom(q0, w0).intoArray(dst, o + 16);
            oa.selectFrom(q1, w1).intoArray(dst, o + 32);
            ob.selectFrom(q1, w1).intoArray(dst, o + 48);
            oa.selectFrom(q2, w2).intoArray(dst, o + 64);
            ob.selectFrom(q2, w2).intoArray(dst, o + 80);
            oa.selectFrom(q3, w3).intoArray(dst, o + 96);
            ob.selectFrom(q3, w3).intoArray(dst, o + 112);
        }
        for (; p < kc; p++) {
            for (int r = 0; r < 8; r++) dst[d + p * 8 + r] = a[base + r * rs + p];
        }
    }

    /**
     * Packs rows {@code [0, kc)} and columns {@code [0, cols)} of B (element (p, j) at
     * {@code b[off + p*rs + j*cs]}) into {@code ceil(cols/NR)} slivers, each {@code kc*NR}
     * floats laid out p-major ({@code dst[s*kc*NR + p*NR + j]}).
     *
     * @param gather scratch of at least L ints (the transposed pack's gather index map)
     */
    static void packB(float[] b, int off, int rs, int cs, int cols, int kc, float[] dst, int[] gather) {
        final int nr = GemmMicroKernel.NR, lanes = GemmMicroKernel.L;
        if (rs == 1 && cs != 1 && lanes >= 16) {
            for (int j = 0; j < lanes; j++) gather[j] = j * cs;
        } else {
            gather = null;
        }
        int d = 0, j0 = 0;
        if (cs == 1) {
            // Row-major B: walk each B row once from left to right and scatter its NR-wide pieces
            // into the slivers, so memory is read sequentially (one sliver at a time would touch
            // one cache line in each of kc rows and defeat the prefetcher).
            int full = cols / nr;
            int sliver = kc * nr;
            for (int p = 0; p < kc; p++) {
                int src = off + p * rs, o = p * nr;
                for (int q = 0; q < full; q++, src += nr, o += sliver) {
                    for (int v = 0; v < nr; v += lanes) {
                        FloatVector.fromArray(GemmMicroKernel.S, b, src + v).intoArray(dst, o + v);
                    }
                }
            }
            d = full * sliver;
            j0 = full * nr;
        }
        for (; j0 < cols; j0 += nr) {
            int nv = Math.min(nr, cols - j0);
            int base = off + j0 * cs;
            if (rs == 1 && cs != 1 && nv == nr && gather != null) {
                // Transposed B (as dX = dY W^T reads it), AVX-512: each sliver row is two gathers
                // of L columns, one element per column (index map j * cs), written as whole vectors.
                for (int p = 0; p < kc; p++) {
                    for (int v = 0; v < nr; v += lanes) {
                        FloatVector.fromArray(GemmMicroKernel.S, b, base + v * cs + p, gather, 0).intoArray(dst, d + p * nr + v);
                    }
                }
            } else if (rs == 1 && cs != 1) {
                // Transposed B: a column of the sliver is contiguous in memory; read it in one run.
                for (int j = 0; j < nv; j++) {
                    int src = base + j * cs;
                    for (int p = 0; p < kc; p++) dst[d + p * nr + j] = b[src + p];
                }
                if (nv < nr) {
                    for (int p = 0; p < kc; p++) {
                        for (int j = nv; j < nr; j++) dst[d + p * nr + j] = 0f;
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = base + p * rs, o = d + p * nr;
                    int j = 0;
                    for (; j < nv; j++) dst[o + j] = b[src + j * cs];
                    for (; j < nr; j++) dst[o + j] = 0f;
                }
            }
            d += kc * nr;
        }
    }
}
