package dev.adjoint.graph;

import static dev.adjoint.graph.RefUtil.eval;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The shape helpers of {@link Tensor} (split, chunk, squeeze, unsqueeze, flatten, tile, where) through the interpreter. */
class TensorHelpersTest {
    private final Graph g = new Graph();
    private final Tensor x = g.input("x", 2, 5);
    private final double[] xv = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

    @Test void splitAndChunk() {
        List<Tensor> parts = x.split(1, 2, 0, 3);
        assertEquals(3, parts.size());
        assertArrayEquals(new double[] {0, 1, 5, 6}, eval(parts.get(0), x, xv));
        assertEquals(Shape.of(2, 0), parts.get(1).shape());
        assertArrayEquals(new double[] {2, 3, 4, 7, 8, 9}, eval(parts.get(2), x, xv));
        assertSame(x, x.split(-1, 5).get(0));
        // torch.chunk(5 columns, 3) -> sizes 2, 2, 1; chunk(5, 4) -> 2, 2, 1 (fewer pieces than asked, as torch).
        List<Tensor> c = x.chunk(3, -1);
        assertEquals(List.of(Shape.of(2, 2), Shape.of(2, 2), Shape.of(2, 1)), c.stream().map(Tensor::shape).toList());
        assertArrayEquals(new double[] {4, 9}, eval(c.get(2), x, xv));
        assertEquals(3, x.chunk(4, 1).size());
        assertEquals(2, x.chunk(2, 0).size());
        assertArrayEquals(new double[] {5, 6, 7, 8, 9}, eval(x.chunk(2, 0).get(1), x, xv));
        fails(() -> x.split(1, 2, 2), "split: sizes [2, 2] must be >= 0 and add up to the size 5 of axis 1; x: [2, 5]");
        fails(() -> x.split(1, 6, -1), "split: sizes [6, -1]");
        fails(() -> x.chunk(0, 1), "chunk: needs chunks >= 1");
    }

    @Test void squeezeUnsqueezeFlatten() {
        Tensor y = g.input("y", 1, 3, 1, 2);
        assertEquals(Shape.of(3, 2), y.squeeze().shape());
        assertEquals(Shape.of(3, 1, 2), y.squeeze(0).shape());
        assertEquals(Shape.of(1, 3, 2), y.squeeze(-2).shape());
        fails(() -> y.squeeze(1), "squeeze: axis 1 has size 3, not 1; x: [1, 3, 1, 2]");
        assertEquals(Shape.of(1, 2, 5), x.unsqueeze(0).shape());
        assertEquals(Shape.of(2, 1, 5), x.unsqueeze(1).shape());
        assertEquals(Shape.of(2, 5, 1), x.unsqueeze(-1).shape());
        assertEquals(Shape.of(2, 1, 5), x.unsqueeze(-2).shape());
        fails(() -> x.unsqueeze(3), "unsqueeze: axis 3 is out of range [-3, 2]");
        assertArrayEquals(xv, eval(x.unsqueeze(1), x, xv));
        assertEquals(Shape.of(6), y.flatten().shape());
        assertEquals(Shape.of(1, 3, 2), y.flatten(1, 2).shape());
        assertEquals(Shape.of(3, 1, 2), y.flatten(0, 1).shape());
        assertEquals(Shape.of(1, 6), y.flatten(1, -1).shape());
        fails(() -> y.flatten(2, 1), "flatten: start axis 2 comes after end axis 1");
        assertEquals(Shape.of(1), g.constant(3.0).flatten().shape());
    }

    @Test void tileAsNumpy() {
        Tensor v = g.input("v", 3);
        double[] vv = {1, 2, 3};
        assertArrayEquals(new double[] {1, 2, 3, 1, 2, 3}, eval(v.tile(2), v, vv));
        // np.tile([1, 2, 3], (2, 2)) = [[1,2,3,1,2,3],[1,2,3,1,2,3]]
        Tensor t = v.tile(2, 2);
        assertEquals(Shape.of(2, 6), t.shape());
        assertArrayEquals(new double[] {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, eval(t, v, vv));
        Tensor m = g.input("m", 2, 2);
        double[] mv = {1, 2, 3, 4};
        // np.tile([[1,2],[3,4]], (2, 1)) and (1, 2), and reps shorter than the rank (repeat the last axis).
        assertArrayEquals(new double[] {1, 2, 3, 4, 1, 2, 3, 4}, eval(m.tile(2, 1), m, mv));
        assertArrayEquals(new double[] {1, 2, 1, 2, 3, 4, 3, 4}, eval(m.tile(1, 2), m, mv));
        assertArrayEquals(new double[] {1, 2, 1, 2, 3, 4, 3, 4}, eval(m.tile(2), m, mv));
        assertEquals(Shape.of(2, 0), m.tile(1, 0).shape());
        fails(() -> m.tile(-1), "tile: reps [-1] must be >= 0");
    }

    @Test void whereBroadcasts() {
        Tensor a = g.input("a", 2, 3), b = g.input("b", 3);
        double[] av = {1, 2, 3, 4, 5, 6}, bv = {-1, -2, -3};
        Tensor w = Tensor.where(a.gt(3.0), a, b);
        assertArrayEquals(new double[] {-1, -2, -3, 4, 5, 6}, eval(w, a, av, b, bv));
        Tensor s = Tensor.where(b.lt(-1.5), g.constant(0.0), a);
        assertArrayEquals(new double[] {1, 0, 0, 4, 0, 0}, eval(s, a, av, b, bv));
        ShapeException e = assertThrows(ShapeException.class, () -> Tensor.where(a, a, b));
        assertTrue(e.getMessage().contains("select"), e.getMessage());
    }

    private static void fails(Executable body, String part) {
        ShapeException e = assertThrows(ShapeException.class, body);
        assertTrue(e.getMessage().contains(part) && e.getMessage().contains("(at TensorHelpersTest.java:"), e.getMessage());
    }
}
