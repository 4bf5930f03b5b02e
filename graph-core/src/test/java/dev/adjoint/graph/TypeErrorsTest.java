package dev.adjoint.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Select;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Element-type errors, each class of bad input with its full message: at build time in the
 * docs/ARCHITECTURE.md form {@code "op: rule; x: f32[2], y: i32[2] (at File.java:NN)"} (the operands with
 * their types, the user's line), and at run time in the interpreter (an index out of range names
 * the op, the index, its position, the axis, its size and the node).
 *
 * <p>Each {@link #fails} call must keep its lambda on the same line: the expected call site is
 * the line of the {@code fails} call.
 */
class TypeErrorsTest {
    final Graph g = new Graph();
    final Tensor f2 = g.input("f", 2), i2 = g.input("i", DType.I32, 2), b2 = g.input("b", DType.BOOL, 2);

    /** Runs {@code body}, expects a ShapeException whose message is {@code expected} + the caller's line. */
    static void fails(Executable body, String expected) {
        int line = StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber();
        ShapeException e = assertThrows(ShapeException.class, body);
        assertEquals(expected + " (at TypeErrorsTest.java:" + line + ")", e.getMessage());
    }

    /** The line of the caller, for messages of errors raised later (at run time) that name where a node was built. */
    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst()).orElseThrow().getLineNumber(); }

    // ---- operand types that differ -------------------------------------------------------------

    @Test void mixedOperandTypes() {
        fails(() -> f2.add(i2),
                "add: operand types f32 and i32 differ; convert one with convert(x, F32); x: f32[2], y: i32[2]");
        fails(() -> i2.mul(f2),
                "mul: operand types i32 and f32 differ; convert one with convert(x, I32); x: i32[2], y: f32[2]");
        fails(() -> f2.lt(b2),
                "lt: operand types f32 and bool differ; convert one with convert(x, F32); x: f32[2], y: bool[2]");
        Tensor d2 = g.input("d", DType.F64, 2);
        fails(() -> d2.sub(f2),
                "sub: operand types f64 and f32 differ; convert one with convert(x, F64); x: f64[2], y: f32[2]");
        fails(() -> Tensor.concatenate(0, f2, i2),
                "concatenate: operand types f32 and i32 differ; convert one with convert(x, F32); x: f32[2], y: i32[2]");
        // the fix the message suggests works
        assertEquals(DType.F32, f2.add(i2.convert(DType.F32)).dtype());
    }

    @Test void mixedTypesInTheIndexOps() {
        Tensor x = g.input("x", 3, 2), idx = g.input("idx", DType.I64, 4, 2), upd = g.input("upd", DType.F64, 4, 2);
        fails(() -> x.scatterAdd(idx, upd, 0),
                "scatter_add: updates have type f64 but x has f32; convert one with convert(x, F32); x: f32[3, 2], indices: i64[4, 2]," + " updates: f64[4, 2]");
        fails(() -> g.add(new Select(), b2, f2, i2),
                "select: operand types f32 and i32 differ; convert one with convert(x, F32); mask: bool[2], a: f32[2], b: i32[2]");
    }

    // ---- operands of the wrong kind --------------------------------------------------------------

    @Test void floatIndicesForGather() {
        Tensor x = g.input("x", 3, 2), idx = g.input("idx", 4);
        fails(() -> x.gather(idx, 0),
                "gather: indices has type f32 but must be an integer type (i32 or i64); convert it with convert(x, I32);" + " x: f32[3, 2], indices: f32[4]");
        fails(() -> f2.takeAlongAxis(b2, 0),
                "take_along_axis: indices has type bool but must be an integer type (i32 or i64); convert it with convert(x, I32);" + " x: f32[2], indices: bool[2]");
        fails(() -> f2.scatterAdd(f2, f2, 0),
                "scatter_add: indices has type f32 but must be an integer type (i32 or i64); convert it with convert(x, I32);" + " x: f32[2], indices: f32[2], updates: f32[2]");
    }

    @Test void nonBoolSelectMask() {
        fails(() -> f2.select(f2, f2),
                "select: the mask has type f32 but must be bool; compare to make one, e.g. ne(x, 0); mask: f32[2], a: f32[2], b: f32[2]");
        fails(() -> i2.select(f2, f2),
                "select: the mask has type i32 but must be bool; compare to make one, e.g. ne(x, 0); mask: i32[2], a: f32[2], b: f32[2]");
        // a comparison makes a bool mask
        assertEquals(DType.BOOL, i2.ne(0.0).dtype());
        assertEquals(DType.F32, i2.ne(0.0).select(f2, f2).dtype());
    }

    @Test void integerPow() {
        fails(() -> i2.pow(i2),
                "pow: x has type i32 but must be a float type (f32 or f64); convert it with convert(x, F32); x: i32[2], y: i32[2]");
        fails(() -> g.add(new Binary(BinaryFn.POW), i2, g.constant(2, DType.I32)),
                "pow: x has type i32 but must be a float type (f32 or f64); convert it with convert(x, F32); x: i32[2], y: i32[]");
    }

    @Test void floatOnlyFunctionsOfIntegers() {
        fails(() -> g.input("l", DType.I64, 3).exp(),
                "exp: x has type i64 but must be a float type (f32 or f64); convert it with convert(x, F32); x: i64[3]");
        fails(() -> b2.erf(),
                "erf: x has type bool but must be a float type (f32 or f64); convert it with convert(x, F32); x: bool[2]");
        Tensor m = g.input("m", DType.I32, 2, 3), n = g.input("n", DType.I32, 3, 4);
        fails(() -> m.matmul(n),
                "dot_general: x has type i32 but must be a float type (f32 or f64); convert it with convert(x, F32); x: i32[2, 3], y: i32[3, 4]");
    }

    @Test void bitwiseOnFloats() {
        fails(() -> f2.and(f2),
                "and: operands have type f32 but must be bool (logical) or an integer type (bitwise); x: f32[2], y: f32[2]");
        fails(() -> f2.xor(f2),
                "xor: operands have type f32 but must be bool (logical) or an integer type (bitwise); x: f32[2], y: f32[2]");
        fails(() -> f2.not(),
                "not: x has type f32 but must be bool (logical not) or an integer type (bitwise not); x: f32[2]");
        // bool and integers are fine
        assertEquals(DType.BOOL, b2.or(b2).not().dtype());
        assertEquals(DType.I32, i2.and(i2).dtype());
    }

    @Test void shiftOnBoolAndFloats() {
        fails(() -> b2.shiftLeft(3),
                "shift_left: x has type bool but must be an integer type (i32 or i64); convert it with convert(x, I32); x: bool[2], y: bool[2]");
        fails(() -> f2.shiftRightLogical(3),
                "shift_right_logical: x has type f32 but must be an integer type (i32 or i64); convert it with convert(x, I32);" + " x: f32[2], y: f32[2]");
        fails(() -> g.add(new Binary(BinaryFn.SHIFT_RIGHT_ARITHMETIC), b2, b2),
                "shift_right_arithmetic: x has type bool but must be an integer type (i32 or i64); convert it with convert(x, I32);" + " x: bool[2], y: bool[2]");
    }

    @Test void arithmeticOnBool() {
        fails(() -> b2.add(b2),
                "add: x has type bool but must be numeric; convert it with convert(x, F32); x: bool[2], y: bool[2]");
        fails(() -> b2.sum(),
                "reduce_sum: x has type bool but must be numeric; convert it with convert(x, F32); x: bool[2]");
        fails(() -> b2.cumsum(0),
                "cumsum: x has type bool but must be numeric; convert it with convert(x, F32); x: bool[2]");
        fails(() -> b2.argmax(0),
                "argmax: x has type bool but must be numeric; convert it with convert(x, F32); x: bool[2]");
        // counting a mask: convert it first
        assertEquals(DType.I64, b2.convert(DType.I64).sum().dtype());
    }

    @Test void randomBitsKey() {
        fails(() -> g.add(new dev.adjoint.graph.op.RandomBits(Shape.of(3)), g.input("k", DType.I64, 2)),
                "random_bits: the key has type i64 but must be i32 (make one with Random.key(seed)); key: i64[2]");
    }

    @Test void constantsOutsideTheirType() {
        fails(() -> g.constant(1.5, DType.I32),
                "constant: value 1.5 at index 0 is not an i32");
        fails(() -> g.constant(2, DType.BOOL),
                "constant: value 2.0 at index 0 is not a bool (0 or 1)");
        fails(() -> g.constant(Math.pow(2, 54), DType.I64),
                "constant: value 1.8014398509481984E16 at index 0 is not an i64 within +-2^53");
    }

    // ---- run time: the interpreter -----------------------------------------------------------------

    @Test void indexOutOfRangeAtRunTimeNamesNodeIndexAxisAndSize() {
        Tensor x = g.input("x", 3, 2), idx = g.input("idx", DType.I32, 4);
        Tensor y = x.gather(idx, 0); int built = line();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Interpreter.run(g,
                Map.of(x, NdArray.zeros(Shape.of(3, 2)), idx, NdArray.of(DType.I32, Shape.of(4), 0, 2, 3, 1)), y));
        assertEquals("gather: index 3 at position 2 of the indices is out of range for axis 0 of size 3 (node %" + y.id()
                + " built at TypeErrorsTest.java:" + built + ")", e.getMessage());
        // negative indices are out of range too (no wrap-around)
        e = assertThrows(IllegalArgumentException.class, () -> Interpreter.run(g,
                Map.of(x, NdArray.zeros(Shape.of(3, 2)), idx, NdArray.of(DType.I32, Shape.of(4), 0, -1, 0, 0)), y));
        assertEquals("gather: index -1 at position 1 of the indices is out of range for axis 0 of size 3 (node %" + y.id()
                + " built at TypeErrorsTest.java:" + built + ")", e.getMessage());
    }

    @Test void indexOutOfRangeInTakeAlongAxisAndScatterAdd() {
        Tensor x = g.input("x", 2, 3), idx = g.input("idx", DType.I64, 2, 2);
        Tensor t = x.takeAlongAxis(idx, 1); int tLine = line();
        Tensor s = x.scatterAdd(idx, g.input("u", 2, 2), 1); int sLine = line();
        Map<Tensor, NdArray> feeds = Map.of(x, NdArray.zeros(Shape.of(2, 3)), idx, NdArray.of(DType.I64, Shape.of(2, 2), 0, 1, 2, 7),
                g.tensor(s.node().inputs().get(2)), NdArray.zeros(Shape.of(2, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Interpreter.run(g, feeds, t));
        assertEquals("take_along_axis: index 7 at position 3 of the indices is out of range for axis 1 of size 3 (node %" + t.id()
                + " built at TypeErrorsTest.java:" + tLine + ")", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Interpreter.run(g, feeds, s));
        assertEquals("scatter_add: index 7 at position 3 of the indices is out of range for axis 1 of size 3 (node %" + s.id()
                + " built at TypeErrorsTest.java:" + sLine + ")", e.getMessage());
    }

    @Test void feedsOfTheWrongType() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Interpreter.run(g, Map.of(i2, NdArray.of(Shape.of(2), 1, 2.5)), i2.neg()));
        assertEquals("input \"i\" i32[2] (built at " + g.node(i2.id()).where() + ") was fed 2.5 at index 1, which is not an i32",
                e.getMessage());
    }

    // ---- convert: every pair of types is supported ---------------------------------------------------

    /**
     * All 25 (from, to) pairs are supported, the identities included (Tensor.convert skips those,
     * the primitive does not). Float to integer truncates toward zero, NaN gives 0 and
     * out-of-range values saturate (Java's casts), i64 to i32 wraps; to bool is {@code x != 0};
     * bool to a number is 0 or 1; floats to floats keep the value (the interpreter computes both in
     * float64). Nothing is refused at build time, so there is no "unsupported convert" message.
     */
    @Test void everyConversionIsSupported() {
        double[] values = {0, 1, -1, 2.75, -2.75, Double.NaN, 3e9, -3e9, 5e9};
        List<String> checked = new ArrayList<>();
        for (DType from : DType.values()) {
            double[] v = switch (from) {
                case F32, F64 -> values;
                case I32 -> new double[] {0, 1, -1, 7, Integer.MIN_VALUE, Integer.MAX_VALUE};
                case I64 -> new double[] {0, 1, -1, 7, 5e9, -5e9, 1L << 40};
                case BOOL -> new double[] {0, 1};
            };
            for (DType to : DType.values()) {
                Graph h = new Graph();
                Tensor x = h.input("x", from, v.length);
                Tensor y = h.add(new Convert(to), x);
                assertEquals(to, y.dtype());
                double[] got = Interpreter.run(h, Map.of(x, NdArray.of(from, Shape.of(v.length), v)), y).data();
                for (int i = 0; i < v.length; i++) {
                    assertEquals(expectedConvert(v[i], from, to), got[i], from + " -> " + to + " of " + v[i]);
                }
                checked.add(from.label() + "->" + to.label());
            }
        }
        assertEquals(25, checked.size());
    }

    /** The definition, written out independently of Scalar.convert. */
    private static double expectedConvert(double v, DType from, DType to) {
        return switch (to) {
            case F32, F64 -> v;
            case BOOL -> v != 0 ? 1 : 0; // NaN != 0, so NaN -> true
            case I32 -> from.isFloat() ? (double) (int) v : (double) (int) (long) v;
            case I64 -> (double) (long) v;
        };
    }

    @Test void convertRoundTripsThroughTheBuilder() {
        assertEquals(DType.I64, f2.convert(DType.I64).dtype());
        assertEquals(f2, f2.convert(DType.F32)); // the identity adds no node
        assertEquals("convert", b2.convert(DType.F64).op().name());
    }
}
