package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The dot-product path of {@link Gemm}: one row of A against a B whose K axis is contiguous
 * ({@code brs == 1}: B is a transposed weight W^T with W's rows contiguous, as an ONNX
 * {@code Gemm} with {@code transB = 1} or a linear layer's {@code x W^T} stores it), A's row
 * contiguous too. Each output is {@code dot(A[i, :], W[j, :])}, vectorized along K, four rows of W
 * at a time; W is read once, in place, so the call runs at memory bandwidth.
 *
 * <p>Why a path of its own: with M = 1 the packed path packs all of B (K x N floats, 5 MB for
 * MobileNet-v2's 1280 x 1000 classifier), through a register transpose since B is transposed, and
 * then computes 8-row tiles of which 7 rows are padding: the classifier took 82% of that model's
 * time (docs/perf/gemm.md, wave 5).
 *
 * <p>Determinism: each output's sum is lane-wise over the vector part of K in order, then the
 * lanes added in index order (from a small buffer, not {@code reduceLanes}, whose order the
 * Vector API leaves open), then the scalar tail; the same whichever thread computes it.
 */
final class GemmDot {
    private GemmDot() {}

    static final VectorSpecies<Float> S = GemmMicroKernel.S;
    static final int L = GemmMicroKernel.L;

    /** Scratch floats per chunk: four accumulator vectors. */
    static final int TILE = 4 * L;

    /**
     * Rows {@code [0, m)}, columns {@code [j0, j1)} of one matrix: element (i, p) of A at
     * {@code a[aBase + i*ars + p]}, element (p, j) of B at {@code b[bBase + p + j*bcs]}; row i's bias at
     * {@code bias[rowBias + i]}, column j's at {@code bias[colBias + j]}.
     */
    static void run(float[] a, int aBase, int ars, float[] b, int bBase, int bcs, int k, int m, int j0, int j1,
                    float[] c, int cBase, int ldc, float[] tile, int flags, float alpha, float[] bias, int rowBias, int colBias) {
        final int kv = k - k % L;
        for (int i = 0; i < m; i++) {
            final int ap = aBase + i * ars;
            int j = j0;
            for (; j + 4 <= j1; j += 4) {
                final int w0 = bBase + j * bcs, w1 = w0 + bcs, w2 = w1 + bcs, w3 = w2 + bcs;
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
                for (int p = 0; p < kv; p += L) {
                    FloatVector x = FloatVector.fromArray(S, a, ap + p);
                    s0 = x.fma(FloatVector.fromArray(S, b, w0 + p), s0);
                    s1 = x.fma(FloatVector.fromArray(S, b, w1 + p), s1);
                    s2 = x.fma(FloatVector.fromArray(S, b, w2 + p), s2);
                    s3 = x.fma(FloatVector.fromArray(S, b, w3 + p), s3);
                }
                s0.intoArray(tile, 0); s1.intoArray(tile, L); s2.intoArray(tile, 2 * L); s3.intoArray(tile, 3 * L);
                for (int r = 0; r < 4; r++) {
                    float s = lanes(tile, r * L);
                    int w = w0 + r * bcs;
                    for (int p = kv; p < k; p++) s += a[ap + p] * b[w + p];
                    store(s, i, j + r, c, cBase + i * ldc + j + r, flags, alpha, bias, rowBias, colBias);
                }
            }
            for (; j < j1; j++) {
                final int w0 = bBase + j * bcs;
                FloatVector s0 = FloatVector.zero(S);
                for (int p = 0; p < kv; p += L) {
                    s0 = FloatVector.fromArray(S, a, ap + p).fma(FloatVector.fromArray(S, b, w0 + p), s0);
                }
                s0.intoArray(tile, 0);
                float s = lanes(tile, 0);
                for (int p = kv; p < k; p++) s += a[ap + p] * b[w0 + p];
                store(s, i, j, c, cBase + i * ldc + j, flags, alpha, bias, rowBias, colBias);
            }
        }
    }

    /** The lanes of one accumulator added in index order. */
    private static float lanes(float[] t, int o) {
        float s = 0f;
        for (int l = 0; l < L; l++) s += t[o + l];
        return s;
    }

    /** The epilogue of one output, as the other paths apply it: alpha (+ old C), then bias and activation. */
    private static void store(float s, int i, int j, float[] c, int ci, int flags, float alpha, float[] bias, int rowBias, int colBias) {
        float v = (flags & GemmMicroKernel.ADD_OLD) != 0 ? Math.fma(s, alpha, c[ci]) : s * alpha;
        if ((flags & GemmMicroKernel.LAST) != 0) {
            if ((flags & GemmMicroKernel.BIAS_ROW) != 0) v += bias[rowBias + i];
            if ((flags & GemmMicroKernel.BIAS_COL) != 0) v += bias[colBias + j];
            if ((flags & GemmMicroKernel.RELU) != 0) v = Math.max(v, 0f);
        }
        c[ci] = v;
    }
}
