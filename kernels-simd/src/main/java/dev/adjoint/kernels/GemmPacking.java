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
            if (cs == 1 && mv == mr) {
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
