package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * {@code concatenate(xs, axis)}: joins one or more tensors along an axis; the other sizes must
 * agree. Linear; its transpose with respect to each operand is a slice ({@link #transposed}).
 */
public record Concatenate(int axis) implements LinearOp {
    /** Requires a non-negative axis. */
    public Concatenate {
        if (axis < 0) throw Rules.error("concatenate: attribute axis " + axis + " is negative; axes must be >= 0");
    }
    @Override public String name() { return "concatenate"; }
    @Override public int arity() { return -1; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape first = inputs.get(0);
        if (axis >= first.rank()) {
            throw Rules.error("concatenate: attribute axis " + axis + " is out of range for operand 0 of rank " + first.rank());
        }
        long total = 0;
        for (int i = 0; i < inputs.size(); i++) {
            Shape s = inputs.get(i);
            if (s.rank() != first.rank()) {
                throw Rules.error("concatenate: operand " + i + " has rank " + s.rank() + " but operand 0 has rank " + first.rank());
            }
            for (int a = 0; a < s.rank(); a++) {
                if (a != axis && s.dim(a) != first.dim(a)) {
                    throw Rules.error("concatenate: operand " + i + " has size " + s.dim(a) + " on axis " + a
                            + " but operand 0 has " + first.dim(a) + "; only the concatenation axis " + axis + " may differ");
                }
            }
            total += s.dim(axis);
        }
        if (total > Integer.MAX_VALUE) throw Rules.error("concatenate: the result axis would have " + total + " elements");
        int[] out = first.dims();
        out[axis] = (int) total;
        return Shape.of(out);
    }
    @Override public DType type(List<DType> inputs) { return Rules.requireSameTypes(name(), inputs); }
    @Override public String attributes() { return "axis=" + axis; }

    /**
     * The transpose with respect to operand {@code operand}, for operands of shapes
     * {@code inputs}: the slice of the cotangent that operand was copied to.
     */
    public Slice transposed(List<Shape> inputs, int operand) {
        Shape out = infer(inputs);
        int offset = 0;
        for (int i = 0; i < operand; i++) offset += inputs.get(i).dim(axis);
        int[] start = new int[out.rank()], stop = out.dims();
        start[axis] = offset;
        stop[axis] = offset + inputs.get(operand).dim(axis);
        return new Slice(Ints.of(start), Ints.of(stop), Ints.filled(out.rank(), 1));
    }
}
