package dev.adjoint.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/** Helpers for tests that compare graphs through the interpreter with plain-Java float64 references. */
final class RefUtil {
    private RefUtil() {}

    static double[] random(Random rnd, int n, double lo, double hi) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * rnd.nextDouble();
        return v;
    }

    static int size(int... dims) {
        int n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    /** Row-major flat index. */
    static int at(int[] dims, int... idx) {
        int f = 0;
        for (int a = 0; a < dims.length; a++) f = f * dims[a] + idx[a];
        return f;
    }

    /** Row-major multi-index of flat index {@code f}. */
    static int[] unflat(int[] dims, int f) {
        int[] idx = new int[dims.length];
        for (int a = dims.length - 1; a >= 0; a--) {
            idx[a] = f % dims[a];
            f /= dims[a];
        }
        return idx;
    }

    /** Runs {@code out} with feeds given as alternating (Tensor, double[]) pairs; checks the shape. */
    static double[] eval(Tensor out, Object... feeds) {
        Map<Tensor, NdArray> m = new HashMap<>();
        for (int i = 0; i < feeds.length; i += 2) {
            Tensor t = (Tensor) feeds[i];
            m.put(t, NdArray.of(t.shape(), (double[]) feeds[i + 1]));
        }
        NdArray r = Interpreter.run(out.graph(), m, out);
        assertEquals(out.shape(), r.shape());
        return r.data();
    }

    static void assertClose(double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (!(Math.abs(e - a) <= tol * (1 + Math.abs(e)))) {
                fail("index " + i + ": expected " + e + " but got " + a);
            }
        }
    }
}
