package dev.adjoint.kernels;

/** Reductions known to the kernels. */
public enum ReduceKernelOp {
    /** Sum; the empty sum is 0. */
    SUM,
    /** Maximum with NaN propagating; the empty maximum is negative infinity. */
    MAX;

    /**
     * The value of the reduction over no elements.
     *
     * @return 0 for SUM, negative infinity for MAX
     */
    public float identity() {
        return this == SUM ? 0f : Float.NEGATIVE_INFINITY;
    }
}
