package dev.adjoint.graph;

import dev.adjoint.graph.op.ArgFn;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Comparison;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Cumsum;
import dev.adjoint.graph.op.Gather;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceFn;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.ScatterAdd;
import dev.adjoint.graph.op.TakeAlongAxis;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A handle on one node of a {@link Graph}, and the fluent builder API users write against.
 *
 * <p>Elementwise methods broadcast numpy-style (shapes right-aligned, size-1 axes stretch) by
 * inserting explicit {@code broadcast_in_dim} nodes, so that the graph itself stays explicit and
 * the transpose of every broadcast, a {@code reduce_sum}, is explicit too. Axis arguments may be
 * negative (counted from the end) here; the primitives themselves take only non-negative axes.
 *
 * <p>Two handles are equal when they name the same node of the same graph.
 */
public final class Tensor {
    private final Graph graph;
    private final int id;

    Tensor(Graph graph, int id) {
        this.graph = graph;
        this.id = id;
    }

    /** The graph this tensor belongs to. */
    public Graph graph() { return graph; }

    /** The node id. */
    public int id() { return id; }

    /** The node. */
    public Node node() { return graph.node(id); }

    /** The node's op. */
    public Op op() { return node().op(); }

    /** The inferred shape. */
    public Shape shape() { return node().shape(); }

    /** The inferred element type. */
    public DType dtype() { return node().dtype(); }

    /** Number of axes. */
    public int rank() { return shape().rank(); }

    /** Size of {@code axis} (negative counts from the end). */
    public int dim(int axis) { return shape().dim(axis(axis)); }

    @Override public boolean equals(Object o) { return o instanceof Tensor t && t.graph == graph && t.id == id; }
    @Override public int hashCode() { return System.identityHashCode(graph) * 31 + id; }
    @Override public String toString() { return "%" + id + " " + op().name() + " " + dtype().label() + shape(); }

    // ---- elementwise, with numpy broadcasting -------------------------------------------------

    /** {@code this + other}, broadcasting. */
    public Tensor add(Tensor other) { return binary(BinaryFn.ADD, other); }
    /** {@code this + c}. */
    public Tensor add(double c) { return binary(BinaryFn.ADD, scalarLike(c)); }
    /** {@code this - other}, broadcasting. */
    public Tensor sub(Tensor other) { return binary(BinaryFn.SUB, other); }
    /** {@code this - c}. */
    public Tensor sub(double c) { return binary(BinaryFn.SUB, scalarLike(c)); }
    /** {@code this * other}, broadcasting. */
    public Tensor mul(Tensor other) { return binary(BinaryFn.MUL, other); }
    /** {@code this * c}. */
    public Tensor mul(double c) { return binary(BinaryFn.MUL, scalarLike(c)); }
    /** {@code this / other}, broadcasting. */
    public Tensor div(Tensor other) { return binary(BinaryFn.DIV, other); }
    /** {@code this / c}. */
    public Tensor div(double c) { return binary(BinaryFn.DIV, scalarLike(c)); }
    /** Elementwise maximum, broadcasting. */
    public Tensor max(Tensor other) { return binary(BinaryFn.MAX, other); }
    /** Elementwise maximum with a constant. */
    public Tensor max(double c) { return binary(BinaryFn.MAX, scalarLike(c)); }
    /** Elementwise minimum, broadcasting. */
    public Tensor min(Tensor other) { return binary(BinaryFn.MIN, other); }
    /** Elementwise minimum with a constant. */
    public Tensor min(double c) { return binary(BinaryFn.MIN, scalarLike(c)); }
    /** {@code this ^ other}, broadcasting. */
    public Tensor pow(Tensor other) { return binary(BinaryFn.POW, other); }
    /** {@code this ^ c}. */
    public Tensor pow(double c) { return binary(BinaryFn.POW, scalarLike(c)); }

    /** {@code -this}. */
    public Tensor neg() { return unary(UnaryFn.NEG); }
    /** {@code e^this}. */
    public Tensor exp() { return unary(UnaryFn.EXP); }
    /** Natural logarithm. */
    public Tensor log() { return unary(UnaryFn.LOG); }
    /** Hyperbolic tangent. */
    public Tensor tanh() { return unary(UnaryFn.TANH); }
    /** The logistic sigmoid {@code 1 / (1 + e^-x)}. */
    public Tensor sigmoid() { return unary(UnaryFn.LOGISTIC); }
    /** Square root. */
    public Tensor sqrt() { return unary(UnaryFn.SQRT); }
    /** {@code 1 / sqrt(this)}. */
    public Tensor rsqrt() { return unary(UnaryFn.RSQRT); }
    /** Absolute value. */
    public Tensor abs() { return unary(UnaryFn.ABS); }
    /** Sign: -1, 0 or 1. */
    public Tensor sign() { return unary(UnaryFn.SIGN); }
    /** {@code max(this, 0)}. */
    public Tensor relu() { return max(0.0); }
    /** {@code this * this}. */
    public Tensor square() { return mul(this); }
    /** {@code 1 / this}. */
    public Tensor reciprocal() { return scalarLike(1.0).div(this); }

    /** The error function. */
    public Tensor erf() { return unary(UnaryFn.ERF); }
    /** Sine. */
    public Tensor sin() { return unary(UnaryFn.SIN); }
    /** Cosine. */
    public Tensor cos() { return unary(UnaryFn.COS); }
    /** Arc tangent. */
    public Tensor atan() { return unary(UnaryFn.ATAN); }
    /** {@code log(1 + this)}, accurate near 0. */
    public Tensor log1p() { return unary(UnaryFn.LOG1P); }
    /** {@code e^this - 1}, accurate near 0. */
    public Tensor expm1() { return unary(UnaryFn.EXPM1); }
    /** Largest integer {@code <= this}; its tangent is zero. */
    public Tensor floor() { return unary(UnaryFn.FLOOR); }
    /** Smallest integer {@code >= this}; its tangent is zero. */
    public Tensor ceil() { return unary(UnaryFn.CEIL); }
    /** Nearest integer, halves to even; its tangent is zero. */
    public Tensor round() { return unary(UnaryFn.ROUND); }
    /** Logical not (bool) or bitwise not (integers). */
    public Tensor not() { return unary(UnaryFn.NOT); }
    /** Logical and (bool) or bitwise and (integers), broadcasting. */
    public Tensor and(Tensor other) { return binary(BinaryFn.AND, other); }
    /** Logical or (bool) or bitwise or (integers), broadcasting. */
    public Tensor or(Tensor other) { return binary(BinaryFn.OR, other); }
    /** Logical or bitwise exclusive or, broadcasting. */
    public Tensor xor(Tensor other) { return binary(BinaryFn.XOR, other); }
    /** Remainder of truncated division (sign of this), broadcasting. */
    public Tensor rem(Tensor other) { return binary(BinaryFn.REM, other); }
    /** Integer shift left by {@code bits}. */
    public Tensor shiftLeft(int bits) { return shift(BinaryFn.SHIFT_LEFT, bits); }
    /** Integer logical shift right by {@code bits} (zeros shifted in). */
    public Tensor shiftRightLogical(int bits) { return shift(BinaryFn.SHIFT_RIGHT_LOGICAL, bits); }
    /** Integer arithmetic shift right by {@code bits} (the sign shifted in). */
    public Tensor shiftRightArithmetic(int bits) { return shift(BinaryFn.SHIFT_RIGHT_ARITHMETIC, bits); }

    private Tensor shift(BinaryFn fn, int bits) {
        // The shift count is a constant of this tensor's type; on a non-integer tensor, let the
        // primitive's type rule say so rather than failing to make that constant.
        return dtype().isInteger() ? binary(fn, scalarLike(bits)) : graph.add(new Binary(fn), this, this);
    }

    /** Each element converted to {@code type} (a no-op if it is this tensor's type); see {@link Convert}. */
    public Tensor convert(DType type) { return type == dtype() ? this : graph.add(new Convert(type), this); }

    /** Mask {@code this < other}, broadcasting. */
    public Tensor lt(Tensor other) { return compare(Comparison.LT, other); }
    /** Mask {@code this <= other}, broadcasting. */
    public Tensor le(Tensor other) { return compare(Comparison.LE, other); }
    /** Mask {@code this > other}, broadcasting. */
    public Tensor gt(Tensor other) { return compare(Comparison.GT, other); }
    /** Mask {@code this >= other}, broadcasting. */
    public Tensor ge(Tensor other) { return compare(Comparison.GE, other); }
    /** Mask {@code this == other}, broadcasting. */
    public Tensor eq(Tensor other) { return compare(Comparison.EQ, other); }
    /** Mask {@code this != other}, broadcasting. */
    public Tensor ne(Tensor other) { return compare(Comparison.NE, other); }
    /** Mask {@code this == c}. */
    public Tensor eq(double c) { return compare(Comparison.EQ, scalarLike(c)); }
    /** Mask {@code this != c}. */
    public Tensor ne(double c) { return compare(Comparison.NE, scalarLike(c)); }
    /** Mask {@code this >= c}. */
    public Tensor ge(double c) { return compare(Comparison.GE, scalarLike(c)); }
    /** Mask {@code this <= c}. */
    public Tensor le(double c) { return compare(Comparison.LE, scalarLike(c)); }
    /** Mask {@code this > c}. */
    public Tensor gt(double c) { return compare(Comparison.GT, scalarLike(c)); }
    /** Mask {@code this < c}. */
    public Tensor lt(double c) { return compare(Comparison.LT, scalarLike(c)); }

    /** With this bool tensor as a mask: {@code a} where it is true, {@code b} elsewhere; all three broadcast. */
    public Tensor select(Tensor a, Tensor b) {
        Shape out = broadcastShapes("select", broadcastShapes("select", shape(), a.shape()), b.shape());
        return graph.add(new Select(), broadcastTo(out), a.broadcastTo(out), b.broadcastTo(out));
    }

    /** The identity, with a zero derivative. */
    public Tensor stopGradient() { return graph.add(new StopGradient(), this); }

    private Tensor unary(UnaryFn fn) { return graph.add(new Unary(fn), this); }

    private Tensor binary(BinaryFn fn, Tensor other) {
        // A type mismatch is the more basic mistake: the primitive's type rule reports it on the
        // operands as the user gave them, before any broadcasting.
        if (dtype() != other.dtype()) return graph.add(new Binary(fn), this, other);
        Shape out = broadcastShapes(fn.label(), shape(), other.shape());
        return graph.add(new Binary(fn), broadcastTo(out), other.broadcastTo(out));
    }

    private Tensor compare(Comparison c, Tensor other) {
        if (dtype() != other.dtype()) return graph.add(new Compare(c), this, other);
        Shape out = broadcastShapes(c.label(), shape(), other.shape());
        return graph.add(new Compare(c), broadcastTo(out), other.broadcastTo(out));
    }

    /** A scalar constant of this tensor's element type. */
    private Tensor scalarLike(double c) { return graph.constant(c, dtype()); }

    /** The numpy broadcast of two shapes, or an error naming the op and the axis that clashes. */
    public static Shape broadcastShapes(String op, Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.rank() ? 1 : a.dim(i - (r - a.rank()));
            int db = i < r - b.rank() ? 1 : b.dim(i - (r - b.rank()));
            if (da != db && da != 1 && db != 1) {
                throw new ShapeException(op + ": shapes " + a + " and " + b + " do not broadcast: aligned from the right,"
                        + " axis " + i + " of the result has sizes " + da + " and " + db
                        + "; sizes must be equal or 1 (at " + CallSite.describe(CallSite.capture()) + ")");
            }
            out[i] = da == 1 ? db : da; // not max: numpy broadcasts 1 against 0 to 0
        }
        return Shape.of(out);
    }

    // ---- broadcasting and reductions ----------------------------------------------------------

    /** numpy {@code broadcast_to}: right-aligns this shape against {@code dims}; a no-op if equal. */
    public Tensor broadcastTo(int... dims) { return broadcastTo(Shape.of(dims)); }

    /** numpy {@code broadcast_to}: right-aligns this shape against {@code target}; a no-op if equal. */
    public Tensor broadcastTo(Shape target) {
        if (shape().equals(target)) return this;
        int r = rank();
        if (r > target.rank()) {
            throw new ShapeException("broadcast_to: cannot broadcast " + shape() + " to the lower-rank " + target
                    + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        int[] dims = new int[r];
        for (int i = 0; i < r; i++) dims[i] = target.rank() - r + i;
        return broadcastInDim(target, dims);
    }

    /** The primitive: output axis {@code dims[i]} takes this tensor's axis {@code i}. */
    public Tensor broadcastInDim(Shape target, int... dims) {
        return graph.add(() -> new BroadcastInDim(target, Ints.of(dims)), this);
    }

    /** Sum over the given axes (all axes if none are given); the axes disappear. */
    public Tensor sum(int... axes) { return sumExact(orAll(axes), false); }

    /** Sum over exactly the given axes (none: the identity), keeping them with size 1 if {@code keepDims}. */
    public Tensor sum(int[] axes, boolean keepDims) { return sumExact(axes, keepDims); }

    private Tensor sumExact(int[] axes, boolean keepDims) {
        int[] ax = normalizeAxes(axes);
        Tensor r = graph.add(() -> new ReduceSum(Ints.of(ax)), this);
        return keepDims ? r.reshape(keptShape(ax)) : r;
    }

    private int[] keptShape(int[] ax) {
        int[] kept = shape().dims();
        for (int a : ax) kept[a] = 1;
        return kept;
    }

    /** Minimum over the given axes (all axes if none are given). */
    public Tensor reduceMin(int... axes) { return reduce(ReduceFn.MIN, orAll(axes), false); }

    /** Minimum over exactly the given axes, keeping them with size 1 if {@code keepDims}. */
    public Tensor reduceMin(int[] axes, boolean keepDims) { return reduce(ReduceFn.MIN, axes, keepDims); }

    /** Product over the given axes (all axes if none are given). */
    public Tensor prod(int... axes) { return reduce(ReduceFn.PROD, orAll(axes), false); }

    /** Product over exactly the given axes, keeping them with size 1 if {@code keepDims}. */
    public Tensor prod(int[] axes, boolean keepDims) { return reduce(ReduceFn.PROD, axes, keepDims); }

    /** The i64 index of the largest element along {@code axis} (first on ties); the axis disappears. */
    public Tensor argmax(int axis) { return argmax(axis, false); }

    /** The i64 index of the largest element along {@code axis}, kept with size 1 if {@code keepDims}. */
    public Tensor argmax(int axis, boolean keepDims) { return arg(ArgFn.ARGMAX, axis, keepDims); }

    /** The i64 index of the smallest element along {@code axis} (first on ties); the axis disappears. */
    public Tensor argmin(int axis) { return argmin(axis, false); }

    /** The i64 index of the smallest element along {@code axis}, kept with size 1 if {@code keepDims}. */
    public Tensor argmin(int axis, boolean keepDims) { return arg(ArgFn.ARGMIN, axis, keepDims); }

    private Tensor arg(ArgFn fn, int axis, boolean keepDims) {
        int a = axis(axis);
        Tensor r = graph.add(() -> new ArgReduce(fn, a, DType.I64), this);
        if (!keepDims) return r;
        int[] kept = shape().dims();
        kept[a] = 1;
        return r.reshape(kept);
    }

    /** The inclusive running sum along {@code axis}, from the start or (reverse) from the end. */
    public Tensor cumsum(int axis, boolean reverse) {
        int a = axis(axis);
        return graph.add(() -> new Cumsum(a, reverse), this);
    }

    /** The inclusive running sum along {@code axis}. */
    public Tensor cumsum(int axis) { return cumsum(axis, false); }

    /** numpy {@code take(this, indices, axis)}: the slices along {@code axis} at integer {@code indices}, of any shape. */
    public Tensor gather(Tensor indices, int axis) {
        int a = axis(axis);
        return graph.add(() -> new Gather(a), this, indices);
    }

    /** numpy {@code take_along_axis} (torch {@code gather}): {@code indices} has this tensor's rank. */
    public Tensor takeAlongAxis(Tensor indices, int axis) {
        int a = axis(axis);
        return graph.add(() -> new TakeAlongAxis(a), this, indices);
    }

    /** torch {@code scatter_add(this, axis, indices, updates)}: a copy of this with {@code updates} added at {@code indices}. */
    public Tensor scatterAdd(Tensor indices, Tensor updates, int axis) {
        int a = axis(axis);
        return graph.add(() -> new ScatterAdd(a), this, indices, updates);
    }

    /** Maximum over the given axes (all axes if none are given). */
    public Tensor reduceMax(int... axes) { return reduce(ReduceFn.MAX, orAll(axes), false); }

    /** Maximum over exactly the given axes, keeping them with size 1 if {@code keepDims}. */
    public Tensor reduceMax(int[] axes, boolean keepDims) { return reduce(ReduceFn.MAX, axes, keepDims); }

    /** Mean over the given axes (all axes if none are given). */
    public Tensor mean(int... axes) { return mean(orAll(axes), false); }

    /** Mean over exactly the given axes, keeping them with size 1 if {@code keepDims}. */
    public Tensor mean(int[] axes, boolean keepDims) {
        int[] ax = normalizeAxes(axes);
        long count = 1;
        for (int a : ax) count *= shape().dim(a);
        return sumExact(ax, keepDims).mul(1.0 / count);
    }

    private int[] orAll(int[] axes) { return axes.length == 0 ? allAxes() : axes; }

    private Tensor reduce(ReduceFn fn, int[] axes, boolean keepDims) {
        int[] ax = normalizeAxes(axes);
        Tensor r = graph.add(() -> new Reduce(fn, Ints.of(ax)), this);
        return keepDims ? r.reshape(keptShape(ax)) : r;
    }

    private int[] allAxes() { return Ints.range(rank()).toArray(); }

    private int[] normalizeAxes(int[] axes) {
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) out[i] = axis(axes[i]);
        Arrays.sort(out);
        return out;
    }

    /** An axis index, with negative values counted from the end; errors name the rank. */
    int axis(int a) {
        int r = rank();
        if (a < -r || a >= r) {
            throw new ShapeException("axis " + a + " is out of range for shape " + shape() + " of rank " + r
                    + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        return a < 0 ? a + r : a;
    }

    // ---- contractions -------------------------------------------------------------------------

    /**
     * numpy {@code matmul}: 2-D x 2-D is the matrix product; leading axes are batch axes that
     * broadcast; a 1-D left operand is a row vector and a 1-D right operand a column vector,
     * whose added axis is removed from the result.
     */
    public Tensor matmul(Tensor other) { return MatMul.of(this, other); }

    /** The primitive {@code dot_general}: contracting and batch axis pairs of this (x) and {@code other} (y). */
    public Tensor dotGeneral(Tensor other, int[] lhsContract, int[] rhsContract, int[] lhsBatch, int[] rhsBatch) {
        return graph.add(() -> new DotGeneral(Ints.of(lhsContract), Ints.of(rhsContract), Ints.of(lhsBatch), Ints.of(rhsBatch)),
                this, other);
    }

    // ---- movement -----------------------------------------------------------------------------

    /** Permutes axes: output axis {@code i} is this tensor's axis {@code perm[i]}. */
    public Tensor transpose(int... perm) { return graph.add(() -> new Transpose(Ints.of(perm)), this); }

    /** Swaps the last two axes (the matrix transpose, batched). */
    public Tensor mT() {
        int[] perm = allAxes();
        int r = rank();
        if (r < 2) throw new ShapeException("mT: needs rank >= 2, got " + shape());
        perm[r - 2] = r - 1;
        perm[r - 1] = r - 2;
        return transpose(perm);
    }

    /**
     * The same elements, row-major, under another shape; a no-op if equal. One size may be
     * {@code -1} (numpy): it is inferred so that the element count stays the same.
     */
    public Tensor reshape(int... dims) {
        int[] target = dims.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                if (inferred >= 0) {
                    throw reshapeError(dims, "has more than one -1 (axes " + inferred + " and " + i + "); at most one size can be inferred");
                }
                inferred = i;
            } else if (target[i] >= 0) {
                known *= target[i];
            }
        }
        if (inferred >= 0) {
            long n = shape().size();
            if (known == 0 || n % known != 0) {
                throw reshapeError(dims, "cannot infer the -1: x's " + n + " elements are not a multiple of the product "
                        + known + " of the other sizes");
            }
            target[inferred] = Math.toIntExact(n / known);
        }
        Shape s;
        try {
            s = Shape.of(target);
        } catch (ShapeException e) { // a negative size other than -1: name the op and the user's line
            throw new ShapeException("reshape: target " + e.getMessage() + "; x: " + shape()
                    + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        if (s.equals(shape())) return this;
        return graph.add(new Reshape(s), this);
    }

    private ShapeException reshapeError(int[] dims, String rule) {
        return new ShapeException("reshape: target " + Arrays.toString(dims) + " " + rule + "; x: " + shape()
                + " (at " + CallSite.describe(CallSite.capture()) + ")");
    }

    /** Inserts an axis of size 1 before axis {@code axis} ({@code -1}: at the end); torch {@code unsqueeze}. */
    public Tensor unsqueeze(int axis) {
        int r = rank();
        if (axis < -(r + 1) || axis > r) {
            throw new ShapeException("unsqueeze: axis " + axis + " is out of range [" + (-(r + 1)) + ", " + r + "] for x: "
                    + shape() + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        int a = axis < 0 ? axis + r + 1 : axis;
        int[] dims = new int[r + 1];
        for (int i = 0, j = 0; i <= r; i++) dims[i] = i == a ? 1 : dim(j++);
        return reshape(dims);
    }

    /** Removes the listed axes, which must have size 1 (numpy); with none listed, every size-1 axis. */
    public Tensor squeeze(int... axes) {
        boolean[] drop = new boolean[rank()];
        if (axes.length == 0) {
            for (int a = 0; a < rank(); a++) drop[a] = dim(a) == 1;
        } else {
            for (int ax : axes) {
                int a = axis(ax);
                if (dim(a) != 1) {
                    throw new ShapeException("squeeze: axis " + ax + " has size " + dim(a) + ", not 1; x: " + shape()
                            + " (at " + CallSite.describe(CallSite.capture()) + ")");
                }
                drop[a] = true;
            }
        }
        int[] dims = new int[rank()];
        int n = 0;
        for (int a = 0; a < rank(); a++) if (!drop[a]) dims[n++] = dim(a);
        return reshape(Arrays.copyOf(dims, n));
    }

    /** Merges axes {@code startAxis..endAxis} (inclusive; negative counts from the end) into one; torch {@code flatten}. */
    public Tensor flatten(int startAxis, int endAxis) {
        if (rank() == 0) return reshape(1);
        int s = axis(startAxis), e = axis(endAxis);
        if (s > e) {
            throw new ShapeException("flatten: start axis " + startAxis + " comes after end axis " + endAxis + "; x: " + shape()
                    + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        int[] dims = new int[rank() - (e - s)];
        int n = 0;
        for (int a = 0; a < s; a++) dims[n++] = dim(a);
        long merged = 1;
        for (int a = s; a <= e; a++) merged *= dim(a);
        dims[n++] = Math.toIntExact(merged);
        for (int a = e + 1; a < rank(); a++) dims[n++] = dim(a);
        return reshape(dims);
    }

    /** Every axis merged into one (torch {@code flatten()}). */
    public Tensor flatten() { return flatten(0, -1); }

    /**
     * Cuts this tensor along {@code axis} into consecutive pieces of the given sizes, which must
     * add up to the axis' size; torch {@code split} with a list of sizes.
     */
    public List<Tensor> split(int axis, int... sizes) {
        int a = axis(axis);
        long total = 0;
        for (int sz : sizes) {
            if (sz < 0) total = Long.MIN_VALUE;
            total += sz;
        }
        if (sizes.length == 0 || total != dim(a)) {
            throw new ShapeException("split: sizes " + Arrays.toString(sizes) + " must be >= 0 and add up to the size "
                    + dim(a) + " of axis " + axis + "; x: " + shape() + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        List<Tensor> out = new ArrayList<>(sizes.length);
        int at = 0;
        for (int sz : sizes) {
            int[] start = new int[rank()], stop = shape().dims();
            start[a] = at;
            stop[a] = at + sz;
            out.add(sizes.length == 1 ? this : slice(start, stop));
            at += sz;
        }
        return out;
    }

    /**
     * torch {@code chunk}: pieces of {@code ceil(size / chunks)} along {@code axis}, the last one
     * smaller if the size does not divide (so there may be fewer than {@code chunks} pieces).
     */
    public List<Tensor> chunk(int chunks, int axis) {
        int a = axis(axis);
        if (chunks < 1) {
            throw new ShapeException("chunk: needs chunks >= 1, got " + chunks + "; x: " + shape()
                    + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        int d = dim(a), each = Math.max((d + chunks - 1) / chunks, 1);
        int n = d == 0 ? 1 : (d + each - 1) / each;
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) sizes[i] = Math.min(each, d - i * each);
        return split(a, sizes);
    }

    /**
     * numpy {@code tile}: {@code reps[i]} copies along each axis. Fewer reps than axes repeat the
     * trailing axes; more reps than axes add leading axes. Built as one broadcast and one reshape.
     */
    public Tensor tile(int... reps) {
        for (int rp : reps) {
            if (rp < 0) {
                throw new ShapeException("tile: reps " + Arrays.toString(reps) + " must be >= 0; x: " + shape()
                        + " (at " + CallSite.describe(CallSite.capture()) + ")");
            }
        }
        int r = Math.max(rank(), reps.length);
        int[] xd = new int[r], rd = new int[r];
        for (int i = 0; i < r; i++) {
            xd[i] = i < r - rank() ? 1 : dim(i - (r - rank()));
            rd[i] = i < r - reps.length ? 1 : reps[i - (r - reps.length)];
        }
        int[] wide = new int[2 * r], bdims = new int[r], out = new int[r];
        for (int i = 0; i < r; i++) {
            wide[2 * i] = rd[i];
            wide[2 * i + 1] = xd[i];
            bdims[i] = 2 * i + 1;
            out[i] = Math.multiplyExact(rd[i], xd[i]);
        }
        return reshape(xd).broadcastInDim(Shape.of(wide), bdims).reshape(out);
    }

    /** numpy {@code where}: {@code a} where the bool {@code cond} is true, {@code b} elsewhere; all three broadcast. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return cond.select(a, b); }

    /** Zero padding: {@code lo}/{@code hi} per axis (negative crops), {@code interior} zeros between elements. */
    public Tensor pad(int[] lo, int[] hi, int[] interior) {
        return graph.add(() -> new Pad(Ints.of(lo), Ints.of(hi), Ints.of(interior)), this);
    }

    /** Zero padding at the edges only. */
    public Tensor pad(int[] lo, int[] hi) { return pad(lo, hi, new int[lo.length]); }

    /**
     * Padding with {@code value} (XLA {@code Pad}): the zero-padded tensor plus {@code value} times
     * the mask of padded positions, so the primitive stays linear and {@code value} gets no gradient.
     */
    public Tensor pad(int[] lo, int[] hi, int[] interior, double value) {
        Tensor padded = pad(lo, hi, interior);
        if (value == 0.0) return padded;
        Tensor ones = graph.fill(1.0, dtype(), shape().dims());
        Tensor holes = graph.fill(1.0, dtype(), padded.shape().dims()).sub(ones.pad(lo, hi, interior));
        return padded.add(holes.mul(value));
    }

    /** numpy {@code x[start:stop:step]} on every axis. */
    public Tensor slice(int[] start, int[] stop, int[] step) {
        return graph.add(() -> new Slice(Ints.of(start), Ints.of(stop), Ints.of(step)), this);
    }

    /** numpy {@code x[start:stop]} on every axis. */
    public Tensor slice(int[] start, int[] stop) { return slice(start, stop, Ints.filled(start.length, 1).toArray()); }

    /** Reverses the listed axes. */
    public Tensor rev(int... axes) { return graph.add(() -> new Rev(Ints.of(normalizeAxes(axes))), this); }

    /** Inserts {@code d - 1} zeros between neighbours along each axis: pad with interior {@code d - 1}. */
    public Tensor dilate(int... dilation) {
        int[] interior = new int[dilation.length];
        for (int i = 0; i < interior.length; i++) {
            if (dilation[i] < 1) {
                throw new ShapeException("dilate: dilation " + Arrays.toString(dilation) + " must be >= 1 on every axis"
                        + " (at " + CallSite.describe(CallSite.capture()) + ")");
            }
            interior[i] = dilation[i] - 1;
        }
        return pad(new int[dilation.length], new int[dilation.length], interior);
    }

    /** Keeps indices {@code 0, s, 2s, ...} along each axis: slice with step {@code s}. */
    public Tensor stride(int... steps) {
        return slice(new int[rank()], shape().dims(), steps);
    }

    /** Joins tensors along {@code axis} (negative counts from the end). */
    public static Tensor concatenate(int axis, Tensor... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("concatenate: needs at least one operand");
        int a = xs[0].axis(axis);
        return xs[0].graph.add(() -> new Concatenate(a), xs);
    }
}
