package dev.adjoint.kernels;

import static dev.adjoint.kernels.TestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.kernels.TestSupport.Layout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated fused loops ({@link FusedCodegen}) against the block interpreter (bitwise, serial and on
 * two threads) and the float64 reference, on random programs over every kernel op, the operand
 * kinds the generated loops read (dense, scalar, periodic) and those they leave to the
 * interpreter (gathers), at sizes around the vector length and the block length.
 */
class FusedCodegenTest {
    private static ThreadPool two;
    private static int after;
    private static long min;
    private static boolean enabled;

    @BeforeAll
    static void setUp() {
        assumeTrue(Simd.ENABLED, "generated loops exist only with the Vector API");
        two = new ThreadPool(2);
        Parallelism.minNanos = 0; // split even small runs, so "2 threads equal 1" means something
        after = FusedRun.CODEGEN_AFTER;
        min = FusedRun.CODEGEN_MIN;
        FusedRun.CODEGEN_AFTER = 0;
        FusedRun.CODEGEN_MIN = 0; // every size through the generated loops, 1 included
        enabled = FusedRun.CODEGEN;
        FusedRun.CODEGEN = true; // opt-in in production (-Dadjoint.codegen=true)
    }

    @AfterAll
    static void tearDown() {
        if (two == null) return;
        two.close();
        Parallelism.minNanos = Parallelism.DEFAULT_MIN_NANOS;
        FusedRun.CODEGEN_AFTER = after;
        FusedRun.CODEGEN_MIN = min;
        FusedRun.CODEGEN = enabled;
    }

    private static final UnaryKernelOp[] UN = UnaryKernelOp.values();
    private static final BinaryKernelOp[] BIN = BinaryKernelOp.values();
    private static final CompareKernelOp[] CMP = CompareKernelOp.values();

    /**
     * A random op tree over all kernel ops (mostly the ones with vector forms, now and then one
     * without, which sends the program to the interpreter), no care for ranges: NaN and infinities
     * are compared bit for bit too.
     */
    static FusedProgram randomProgram(Random rnd, int inputs, int length) {
        FusedProgram.Builder b = FusedProgram.builder(inputs);
        List<Integer> vals = new ArrayList<>();
        for (int k = 0; k < inputs; k++) vals.add(b.load(k));
        int last = vals.get(0);
        for (int i = 0; i < length; i++) {
            int x = rnd.nextInt(3) != 0 ? last : vals.get(rnd.nextInt(vals.size()));
            int y = vals.get(rnd.nextInt(vals.size()));
            boolean rare = rnd.nextInt(25) == 0;
            int kind = rnd.nextInt(7);
            if (kind == 0) { // constants join the pool of operands, never the chain's head
                vals.add(b.constant(new float[] {0.5f, -1.25f, 2f, 0f, -0f, 3.75f}[rnd.nextInt(6)]));
                continue;
            }
            int id = switch (kind) {
                case 1, 2 -> b.unary(rare ? UN[rnd.nextInt(UN.length)] : UN[rnd.nextInt(9)], x);
                case 3, 4 -> b.binary(rare ? BIN[rnd.nextInt(BIN.length)] : BIN[rnd.nextInt(6)], x, y);
                case 5 -> b.compare(rare ? CMP[rnd.nextInt(CMP.length)] : CMP[rnd.nextInt(5)], x, y);
                default -> b.select(vals.get(rnd.nextInt(vals.size())), x, y);
            };
            vals.add(id);
            last = id;
        }
        return b.build(last);
    }

    private static float[] operand(Random rnd, int n) {
        float[] x = random(rnd, n, -3f, 3f);
        float[] special = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-40f, 88.9f, -104f};
        for (int i = 0; i < n; i += 7) x[i] = special[rnd.nextInt(special.length)];
        for (int i = 3; i < n; i += 5) x[i] = Math.round(x[i]);
        return x;
    }

    private static void run(FusedProgram f, int[] shape, float[][] xs, Layout[] ls, float[] out, WorkSplitter sp) {
        int[] offs = new int[ls.length];
        int[][] st = new int[ls.length][];
        for (int k = 0; k < ls.length; k++) { offs[k] = ls[k].offset(); st[k] = ls[k].strides(); }
        f.run(shape, xs, offs, st, out, POISON_MARGIN, sp);
    }

    private static boolean generated(FusedProgram p) {
        GeneratedChain g = p.generated;
        return g != null && g.kernel() != null;
    }

    /**
     * Bit for bit, signed zeros included, except that any NaN equals any NaN: a NaN's sign and
     * payload are not defined by the Vector API and C2 may swap the operands of a commutative
     * vector op (x86 returns the first NaN operand's payload), so they differ between the JIT's
     * tiers in the interpreter's own loops too.
     */
    static void assertSameBits(String what, float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) && Float.isNaN(b[i])) continue;
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                org.junit.jupiter.api.Assertions.fail(what + ": differs at " + i + ": " + a[i] + " vs " + b[i]);
            }
        }
    }

    /** Runs {@code p} interpreted, generated (serial) and generated on two threads; the three must agree bitwise. */
    private static boolean checkAgainstInterpreter(String what, FusedProgram p, int[] shape, float[][] xs, Layout[] ls) {
        int n = (int) product(shape);
        float[] interp = poisoned(n), gen = poisoned(n), gen2 = poisoned(n);
        try {
            FusedRun.CODEGEN = false;
            run(p, shape, xs, ls, interp, WorkSplitter.SERIAL);
        } finally {
            FusedRun.CODEGEN = true;
        }
        run(p, shape, xs, ls, gen, WorkSplitter.SERIAL);
        run(p, shape, xs, ls, gen2, two);
        assertSameBits(what + " generated vs interpreter", interp, gen);
        assertSameBits(what + " 2 threads vs 1", gen, gen2);
        return generated(p);
    }

    @Test
    void randomProgramsOnRowsMatchTheInterpreterBitwise() {
        Random rnd = new Random(51);
        int[] sizes = {1, 2, LANES - 1, LANES, LANES + 1, 2 * LANES + 3, 255, 1000, 2032 + 17, 5003, 70_001};
        int gen = 0, trials = 0;
        for (int trial = 0; trial < 400; trial++) {
            int n = sizes[trial % sizes.length];
            int inputs = 1 + rnd.nextInt(4);
            FusedProgram p = randomProgram(rnd, inputs, 2 + rnd.nextInt(12));
            Layout[] ls = new Layout[inputs];
            float[][] xs = new float[inputs][];
            for (int k = 0; k < inputs; k++) {
                boolean scalar = rnd.nextInt(4) == 0;
                ls[k] = scalar ? new Layout("scalar", new int[] {0}, 1, 2) : new Layout("dense", new int[] {1}, 3, n + 5);
                xs[k] = operand(rnd, ls[k].length());
            }
            if (checkAgainstInterpreter("trial " + trial + " n=" + n, p, new int[] {n}, xs, ls)) gen++;
            trials++;
        }
        // Many random programs have a vector form (an op without one, two polynomials or a scalar result keep the interpreter).
        assertTrue(gen > trials / 3, "only " + gen + " of " + trials + " programs ran generated loops");
    }

    @Test
    void randomProgramsOnFlatBlocksMatchTheInterpreterBitwise() {
        Random rnd = new Random(52);
        int gen = 0;
        int[][] shapes = {{2, 3, 5, 6}, {4, 7, 7, 16}, {1, 1, 3, 17}, {3, 9, 9, 15}, {8, 28, 28, 6}};
        for (int trial = 0; trial < 200; trial++) {
            int[] sh = shapes[trial % shapes.length];
            Layout[] all = FusedFlatBlocksTest.views(sh[0], sh[1], sh[2], sh[3]);
            int inputs = 1 + rnd.nextInt(4);
            FusedProgram p = randomProgram(rnd, inputs, 2 + rnd.nextInt(10));
            Layout[] ls = new Layout[inputs];
            float[][] xs = new float[inputs][];
            for (int k = 0; k < inputs; k++) {
                // Mostly the kinds the loops read in place (dense, bias, per-wc, per-hwc, scalar); now and then any view.
                int[] inPlace = {0, 1, 2, 3, 9};
                ls[k] = all[rnd.nextInt(5) == 0 ? rnd.nextInt(all.length) : inPlace[rnd.nextInt(inPlace.length)]];
                xs[k] = operand(rnd, ls[k].length());
            }
            if (checkAgainstInterpreter("trial " + trial + " " + Arrays.toString(sh), p, sh, xs, ls)) gen++;
        }
        assertTrue(gen > 60, "only " + gen + " of 200 flat programs ran generated loops");
    }

    @Test
    void boundedProgramsMatchTheFloat64Reference() {
        Random rnd = new Random(53);
        int[][] shapes = {{1}, {LANES - 1}, {LANES + 1}, {2047}, {3, 70}, {4, 5, 5, 6}, {600, 3}};
        int gen = 0;
        for (int trial = 0; trial < 140; trial++) {
            int[] shape = shapes[trial % shapes.length];
            int inputs = 1 + rnd.nextInt(3);
            FusedProgramTest.Prog p = FusedProgramTest.randomProgram(rnd, inputs, 2 + rnd.nextInt(10));
            Layout[] all = layouts(shape, rnd), ls = new Layout[inputs];
            for (int k = 0; k < inputs; k++) ls[k] = all[rnd.nextInt(Math.min(2, all.length))]; // dense or scalar
            float[][] xs = new float[inputs][];
            for (int k = 0; k < inputs; k++) xs[k] = random(rnd, ls[k].length(), -2f, 2f);
            int n = (int) product(shape);
            double[] ref = new double[n], ops = new double[inputs];
            int[] idx = new int[shape.length];
            for (int f = 0; f < n; f++) {
                unflat(f, shape, idx);
                for (int k = 0; k < inputs; k++) ops[k] = xs[k][at(ls[k].offset(), ls[k].strides(), idx)];
                ref[f] = p.eval(ops);
            }
            float[] out = poisoned(n);
            run(p.compiled, shape, xs, ls, out, WorkSplitter.SERIAL);
            assertClose("trial " + trial + " " + Arrays.toString(shape), ref, out, POISON_MARGIN, 1e-5, 1e-5);
            if (generated(p.compiled)) gen++;
        }
        assertTrue(gen > 20, "only " + gen + " of 140 programs ran generated loops");
    }

    private static FusedProgram chain4(float c) {
        FusedProgram.Builder b = FusedProgram.builder(2);
        int x = b.load(0), y = b.load(1);
        int t = b.binary(BinaryKernelOp.ADD, b.binary(BinaryKernelOp.MUL, x, y), b.constant(c));
        return b.build(b.binary(BinaryKernelOp.SUB, b.binary(BinaryKernelOp.MUL, t, y), x));
    }

    @Test
    void identicalStructuresShareOneClass() {
        int n = 1000;
        float[][] xs = {new float[n], new float[n]};
        int[][] st = {{1}, {1}};
        FusedProgram p1 = chain4(0.25f), p2 = chain4(-7f);
        p1.run(new int[] {n}, xs, new int[2], st, new float[n], 0, WorkSplitter.SERIAL);
        int before = FusedCodegen.classCount();
        p2.run(new int[] {n}, xs, new int[2], st, new float[n], 0, WorkSplitter.SERIAL);
        assertEquals(before, FusedCodegen.classCount(), "a second program of the same structure generated a class");
        assertSame(p1.generated.kernel(), p2.generated.kernel());
        // The same program with its second operand a scalar is another structure: another class.
        p2.run(new int[] {n}, new float[][] {new float[n], new float[1]}, new int[2], new int[][] {{1}, {0}}, new float[n], 0,
                WorkSplitter.SERIAL);
        assertEquals(before + 1, FusedCodegen.classCount());
        assertNotSame(p1.generated.kernel(), p2.generated.kernel());
        // Runs of 1000 programs of that structure add nothing.
        for (int i = 0; i < 1000; i++) chain4(i).run(new int[] {n}, xs, new int[2], st, new float[n], 0, WorkSplitter.SERIAL);
        assertEquals(before + 1, FusedCodegen.classCount());
    }

    @Test
    void programsBeyondTheInliningBudgetKeepTheInterpreter() {
        // Two polynomial routines in one loop are not inlined by C2 (boxed vectors): not generated.
        FusedProgram.Builder b = FusedProgram.builder(1);
        int x = b.load(0);
        FusedProgram two = b.build(b.binary(BinaryKernelOp.ADD, b.unary(UnaryKernelOp.EXP, x), b.unary(UnaryKernelOp.LOG, x)));
        FusedProgram.Builder b1 = FusedProgram.builder(1);
        int y = b1.load(0);
        FusedProgram one = b1.build(b1.binary(BinaryKernelOp.ADD, b1.unary(UnaryKernelOp.EXP, y), y));
        float[][] xs = {new float[100]};
        for (FusedProgram p : new FusedProgram[] {two, one}) p.run(new int[] {100}, xs, new int[1], new int[][] {{1}}, new float[100], 0, WorkSplitter.SERIAL);
        assertNull(two.generated.kernel());
        assertNotNull(one.generated.kernel());
    }

    @Test
    void waitsForItsRunsBeforeGenerating() {
        FusedRun.CODEGEN_AFTER = 2;
        try {
            int n = 100;
            float[][] xs = {new float[n], new float[n]};
            int[][] st = {{1}, {1}};
            FusedProgram p = chain4(1f);
            p.run(new int[] {n}, xs, new int[2], st, new float[n], 0, WorkSplitter.SERIAL);
            p.run(new int[] {n}, xs, new int[2], st, new float[n], 0, WorkSplitter.SERIAL);
            assertNull(p.generated);
            p.run(new int[] {n}, xs, new int[2], st, new float[n], 0, WorkSplitter.SERIAL);
            assertNotNull(p.generated.kernel());
        } finally {
            FusedRun.CODEGEN_AFTER = 0;
        }
    }

    @Test
    void warmGeneratedRunsAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        FusedProgram.Builder b = FusedProgram.builder(3);
        int x = b.load(0), y = b.load(1), bias = b.load(2);
        FusedProgram p = b.build(b.unary(UnaryKernelOp.TANH, b.binary(BinaryKernelOp.ADD, b.binary(BinaryKernelOp.MUL, x, y), bias)));
        int rows = 301, c = 6, n = rows * c;
        float[][] in = {new float[n], new float[n], new float[c]};
        int[] offs = {0, 0, 0};
        int[][] flat = {{c, 1}, {c, 1}, {0, 1}}, dense = {{1}, {1}, {0}};
        float[] out = new float[n];
        for (int i = 0; i < 30_000; i++) {
            p.run(new int[] {rows, c}, in, offs, flat, out, 0, WorkSplitter.SERIAL);
            p.run(new int[] {n}, in, offs, dense, out, 0, WorkSplitter.SERIAL);
        }
        assertTrue(generated(p));
        int[] shFlat = {rows, c}, shRow = {n};
        long per = TestSupport.warmAllocationPerRun(() -> p.run(shFlat, in, offs, flat, out, 0, WorkSplitter.SERIAL), 1000, 16, 5000);
        assertTrue(per < 16, "flat: allocated " + per + " B per run");
        // (The pattern changes between the two geometries: the bias is periodic in one, a scalar in the other.)
        per = TestSupport.warmAllocationPerRun(() -> p.run(shRow, in, offs, dense, out, 0, WorkSplitter.SERIAL), 1000, 16, 5000);
        assertTrue(per < 16, "row: allocated " + per + " B per run");
    }
}
