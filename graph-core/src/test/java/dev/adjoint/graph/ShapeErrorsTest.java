package dev.adjoint.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Comparison;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceFn;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad input fails when the node is built, with a message in the format of docs/ARCHITECTURE.md
 * {@code "op: rule; x: [..], y: [..] (at File.java:NN)"} that names the op, the attribute or
 * operand at fault, the rule, the operand shapes and the line of this file that built the node.
 *
 * <p>Each {@link #fails} call must keep its lambda on the same line: the expected call site is
 * the line of the {@code fails} call.
 */
class ShapeErrorsTest {
    final Graph g = new Graph();
    final Tensor x23 = g.input("x", 2, 3), y32 = g.input("y", 3, 2), v3 = g.input("v", 3), v4 = g.input("w", 4);

    /** Runs {@code body}, expects a ShapeException pointing at the caller's line, returns the message. */
    static String fails(Executable body, String... parts) {
        int line = StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber();
        ShapeException e = assertThrows(ShapeException.class, body);
        String m = e.getMessage();
        assertTrue(m.endsWith(" (at ShapeErrorsTest.java:" + line + ")"), "call site missing or wrong: " + m);
        for (String p : parts) assertTrue(m.contains(p), "message lacks \"" + p + "\": " + m);
        return m;
    }

    /** Like {@link #fails}, for plain value errors that have no graph context. */
    static String failsWithoutSite(Executable body, String... parts) {
        ShapeException e = assertThrows(ShapeException.class, body);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message lacks \"" + p + "\": " + e.getMessage());
        return e.getMessage();
    }

    // ---- the docs/ARCHITECTURE.md example, verbatim --------------------------------------------

    @Test void dotGeneralContractingMismatchReadsLikeTheHandbook() {
        Tensor x = g.input("a", 2, 3), y = g.input("b", 4, 5);
        String m = fails(() -> x.dotGeneral(y, new int[] {1}, new int[] {0}, new int[0], new int[0]));
        int line = Thread.currentThread().getStackTrace()[1].getLineNumber() - 1;
        assertEquals("dot_general: contracting axis 1 of x (size 3) does not match axis 0 of y (size 4); x: [2, 3], y: [4, 5]"
                + " (at ShapeErrorsTest.java:" + line + ")", m);
    }

    // ---- shape mismatch, one per op family ----------------------------------------------------

    @Test void elementwiseBinary() {
        fails(() -> g.add(new Binary(BinaryFn.SUB), x23, y32), "sub: ", "operand 1 has shape [3, 2] but operand 0 has shape [2, 3]",
                "need equal shapes", "; x: [2, 3], y: [3, 2]");
    }

    @Test void compare() {
        fails(() -> g.add(new Compare(Comparison.GE), v3, v4), "ge: ", "operand 1 has shape [4]", "; x: [3], y: [4]");
    }

    @Test void select() {
        Tensor m3 = v3.gt(0.0);
        fails(() -> g.add(new Select(), m3, v3, v4), "select: ", "operand 2 has shape [4] but operand 0 has shape [3]",
                "; mask: [3], a: [3], b: [4]");
        fails(() -> g.add(new Select(), v3, v3, v3), "select: the mask has type f32 but must be bool", "; mask: f32[3], a: f32[3], b: f32[3]");
    }

    @Test void broadcastInDim() {
        fails(() -> v3.broadcastInDim(Shape.of(2, 4), 1), "broadcast_in_dim: ", "input axis 0 (size 3) maps to output axis 1 (size 4)",
                "equal or the input's must be 1", "; x: [3]");
        fails(() -> v3.broadcastInDim(Shape.of(2, 3), 0, 1), "broadcast_in_dim: ", "dims [0, 1] has 2 entries but the input has rank 1",
                "; x: [3]");
        fails(() -> v3.broadcastInDim(Shape.of(3), 1), "broadcast_in_dim: ", "dims [1] names output axis 1", "rank 1");
        fails(() -> x23.broadcastInDim(Shape.of(3, 2), 1, 0), "broadcast_in_dim: ", "dims [1, 0] must strictly increase");
    }

    @Test void reduce() {
        fails(() -> g.add(new Reduce(ReduceFn.MAX, Ints.of(2)), x23), "reduce_max: ", "axes [2] names axis 2", "rank 2", "; x: [2, 3]");
        fails(() -> g.add(() -> new ReduceSum(Ints.of(1, 0)), x23), "reduce_sum: ", "axes [1, 0] must be sorted");
        fails(() -> g.add(() -> new ReduceSum(Ints.of(1, 1)), x23), "reduce_sum: ", "repeats axis 1");
    }

    @Test void dotGeneral() {
        Tensor a = g.input("a", 2, 3, 4), b = g.input("b", 5, 4, 6);
        fails(() -> a.dotGeneral(b, new int[] {2}, new int[] {1}, new int[] {0}, new int[] {0}), "dot_general: ",
                "batch axis 0 of x (size 2) does not match axis 0 of y (size 5)", "; x: [2, 3, 4], y: [5, 4, 6]");
        fails(() -> a.dotGeneral(b, new int[] {3}, new int[] {1}, new int[0], new int[0]), "dot_general: ",
                "contracting axis 3 of x is out of range", "rank 3");
        fails(() -> a.dotGeneral(b, new int[] {2, 1}, new int[] {1}, new int[0], new int[0]), "dot_general: ",
                "contracting axes [2, 1] of x and [1] of y differ in length");
        fails(() -> a.dotGeneral(b, new int[] {2}, new int[] {1}, new int[] {2}, new int[] {0}), "dot_general: ", "repeats axis 2");
    }

    @Test void transpose() {
        fails(() -> x23.transpose(0, 0), "transpose: ", "perm [0, 0] is not a permutation of 0..1", "; x: [2, 3]");
        fails(() -> x23.transpose(2, 0, 1), "transpose: ", "perm [2, 0, 1] has 3 entries but the input has rank 2", "; x: [2, 3]");
    }

    @Test void reshape() {
        fails(() -> x23.reshape(4), "reshape: ", "target shape [4] has 4 elements but the input [2, 3] has 6", "; x: [2, 3]");
    }

    @Test void pad() {
        fails(() -> v3.pad(new int[] {-3}, new int[] {-1}), "pad: ", "axis 0 of size 3 with lo -3, hi -1", "size -1", "; x: [3]");
        fails(() -> v3.pad(new int[] {0}, new int[] {0}, new int[] {-1}), "pad: ", "interior [-1]", ">= 0");
        fails(() -> x23.pad(new int[] {1}, new int[] {1}), "pad: ", "lo [1] has 1 entries but the input has rank 2");
        fails(() -> x23.pad(new int[] {1, 1}, new int[] {1}, new int[] {0, 0}), "pad: ", "lo [1, 1], hi [1] and interior [0, 0]",
                "one entry per axis");
    }

    @Test void slice() {
        fails(() -> v3.slice(new int[] {1}, new int[] {5}), "slice: ", "stop 5 is past the end of the axis (size 3)", "; x: [3]");
        fails(() -> v3.slice(new int[] {2}, new int[] {1}), "slice: ", "stop 1 is before start 2");
        fails(() -> v3.slice(new int[] {0}, new int[] {3}, new int[] {0}), "slice: ", "step [0]", ">= 1");
        fails(() -> x23.slice(new int[] {0}, new int[] {1}), "slice: ", "start [0] has 1 entries but the input has rank 2");
    }

    @Test void rev() {
        fails(() -> g.add(new Rev(Ints.of(0, 2)), x23), "rev: ", "axes [0, 2] names axis 2", "rank 2", "; x: [2, 3]");
        fails(() -> x23.rev(2), "axis 2 is out of range for shape [2, 3] of rank 2");
    }

    @Test void concatenate() {
        fails(() -> Tensor.concatenate(0, x23, y32), "concatenate: ", "operand 1 has size 2 on axis 1 but operand 0 has 3",
                "only the concatenation axis 0 may differ", "; x: [2, 3], y: [3, 2]");
        fails(() -> Tensor.concatenate(0, x23, x23, v3), "concatenate: ", "operand 2 has rank 1 but operand 0 has rank 2",
                "x0: [2, 3], x1: [2, 3], x2: [3]");
        fails(() -> g.add(new Concatenate(2), x23, x23), "concatenate: ", "axis 2 is out of range");
    }

    @Test void convChannels() {
        Tensor img = g.input("img", 1, 5, 5, 4), k = g.input("k", 3, 3, 3, 8);
        fails(() -> g.add(Conv.simple(2), img, k), "conv: ", "axis 2 of kernel y (size 3) must be Cin/groups = 4/1 = 4, where Cin is the last axis of x",
                "; x: [1, 5, 5, 4], y: [3, 3, 3, 8]");
        Conv grouped = new Conv(Ints.of(1, 1), Ints.of(0, 0), Ints.of(0, 0), Ints.of(1, 1), Ints.of(1, 1), 3);
        fails(() -> g.add(grouped, img, k), "conv: ", "groups 3 does not divide the input channels Cin = 4 (the last axis of x)");
        Tensor k2 = g.input("k2", 3, 3, 2, 5);
        Conv two = new Conv(Ints.of(1, 1), Ints.of(0, 0), Ints.of(0, 0), Ints.of(1, 1), Ints.of(1, 1), 2);
        fails(() -> g.add(two, img, k2), "conv: ", "groups 2 does not divide the output channels Cout = 5 (the last axis of kernel y)");
    }

    @Test void convRank() {
        Tensor img = g.input("img", 5, 5, 4), k = g.input("k", 3, 3, 4, 8);
        fails(() -> g.add(Conv.simple(2), img, k), "conv: ", "x has rank 3 but must have rank 4, [N, 2 spatial axes, Cin]", "; x: [5, 5, 4], y: [3, 3, 4, 8]");
        Tensor img4 = g.input("img4", 1, 5, 5, 4), k3 = g.input("k3", 3, 4, 8);
        fails(() -> g.add(Conv.simple(2), img4, k3), "conv: ", "kernel y has rank 3 but must have rank 4", "; x: [1, 5, 5, 4], y: [3, 4, 8]");
    }

    @Test void convAttributeLengths() {
        Tensor img = g.input("img", 1, 5, 5, 4), k = g.input("k", 3, 3, 4, 8);
        fails(() -> g.add(() -> new Conv(Ints.of(1, 1), Ints.of(0), Ints.of(0, 0), Ints.of(1, 1), Ints.of(1, 1), 1), img, k),
                "conv: ", "padLo [0]", "one entry per spatial axis");
        fails(() -> g.add(() -> new Conv(Ints.of(0, 1), Ints.of(0, 0), Ints.of(0, 0), Ints.of(1, 1), Ints.of(1, 1), 1), img, k),
                "conv: ", "strides [0, 1]", ">= 1");
        fails(() -> g.add(() -> new Conv(Ints.of(1, 1), Ints.of(0, 0), Ints.of(0, 0), Ints.of(1, 1), Ints.of(1, 1), 0), img, k),
                "conv: ", "groups 0 must be >= 1");
    }

    // ---- error classes shared by all ops ------------------------------------------------------

    @Test void axisOutOfRange() {
        fails(() -> g.iota(Shape.of(2, 3), 2), "iota: ", "axis 2 is out of range for shape [2, 3]");
        fails(() -> x23.sum(5), "axis 5 is out of range for shape [2, 3] of rank 2");
        fails(() -> x23.sum(-3), "axis -3 is out of range");
    }

    @Test void negativeSize() {
        failsWithoutSite(() -> Shape.of(-1), "shape [-1]: size -1 of axis 0 is negative", ">= 0");
        fails(() -> g.input("bad", 2, -1), "shape [2, -1]: size -1 of axis 1 is negative");
        fails(() -> x23.reshape(-2, 3), "reshape: target shape [-2, 3]: size -2 of axis 0 is negative", "; x: [2, 3]");
    }

    /** numpy's -1 is inferred; a second -1, or a size the others do not divide, is an error naming the target and x. */
    @Test void reshapeMinusOne() {
        assertEquals(Shape.of(3, 2), x23.reshape(-1, 2).shape());
        assertEquals(Shape.of(6), x23.reshape(-1).shape());
        fails(() -> x23.reshape(-1, -1), "reshape: target [-1, -1] has more than one -1 (axes 0 and 1)", "; x: [2, 3]");
        fails(() -> x23.reshape(4, -1), "reshape: target [4, -1] cannot infer the -1: x's 6 elements are not a multiple of the product 4", "; x: [2, 3]");
        fails(() -> x23.reshape(0, -1), "reshape: target [0, -1] cannot infer the -1", "; x: [2, 3]");
    }

    @Test void sizeOverflow() {
        failsWithoutSite(() -> Shape.of(1 << 20, 1 << 20), "shape [1048576, 1048576]: element count overflows", "2147483639");
    }

    @Test void broadcastingThroughTheTensorApi() {
        Tensor x = g.input("p", 2, 3), y = g.input("q", 4);
        fails(() -> x.add(y), "add: ", "[2, 3] and [4] do not broadcast", "sizes 3 and 4", "equal or 1");
        fails(() -> x.lt(y), "lt: ", "do not broadcast");
        fails(() -> x.broadcastTo(3), "cannot broadcast [2, 3] to the lower-rank [3]");
    }

    @Test void operandsFromAnotherGraph() {
        Graph other = new Graph();
        Tensor foreign = other.input("z", 2, 3);
        fails(() -> x23.add(foreign), "add: ", "operand 1 belongs to another graph");
        fails(() -> g.add(new Unary(UnaryFn.EXP), foreign), "exp: ", "operand 0 belongs to another graph");
    }

    @Test void wrongOperandCount() {
        fails(() -> g.add(new Binary(BinaryFn.ADD), x23), "add: ", "takes 2 operands, got 1");
        fails(() -> g.add(new Concatenate(0)), "concatenate: ", "takes one or more operands, got 0");
        fails(() -> g.add(new Iota(Shape.of(2), 0), x23), "iota: ", "takes 0 operands, got 1");
    }

    @Test void matmul() {
        fails(() -> x23.matmul(x23), "matmul: ", "last axis of a (size 3)", "second-to-last axis of b (size 2)", "a: [2, 3], b: [2, 3]");
    }

    @Test void reshapeToANegativeSize() {
        fails(() -> g.add(() -> new Reshape(Shape.of(-6)), x23), "size -6 of axis 0 is negative");
    }

    /** Regression: lo + hi was added in int arithmetic, so huge paddings wrapped around to a small, wrong shape. */
    @Test void padTooLarge() {
        fails(() -> g.add(new Pad(Ints.of(Integer.MAX_VALUE), Ints.of(Integer.MAX_VALUE), Ints.of(0)), v3), "pad: ",
                "axis 0 would have size 4294967297, too large", "; x: [3]");
    }

    /** Regression: the output length of a slice with a huge step overflowed int and came out negative. */
    @Test void sliceWithHugeStepIsOneElement() {
        assertEquals(Shape.of(1), v3.slice(new int[] {0}, new int[] {3}, new int[] {Integer.MAX_VALUE}).shape());
    }

    /** Regression: a conv output length beyond int range was cast to int silently; now the dilated input is refused first (issue 11). */
    @Test void convOutputTooLarge() {
        Tensor img = g.input("img", 1, 1 << 16, 1), k = g.input("k", 1, 1, 1);
        Conv dilated = new Conv(Ints.of(1), Ints.of(0), Ints.of(0), Ints.of(1 << 16), Ints.of(1), 1);
        fails(() -> g.add(dilated, img, k), "conv: spatial axis 0 of x (size 65536) dilated by lhsDilation 65536 and padded would have 4294901761 elements, more than 2^31-1");
    }

    @Test void constantWithTheWrongNumberOfValues() {
        fails(() -> g.constant(Shape.of(3), 1, 2), "constant: 2 values given for shape [3] of 3 elements");
    }

    @Test void selectThroughTheTensorApi() {
        fails(() -> x23.select(v4, x23), "select: ", "do not broadcast");
    }

    @Test void broadcastInDimInvalidTargetThroughSlice() {
        fails(() -> g.add(new Slice(Ints.of(0), Ints.of(3), Ints.of(1)), x23), "slice: ", "has 1 entries but the input has rank 2");
        fails(() -> g.add(new Transpose(Ints.of(0)), x23), "transpose: ");
        fails(() -> g.add(new BroadcastInDim(Shape.of(4), Ints.of(0)), v3), "broadcast_in_dim: ");
        fails(() -> g.add(new DotGeneral(Ints.of(0), Ints.of(0), Ints.of(), Ints.of()), v3, v4), "dot_general: ");
    }
}
