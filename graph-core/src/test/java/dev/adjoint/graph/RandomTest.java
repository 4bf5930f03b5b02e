package dev.adjoint.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Random} and {@link Threefry}: published known answers, exactness of the uniform
 * construction, statistical sanity of every distribution (10^5 samples through the
 * interpreter), determinism and the independence of split keys; and {@link Nn#dropout}.
 */
class RandomTest {
    private static final int N = 100_000;

    private static double[] run(Tensor t) { return Interpreter.run(t.graph(), Map.of(), t).data(); }

    /** The unsigned 32-bit words of an i32 result. */
    private static long[] words(Tensor t) {
        double[] d = run(t);
        long[] w = new long[d.length];
        for (int i = 0; i < d.length; i++) w[i] = (long) d[i] & 0xFFFFFFFFL;
        return w;
    }

    // ---- known answers ------------------------------------------------------------------------

    /**
     * Threefry-2x32, 20 rounds: Random123's {@code tests/kat_vectors} (lines "threefry2x32 20
     * ctr0 ctr1 key0 key1 out0 out1"), the same three vectors JAX asserts in
     * {@code tests/random_test.py}, {@code testThreefry2x32} (google/jax), which cites
     * DEShawResearch/Random123-Boost {@code libs/random/test/test_threefry.cpp}.
     */
    @Test void threefryKnownAnswers() {
        assertEquals(0x6b200159_99ba4efeL, Threefry.hash(0, 0, 0, 0));
        assertEquals(0x1cb996fc_bb002be7L, Threefry.hash(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff));
        // key {0x13198a2e, 0x03707344}, counter {0x243f6a88, 0x85a308d3} (hash takes the key first).
        assertEquals(0xc4923a9c_483df7a0L, Threefry.hash(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3));
    }

    /**
     * JAX {@code PRNGKey(seed)}: google/jax {@code tests/random_test.py}, {@code test_prng_seeds_and_keys}
     * (the x64 rows: a 64-bit seed's high word first); ml-explore/mlx {@code tests/random_tests.cpp},
     * "test random key" (seed 2^32 gives [1, 0]).
     */
    @Test void keyIsJaxPrngKey() {
        Graph g = new Graph();
        assertArrayEquals(new long[] {0, 0}, words(Random.key(g, 0)));
        assertArrayEquals(new long[] {0, 1}, words(Random.key(g, 1)));
        assertArrayEquals(new long[] {4294967295L, 4294967295L}, words(Random.key(g, -1)));
        assertArrayEquals(new long[] {4294967295L, 4294967293L}, words(Random.key(g, -3)));
        assertArrayEquals(new long[] {0, 2147483747L}, words(Random.key(g, Integer.MAX_VALUE + 100L)));
        assertArrayEquals(new long[] {4294967295L, 2147483548L}, words(Random.key(g, Integer.MIN_VALUE - 100L)));
        assertArrayEquals(new long[] {1, 0}, words(Random.key(g, 1L << 32)));
        assertEquals(DType.I32, Random.key(g, 7).dtype());
    }

    /**
     * {@code split(PRNGKey(0))}: [[4146024105, 967050713], [2718843009, 1272950319]], asserted by
     * ml-explore/mlx {@code tests/random_tests.cpp} ("test random split"; its expected bits were
     * generated with JAX's Threefry, as the file says); {@code split(PRNGKey(0), 4)} from
     * google/jax {@code tests/random_test.py}, {@code testPRNGValues}; {@code split(key(0), 3)} from mlx.
     */
    @Test void splitMatchesJax() {
        Graph g = new Graph();
        Tensor k0 = Random.key(g, 0);
        assertArrayEquals(new long[] {4146024105L, 967050713L, 2718843009L, 1272950319L}, words(Random.split(k0, 2)));
        assertArrayEquals(new long[] {2285895361L, 1501764800L, 1518642379L, 4090693311L, 433833334L, 4221794875L,
                839183663L, 3740430601L}, words(Random.split(k0, 4)));
        assertArrayEquals(new long[] {2467461003L, 428148500L, 3186719485L, 3840466878L, 2562233961L, 1946702221L},
                words(Random.split(k0, 3)));
        assertEquals(Shape.of(3, 2), Random.split(k0, 3).shape());
        assertArrayEquals(new long[] {2718843009L, 1272950319L}, words(Random.keyAt(Random.split(k0, 2), 1)));
    }

    /**
     * Raw bits: {@code random.bits(PRNGKey(1701), (3,), uint32)} = [56197195, 4200222568, 961309823]
     * (google/jax {@code tests/random_test.py}, {@code testRngRandomBits}); key(0) and key(1) scalars and
     * key(0) [3] from ml-explore/mlx {@code tests/random_tests.cpp} ("test random bits").
     */
    @Test void bitsMatchJax() {
        Graph g = new Graph();
        assertArrayEquals(new long[] {56197195L, 4200222568L, 961309823L}, words(Random.bits(Random.key(g, 1701), 3)));
        assertArrayEquals(new long[] {1797259609L}, words(Random.bits(Random.key(g, 0))));
        assertArrayEquals(new long[] {507451445L}, words(Random.bits(Random.key(g, 1))));
        assertArrayEquals(new long[] {4146024105L, 1351547692L, 2718843009L}, words(Random.bits(Random.key(g, 0), 3, 1)));
    }

    // ---- uniform ------------------------------------------------------------------------------

    @Test void uniformF32IsTheTop24BitsExactly() {
        Graph g = new Graph();
        Tensor k = Random.key(g, 42);
        long[] w = words(Random.bits(k, N));
        double[] u = run(Random.uniform(k, DType.F32, 0, 1, N));
        for (int i = 0; i < N; i++) {
            assertEquals((w[i] >>> 8) * 0x1p-24, u[i], 0.0, "element " + i);
            assertTrue(u[i] >= 0 && u[i] < 1);
        }
        assertMoments(u, 0.5, 1.0 / 12);
    }

    @Test void uniformF64Uses53BitsFromTwoWords() {
        Graph g = new Graph();
        Tensor k = Random.key(g, 43);
        int n = 1000;
        long[] w = words(Random.bits(k, 2, n));
        double[] u = run(Random.uniform(k, DType.F64, 0, 1, n));
        for (int i = 0; i < n; i++) {
            assertEquals(((w[i] >>> 5) * 0x1p26 + (w[n + i] >>> 6)) * 0x1p-53, u[i], 0.0, "element " + i);
        }
        double[] big = run(Random.uniform(Random.key(g, 44), DType.F64, 0, 1, N));
        for (double v : big) assertTrue(v >= 0 && v < 1);
        assertMoments(big, 0.5, 1.0 / 12);
        // Not all multiples of 2^-24: the low bits are used.
        boolean fine = false;
        for (double v : big) fine |= v * 0x1p24 != Math.floor(v * 0x1p24);
        assertTrue(fine);
    }

    @Test void uniformBoundsAndShape() {
        Graph g = new Graph();
        Tensor u = Random.uniform(Random.key(g, 5), DType.F32, -3, 5, 200, 500);
        assertEquals(Shape.of(200, 500), u.shape());
        assertEquals(DType.F32, u.dtype());
        double[] v = run(u);
        for (double x : v) assertTrue(x >= -3 && x < 5, "value " + x);
        assertMoments(v, 1, 64.0 / 12);
        ShapeException e = assertThrows(ShapeException.class, () -> Random.uniform(Random.key(g, 5), DType.I32, 0, 1, 3));
        assertTrue(e.getMessage().startsWith("random.uniform: the type must be f32 or f64, got i32") && e.getMessage().contains("RandomTest.java"),
                e.getMessage());
        assertThrows(ShapeException.class, () -> Random.uniform(Random.key(g, 5), DType.F32, 1, 1, 3));
    }

    // ---- normal, bernoulli, truncated normal --------------------------------------------------

    @Test void normalMomentsAndReference() {
        Graph g = new Graph();
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            Tensor k = Random.key(g, 7);
            double[] z = run(Random.normal(k, t, N));
            assertMoments(z, 0, 1);
            double m4 = 0;
            for (double v : z) m4 += v * v * v * v;
            assertEquals(3.0, m4 / N, 0.1, t + " kurtosis");
            // The Box-Muller value from the same uniforms, in Java.
            double[] u = run(Random.uniform(k, t, 0, 1, 2, N));
            for (int i = 0; i < N; i += 997) {
                double want = Math.sqrt(-2 * Math.log(1 - u[i])) * Math.cos(2 * Math.PI * u[N + i]);
                assertEquals(want, z[i], 1e-12 * (1 + Math.abs(want)), t + " element " + i);
            }
        }
    }

    @Test void bernoulliRates() {
        Graph g = new Graph();
        Tensor b = Random.bernoulli(Random.key(g, 11), 0.3, N);
        assertEquals(DType.BOOL, b.dtype());
        double[] v = run(b);
        double mean = 0;
        for (double x : v) {
            assertTrue(x == 0 || x == 1);
            mean += x / N;
        }
        assertEquals(0.3, mean, 0.01);
        for (double x : run(Random.bernoulli(Random.key(g, 11), 0, 1000))) assertEquals(0, x);
        for (double x : run(Random.bernoulli(Random.key(g, 11), 1, 1000))) assertEquals(1, x);
        assertThrows(ShapeException.class, () -> Random.bernoulli(Random.key(g, 11), 1.5, 3));
    }

    @Test void erfinvInvertsErf() {
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            Graph g = new Graph();
            double[] xs = {-0.999999, -0.99, -0.9, -0.5, -1e-3, 0, 1e-8, 0.3, 0.7, 0.95, 0.999, 0.9999999};
            Tensor x = g.input("x", t, xs.length);
            double[] y = Interpreter.run(g, Map.of(x, NdArray.of(t, x.shape(), xs)), Random.erfinv(x)).data();
            for (int i = 0; i < xs.length; i++) {
                // One Newton step (f32) leaves about 1e-9 relative; two (f64) reach rounding.
                double tol = t == DType.F64 ? 1e-14 : 1e-8;
                assertEquals(xs[i], Scalar.erf(y[i]), tol * Math.max(1e-3, Math.abs(xs[i])) + 1e-16, t + " erfinv(" + xs[i] + ")");
            }
        }
    }

    @Test void truncatedNormalBoundsAndMoments() {
        Graph g = new Graph();
        double[] z = run(Random.truncatedNormal(Random.key(g, 3), DType.F32, -2, 2, N));
        for (double v : z) assertTrue(v >= -2 && v <= 2);
        double phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
        assertMoments(z, 0, 1 - 4 * phi2 / Scalar.erf(Math.sqrt(2)));
        // Asymmetric [0, 1]: mean (phi(0) - phi(1)) / (Phi(1) - Phi(0)).
        double[] h = run(Random.truncatedNormal(Random.key(g, 4), DType.F64, 0, 1, N));
        double mean = 0;
        for (double v : h) {
            assertTrue(v >= 0 && v <= 1);
            mean += v / N;
        }
        double want = (1 - Math.exp(-0.5)) / Math.sqrt(2 * Math.PI) / (Scalar.erf(Math.sqrt(0.5)) / 2);
        assertEquals(want, mean, 0.005);
        // Infinite bounds are a plain normal, and finite.
        for (double v : run(Random.truncatedNormal(Random.key(g, 4), DType.F64, Double.NEGATIVE_INFINITY,
                Double.POSITIVE_INFINITY, 1000))) {
            assertTrue(Double.isFinite(v));
        }
    }

    // ---- determinism and independence ---------------------------------------------------------

    @Test void sameKeySameBitsAcrossGraphs() {
        long[] a = words(Random.bits(Random.key(new Graph(), 99), 1001));
        long[] b = words(Random.bits(Random.key(new Graph(), 99), 1001));
        assertArrayEquals(a, b);
        long[] c = words(Random.bits(Random.key(new Graph(), 100), 1001));
        assertNotEquals(a[0], c[0]);
    }

    @Test void splitKeysAreIndependent() {
        Graph g = new Graph();
        Tensor keys = Random.split(Random.key(g, 0), 2);
        double[] a = run(Random.uniform(Random.keyAt(keys, 0), DType.F64, 0, 1, N));
        double[] b = run(Random.uniform(Random.keyAt(keys, 1), DType.F64, 0, 1, N));
        double[] parent = run(Random.uniform(Random.key(g, 0), DType.F64, 0, 1, N));
        assertTrue(Math.abs(correlation(a, b)) < 0.02, "corr " + correlation(a, b));
        assertTrue(Math.abs(correlation(a, parent)) < 0.02, "corr " + correlation(a, parent));
        int same = 0;
        for (int i = 0; i < N; i++) if (a[i] == b[i]) same++;
        assertTrue(same < 5, same + " equal draws");
    }

    // ---- dropout ------------------------------------------------------------------------------

    @Test void dropout() {
        Graph g = new Graph();
        Tensor x = g.input("x", 100, 1000);
        Tensor key = Random.key(g, 1);
        assertSame(x, Nn.dropout(x, key, 0.5, false));
        assertSame(x, Nn.dropout(x, key, 0.0, true));
        double[] xv = new double[100_000];
        java.util.Arrays.fill(xv, 2.0);
        Map<Tensor, NdArray> feed = Map.of(x, NdArray.of(x.shape(), xv));
        double[] zeros = Interpreter.run(g, feed, Nn.dropout(x, key, 1.0, true)).data();
        for (double v : zeros) assertEquals(0.0, v);
        double[] y = Interpreter.run(g, feed, Nn.dropout(x, key, 0.25, true)).data();
        double kept = 0, mean = 0;
        for (double v : y) {
            assertTrue(v == 0 || Math.abs(v - 2 / 0.75) < 1e-12, "value " + v);
            if (v != 0) kept++;
            mean += v / y.length;
        }
        assertEquals(0.75, kept / y.length, 0.01);
        assertEquals(2.0, mean, 0.03);
        assertThrows(ShapeException.class, () -> Nn.dropout(x, key, -0.1, true));
    }

    private static void assertMoments(double[] v, double mean, double var) {
        double m = 0;
        for (double x : v) m += x;
        m /= v.length;
        double s = 0;
        for (double x : v) s += (x - m) * (x - m);
        s /= v.length;
        // 10^5 samples: the standard errors are sqrt(var / n) and about var * sqrt(2 / n); allow ~6 of them.
        assertEquals(mean, m, 6 * Math.sqrt(var / v.length) + 1e-12, "mean");
        assertEquals(var, s, 6 * var * Math.sqrt(2.0 / v.length) + 1e-12, "variance");
    }

    private static double correlation(double[] a, double[] b) {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i] / a.length;
            mb += b[i] / b.length;
        }
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }
}
