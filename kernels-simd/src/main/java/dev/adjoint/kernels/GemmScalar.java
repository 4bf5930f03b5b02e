package dev.adjoint.kernels;

/**
 * GEMM by its definition in plain Java: the path {@link Gemm#sgemm} takes when the Vector API is
 * unavailable ({@link Simd#ENABLED} is false). Same contract, strides, epilogue and accumulation.
 */
final class GemmScalar {
    private GemmScalar() {}

    static void sgemm(int batch, int m, int n, int k, float alpha,
                      float[] a, int aOff, int aRow, int aCol, int aBatch,
                      float[] b, int bOff, int bRow, int bCol, int bBatch,
                      boolean accumulate, float[] c, int cOff, int ldc, int cBatch, GemmEpilogue epilogue) {
        for (int p = 0; p < batch; p++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float sum = 0;
                    for (int q = 0; q < k; q++) {
                        sum += a[aOff + p * aBatch + i * aRow + q * aCol] * b[bOff + p * bBatch + q * bRow + j * bCol];
                    }
                    int at = cOff + p * cBatch + i * ldc + j;
                    float v = alpha * sum + (accumulate ? c[at] : 0f);
                    v += switch (epilogue.bias()) {
                        case NONE -> 0f;
                        case PER_ROW -> epilogue.biasData()[epilogue.biasOffset() + i];
                        case PER_COLUMN -> epilogue.biasData()[epilogue.biasOffset() + j];
                    };
                    c[at] = switch (epilogue.activation()) {
                        case NONE -> v;
                        case RELU -> Math.max(v, 0f);
                    };
                }
            }
        }
    }
}
