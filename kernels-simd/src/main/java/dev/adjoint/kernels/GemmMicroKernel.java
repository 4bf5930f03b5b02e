package dev.adjoint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel: an MR x NR tile of C ({@code MR = 6} rows, {@code NR} = two
 * vectors) accumulated over a packed A sliver and a packed B sliver, then merged into C with the
 * epilogue while still in registers.
 *
 * <p>Why 6 x 2 vectors: with 256-bit vectors (AVX2, 16 ymm registers) it holds 12 accumulators,
 * two B vectors and one broadcast A value, 15 registers, and does 12 FMAs per 2 vector loads and
 * 6 broadcasts, so the two FMA pipes, not the load ports, are the limit. The species is
 * {@link FloatVector#SPECIES_PREFERRED}: a fixed 512-bit species on a machine whose C2 vectors
 * are 256 bits wide would not be intrinsified at all and run orders of magnitude slower.
 */
final class GemmMicroKernel {
    private GemmMicroKernel() {}

    /** Vector species; the widest the running JIT intrinsifies. */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    static final int L = S.length();
    /** Rows of the register tile. */
    static final int MR = 6;
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
        VectorMask<Float>[] m = new VectorMask[L + 1];
        for (int i = 0; i <= L; i++) m[i] = S.indexInRange(0, i);
        return m;
    }

    /** The mask with the first {@code n} lanes set, {@code 0 <= n <= L}. */
    static VectorMask<Float> mask(int n) {
        return MASKS[n];
    }

    /**
     * Computes the tile {@code sum_p pa[p][r] * pb[p][j]} over {@code kc} packed steps and merges
     * rows {@code [0, mv)}, columns {@code [0, nv)} of it into C at {@code c[co + r*ldc + j]}.
     *
     * @param flags   ADD_OLD / LAST / BIAS_ROW / BIAS_COL / RELU
     * @param bias    bias array (used with BIAS_ROW or BIAS_COL)
     * @param biasIdx index in {@code bias} of the tile's first row (BIAS_ROW) or column (BIAS_COL)
     */
    static void kernel(int kc, float[] pa, int ao, float[] pb, int bo,
                       float[] c, int co, int ldc, int mv, int nv,
                       int flags, float alpha, float[] bias, int biasIdx) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        final int aEnd = ao + kc * MR;
        for (; ao < aEnd; ao += MR, bo += NR) {
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
            a = FloatVector.broadcast(S, pa[ao + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, pa[ao + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        FloatVector cb0 = z, cb1 = z;
        if ((flags & (LAST | BIAS_COL)) == (LAST | BIAS_COL)) {
            cb0 = loadPart(bias, biasIdx, nv);
            cb1 = loadPart(bias, biasIdx + L, nv - L);
        }
        boolean row = (flags & (LAST | BIAS_ROW)) == (LAST | BIAS_ROW);
        store(c00, c01, c, co, nv, flags, al, row ? bias[biasIdx] : 0f, cb0, cb1);
        if (mv > 1) store(c10, c11, c, co + ldc, nv, flags, al, row ? bias[biasIdx + 1] : 0f, cb0, cb1);
        if (mv > 2) store(c20, c21, c, co + 2 * ldc, nv, flags, al, row ? bias[biasIdx + 2] : 0f, cb0, cb1);
        if (mv > 3) store(c30, c31, c, co + 3 * ldc, nv, flags, al, row ? bias[biasIdx + 3] : 0f, cb0, cb1);
        if (mv > 4) store(c40, c41, c, co + 4 * ldc, nv, flags, al, row ? bias[biasIdx + 4] : 0f, cb0, cb1);
        if (mv > 5) store(c50, c51, c, co + 5 * ldc, nv, flags, al, row ? bias[biasIdx + 5] : 0f, cb0, cb1);
    }

    /** Loads {@code n} floats (clamped to a vector; none if {@code n <= 0}) from {@code a[off]}, zero elsewhere. */
    static FloatVector loadPart(float[] a, int off, int n) {
        if (n >= L) return FloatVector.fromArray(S, a, off);
        if (n <= 0) return FloatVector.zero(S);
        return FloatVector.fromArray(S, a, off, MASKS[n]);
    }

    /** Merges one tile row (two vectors, {@code nv} valid columns) into C. */
    private static void store(FloatVector v0, FloatVector v1, float[] c, int co, int nv, int flags,
                              FloatVector alpha, float rowBias, FloatVector cb0, FloatVector cb1) {
        storeVec(v0, c, co, nv, flags, alpha, rowBias, cb0);
        storeVec(v1, c, co + L, nv - L, flags, alpha, rowBias, cb1);
    }

    /**
     * Merges one accumulator vector into {@code c[co .. co+nv)}: {@code alpha*acc (+ old C)}, then,
     * on the last K block, bias and activation. Shared with the unpacked small-matrix path so
     * both round identically.
     */
    static void storeVec(FloatVector acc, float[] c, int co, int nv, int flags,
                         FloatVector alpha, float rowBias, FloatVector colBias) {
        if (nv <= 0) return;
        boolean full = nv >= L;
        FloatVector v;
        if ((flags & ADD_OLD) != 0) {
            FloatVector old = full ? FloatVector.fromArray(S, c, co) : FloatVector.fromArray(S, c, co, MASKS[nv]);
            v = acc.fma(alpha, old);
        } else {
            v = acc.mul(alpha);
        }
        if ((flags & LAST) != 0) {
            if ((flags & BIAS_ROW) != 0) v = v.add(rowBias);
            else if ((flags & BIAS_COL) != 0) v = v.add(colBias);
            if ((flags & RELU) != 0) v = v.max(0f);
        }
        if (full) v.intoArray(c, co);
        else v.intoArray(c, co, MASKS[nv]);
    }
}
