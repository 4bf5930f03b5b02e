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
            } else if (rs == 1 && mr == 8 && GemmMicroKernel.L == 16 && i0 + 16 <= rows) {
                // Transposed A, two full 8-row slivers at once: the 16 contiguous floats of a K step are one
                // unmasked load; its lower half goes to this sliver, its upper half (slice) to the next.
                // 0.28-0.36 -> 0.16-0.20 ns per element against a masked load + store per sliver row (wave 8,
                // PackProbe). Not a 256-bit species: a second species in the JVM made a max-pool plan box vectors.
                pack16Transposed8(a, base, cs, kc, dst, d);
                i0 += mr;
                d += kc * mr;
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

    /** Two 8-row slivers of a transposed A (rows contiguous): sliver 1 at {@code dst[d..]}, sliver 2 right after it. */
    private static void pack16Transposed8(float[] a, int base, int cs, int kc, float[] dst, int d) {
        final VectorMask<Float> m8 = GemmMicroKernel.mask(8);
        final int d2 = d + kc * 8;
        for (int p = 0; p < kc; p++) {
            FloatVector v = FloatVector.fromArray(GemmMicroKernel.S, a, base + p * cs);
            v.intoArray(dst, d + p * 8, m8);
            v.slice(8).intoArray(dst, d2 + p * 8, m8);
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

    /** Stage-4 index vectors of {@link #pack16Transposed}: 8 + 8 rows -> 16, first and second column of a pair. */
    private static final FloatVector E0 = indexVector(0), E1 = indexVector(8);

    private static FloatVector indexVector(int col) {
        float[] idx = new float[16];
        for (int r = 0; r < 16; r++) idx[r] = r < 8 ? col + r : 16 + col + r - 8;
        return FloatVector.fromArray(GemmMicroKernel.S, idx, 0);
    }

    /**
     * 16 columns of a transposed B ({@code rs == 1}: column j is contiguous over p at
     * {@code b[base + j*cs + p]}) into a sliver at {@code dst[d + p*NR + jOff ..]}, 16 p at a time:
     * 16 column vectors transposed in registers by four stages of two-source permutes (64
     * {@code vpermi2ps} per 256 floats) instead of two 16-lane gathers per sliver row.
     */
    private static void pack16Transposed(float[] b, int base, int cs, int kc, float[] dst, int d, int jOff) {
        final var sp = GemmMicroKernel.S;
        final int nr = GemmMicroKernel.NR;
        final FloatVector lo = T8[0], hi = T8[1], qa = T8[2], qb = T8[3], oa = T8[4], ob = T8[5], e0 = E0, e1 = E1;
        int p = 0;
        for (; p + 16 <= kc; p += 16) {
            int src = base + p;
            FloatVector r0 = FloatVector.fromArray(sp, b, src + 0 * cs);
            FloatVector r1 = FloatVector.fromArray(sp, b, src + 1 * cs);
            FloatVector r2 = FloatVector.fromArray(sp, b, src + 2 * cs);
            FloatVector r3 = FloatVector.fromArray(sp, b, src + 3 * cs);
            FloatVector r4 = FloatVector.fromArray(sp, b, src + 4 * cs);
            FloatVector r5 = FloatVector.fromArray(sp, b, src + 5 * cs);
            FloatVector r6 = FloatVector.fromArray(sp, b, src + 6 * cs);
            FloatVector r7 = FloatVector.fromArray(sp, b, src + 7 * cs);
            FloatVector r8 = FloatVector.fromArray(sp, b, src + 8 * cs);
            FloatVector r9 = FloatVector.fromArray(sp, b, src + 9 * cs);
            FloatVector r10 = FloatVector.fromArray(sp, b, src + 10 * cs);
            FloatVector r11 = FloatVector.fromArray(sp, b, src + 11 * cs);
            FloatVector r12 = FloatVector.fromArray(sp, b, src + 12 * cs);
            FloatVector r13 = FloatVector.fromArray(sp, b, src + 13 * cs);
            FloatVector r14 = FloatVector.fromArray(sp, b, src + 14 * cs);
            FloatVector r15 = FloatVector.fromArray(sp, b, src + 15 * cs);
            FloatVector s0l = lo.selectFrom(r0, r1), s0h = hi.selectFrom(r0, r1);
            FloatVector s1l = lo.selectFrom(r2, r3), s1h = hi.selectFrom(r2, r3);
            FloatVector s2l = lo.selectFrom(r4, r5), s2h = hi.selectFrom(r4, r5);
            FloatVector s3l = lo.selectFrom(r6, r7), s3h = hi.selectFrom(r6, r7);
            FloatVector s4l = lo.selectFrom(r8, r9), s4h = hi.selectFrom(r8, r9);
            FloatVector s5l = lo.selectFrom(r10, r11), s5h = hi.selectFrom(r10, r11);
            FloatVector s6l = lo.selectFrom(r12, r13), s6h = hi.selectFrom(r12, r13);
            FloatVector s7l = lo.selectFrom(r14, r15), s7h = hi.selectFrom(r14, r15);
            FloatVector q0_0 = qa.selectFrom(s0l, s1l), q0_1 = qb.selectFrom(s0l, s1l), q0_2 = qa.selectFrom(s0h, s1h), q0_3 = qb.selectFrom(s0h, s1h);
            FloatVector q1_0 = qa.selectFrom(s2l, s3l), q1_1 = qb.selectFrom(s2l, s3l), q1_2 = qa.selectFrom(s2h, s3h), q1_3 = qb.selectFrom(s2h, s3h);
            FloatVector q2_0 = qa.selectFrom(s4l, s5l), q2_1 = qb.selectFrom(s4l, s5l), q2_2 = qa.selectFrom(s4h, s5h), q2_3 = qb.selectFrom(s4h, s5h);
            FloatVector q3_0 = qa.selectFrom(s6l, s7l), q3_1 = qb.selectFrom(s6l, s7l), q3_2 = qa.selectFrom(s6h, s7h), q3_3 = qb.selectFrom(s6h, s7h);
            FloatVector o0_0 = oa.selectFrom(q0_0, q1_0), o0_1 = ob.selectFrom(q0_0, q1_0);
            FloatVector o0_2 = oa.selectFrom(q0_1, q1_1), o0_3 = ob.selectFrom(q0_1, q1_1);
            FloatVector o0_4 = oa.selectFrom(q0_2, q1_2), o0_5 = ob.selectFrom(q0_2, q1_2);
            FloatVector o0_6 = oa.selectFrom(q0_3, q1_3), o0_7 = ob.selectFrom(q0_3, q1_3);
            FloatVector o1_0 = oa.selectFrom(q2_0, q3_0), o1_1 = ob.selectFrom(q2_0, q3_0);
            FloatVector o1_2 = oa.selectFrom(q2_1, q3_1), o1_3 = ob.selectFrom(q2_1, q3_1);
            FloatVector o1_4 = oa.selectFrom(q2_2, q3_2), o1_5 = ob.selectFrom(q2_2, q3_2);
            FloatVector o1_6 = oa.selectFrom(q2_3, q3_3), o1_7 = ob.selectFrom(q2_3, q3_3);
            int o = d + p * nr + jOff;
            e0.selectFrom(o0_0, o1_0).intoArray(dst, o + 0 * nr);
            e1.selectFrom(o0_0, o1_0).intoArray(dst, o + 1 * nr);
            e0.selectFrom(o0_1, o1_1).intoArray(dst, o + 2 * nr);
            e1.selectFrom(o0_1, o1_1).intoArray(dst, o + 3 * nr);
            e0.selectFrom(o0_2, o1_2).intoArray(dst, o + 4 * nr);
            e1.selectFrom(o0_2, o1_2).intoArray(dst, o + 5 * nr);
            e0.selectFrom(o0_3, o1_3).intoArray(dst, o + 6 * nr);
            e1.selectFrom(o0_3, o1_3).intoArray(dst, o + 7 * nr);
            e0.selectFrom(o0_4, o1_4).intoArray(dst, o + 8 * nr);
            e1.selectFrom(o0_4, o1_4).intoArray(dst, o + 9 * nr);
            e0.selectFrom(o0_5, o1_5).intoArray(dst, o + 10 * nr);
            e1.selectFrom(o0_5, o1_5).intoArray(dst, o + 11 * nr);
            e0.selectFrom(o0_6, o1_6).intoArray(dst, o + 12 * nr);
            e1.selectFrom(o0_6, o1_6).intoArray(dst, o + 13 * nr);
            e0.selectFrom(o0_7, o1_7).intoArray(dst, o + 14 * nr);
            e1.selectFrom(o0_7, o1_7).intoArray(dst, o + 15 * nr);
        }
        for (; p < kc; p++) {
            for (int j = 0; j < 16; j++) dst[d + p * nr + jOff + j] = b[base + j * cs + p];
        }
    }

    /**
     * Packs rows {@code [0, kc)} and columns {@code [0, cols)} of B (element (p, j) at
     * {@code b[off + p*rs + j*cs]}) into {@code ceil(cols/NR)} slivers, each {@code kc*NR}
     * floats laid out p-major ({@code dst[s*kc*NR + p*NR + j]}).
     */
    static void packB(float[] b, int off, int rs, int cs, int cols, int kc, float[] dst) {
        packB(b, off, rs, cs, cols, kc, dst, 0);
    }

    /**
     * {@link #packB} into {@code dst} from index {@code dOff} on. A sliver's layout does not depend on
     * where it starts, so threads sharing one packed panel each pack a run of its slivers
     * ({@code dOff} = first sliver * kc * NR) and the panel equals the one packed whole.
     */
    static void packB(float[] b, int off, int rs, int cs, int cols, int kc, float[] dst, int dOff) {
        final int nr = GemmMicroKernel.NR, lanes = GemmMicroKernel.L;
        int d = dOff, j0 = 0;
        if (cs == 1) {
            // Row-major B: walk each B row once from left to right and scatter its NR-wide pieces
            // into the slivers, so memory is read sequentially (one sliver at a time would touch
            // one cache line in each of kc rows and defeat the prefetcher).
            int full = cols / nr;
            int sliver = kc * nr;
            for (int p = 0; p < kc; p++) {
                int src = off + p * rs, o = dOff + p * nr;
                for (int q = 0; q < full; q++, src += nr, o += sliver) {
                    for (int v = 0; v < nr; v += lanes) {
                        FloatVector.fromArray(GemmMicroKernel.S, b, src + v).intoArray(dst, o + v);
                    }
                }
            }
            d = dOff + full * sliver;
            j0 = full * nr;
        }
        for (; j0 < cols; j0 += nr) {
            int nv = Math.min(nr, cols - j0);
            int base = off + j0 * cs;
            if (rs == 1 && cs != 1 && nv == nr && lanes == 16) {
                // Transposed B (as dX = dY W^T reads it), 16 lanes: two 16-column register transposes per sliver.
                // 128x512x512b 120 -> 134 GFLOP/s (thread CPU), as fast as the non-transposed 136; it replaced
                // two 16-lane gathers per sliver row.
                pack16Transposed(b, base, cs, kc, dst, d, 0);
                pack16Transposed(b, base + 16 * cs, cs, kc, dst, d, 16);
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
