package dev.adjoint.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parameters: names, initialisers, counts and the summary. */
class ParamsTest {
    private static double[] moments(float[] v) {
        double m = 0, s = 0;
        for (float x : v) m += x;
        m /= v.length;
        for (float x : v) s += (x - m) * (x - m);
        return new double[] {m, Math.sqrt(s / v.length)};
    }

    private static float[] sample(Init init, int fanIn, int fanOut) {
        ParamSpec p = ParamSpec.param("w", Shape.of(fanOut, fanIn), init, fanIn, fanOut);
        return Params.init(List.of(p), 11).get("w").floats();
    }

    @Test
    void initialisersHaveTheirDistributions() {
        int in = 300, out = 200;
        // Standard deviations: uniform(-b, b) has b / sqrt(3); 40000 samples give ~0.5% error.
        assertEquals(Math.sqrt(2.0 / in), moments(sample(Init.kaimingNormal(), in, out))[1], 0.02 * Math.sqrt(2.0 / in));
        assertEquals(Math.sqrt(2.0 / in), moments(sample(Init.kaimingUniform(), in, out))[1], 0.02 * Math.sqrt(2.0 / in));
        assertEquals(Math.sqrt(2.0 / (in + out)), moments(sample(Init.glorotNormal(), in, out))[1], 0.02 * Math.sqrt(2.0 / (in + out)));
        assertEquals(Math.sqrt(2.0 / (in + out)), moments(sample(Init.glorotUniform(), in, out))[1], 0.02 * Math.sqrt(2.0 / (in + out)));
        assertEquals(1 / Math.sqrt(3 * in), moments(sample(Init.torchDefault(), in, out))[1], 0.02 / Math.sqrt(3 * in));
        double[] n = moments(sample(Init.normal(3, 0.5), in, out));
        assertEquals(3, n[0], 0.01);
        assertEquals(0.5, n[1], 0.01);
        float[] u = sample(Init.uniform(-1, 2), in, out);
        for (float x : u) assertTrue(x >= -1 && x < 2);
        assertEquals(0.5, moments(u)[0], 0.02);
        for (float x : sample(Init.constant(0.25), 3, 2)) assertEquals(0.25f, x);
        for (float x : sample(Init.zeros(), 3, 2)) assertEquals(0f, x);
    }

    @Test
    void initIsReproducibleFromTheSeed() {
        Layer net = Models.lenet();
        Params a = net.init(3), b = net.init(3), c = net.init(4);
        for (String name : a.names()) assertArrayEquals(a.get(name).floats(), b.get(name).floats(), name);
        assertNotEquals(a.get("0.weight").floats()[0], c.get("0.weight").floats()[0]);
        // Different parameters of one model get different streams.
        assertNotEquals(a.get("7.weight").floats()[0], a.get("9.weight").floats()[0]);
    }

    @Test
    void namesFollowPyTorchsStateDictAndCountsAreRight() {
        Params p = Models.lenet().init(0);
        assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias", "11.weight", "11.bias"),
                p.names());
        assertEquals(Shape.of(6, 1, 5, 5), p.get("0.weight").shape());
        assertEquals(Shape.of(120, 400), p.get("7.weight").shape());
        // torchinfo: LeNet-5 with padding 2 has 61,706 parameters.
        assertEquals(61706, p.count());
        assertEquals(61706, Models.lenet().parameterCount());
    }

    @Test
    void summaryListsLayersOutputShapesAndTotals() {
        String s = Models.lenet().summary(1, 1, 28, 28);
        assertTrue(s.contains("[1, 6, 28, 28]"), s);
        assertTrue(s.contains("[1, 16, 5, 5]"), s);
        assertTrue(s.contains("[1, 400]"), s);
        assertTrue(s.contains("48,120"), s);  // 7 Linear(400, 120)
        assertTrue(s.contains("Trainable params: 61,706"), s);
    }

    @Test
    void aParameterOfTheWrongShapeIsNamedAtTheUsersLine() {
        Layer l = Linear.of(3, 2);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Params.of(l.variables(), Map.of("weight", HostArray.f32(new float[6], 3, 2), "bias", HostArray.f32(new float[2], 2))));
        assertTrue(e.getMessage().contains("variable weight is f32[2, 3], fed f32[3, 2]"), e.getMessage());
        assertTrue(e.getMessage().contains("ParamsTest.java:"), e.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> Params.of(l.variables(), Map.of("weight", HostArray.f32(new float[6], 2, 3))));
        assertTrue(missing.getMessage().contains("no value for variable bias"), missing.getMessage());
    }

    @Test
    void aNaNOrNegativeLearningRateIsRefusedAtTheUsersLine() {
        var nan = assertThrows(IllegalArgumentException.class, () -> Sgd.of(Double.NaN));
        assertTrue(nan.getMessage().contains("learning rate must be finite and >= 0, got NaN"), nan.getMessage());
        assertTrue(nan.getMessage().contains("ParamsTest.java:"), nan.getMessage());
        var neg = assertThrows(IllegalArgumentException.class, () -> Adam.adamW(-1e-3));
        assertTrue(neg.getMessage().contains("got -0.001"), neg.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schedule.cosine(0.1, 10, Double.POSITIVE_INFINITY));
    }
}
