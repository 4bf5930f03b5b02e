package dev.adjoint.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;

/** Shared helpers: random data, poisoned outputs, tolerant comparison, a shared pool. */
final class TestSupport {
    private TestSupport() {}

    /** Vector lanes on this machine, or 8 when the Vector API is off (sizes around it still matter). */
    static final int LANES = Simd.ENABLED ? VecLanes.lanes() : 8;
    static final ThreadPool POOL = new ThreadPool(3);
    static final int POISON_MARGIN = 5;

    /** Isolates the vector reference so this class loads without the incubator module. */
    static final class VecLanes {
        static int lanes() { return VecBlockOps.L; }
    }

    /**
     * Bytes {@code run} allocates per call once warm, on this thread: the least of windows of
     * {@code runs} calls, taken until one is under {@code limit} B per call or {@code maxMillis}
     * have passed. A first window can catch a vector loop still in C1 (whose vectors are objects,
     * 384 B per run of a 3-op program) while its C2 compile waits in the queue: on a loaded 2-core
     * machine that took 0.3-0.6 s after a 20,000-run warm-up (docs/perf/elementwise.md, wave 7).
     * A per-run allocation in compiled code shows in every window, so it still fails.
     */
    static long warmAllocationPerRun(Runnable run, int runs, long limit, long maxMillis) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long per = Long.MAX_VALUE, end = System.nanoTime() + maxMillis * 1_000_000L;
        do {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < runs; i++) run.run();
            per = Math.min(per, (mx.getCurrentThreadAllocatedBytes() - before) / runs);
        } while (per >= limit && System.nanoTime() < end);
        return per;
    }

    static int[] sizes() {
        return new int[] {0, 1, 2, LANES - 1, LANES, LANES + 1, 2 * LANES + 3, 255, 256, 257, 1000};
    }

    static float[] random(Random rnd, int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * rnd.nextFloat();
        return a;
    }

    /** Output array with {@link #POISON_MARGIN} NaN cells on each side of {@code n} NaN cells. */
    static float[] poisoned(int n) {
        float[] a = new float[n + 2 * POISON_MARGIN];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    static void assertClose(String what, double[] ref, float[] out, int off, double rel, double abs) {
        for (int i = 0; i < ref.length; i++) {
            double r = ref[i], g = out[off + i];
            if (Double.isNaN(r) && Double.isNaN(g)) continue;
            if (Double.isInfinite(r) && r == g) continue;
            if (!(Math.abs(r - g) <= abs + rel * Math.abs(r))) {
                fail(what + ": element " + i + " expected " + r + " got " + g);
            }
        }
        for (int i = 0; i < off; i++) if (!Float.isNaN(out[i])) fail(what + ": wrote before the output at " + i);
        for (int i = off + ref.length; i < out.length; i++) if (!Float.isNaN(out[i])) fail(what + ": wrote past the output at " + i);
    }

    static void assertBitsEqual(String what, float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) fail(what + ": differs at " + i + ": " + a[i] + " vs " + b[i]);
        }
    }

    static long product(int[] s) {
        long p = 1;
        for (int v : s) p *= v;
        return p;
    }

    /** Multi-index of flat index {@code f} in row-major {@code shape}. */
    static int[] unflat(long f, int[] shape, int[] idx) {
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = (int) (f % shape[d]);
            f /= shape[d];
        }
        return idx;
    }

    static int at(int off, int[] strides, int[] idx) {
        int p = off;
        for (int d = 0; d < idx.length; d++) p += idx[d] * strides[d];
        return p;
    }

    static double unary(UnaryKernelOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case TANH -> Math.tanh(x);
            case LOGISTIC -> 1 / (1 + Math.exp(-x));
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case ERF -> dev.adjoint.graph.Scalar.erf(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case ATAN -> Math.atan(x);
            case LOG1P -> Math.log1p(x);
            case EXPM1 -> Math.expm1(x);
            case FLOOR -> Math.floor(x);
            case CEIL -> Math.ceil(x);
            case ROUND -> Math.rint(x);
        };
    }

    static double binary(BinaryKernelOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> Math.pow(a, b);
            case REM -> a % b;
        };
    }

    static double compare(CompareKernelOp op, double a, double b) {
        boolean r = switch (op) {
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            case EQ -> a == b;
            case NE -> a != b;
        };
        return r ? 1 : 0;
    }

    /**
     * An operand layout for an output shape: its strides, the size of the array that backs
     * it, and a name for messages. Patterns: dense, broadcast along chosen axes, reversed,
     * and transposed storage.
     */
    record Layout(String name, int[] strides, int offset, int length) {}

    static Layout[] layouts(int[] shape, Random rnd) {
        int r = shape.length;
        java.util.List<Layout> ls = new java.util.ArrayList<>();
        int[] dense = Elementwise.denseStrides(shape);
        int n = (int) product(shape);
        ls.add(new Layout("dense", dense, 2, n + 4));
        ls.add(new Layout("scalar", new int[r], 1, 3));
        if (r >= 1) {
            // broadcast along the inner axis, and along all but the inner axis
            int[] sh = shape.clone();
            sh[r - 1] = 1;
            int[] s = Elementwise.denseStrides(sh);
            s[r - 1] = 0;
            ls.add(new Layout("bcast-inner", s, 0, (int) Math.max(1, product(sh))));
            int[] s2 = new int[r];
            s2[r - 1] = 1;
            ls.add(new Layout("bcast-outer", s2, 0, Math.max(1, shape[r - 1])));
            // reversed inner axis
            int[] s3 = dense.clone();
            s3[r - 1] = -1;
            ls.add(new Layout("rev-inner", s3, Math.max(0, shape[r - 1] - 1), Math.max(1, n)));
        }
        if (r >= 2) {
            // storage transposed: axis 0 is the contiguous one
            int[] perm = new int[r];
            for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
            int[] ps = new int[r];
            for (int d = 0; d < r; d++) ps[d] = shape[perm[d]];
            int[] pst = Elementwise.denseStrides(ps);
            int[] s = new int[r];
            for (int d = 0; d < r; d++) s[perm[d]] = pst[d];
            ls.add(new Layout("transposed", s, 0, Math.max(1, n)));
        }
        return ls.toArray(new Layout[0]);
    }
}
