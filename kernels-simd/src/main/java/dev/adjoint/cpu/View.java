package dev.adjoint.cpu;

import dev.adjoint.kernels.Elementwise;
import java.util.Arrays;

/**
 * Where a value lives: a strided window on one of the plan's buffers. Broadcasts (stride 0),
 * transposes (permuted strides), slices (offset and scaled strides) and reshapes of dense values
 * are views of their operand's buffer, so they cost no copy until a kernel needs dense data.
 *
 * @param buffer the plan's buffer (slot) index
 * @param offset index of element [0, ..., 0]
 * @param shape the value's dimensions
 * @param strides distance in the buffer between neighbours along each axis
 */
record View(int buffer, int offset, int[] shape, int[] strides) {
    /** A dense row-major view of a whole buffer. */
    static View dense(int buffer, int[] shape) { return new View(buffer, 0, shape, denseStrides(shape)); }

    /** Row-major strides of {@code shape}. */
    static int[] denseStrides(int[] shape) { return Elementwise.denseStrides(shape); }

    /** Number of elements. */
    int size() {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Whether the elements are stored row-major and contiguous from {@code offset} (size-1 axes ignored). */
    boolean isDense() {
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != acc) return false;
            acc *= shape[i];
        }
        return true;
    }

    @Override public String toString() {
        return "buffer " + buffer + "+" + offset + " " + Arrays.toString(shape) + " strides " + Arrays.toString(strides);
    }
}
