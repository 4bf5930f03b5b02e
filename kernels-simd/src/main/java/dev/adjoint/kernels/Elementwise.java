package dev.adjoint.kernels;

/**
 * Single elementwise ops over an N-d output shape. Each operand is read through its own
 * offset and strides (a stride of 0 broadcasts along that axis, never materialized); the
 * output is written densely in row-major order.
 *
 * <p>These are one-instruction {@link FusedProgram}s built once per op, so they share its
 * fast paths: all-contiguous operands collapse to one long row; an operand broadcast along
 * the inner axis is read as a scalar per row; only an operand with a non-unit inner stride
 * is gathered, a block at a time.
 */
public final class Elementwise {
    private Elementwise() {}

    private static final FusedProgram[] UNARY = new FusedProgram[UnaryKernelOp.values().length];
    private static final FusedProgram[] BINARY = new FusedProgram[BinaryKernelOp.values().length];
    private static final FusedProgram[] COMPARE = new FusedProgram[CompareKernelOp.values().length];
    private static final FusedProgram SELECT;
    private static final FusedProgram COPY;

    static {
        for (UnaryKernelOp op : UnaryKernelOp.values()) {
            FusedProgram.Builder b = FusedProgram.builder(1);
            UNARY[op.ordinal()] = b.build(b.unary(op, b.load(0)));
        }
        for (BinaryKernelOp op : BinaryKernelOp.values()) {
            FusedProgram.Builder b = FusedProgram.builder(2);
            BINARY[op.ordinal()] = b.build(b.binary(op, b.load(0), b.load(1)));
        }
        for (CompareKernelOp op : CompareKernelOp.values()) {
            FusedProgram.Builder b = FusedProgram.builder(2);
            COMPARE[op.ordinal()] = b.build(b.compare(op, b.load(0), b.load(1)));
        }
        FusedProgram.Builder b = FusedProgram.builder(3);
        SELECT = b.build(b.select(b.load(0), b.load(1), b.load(2)));
        FusedProgram.Builder c = FusedProgram.builder(1);
        COPY = c.build(c.load(0));
    }

    /**
     * Dense row-major strides of a shape.
     *
     * @param shape the shape
     * @return strides, the last one 1
     */
    public static int[] denseStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    /**
     * {@code out = op(x)}.
     *
     * @param op the operation
     * @param shape output shape
     * @param x operand array
     * @param xOff operand offset
     * @param xStrides operand strides, one per axis of {@code shape}
     * @param out dense destination
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void unary(UnaryKernelOp op, int[] shape, float[] x, int xOff, int[] xStrides,
                             float[] out, int outOff, WorkSplitter splitter) {
        run1(UNARY[op.ordinal()], shape, x, xOff, xStrides, out, outOff, splitter);
    }

    /**
     * Strided (or broadcast) gather into a dense output: the memory pass behind slice, rev
     * and transpose.
     *
     * @param shape output shape
     * @param x source array
     * @param xOff source offset
     * @param xStrides source strides (may be negative or 0)
     * @param out dense destination
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void copy(int[] shape, float[] x, int xOff, int[] xStrides, float[] out, int outOff, WorkSplitter splitter) {
        run1(COPY, shape, x, xOff, xStrides, out, outOff, splitter);
    }

    private static void run1(FusedProgram p, int[] shape, float[] x, int xOff, int[] xStrides,
                             float[] out, int outOff, WorkSplitter splitter) {
        FusedRun g = FusedRun.attach(p);
        g.bind(0, x, xOff, xStrides);
        g.execute(shape, 0, null, out, outOff, splitter);
    }

    /**
     * {@code out = op(a, b)}.
     *
     * @param op the operation
     * @param shape output shape
     * @param a left operand array
     * @param aOff its offset
     * @param aStrides its strides
     * @param b right operand array
     * @param bOff its offset
     * @param bStrides its strides
     * @param out dense destination
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void binary(BinaryKernelOp op, int[] shape, float[] a, int aOff, int[] aStrides,
                              float[] b, int bOff, int[] bStrides, float[] out, int outOff, WorkSplitter splitter) {
        run2(BINARY[op.ordinal()], shape, a, aOff, aStrides, b, bOff, bStrides, out, outOff, splitter);
    }

    /**
     * {@code out = op(a, b) ? 1 : 0}.
     *
     * @param op the comparison
     * @param shape output shape
     * @param a left operand array
     * @param aOff its offset
     * @param aStrides its strides
     * @param b right operand array
     * @param bOff its offset
     * @param bStrides its strides
     * @param out dense destination
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void compare(CompareKernelOp op, int[] shape, float[] a, int aOff, int[] aStrides,
                               float[] b, int bOff, int[] bStrides, float[] out, int outOff, WorkSplitter splitter) {
        run2(COMPARE[op.ordinal()], shape, a, aOff, aStrides, b, bOff, bStrides, out, outOff, splitter);
    }

    private static void run2(FusedProgram p, int[] shape, float[] a, int aOff, int[] aStrides,
                             float[] b, int bOff, int[] bStrides, float[] out, int outOff, WorkSplitter splitter) {
        FusedRun g = FusedRun.attach(p);
        g.bind(0, a, aOff, aStrides);
        g.bind(1, b, bOff, bStrides);
        g.execute(shape, 0, null, out, outOff, splitter);
    }

    /**
     * {@code out = mask != 0 ? a : b}.
     *
     * @param shape output shape
     * @param m mask array
     * @param mOff its offset
     * @param mStrides its strides
     * @param a array picked where the mask is non-zero
     * @param aOff its offset
     * @param aStrides its strides
     * @param b array picked elsewhere
     * @param bOff its offset
     * @param bStrides its strides
     * @param out dense destination
     * @param outOff destination offset
     * @param splitter where to run chunks
     */
    public static void select(int[] shape, float[] m, int mOff, int[] mStrides, float[] a, int aOff, int[] aStrides,
                              float[] b, int bOff, int[] bStrides, float[] out, int outOff, WorkSplitter splitter) {
        FusedRun g = FusedRun.attach(SELECT);
        g.bind(0, m, mOff, mStrides);
        g.bind(1, a, aOff, aStrides);
        g.bind(2, b, bOff, bStrides);
        g.execute(shape, 0, null, out, outOff, splitter);
    }
}
