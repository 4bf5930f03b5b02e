package dev.adjoint.kernels;

import static dev.adjoint.kernels.TestSupport.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fused programs over NHWC-like shapes with short inner axes (the channel counts of small CNNs and
 * odd sizes around the vector width), where the run driver evaluates flat blocks across rows:
 * per-channel broadcasts (periodic operands), strided views (stride 2 in H and W, as pooling
 * slices make), inner broadcasts, transposed and reversed views. Every program is checked against
 * a float64 evaluation, and 2 threads against 1 bitwise.
 */
class FusedFlatBlocksTest {
    private static ThreadPool two;

    @BeforeAll
    static void startPool() {
        two = new ThreadPool(2);
        Parallelism.minNanos = 0; // split even these small runs, so "2 threads equal 1" means something
    }

    @AfterAll
    static void stopPool() {
        two.close();
        Parallelism.minNanos = Parallelism.DEFAULT_MIN_NANOS;
    }

    static final int[] CHANNELS = {1, 3, 6, 15, 16, 17, 33};

    /** Operand views of an output of shape [b, h, w, c]. */
    static Layout[] views(int b, int h, int w, int c) {
        int n = b * h * w * c;
        return new Layout[] {
            new Layout("dense", new int[] {h * w * c, w * c, c, 1}, 3, n + 3),
            new Layout("bias", new int[] {0, 0, 0, 1}, 1, c + 1),
            new Layout("per-wc", new int[] {0, 0, c, 1}, 0, w * c),
            new Layout("per-hwc", new int[] {0, w * c, c, 1}, 2, h * w * c + 2),
            // x[:, 1::2, ::2, :] of a [b, 2h+1, 2w, c] tensor: rows of c floats, stride 2c between them
            new Layout("stride2", new int[] {(2 * h + 1) * 2 * w * c, 2 * 2 * w * c, 2 * c, 1}, 2 * w * c,
                    b * (2 * h + 1) * 2 * w * c),
            // x[:, :, 1::2, :] with an extra channel of padding: the inner run is not the parent's row
            new Layout("stride2-padded", new int[] {h * 2 * w * (c + 1), 2 * w * (c + 1), 2 * (c + 1), 1}, c + 1,
                    b * h * 2 * w * (c + 1)),
            new Layout("per-pixel", new int[] {h * w, w, 1, 0}, 0, b * h * w),
            new Layout("nchw", new int[] {c * h * w, w, 1, h * w}, 0, n),
            new Layout("rev-channels", new int[] {h * w * c, w * c, c, -1}, c - 1, n),
            new Layout("scalar", new int[4], 0, 1),
        };
    }

    private static double[] reference(FusedProgramTest.Prog p, int[] shape, float[][] xs, Layout[] ls) {
        int n = (int) product(shape);
        double[] ref = new double[n], ops = new double[ls.length];
        int[] idx = new int[shape.length];
        for (int f = 0; f < n; f++) {
            unflat(f, shape, idx);
            for (int k = 0; k < ls.length; k++) ops[k] = xs[k][at(ls[k].offset(), ls[k].strides(), idx)];
            ref[f] = p.eval(ops);
        }
        return ref;
    }

    private static void run(FusedProgram f, int[] shape, float[][] xs, Layout[] ls, float[] out, WorkSplitter sp) {
        int[] offs = new int[ls.length];
        int[][] st = new int[ls.length][];
        for (int k = 0; k < ls.length; k++) { offs[k] = ls[k].offset(); st[k] = ls[k].strides(); }
        f.run(shape, xs, offs, st, out, POISON_MARGIN, sp);
    }

    @Test
    void randomProgramsOverShortInnerAxes() {
        Random rnd = new Random(41);
        int trials = 0;
        for (int c : CHANNELS) {
            for (int[] bhw : new int[][] {{2, 3, 5}, {3, 7, 4}, {1, 1, 9}, {5, 2, 1}, {4, 12, 12}}) {
                int[] shape = {bhw[0], bhw[1], bhw[2], c};
                Layout[] all = views(bhw[0], bhw[1], bhw[2], c);
                for (int t = 0; t < 6; t++, trials++) {
                    int inputs = 1 + rnd.nextInt(3);
                    FusedProgramTest.Prog p = FusedProgramTest.randomProgram(rnd, inputs, 1 + rnd.nextInt(8));
                    Layout[] ls = new Layout[inputs];
                    // the first operand is a broadcast or a strided view half of the time: those are the cases under test
                    for (int k = 0; k < inputs; k++) ls[k] = all[rnd.nextInt(all.length)];
                    check(p, shape, ls, rnd, "trial " + trials);
                }
            }
        }
        assertTrue(trials > 200);
    }

    /** The LeNet patterns themselves: conv bias add, a compare of two strided views (bool out), and a select of them. */
    @Test
    void biasAddAndStridedCompares() {
        Random rnd = new Random(42);
        for (int c : CHANNELS) {
            int b = 3, h = 6, w = 10;
            int[] shape = {b, h, w, c};
            Layout[] v = views(b, h, w, c);
            FusedProgramTest.Prog add = program(2, BinaryKernelOp.ADD);
            check(add, shape, new Layout[] {v[0], v[1]}, rnd, "bias add c=" + c);
            FusedProgramTest.Prog gt = compare(CompareKernelOp.GT);
            check(gt, shape, new Layout[] {v[4], v[5]}, rnd, "strided gt c=" + c);
            check(gt, shape, new Layout[] {v[0], v[4]}, rnd, "dense vs strided gt c=" + c);
            // a strided view alone: the copy that materializes it
            FusedProgramTest.Prog copy = new FusedProgramTest.Prog(1);
            FusedProgram.Builder bl = FusedProgram.builder(1);
            copy.ins.add(new int[] {FusedProgram.LOAD, 0, 0, -1, -1});
            copy.consts.add(0f);
            copy.compiled = bl.build(bl.load(0));
            check(copy, shape, new Layout[] {v[4]}, rnd, "strided copy c=" + c);
            check(copy, shape, new Layout[] {v[1]}, rnd, "bias broadcast copy c=" + c);
        }
    }

    private static FusedProgramTest.Prog program(int inputs, BinaryKernelOp op) {
        FusedProgramTest.Prog p = new FusedProgramTest.Prog(inputs);
        FusedProgram.Builder bl = FusedProgram.builder(inputs);
        int x = bl.load(0), y = bl.load(1);
        p.ins.add(new int[] {FusedProgram.LOAD, 0, 0, -1, -1});
        p.ins.add(new int[] {FusedProgram.LOAD, 0, 1, -1, -1});
        p.ins.add(new int[] {FusedProgram.BINARY, op.ordinal(), 0, 1, -1});
        p.consts.addAll(Arrays.asList(0f, 0f, 0f));
        p.compiled = bl.build(bl.binary(op, x, y));
        return p;
    }

    private static FusedProgramTest.Prog compare(CompareKernelOp op) {
        FusedProgramTest.Prog p = new FusedProgramTest.Prog(2);
        FusedProgram.Builder bl = FusedProgram.builder(2);
        int x = bl.load(0), y = bl.load(1);
        p.ins.add(new int[] {FusedProgram.LOAD, 0, 0, -1, -1});
        p.ins.add(new int[] {FusedProgram.LOAD, 0, 1, -1, -1});
        p.ins.add(new int[] {FusedProgram.COMPARE, op.ordinal(), 0, 1, -1});
        p.consts.addAll(Arrays.asList(0f, 0f, 0f));
        p.compiled = bl.build(bl.compare(op, x, y));
        return p;
    }

    private static void check(FusedProgramTest.Prog p, int[] shape, Layout[] ls, Random rnd, String what) {
        float[][] xs = new float[ls.length][];
        for (int k = 0; k < ls.length; k++) {
            xs[k] = random(rnd, ls[k].length(), -2f, 2f);
            for (int i = 0; i < xs[k].length; i += 5) xs[k][i] = Math.round(xs[k][i]);
        }
        double[] ref = reference(p, shape, xs, ls);
        float[] one = poisoned(ref.length), twoOut = poisoned(ref.length);
        run(p.compiled, shape, xs, ls, one, WorkSplitter.SERIAL);
        run(p.compiled, shape, xs, ls, twoOut, two);
        String desc = what + " " + Arrays.toString(shape) + " " + Arrays.toString(Arrays.stream(ls).map(Layout::name).toArray());
        assertClose(desc, ref, one, POISON_MARGIN, 1e-5, 1e-5);
        assertBitsEqual(desc + " 2 threads vs 1", one, twoOut);
    }

    @Test
    void flatBlocksAllocateNothingOnceWarm() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        FusedProgram.Builder b = FusedProgram.builder(3);
        int x = b.load(0), y = b.load(1), z = b.load(2);
        FusedProgram p = b.build(b.select(b.compare(CompareKernelOp.GT, x, z), b.binary(BinaryKernelOp.ADD, x, y), z));
        int bb = 4, h = 14, w = 14, c = 6;
        Layout[] v = views(bb, h, w, c);
        Layout[] ls = {v[0], v[1], v[4]};
        float[][] in = new float[3][];
        for (int k = 0; k < 3; k++) in[k] = new float[ls[k].length()];
        float[] out = new float[bb * h * w * c + 2 * POISON_MARGIN];
        int[] shape = {bb, h, w, c};
        int[] offs = new int[3];
        int[][] st = new int[3][];
        for (int k = 0; k < 3; k++) { offs[k] = ls[k].offset(); st[k] = ls[k].strides(); }
        for (int i = 0; i < 20_000; i++) p.run(shape, in, offs, st, out, 0, WorkSplitter.SERIAL);
        long per = TestSupport.warmAllocationPerRun(() -> p.run(shape, in, offs, st, out, 0, WorkSplitter.SERIAL), 1000, 16, 5000);
        assertTrue(per < 16, "allocated " + per + " B per run");
    }
}
