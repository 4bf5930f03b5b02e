package dev.adjoint.kernels;

/**
 * Contiguous-run primitives shared by every memory-bound kernel: each routes to
 * {@link VecBlockOps} or, when the Vector API is unavailable, to the scalar loop here.
 * The {@code *Scalar} methods are package-visible so tests can check the fallback in the
 * same JVM.
 */
final class BlockOps {
    private BlockOps() {}

    static final boolean SIMD = Simd.ENABLED;
    /** Side of the square tile {@link #transposeTile} moves: one vector (the scalar code uses 8). */
    static final int TILE = SIMD ? VecBlockOps.L : 8;

    static void unary(UnaryKernelOp op, float[] x, int xo, float[] d, int dO, int n) {
        if (SIMD) { VecBlockOps.unary(op, x, xo, d, dO, n); return; }
        for (int i = 0; i < n; i++) d[dO + i] = op.apply(x[xo + i]);
    }

    static void binaryVV(BinaryKernelOp op, float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        if (SIMD) { VecBlockOps.binaryVV(op, a, ao, b, bo, d, dO, n); return; }
        for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], b[bo + i]);
    }

    static void binaryVS(BinaryKernelOp op, float[] a, int ao, float s, float[] d, int dO, int n) {
        if (SIMD) { VecBlockOps.binaryVS(op, a, ao, s, d, dO, n); return; }
        for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], s);
    }

    /** {@code s op b}: commutative ops become {@code b op s}, so only sub, div (and the scalar pow, rem) need this form. */
    static void binarySV(BinaryKernelOp op, float s, float[] b, int bo, float[] d, int dO, int n) {
        if (op.commutative()) { binaryVS(op, b, bo, s, d, dO, n); return; }
        if (SIMD) { VecBlockOps.binarySV(op, s, b, bo, d, dO, n); return; }
        for (int i = 0; i < n; i++) d[dO + i] = op.apply(s, b[bo + i]);
    }

    static void compareVV(CompareKernelOp op, float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        if (SIMD) { VecBlockOps.compareVV(op, a, ao, b, bo, d, dO, n); return; }
        for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], b[bo + i]);
    }

    static void compareVS(CompareKernelOp op, float[] a, int ao, float s, float[] d, int dO, int n) {
        if (SIMD) { VecBlockOps.compareVS(op, a, ao, s, d, dO, n); return; }
        for (int i = 0; i < n; i++) d[dO + i] = op.apply(a[ao + i], s);
    }

    /** {@code s op b} is {@code b op' s} with the comparison mirrored (lt/gt, le/ge), so there is no scalar-vector loop. */
    static void compareSV(CompareKernelOp op, float s, float[] b, int bo, float[] d, int dO, int n) {
        compareVS(op.mirrored(), b, bo, s, d, dO, n);
    }

    static void select(float[] m, int mo, float[] a, int ao, float[] b, int bo, float[] d, int dO, int n) {
        if (SIMD) { VecBlockOps.select(m, mo, a, ao, b, bo, d, dO, n); return; }
        for (int i = 0; i < n; i++) d[dO + i] = m[mo + i] != 0f ? a[ao + i] : b[bo + i];
    }

    static void fill(float[] d, int dO, int n, float v) {
        if (SIMD) { VecBlockOps.fill(d, dO, n, v); return; }
        java.util.Arrays.fill(d, dO, dO + n, v);
    }

    /** Sum of {@code x[xo..xo+n)}; {@code lanes} is scratch of at least 16 floats. */
    static float sum(float[] x, int xo, int n, float[] lanes) {
        if (SIMD) return VecBlockOps.sum(x, xo, n, lanes);
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[xo + i];
        return s;
    }

    static float max(float[] x, int xo, int n) {
        if (SIMD) return VecBlockOps.max(x, xo, n);
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    static void accumulate(ReduceKernelOp op, float[] acc, int ao, float[] x, int xo, int n) {
        if (SIMD) { VecBlockOps.accumulate(op, acc, ao, x, xo, n); return; }
        if (op == ReduceKernelOp.SUM) for (int i = 0; i < n; i++) acc[ao + i] += x[xo + i];
        else for (int i = 0; i < n; i++) acc[ao + i] = Math.max(acc[ao + i], x[xo + i]);
    }

    /** Writes {@code s[sLast], s[sLast-1], ...} ({@code n} of them) to {@code d[dO..]}. */
    static void reverse(float[] s, int sLast, float[] d, int dO, int n) {
        if (SIMD) { VecBlockOps.reverse(s, sLast, d, dO, n); return; }
        for (int i = 0; i < n; i++) d[dO + i] = s[sLast - i];
    }

    /**
     * Copies {@code n} elements read with stride {@code ss} to {@code d[dO..dO+n)}; it may write
     * garbage after the run, below {@code dEnd} (the caller writes those elements next).
     */
    static void gatherRun(float[] s, int so, int ss, float[] d, int dO, int n, int dEnd) {
        if (SIMD && ss == 1) { VecBlockOps.copyRun(s, so, d, dO, n, dEnd); return; }
        if (SIMD && ss == 0) { VecBlockOps.fillRun(d, dO, n, s[so], dEnd); return; }
        for (int i = 0; i < n; i++) d[dO + i] = s[so + i * ss];
    }

    /** Zeros {@code d[dO..dO+n)}; it may write zeros after the run, below {@code dEnd} (see {@link #gatherRun}). */
    static void fillRun(float[] d, int dO, int n, int dEnd) {
        if (SIMD) { VecBlockOps.fillRun(d, dO, n, 0f, dEnd); return; }
        java.util.Arrays.fill(d, dO, dO + n, 0f);
    }

    /**
     * {@code rows} runs of {@link #gatherRun}, the runs {@code rs} apart in {@code s}, written one
     * after the other to {@code d[dO..]}.
     */
    static void gatherRows(float[] s, int so, int ss, int rs, int n, int rows, float[] d, int dO, int dEnd) {
        if (SIMD && ss == 1) { VecBlockOps.copyRows(s, so, rs, n, rows, d, dO, dEnd); return; }
        for (int i = 0; i < rows; i++, so += rs, dO += n) gatherRun(s, so, ss, d, dO, n, dEnd);
    }

    /** Copies {@code n} elements read with stride {@code ss} into a contiguous run. */
    static void gather(float[] s, int so, int ss, float[] d, int dO, int n) {
        if (ss == 1) { System.arraycopy(s, so, d, dO, n); return; }
        if (ss == -1) { reverse(s, so, d, dO, n); return; }
        for (int i = 0; i < n; i++) d[dO + i] = s[so + i * ss];
    }

    /** Transposes one {@link #TILE} x {@link #TILE} tile: {@code d[dO + c*ds + r] = x[xo + r*xs + c]}. */
    static void transposeTile(float[] x, int xo, int xs, float[] d, int dO, int ds) {
        if (SIMD) { VecBlockOps.transposeTile(x, xo, xs, d, dO, ds); return; }
        for (int r = 0; r < TILE; r++) for (int c = 0; c < TILE; c++) d[dO + c * ds + r] = x[xo + r * xs + c];
    }
}
