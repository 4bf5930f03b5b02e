package dev.adjoint.kernels;

/**
 * Float64 batched GEMM, {@code C[b] = A[b] B[b]} with arbitrary element strides on A and B and a
 * dense row-major C: B is packed a block of {@value #KC} x {@value #NC} at a time into a contiguous
 * workspace, and every row of C takes rank-4 updates from it with DoubleVector FMAs ({@link DoubleOps}).
 * Simpler than the f32 {@link Gemm} (no register-blocked micro-kernel, one thread), but each
 * element of C is accumulated in the same order whatever the machine, and a call allocates nothing.
 */
public final class DGemm {
    private DGemm() {}

    /** Rows of B per packed block. */
    public static final int KC = 128;
    /** Columns of B per packed block (4 KiB of doubles per row: C's row segment stays in L1). */
    public static final int NC = 512;

    /** The workspace one call needs, in doubles, for {@code k} x {@code n} products. */
    public static int workspaceLength(int k, int n) { return Math.max(1, Math.min(k, KC) * Math.min(n, NC)); }

    /**
     * {@code out[bt*m*n + i*n + j] = sum_p a[aOff + bt*aBatch + i*aRow + p*aCol] * b[bOff + bt*bBatch + p*bRow + j*bCol]}.
     *
     * @param ws at least {@link #workspaceLength(int, int)} doubles
     * @param splitter unused today (one thread); kept so a parallel version changes no caller
     */
    public static void dgemm(int batch, int m, int n, int k, double[] a, int aOff, int aRow, int aCol, int aBatch,
                             double[] b, int bOff, int bRow, int bCol, int bBatch, double[] out, double[] ws, WorkSplitter splitter) {
        for (int bt = 0; bt < batch; bt++) {
            int ob = bt * m * n;
            java.util.Arrays.fill(out, ob, ob + m * n, 0.0);
            int ab = aOff + bt * aBatch, bb = bOff + bt * bBatch;
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                for (int j0 = 0; j0 < n; j0 += NC) {
                    int nc = Math.min(NC, n - j0);
                    for (int p = 0; p < kc; p++) {
                        int src = bb + (p0 + p) * bRow + j0 * bCol;
                        if (bCol == 1) System.arraycopy(b, src, ws, p * nc, nc);
                        else for (int j = 0; j < nc; j++) ws[p * nc + j] = b[src + j * bCol];
                    }
                    for (int i = 0; i < m; i++) {
                        int ar = ab + i * aRow + p0 * aCol, orow = ob + i * n + j0;
                        int p = 0;
                        for (; p + 4 <= kc; p += 4) {
                            DoubleOps.axpy4(a[ar + p * aCol], a[ar + (p + 1) * aCol], a[ar + (p + 2) * aCol], a[ar + (p + 3) * aCol],
                                    ws, p * nc, nc, out, orow, nc);
                        }
                        for (; p < kc; p++) DoubleOps.axpy(a[ar + p * aCol], ws, p * nc, out, orow, nc);
                    }
                }
            }
        }
    }
}
