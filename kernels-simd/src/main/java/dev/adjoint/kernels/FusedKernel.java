package dev.adjoint.kernels;

/**
 * The loop of one generated fused-program class ({@link FusedCodegen}): evaluates the program's
 * vector instructions over {@code n} elements, {@code n} a multiple of the vector length, and
 * stores the result to {@code out[oo..oo+n)}.
 *
 * <p>Operand {@code k}'s element {@code i} is {@code a[k][o[k] + i]} (only the operands the class
 * loads as vectors are read); {@code s[j]} is the value of the program's j-th scalar register
 * (constants, operands broadcast over the whole run, and what is computed from them alone),
 * broadcast once before the loop. Implementations are hidden classes generated at run time; this
 * interface refers to no Vector API type, so the scalar fallback links without the module.
 */
interface FusedKernel {
    /**
     * Runs the loop.
     *
     * @param a operand arrays, indexed by operand
     * @param o operand offsets of element 0, indexed by operand
     * @param s scalar register values, indexed by scalar slot
     * @param out destination
     * @param oo offset of element 0 in {@code out}
     * @param n element count, a multiple of the vector length
     */
    void run(float[][] a, int[] o, float[] s, float[] out, int oo, int n);
}
