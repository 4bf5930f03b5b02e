package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * {@code dot_general(x, y)} in generalized coordinates: sums over the contracted axis pairs, aligns
 * the batch axis pairs; the output axes are the batch axes, then x's free axes, then y's free axes,
 * each in their original order. Bilinear; its transpose with respect to either operand is a
 * dot_general of the cotangent with the other, then a transpose: {@link #transposed}.
 */
public record DotGeneral(Ints lhsContract, Ints rhsContract, Ints lhsBatch, Ints rhsBatch) implements BilinearOp {
    /** Validates the axis lists against each other. */
    public DotGeneral {
        if (lhsContract.size() != rhsContract.size()) {
            throw Rules.error("dot_general: contracting axes " + lhsContract + " of x and " + rhsContract
                    + " of y differ in length; they are paired one to one");
        }
        if (lhsBatch.size() != rhsBatch.size()) {
            throw Rules.error("dot_general: batch axes " + lhsBatch + " of x and " + rhsBatch
                    + " of y differ in length; they are paired one to one");
        }
        Rules.requireDistinctAxes("dot_general", "x's contracting and batch axes", concat(lhsContract, lhsBatch));
        Rules.requireDistinctAxes("dot_general", "y's contracting and batch axes", concat(rhsContract, rhsBatch));
    }

    /** The plain matrix product of a rank-2 x and a rank-2 y. */
    public static DotGeneral matmul() { return new DotGeneral(Ints.of(1), Ints.of(0), Ints.of(), Ints.of()); }

    private static Ints concat(Ints a, Ints b) {
        int[] v = new int[a.size() + b.size()];
        for (int i = 0; i < a.size(); i++) v[i] = a.get(i);
        for (int i = 0; i < b.size(); i++) v[a.size() + i] = b.get(i);
        return Ints.of(v);
    }

    /** x's axes that are neither contracted nor batch, in order. */
    public Ints lhsFree(int lhsRank) { return free(lhsRank, lhsContract, lhsBatch); }

    /** y's axes that are neither contracted nor batch, in order. */
    public Ints rhsFree(int rhsRank) { return free(rhsRank, rhsContract, rhsBatch); }

    private static Ints free(int rank, Ints contract, Ints batch) {
        int[] v = new int[rank - contract.size() - batch.size()];
        for (int a = 0, j = 0; a < rank; a++) if (!contract.contains(a) && !batch.contains(a)) v[j++] = a;
        return Ints.of(v);
    }

    /**
     * A dot_general's transpose with respect to one operand: {@code transpose(dot(ct, other), perm)}
     * with the cotangent first; {@code perm} is {@code null} when the result is already in the
     * operand's axis order.
     *
     * @param dot contracts the cotangent's axes that came from the other operand's free axes with
     *     those, keeping the batch axes aligned; its result holds [batch, this operand's free axes,
     *     this operand's contracted axes in the other operand's axis order]
     * @param perm puts that result back in this operand's axis order
     */
    public record Transposed(DotGeneral dot, Transpose perm) {}

    /**
     * The transpose with respect to operand {@code operand} (0 for x, 1 for y), for operands of
     * shapes {@code lhs} and {@code rhs}.
     */
    public Transposed transposed(int operand, Shape lhs, Shape rhs) {
        boolean linIsLhs = operand == 0;
        int linRank = linIsLhs ? lhs.rank() : rhs.rank(), otherRank = linIsLhs ? rhs.rank() : lhs.rank();
        Ints linC = linIsLhs ? lhsContract : rhsContract;
        Ints linB = linIsLhs ? lhsBatch : rhsBatch;
        Ints othC = linIsLhs ? rhsContract : lhsContract;
        Ints othB = linIsLhs ? rhsBatch : lhsBatch;
        Ints linFree = linIsLhs ? lhsFree(linRank) : rhsFree(linRank);
        Ints othFree = linIsLhs ? rhsFree(otherRank) : lhsFree(otherRank);
        int nb = linB.size();
        // The cotangent's axes are [batch, lhs free, rhs free].
        int othStart = linIsLhs ? nb + linFree.size() : nb;
        int[] ctContract = new int[othFree.size()];
        for (int i = 0; i < ctContract.length; i++) ctContract[i] = othStart + i;
        DotGeneral dot = new DotGeneral(Ints.of(ctContract), othFree, Ints.range(nb), othB);
        // Position in the result of each axis of the linear operand.
        int[] sortedOthC = othC.toArray();
        Arrays.sort(sortedOthC);
        int[] perm = new int[linRank];
        for (int i = 0; i < nb; i++) perm[linB.get(i)] = i;
        for (int j = 0; j < linFree.size(); j++) perm[linFree.get(j)] = nb + j;
        for (int k = 0; k < linC.size(); k++) {
            perm[linC.get(k)] = nb + linFree.size() + Arrays.binarySearch(sortedOthC, othC.get(k));
        }
        return new Transposed(dot, Ints.of(perm).equals(Ints.range(linRank)) ? null : new Transpose(Ints.of(perm)));
    }

    @Override public String name() { return "dot_general"; }
    @Override public int arity() { return 2; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0), y = inputs.get(1);
        check(x, y, lhsContract, rhsContract, "contracting");
        check(x, y, lhsBatch, rhsBatch, "batch");
        Ints lf = lhsFree(x.rank()), rf = rhsFree(y.rank());
        int[] out = new int[lhsBatch.size() + lf.size() + rf.size()];
        int j = 0;
        for (int i = 0; i < lhsBatch.size(); i++) out[j++] = x.dim(lhsBatch.get(i));
        for (int i = 0; i < lf.size(); i++) out[j++] = x.dim(lf.get(i));
        for (int i = 0; i < rf.size(); i++) out[j++] = y.dim(rf.get(i));
        return Shape.of(out);
    }

    private static void check(Shape x, Shape y, Ints lhs, Ints rhs, String kind) {
        for (int i = 0; i < lhs.size(); i++) {
            int a = lhs.get(i), b = rhs.get(i);
            if (a >= x.rank()) {
                throw Rules.error("dot_general: " + kind + " axis " + a + " of x is out of range; x has rank " + x.rank());
            }
            if (b >= y.rank()) {
                throw Rules.error("dot_general: " + kind + " axis " + b + " of y is out of range; y has rank " + y.rank());
            }
            if (x.dim(a) != y.dim(b)) {
                throw Rules.error("dot_general: " + kind + " axis " + a + " of x (size " + x.dim(a)
                        + ") does not match axis " + b + " of y (size " + y.dim(b) + ")");
            }
        }
    }

    @Override public DType type(List<DType> inputs) {
        return Rules.requireFloat(name(), "x", Rules.requireSameTypes(name(), inputs));
    }
    @Override public String attributes() {
        return "contract=" + lhsContract + "x" + rhsContract + (lhsBatch.size() > 0 ? " batch=" + lhsBatch + "x" + rhsBatch : "");
    }
}
