package dev.adjoint.kernels;

/**
 * Elementwise activation applied by the GEMM epilogue while the output tile is still in
 * registers, so that a fused {@code relu(x W + b)} costs no extra pass over memory.
 *
 * <p>An enum rather than a lambda so the micro-kernel can branch on it once per tile and keep
 * the vector code monomorphic; new activations are added here and in {@link Gemm}'s epilogue.
 */
public enum GemmActivation {
    /** Identity: the value is stored as computed. */
    NONE,
    /** {@code max(x, 0)}, as {@link Math#max(float, float)} (NaN stays NaN). */
    RELU
}
