package dev.adjoint.cpu;

/**
 * Walks the lines of an N-d index space along one axis: every combination of the other axes'
 * indices, in row-major order, keeping each operand's offset of the line's first element. Kernels
 * that work along an axis (cumsum, argmax, take_along_axis, scatter_add, strided copies) loop over
 * a line themselves. Allocated once per step at compile time; a walk allocates nothing.
 */
final class Lines {
    private final int[] shape;
    private final int axis;
    private final int[][] strides;
    private final int[] idx;
    /** Offset of the current line's first element, per operand. */
    final int[] base;
    private final long lines;
    private long remaining;

    /**
     * @param shape the index space
     * @param axis the axis along which lines run (its index stays 0)
     * @param strides one stride vector per operand, one stride per axis of {@code shape}
     */
    Lines(int[] shape, int axis, int[]... strides) {
        this.shape = shape.clone();
        this.axis = axis;
        this.strides = strides;
        this.idx = new int[shape.length];
        this.base = new int[strides.length];
        long n = 1;
        for (int a = 0; a < shape.length; a++) if (a != axis) n *= shape[a];
        this.lines = n;
    }

    /** Number of lines. */
    long count() { return lines; }

    /** Restarts with the operands' offsets of element [0, ..., 0]. */
    void start(int o0) {
        base[0] = o0;
        reset();
    }

    void start(int o0, int o1) {
        base[0] = o0;
        base[1] = o1;
        reset();
    }

    void start(int o0, int o1, int o2) {
        base[0] = o0;
        base[1] = o1;
        base[2] = o2;
        reset();
    }

    private void reset() {
        java.util.Arrays.fill(idx, 0);
        remaining = lines;
    }

    /** Moves to the next line (the first on the first call); false when all are done. */
    boolean next() {
        if (remaining == 0) return false;
        if (remaining-- != lines) advance();
        return true;
    }

    private void advance() {
        for (int a = shape.length - 1; a >= 0; a--) {
            if (a == axis) continue;
            idx[a]++;
            for (int k = 0; k < base.length; k++) base[k] += strides[k][a];
            if (idx[a] < shape[a]) return;
            for (int k = 0; k < base.length; k++) base[k] -= strides[k][a] * shape[a];
            idx[a] = 0;
        }
    }
}
