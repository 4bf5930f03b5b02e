package dev.adjoint.kernels;

/**
 * Which axis of the GEMM output a bias vector runs along. The bias is the same for every
 * matrix of a batch, as in a linear layer applied to a batch of sequences.
 */
public enum GemmBias {
    /** No bias. */
    NONE,
    /** One value per output row: {@code C[i][j] += bias[i]} (length M), e.g. conv as W x im2col. */
    PER_ROW,
    /** One value per output column: {@code C[i][j] += bias[j]} (length N), e.g. {@code x W + b}. */
    PER_COLUMN
}
