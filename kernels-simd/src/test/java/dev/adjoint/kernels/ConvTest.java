package dev.adjoint.kernels;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every conv path against a naive float64 reference, on a seeded random sample of the attribute grid. */
class ConvTest {
    static ExecutorService pool;
    static WorkSplitter threads3;

    @BeforeAll
    static void startPool() {
        Parallelism.minNanos = 0; // split even the tiny test problems, so that "multi-thread equals serial" means something
        pool = Executors.newFixedThreadPool(3);
        threads3 = new WorkSplitter() {
            @Override public int threads() { return 3; }
            @Override public void forEach(int chunks, Chunk task) {
                List<Future<?>> fs = new ArrayList<>();
                for (int i = 0; i < chunks; i++) { int c = i; fs.add(pool.submit(() -> task.run(c))); }
                try { for (Future<?> f : fs) f.get(); } catch (Exception e) { throw new RuntimeException(e); }
            }
        };
    }

    @AfterAll
    static void stopPool() { pool.shutdownNow(); Parallelism.minNanos = Parallelism.DEFAULT_MIN_NANOS; }

    /** Visits every (x index, k index, y index) product term of the conv that lands on a real input element. */
    interface Term { void at(int xi, int ki, int yi); }

    static void forEachTerm(ConvGeometry g, Term f) {
        int r = g.rank;
        int[] o = new int[r], t = new int[r];
        long outSp = g.outSpatial(), taps = g.taps();
        int cinG = g.cinPerGroup, coutG = g.coutPerGroup;
        for (int n = 0; n < g.batch; n++)
            for (long os = 0; os < outSp; os++) {
                long rem = os;
                for (int a = r - 1; a >= 0; a--) { o[a] = (int) (rem % g.outSize(a)); rem /= g.outSize(a); }
                for (long ts = 0; ts < taps; ts++) {
                    long rt = ts;
                    for (int a = r - 1; a >= 0; a--) { t[a] = (int) (rt % g.kernelSize(a)); rt /= g.kernelSize(a); }
                    long xsp = 0;
                    boolean ok = true;
                    for (int a = 0; a < r && ok; a++) {
                        int pos = o[a] * g.stride(a) + t[a] * g.rhsDilation(a) - g.padLo(a);
                        if (pos < 0 || pos >= g.dilatedInSize(a) || pos % g.lhsDilation(a) != 0) ok = false;
                        else xsp = xsp * g.inSize(a) + pos / g.lhsDilation(a);
                    }
                    if (!ok) continue;
                    for (int cy = 0; cy < g.cout; cy++) {
                        int gi = cy / coutG;
                        for (int cl = 0; cl < cinG; cl++) {
                            int xi = (int) (((long) n * g.inSpatial() + xsp) * g.cin + gi * cinG + cl);
                            int ki = (int) ((ts * cinG + cl) * g.cout + cy);
                            int yi = (int) (((long) n * outSp + os) * g.cout + cy);
                            f.at(xi, ki, yi);
                        }
                    }
                }
            }
    }

    static float[] rand(SplittableRandom rnd, long n) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** Checks got against the float64 sum with a tolerance scaled by the sum of |terms| of each element. */
    static void assertClose(String what, double[] ref, double[] mag, float[] got, int off) {
        for (int i = 0; i < ref.length; i++) {
            double tol = 1e-5 * mag[i] + 1e-6;
            float v = got[off + i];
            if (!(Math.abs(v - ref[i]) <= tol))
                fail(what + ": element " + i + " is " + v + ", expected " + ref[i]);
        }
    }

    static float[] run(ConvGeometry g, float[] x, float[] k, WorkSplitter sp, Conv.Path path, int pad) {
        float[] y = new float[(int) g.outputLength() + 2 * pad];
        Arrays.fill(y, Float.NaN);
        Conv.forward(new ConvWorkspace(g, sp.threads()), x, 0, k, 0, y, pad, sp, path);
        for (int i = 0; i < pad; i++) {
            assertTrue(Float.isNaN(y[i]), "wrote before y");
            assertTrue(Float.isNaN(y[y.length - 1 - i]), "wrote after y");
        }
        return y;
    }

    static int[] arr(SplittableRandom rnd, int r, int lo, int hi) {
        int[] a = new int[r];
        for (int i = 0; i < r; i++) a[i] = lo + rnd.nextInt(hi - lo + 1);
        return a;
    }

    static final int[] CHANNELS = {1, 3, 6, 16, 17, 33};

    static ConvGeometry randomGeometry(SplittableRandom rnd, int r) {
        int[] s = arr(rnd, r, 1, 8);
        int[] k = arr(rnd, r, 1, 3);
        int[] st = arr(rnd, r, 1, 3), ld = arr(rnd, r, 1, 2), rd = arr(rnd, r, 1, 2);
        int[] lo = arr(rnd, r, -1, 2), hi = arr(rnd, r, -1, 2);
        int kind = rnd.nextInt(4);
        int cin = CHANNELS[rnd.nextInt(CHANNELS.length)], cout = CHANNELS[rnd.nextInt(CHANNELS.length)], groups = 1;
        if (kind == 1) { // groups 2
            cin = 2 * (1 + rnd.nextInt(9)); cout = 2 * (1 + rnd.nextInt(17)); groups = 2;
        } else if (kind == 2) { // depthwise, maybe with a channel multiplier
            cin = CHANNELS[rnd.nextInt(CHANNELS.length)]; groups = cin; cout = cin * (rnd.nextBoolean() ? 1 : 1 + rnd.nextInt(3));
        }
        int n = 1 + rnd.nextInt(r == 3 ? 2 : 5);
        return ConvGeometry.of(n, s, cin, k, cout, st, lo, hi, ld, rd, groups);
    }

    static void checkAllPaths(ConvGeometry g, SplittableRandom rnd) {
        float[] x = rand(rnd, g.inputLength()), k = rand(rnd, g.kernelLength());
        double[] ref = new double[(int) g.outputLength()], mag = new double[ref.length];
        forEachTerm(g, (xi, ki, yi) -> { ref[yi] += (double) x[xi] * k[ki]; mag[yi] += Math.abs((double) x[xi] * k[ki]); });
        float[] gen = run(g, x, k, WorkSplitter.SERIAL, Conv.Path.GENERAL, 3);
        assertClose(g + " general", ref, mag, gen, 3);
        float[] auto = run(g, x, k, WorkSplitter.SERIAL, Conv.Path.AUTO, 0);
        assertClose(g + " auto " + Conv.chosenPath(new ConvWorkspace(g, 1)), ref, mag, auto, 0);
        if (new ConvWorkspace(g, 1).planes != null) {
            float[] sc = run(g, x, k, WorkSplitter.SERIAL, Conv.Path.SMALL_COUT, 1);
            assertClose(g + " small-Cout", ref, mag, sc, 1);
            assertArrayEquals(sc, run(g, x, k, threads3, Conv.Path.SMALL_COUT, 1), g + ": small-Cout multi-thread differs from serial");
        }
        float[] par = run(g, x, k, threads3, Conv.Path.AUTO, 0);
        assertArrayEquals(auto, par, g + ": multi-thread differs from serial");
        // A workspace is reused call after call: a second call must see no state left by the first.
        ConvWorkspace ws = new ConvWorkspace(g, 3);
        float[] y1 = new float[(int) g.outputLength()], y2 = new float[y1.length];
        Conv.forward(ws, x, 0, k, 0, y1, 0, threads3);
        Arrays.fill(y2, Float.NaN);
        Conv.forward(ws, x, 0, k, 0, y2, 0, threads3);
        assertArrayEquals(y1, y2, g + ": second call through one workspace differs");
    }

    @Test
    void randomGrid1d2d3d() {
        SplittableRandom rnd = new SplittableRandom(20261122);
        int zeroOut = 0, negPad = 0, lhsDil = 0, multiplier = 0, grouped = 0, unusedTail = 0, wide = 0;
        for (int r = 1; r <= 3; r++)
            for (int it = 0; it < (r == 3 ? 150 : 400); it++) {
                ConvGeometry g = randomGeometry(rnd, r);
                if (g.outputLength() == 0) zeroOut++;
                if (g.groups == g.cin && g.cout > g.cin) multiplier++;
                if (g.groups == 2) grouped++;
                if (g.outSize(r - 1) >= 5) wide++; // rows of 5..8 blocks: the 8-row micro-kernel on 32-register ISAs
                for (int a = 0; a < r; a++) {
                    if (g.padLo(a) < 0 || g.padHi(a) < 0) negPad++;
                    if (g.lhsDilation(a) > 1) lhsDil++;
                    // the stride leaves trailing input unused
                    int span = g.dilatedInSize(a) + g.padLo(a) + g.padHi(a) - g.dilatedKernelSize(a);
                    if (span >= 0 && span % g.stride(a) != 0) unusedTail++;
                }
                checkAllPaths(g, rnd);
            }
        assertTrue(zeroOut > 0 && negPad > 0 && lhsDil > 0 && multiplier > 0 && grouped > 0 && unusedTail > 0 && wide > 0,
                "sample coverage: inner O >= 5 " + wide + ", O=0 " + zeroOut + ", negative padding " + negPad + ", lhs dilation " + lhsDil
                        + ", depthwise multiplier " + multiplier + ", groups 2 " + grouped + ", unused tail " + unusedTail);
    }

    /**
     * Long contractions are walked in panel segments, each continuing the sums from y
     * (ConvSimd.flush): with a segment of a few taps, every path must give bitwise the result of
     * the unsegmented run, serial and split, with channel tails and batch-blocked rows.
     */
    @Test
    void segmentedContractionsAreBitwiseUnsegmented() {
        SplittableRandom rnd = new SplittableRandom(20261201);
        int segmented = 0;
        for (int r = 1; r <= 2; r++)
            for (int it = 0; it < 150; it++) {
                ConvGeometry g = randomGeometry(rnd, r);
                float[] x = rand(rnd, g.inputLength()), k = rand(rnd, g.kernelLength());
                float[] whole = run(g, x, k, WorkSplitter.SERIAL, Conv.Path.AUTO, 0);
                int saved = Conv.segmentFloats;
                Conv.segmentFloats = Conv.block();
                try {
                    float[] seg = run(g, x, k, WorkSplitter.SERIAL, Conv.Path.AUTO, 0);
                    float[] segPar = run(g, x, k, threads3, Conv.Path.AUTO, 0);
                    assertArrayEquals(whole, seg, g + ": segmented differs");
                    assertArrayEquals(whole, segPar, g + ": segmented, split differs");
                } finally {
                    Conv.segmentFloats = saved;
                }
                if (g.taps() * g.cinPerGroup > 1) segmented++;
            }
        assertTrue(segmented > 100, "geometries with more than one contraction segment: " + segmented);
    }

    /**
     * A workspace told that its kernel is constant packs it once: repeated calls, calls with
     * another kernel array (repacked) and with another layout give what a fresh workspace gives,
     * on every path including depthwise with a non-standard layout (repacked into [taps][C]).
     */
    @Test
    void constantKernelIsPackedOnceAndKeyedByArray() {
        SplittableRandom rnd = new SplittableRandom(5);
        int depthwise = 0;
        for (int it = 0; it < 200; it++) {
            ConvGeometry g = randomGeometry(rnd, 1 + it % 2);
            if (g.outputLength() == 0) continue;
            if (g.groups == g.cin && g.cout == g.cin) depthwise++;
            float[] x = rand(rnd, g.inputLength()), k1 = rand(rnd, g.kernelLength()), k2 = rand(rnd, g.kernelLength());
            ConvWorkspace ws = new ConvWorkspace(g, 3);
            ws.assumeConstantKernel();
            ConvKernelLayout flipped = ConvKernelLayout.flippedForInputGradient(g);
            // The flipped layout read as a kernel of g itself: legal whenever g's in/out channel counts per group agree.
            boolean square = g.cinPerGroup == g.coutPerGroup;
            for (int call = 0; call < 3; call++) {
                float[] k = call == 1 ? k2 : k1;
                float[] want = run(g, x, k, WorkSplitter.SERIAL, Conv.Path.AUTO, 0);
                float[] got = new float[want.length];
                Conv.forward(ws, x, 0, k, 0, got, 0, threads3);
                assertArrayEquals(want, got, g + " call " + call + ": constant-kernel workspace differs");
                if (square) {
                    float[] wantF = new float[want.length], gotF = new float[want.length];
                    Conv.forward(new ConvWorkspace(g, 1), x, 0, k, 0, flipped, wantF, 0, WorkSplitter.SERIAL, Conv.Path.GENERAL);
                    Conv.forward(ws, x, 0, k, 0, flipped, gotF, 0, WorkSplitter.SERIAL, Conv.Path.AUTO);
                    assertArrayEqualsTol(wantF, gotF);
                }
            }
        }
        assertTrue(depthwise > 10, "depthwise geometries: " + depthwise);
    }

    /**
     * Bands of output rows (ConvWorkspace.bandRows > 1, ConvSimd.bandUnit): the band's input rows
     * staged once with padding rows as zeros, positions blocked 8 at a time across row ends. Odd
     * widths (blocks straddle row ends), strides, rhs dilation (unmerged taps), cropping, groups and
     * channel tails, against the float64 reference; split over 3 threads bitwise equal to serial.
     */
    @Test
    void bandsOfOutputRows() {
        SplittableRandom rnd = new SplittableRandom(20261202);
        int banded = 0, straddling = 0, dilated = 0, grouped = 0;
        for (int it = 0; it < 80; it++) {
            int[] in = arr(rnd, 2, 1, 15), k = arr(rnd, 2, 1, 5), st = arr(rnd, 2, 1, 2), rd = arr(rnd, 2, 1, 2);
            int[] lo = arr(rnd, 2, -1, 2), hi = arr(rnd, 2, -1, 2);
            int cin = new int[] {1, 3, 6, 32}[rnd.nextInt(4)], cout = new int[] {17, 32, 33, 64}[rnd.nextInt(4)];
            int groups = cin % 2 == 0 && cout % 2 == 0 && rnd.nextInt(3) == 0 ? 2 : 1;
            ConvGeometry g = ConvGeometry.of(8 + rnd.nextInt(3), in, cin, k, cout, st, lo, hi, new int[] {1, 1}, rd, groups);
            if (g.outputLength() == 0) continue;
            if (new ConvWorkspace(g, 1).bandRows > 1) {
                banded++;
                if (g.outSize(1) % Conv.rows() != 0) straddling++;
                if (rd[1] > 1) dilated++;
                if (groups > 1) grouped++;
            }
            checkAllPaths(g, rnd);
        }
        assertTrue(banded > 30 && straddling > 20 && dilated > 8 && grouped > 3,
                "banded " + banded + ", blocks straddling row ends " + straddling + ", rhs dilation " + dilated + ", groups " + grouped);
        // Layers A and D of the benchmarks run banded (the whole padded image per batch entry).
        assertTrue(new ConvWorkspace(ConvGeometry.simple(32, new int[] {14, 14}, 32, new int[] {3, 3}, 64, 1, 1, 1), 2).bandRows == 14);
        assertTrue(new ConvWorkspace(ConvGeometry.simple(32, new int[] {28, 28}, 1, new int[] {5, 5}, 32, 1, 2, 1), 2).bandRows == 28);
    }

    /**
     * Cin 1 in bands (ConvWorkspace.tapRows, ConvSimd.tapRowBand: each output row's kernel rows
     * interleaved column by column, one run of K0 x K1 taps per position, the panel packed in
     * (kw, kh) order): kernels 3/5/7 (and non-square), strides 1/2 on either axis, padding,
     * cropping, rhs dilation on the outer axis, batch 1 and 3, odd sizes, Cout tails; against the
     * float64 reference, 3 threads bitwise equal to serial, a reused workspace, and the same
     * workspace without staging (the unbanded path packs the standard order again).
     */
    @Test
    void cin1TapRowsOnOddShapes() {
        SplittableRandom rnd = new SplittableRandom(20261203);
        int tapRows = 0, batch1 = 0, strided = 0;
        for (int it = 0; it < 60; it++) {
            int kh = new int[] {3, 5, 7}[it % 3], kw = rnd.nextInt(4) == 0 ? new int[] {1, 3, 5, 7}[rnd.nextInt(4)] : kh;
            int[] st = {1 + rnd.nextInt(2), 1 + rnd.nextInt(2)}, in = {17 + rnd.nextInt(20), 9 + rnd.nextInt(24)};
            int[] lo = {rnd.nextInt(4) - 1, rnd.nextInt(4) - 1}, hi = {rnd.nextInt(4) - 1, rnd.nextInt(4) - 1};
            int[] rd = {rnd.nextInt(4) == 0 ? 2 : 1, 1};
            int n = it % 2 == 0 ? 1 : 3, cout = new int[] {17, 32, 33, 64}[rnd.nextInt(4)];
            ConvGeometry g = ConvGeometry.of(n, in, 1, new int[] {kh, kw}, cout, st, lo, hi, new int[] {1, 1}, rd, 1);
            if (g.outputLength() == 0) continue;
            if (new ConvWorkspace(g, 1).tapRows) {
                tapRows++;
                if (n == 1) batch1++;
                if (st[0] * st[1] > 1) strided++;
            }
            checkAllPaths(g, rnd);
            float[] x = rand(rnd, g.inputLength()), k = rand(rnd, g.kernelLength());
            ConvWorkspace ws = new ConvWorkspace(g, 1);
            float[] staged = new float[(int) g.outputLength()], unstaged = new float[staged.length];
            Conv.forward(ws, x, 0, k, 0, staged, 0, WorkSplitter.SERIAL);
            Conv.staging = false;
            try {
                Conv.forward(ws, x, 0, k, 0, unstaged, 0, WorkSplitter.SERIAL);
            } finally {
                Conv.staging = true;
            }
            assertArrayEqualsTol(staged, unstaged);
        }
        assertTrue(tapRows > 40 && batch1 > 15 && strided > 20, "tapRows " + tapRows + ", batch 1 " + batch1 + ", strided " + strided);
        assertTrue(new ConvWorkspace(ConvGeometry.simple(32, new int[] {28, 28}, 1, new int[] {5, 5}, 32, 1, 2, 1), 2).tapRows, "layer D");
    }

    /** Without row staging, border positions go through the shortened per-position tap lists. */
    @Test
    void randomGridWithoutStaging() {
        SplittableRandom rnd = new SplittableRandom(424242);
        Conv.staging = false;
        try {
            for (int r = 1; r <= 3; r++)
                for (int it = 0; it < (r == 3 ? 60 : 200); it++) checkAllPaths(randomGeometry(rnd, r), rnd);
        } finally {
            Conv.staging = true;
        }
    }

    @Test
    void rankZeroIsAGroupedMatmul() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int groups : new int[] {1, 3})
            checkAllPaths(ConvGeometry.of(5, new int[0], 9, new int[0], 33, new int[0], new int[0], new int[0], new int[0], new int[0], groups), rnd);
    }

    @Test
    void fastPathsAgreeWithGeneralAndReference() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int c : CHANNELS) {
            // pointwise
            for (int co : CHANNELS) {
                ConvGeometry g = ConvGeometry.simple(3, new int[] {5, 7}, c, new int[] {1, 1}, co, 1, 0, 1);
                assertEquals(Conv.Path.POINTWISE, Conv.chosenPath(new ConvWorkspace(g, 1)));
                checkAllPaths(g, rnd);
                float[] x = rand(rnd, g.inputLength()), k = rand(rnd, g.kernelLength());
                assertArrayEqualsTol(run(g, x, k, WorkSplitter.SERIAL, Conv.Path.GENERAL, 0),
                        run(g, x, k, threads3, Conv.Path.POINTWISE, 0));
            }
            // depthwise
            for (int st = 1; st <= 2; st++) {
                ConvGeometry g = ConvGeometry.simple(2, new int[] {9, 6}, c, new int[] {3, 3}, c, st, 1, c);
                // C = 1 is also a one-group conv with one output channel: the column-vectorized small-Cout path takes it.
                assertEquals(c == 1 ? Conv.Path.SMALL_COUT : Conv.Path.DEPTHWISE, Conv.chosenPath(new ConvWorkspace(g, 1)));
                checkAllPaths(g, rnd);
                float[] x = rand(rnd, g.inputLength()), k = rand(rnd, g.kernelLength());
                assertArrayEqualsTol(run(g, x, k, WorkSplitter.SERIAL, Conv.Path.GENERAL, 0),
                        run(g, x, k, WorkSplitter.SERIAL, Conv.Path.DEPTHWISE, 0));
            }
            // small-Cin first layers and k3 s1/s2 layers
            for (int st = 1; st <= 2; st++) {
                checkAllPaths(ConvGeometry.simple(2, new int[] {12, 11}, c, new int[] {5, 5}, 32, st, 2, 1), rnd);
                checkAllPaths(ConvGeometry.simple(2, new int[] {10, 9}, c, new int[] {3, 3}, 64, st, 1, 1), rnd);
            }
        }
    }

    /**
     * The column-vectorized small-Cout path (LeNet's 1->6 and 16->6 convs): chosen by AUTO,
     * against the reference, serial and split, with odd spatial sizes (column tails of every
     * length), padding and cropping, rhs dilation, strides on either axis, one spatial axis, and
     * the flipped kernel layout of the input-gradient conv.
     */
    @Test
    void smallCoutPathOnOddShapes() {
        SplittableRandom rnd = new SplittableRandom(613);
        int L = Conv.lanes(), reached = 0;
        for (int cin : new int[] {1, 3, 6, 16, 17})
            for (int cout : new int[] {1, 2, 3, 5, 6, 7, 12}) {
                if (cout >= L) continue;
                ConvGeometry[] gs = {
                    ConvGeometry.simple(3, new int[] {13, 11}, cin, new int[] {5, 5}, cout, 1, 2, 1),
                    ConvGeometry.of(2, new int[] {9, 17}, cin, new int[] {3, 2}, cout, new int[] {2, 1},
                            new int[] {1, -1}, new int[] {0, 3}, new int[] {1, 1}, new int[] {2, 3}, 1),
                    ConvGeometry.of(4, new int[] {23}, cin, new int[] {4}, cout, new int[] {1}, new int[] {3}, new int[] {1},
                            new int[] {1}, new int[] {1}, 1),
                    ConvGeometry.of(2, new int[] {7, 37}, cin, new int[] {2, 3}, cout, new int[] {1, 3},
                            new int[] {0, 2}, new int[] {1, -2}, new int[] {1, 1}, new int[] {1, 2}, 1),
                };
                for (ConvGeometry g : gs) {
                    assertEquals(Conv.Path.SMALL_COUT, Conv.chosenPath(new ConvWorkspace(g, 1)), g.toString());
                    checkAllPaths(g, rnd);
                    reached++;
                }
                // The input gradient of a conv with cin output channels... here: Cout' = cout of a forward conv cout -> cin.
                ConvGeometry fw = ConvGeometry.simple(2, new int[] {10, 9}, cout, new int[] {5, 5}, cin, 1, 0, 1);
                dev.adjoint.graph.op.Conv.Transposed tx = op(fw).inputGradient(xShape(fw), kShape(fw), yShape(fw));
                ConvGeometry gx = ConvGeometry.of(tx.conv(), tx.lhs().merged(), tx.rhs().merged());
                assertEquals(Conv.Path.SMALL_COUT, Conv.chosenPath(new ConvWorkspace(gx, 1)), gx.toString());
                float[] k = rand(rnd, fw.kernelLength()), dy = rand(rnd, fw.outputLength());
                double[] dx = new double[(int) fw.inputLength()], dxm = new double[dx.length];
                forEachTerm(fw, (xi, ki, yi) -> { dx[xi] += (double) dy[yi] * k[ki]; dxm[xi] += Math.abs((double) dy[yi] * k[ki]); });
                float[] a = new float[dx.length], b = new float[dx.length];
                Conv.forward(new ConvWorkspace(gx, 3), dy, 0, k, 0, ConvKernelLayout.flippedForInputGradient(fw), a, 0, WorkSplitter.SERIAL, Conv.Path.AUTO);
                Conv.forward(new ConvWorkspace(gx, 3), dy, 0, k, 0, ConvKernelLayout.flippedForInputGradient(fw), b, 0, threads3, Conv.Path.AUTO);
                assertClose(fw + " dx small-Cout", dx, dxm, a, 0);
                assertArrayEquals(a, b, fw + " dx: multi-thread differs from serial");
            }
        assertTrue(reached >= 80, "reached " + reached);
    }

    /**
     * The dedicated small-Cout kernel gradient against the float64 reference on odd shapes
     * (strides and dilations on both axes, cropping, one spatial axis, batch sizes around the
     * piece count), bitwise equal serial and split over threads.
     */
    @Test
    void kernelGradientMatchesReference() {
        SplittableRandom rnd = new SplittableRandom(1202);
        int L = Conv.lanes(), done = 0;
        for (int it = 0; it < 100; it++) {
            int r = 1 + it % 2;
            int[] s = arr(rnd, r, 1, 19), k = arr(rnd, r, 1, 5), st = arr(rnd, r, 1, 3), rd = arr(rnd, r, 1, 2);
            int[] lo = arr(rnd, r, -1, 3), hi = arr(rnd, r, -1, 3), one = arr(rnd, r, 1, 1);
            int cin = new int[] {1, 3, 6, 16, 17}[rnd.nextInt(5)], cout = 1 + rnd.nextInt(L - 1);
            int n = new int[] {1, 2, 7, 8, 9, 13}[rnd.nextInt(6)];
            ConvGeometry g;
            try {
                g = ConvGeometry.of(n, s, cin, k, cout, st, lo, hi, one, rd, 1);
            } catch (IllegalArgumentException e) { continue; }
            if (!ConvKernelGradient.applies(g)) continue;
            float[] x = rand(rnd, g.inputLength()), dy = rand(rnd, g.outputLength());
            int taps = (int) g.taps();
            double[] ref = new double[(int) g.kernelLength()], mag = new double[ref.length];
            // Reference in [Cin][taps][Cout] order (the kernel's output layout).
            forEachTerm(g, (xi, ki, yi) -> {
                int co = ki % cout, ci = (ki / cout) % cin, t = ki / (cout * cin);
                int o = (ci * taps + t) * cout + co;
                ref[o] += (double) x[xi] * dy[yi]; mag[o] += Math.abs((double) x[xi] * dy[yi]);
            });
            float[] a = new float[ref.length + 2], b = new float[ref.length + 2];
            Arrays.fill(a, Float.NaN);
            ConvKernelGradient kg = new ConvKernelGradient(g);
            kg.run(x, 0, dy, 0, a, 1, WorkSplitter.SERIAL);
            assertTrue(Float.isNaN(a[0]) && Float.isNaN(a[a.length - 1]), "wrote outside dk");
            assertClose(g + " kernel gradient", ref, mag, a, 1);
            Arrays.fill(b, Float.NaN);
            kg.run(x, 0, dy, 0, b, 1, threads3);
            assertArrayEquals(a, b, g + ": kernel gradient multi-thread differs from serial");
            done++;
        }
        assertTrue(done >= 60, "reached " + done);
    }

    /**
     * The wide-Cout kernel gradient (Cout a multiple of two vectors) against the float64 reference on
     * random geometries: rank 1-2, odd sizes (several units per entry), strides 1-3, dilation 1-2,
     * padding -1..3, Cin 1 (the rows of a tile span taps) to 17, batch 1-13 around the piece count;
     * serial and 3 threads bitwise equal.
     */
    @Test
    void wideKernelGradientMatchesReference() {
        SplittableRandom rnd = new SplittableRandom(1305);
        int block = ConvKernelGradientWide.block(), done = 0, fourVector = 0;
        for (int it = 0; it < 120; it++) {
            int r = 1 + it % 2;
            int[] s = arr(rnd, r, 1, 19), k = arr(rnd, r, 1, 5), st = arr(rnd, r, 1, 3), rd = arr(rnd, r, 1, 2);
            int[] lo = arr(rnd, r, -1, 3), hi = arr(rnd, r, -1, 3), one = arr(rnd, r, 1, 1);
            // Cin covers every split of a tap's channels into the 4-vector path's 6- and 4-row tiles
            // and its 2-vector tail (2, 3, 6, 8, 16, 17, 32, 64); Cout 2 and 4 blocks take that path
            // with 32 registers, 1 and 3 blocks the 2-vector tiles.
            int cin = new int[] {1, 2, 3, 6, 8, 16, 17, 32, 64}[rnd.nextInt(9)], cout = block * (1 + rnd.nextInt(4));
            int n = new int[] {1, 2, 7, 8, 9, 13}[rnd.nextInt(6)];
            ConvGeometry g;
            try {
                g = ConvGeometry.of(n, s, cin, k, cout, st, lo, hi, one, rd, 1);
            } catch (IllegalArgumentException e) { continue; }
            if (!ConvKernelGradientWide.applies(g)) continue;
            float[] x = rand(rnd, g.inputLength()), dy = rand(rnd, g.outputLength());
            int taps = (int) g.taps();
            double[] ref = new double[(int) g.kernelLength()], mag = new double[ref.length];
            forEachTerm(g, (xi, ki, yi) -> {
                int co = ki % cout, ci = (ki / cout) % cin, t = ki / (cout * cin);
                int o = (ci * taps + t) * cout + co;
                ref[o] += (double) x[xi] * dy[yi]; mag[o] += Math.abs((double) x[xi] * dy[yi]);
            });
            float[] a = new float[ref.length + 2], b = new float[ref.length + 2];
            Arrays.fill(a, Float.NaN);
            ConvKernelGradientWide kg = new ConvKernelGradientWide(g);
            kg.run(x, 0, dy, 0, a, 1, WorkSplitter.SERIAL);
            assertTrue(Float.isNaN(a[0]) && Float.isNaN(a[a.length - 1]), "wrote outside dk");
            assertClose(g + " wide kernel gradient", ref, mag, a, 1);
            Arrays.fill(b, Float.NaN);
            kg.run(x, 0, dy, 0, b, 1, threads3);
            assertArrayEquals(a, b, g + ": wide kernel gradient multi-thread differs from serial");
            // Written in the forward kernel's [taps][Cin][Cout] order: the same sums, moved.
            float[] c = new float[ref.length];
            new ConvKernelGradientWide(g, true).run(x, 0, dy, 0, c, 0, threads3);
            for (int t = 0; t < taps; t++)
                for (int ci = 0; ci < cin; ci++)
                    for (int co = 0; co < cout; co++)
                        assertEquals(a[1 + (ci * taps + t) * cout + co], c[(t * cin + ci) * cout + co], g + ": tap-major dk differs");
            if (cout % (2 * block) == 0 && cin >= 4) fourVector++;
            done++;
        }
        assertTrue(done >= 50, "reached " + done);
        assertTrue(fourVector >= 15, "4-vector tiles (6 x 4, 4 x 4) reached " + fourVector);
        // A Cout that is not a whole number of blocks is the general conv's.
        assertFalse(ConvKernelGradientWide.applies(ConvGeometry.simple(2, new int[] {5, 5}, 3, new int[] {3, 3}, block + 1, 1, 1, 1)));
    }

    static void assertArrayEqualsTol(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++)
            assertEquals(a[i], b[i], 1e-4f * (1 + Math.abs(a[i])), "element " + i);
    }

    /** The backward convs (lhs dilation, negative padding) through the general kernel equal the scattered reference. */
    @Test
    void backwardConvsMatchReference() {
        SplittableRandom rnd = new SplittableRandom(99);
        int done = 0;
        for (int it = 0; it < 300; it++) {
            int r = 1 + it % 3;
            ConvGeometry g = randomGeometry(rnd, r);
            if (g.outputLength() == 0 || g.inputLength() == 0) continue;
            float[] x = rand(rnd, g.inputLength()), k = rand(rnd, g.kernelLength()), dy = rand(rnd, g.outputLength());
            double[] dx = new double[x.length], dxm = new double[x.length];
            forEachTerm(g, (xi, ki, yi) -> { dx[xi] += (double) dy[yi] * k[ki]; dxm[xi] += Math.abs((double) dy[yi] * k[ki]); });
            dev.adjoint.graph.op.Conv op = op(g);
            dev.adjoint.graph.Shape xShape = xShape(g), kShape = kShape(g), yShape = yShape(g);
            // The input-gradient conv as graph-core's Conv.inputGradient defines it (dy and the
            // reversed, channel-swapped kernel), read here through the flipped layout of the forward k.
            dev.adjoint.graph.op.Conv.Transposed tx = op.inputGradient(xShape, kShape, yShape);
            ConvGeometry gx = ConvGeometry.of(tx.conv(), tx.lhs().merged(), tx.rhs().merged());
            assertArrayEquals(g.inSizes(), gx.outSizes(), g + " dx sizes");
            WorkSplitter sp = it % 2 == 0 ? WorkSplitter.SERIAL : threads3;
            float[] dxl = new float[x.length];
            Arrays.fill(dxl, Float.NaN);
            Conv.forward(new ConvWorkspace(gx, 3), dy, 0, k, 0, ConvKernelLayout.flippedForInputGradient(g), dxl, 0, sp, Conv.Path.AUTO);
            assertClose(g + " dx (flipped layout)", dx, dxm, dxl, 0);
            if (g.groups == 1) {
                double[] dk = new double[k.length], dkm = new double[k.length];
                forEachTerm(g, (xi, ki, yi) -> { dk[ki] += (double) x[xi] * dy[yi]; dkm[ki] += Math.abs((double) x[xi] * dy[yi]); });
                dev.adjoint.graph.op.Conv.Transposed tk = op.kernelGradient(xShape, kShape, yShape);
                ConvGeometry gk = ConvGeometry.of(tk.conv(), tk.lhs().merged(), tk.rhs().merged());
                int sp1 = (int) g.inSpatial(), taps = (int) g.taps();
                float[] xt = new float[x.length], dkc = new float[k.length + 2];
                Movement.transpose(new int[] {g.batch, sp1, g.cin}, x, 0, new int[] {2, 1, 0}, xt, 0, WorkSplitter.SERIAL);
                float[] dkg = new float[k.length];
                // dy read in place as the kernel [O.., N, Cout].
                Arrays.fill(dkc, Float.NaN);
                Conv.forward(new ConvWorkspace(gk, 3), xt, 0, dy, 0, ConvKernelLayout.cotangentForKernelGradient(g), dkc, 1, sp, Conv.Path.AUTO);
                Movement.transpose(new int[] {g.cin, taps, g.cout}, dkc, 1, new int[] {1, 0, 2}, dkg, 0, WorkSplitter.SERIAL);
                assertClose(g + " dk (cotangent layout)", dk, dkm, dkg, 0);
            }
            done++;
        }
        assertTrue(done > 200);
    }

    /** The graph op of a geometry. */
    static dev.adjoint.graph.op.Conv op(ConvGeometry g) {
        int r = g.rank;
        int[] st = new int[r], lo = new int[r], hi = new int[r], ld = new int[r], rd = new int[r];
        for (int a = 0; a < r; a++) {
            st[a] = g.stride(a); lo[a] = g.padLo(a); hi[a] = g.padHi(a); ld[a] = g.lhsDilation(a); rd[a] = g.rhsDilation(a);
        }
        return new dev.adjoint.graph.op.Conv(dev.adjoint.graph.Ints.of(st), dev.adjoint.graph.Ints.of(lo), dev.adjoint.graph.Ints.of(hi),
                dev.adjoint.graph.Ints.of(ld), dev.adjoint.graph.Ints.of(rd), g.groups);
    }

    static dev.adjoint.graph.Shape xShape(ConvGeometry g) { return shape(g.batch, g.inSizes(), g.cin); }

    static dev.adjoint.graph.Shape yShape(ConvGeometry g) { return shape(g.batch, g.outSizes(), g.cout); }

    static dev.adjoint.graph.Shape kShape(ConvGeometry g) {
        int[] d = Arrays.copyOf(g.kernelSizes(), g.rank + 2);
        d[g.rank] = g.cinPerGroup;
        d[g.rank + 1] = g.cout;
        return dev.adjoint.graph.Shape.of(d);
    }

    private static dev.adjoint.graph.Shape shape(int first, int[] middle, int last) {
        int[] d = new int[middle.length + 2];
        d[0] = first;
        System.arraycopy(middle, 0, d, 1, middle.length);
        d[d.length - 1] = last;
        return dev.adjoint.graph.Shape.of(d);
    }

    @Test
    void rejectsInconsistentArguments() {
        int[] one = {1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, new int[] {4}, 6, new int[] {3}, 4, one, one, one, one, one, 4));
        assertTrue(e.getMessage().contains("groups 4 must divide"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, new int[] {4, 4}, 6, new int[] {3}, 4, one, one, one, one, one, 1));
        assertTrue(e.getMessage().contains("kernel size has 1 entries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.of(1, new int[] {4}, 6, new int[] {3}, 4, new int[] {0}, one, one, one, one, 1));
        assertTrue(e.getMessage().contains("stride 0"), e.getMessage());
        ConvGeometry g = ConvGeometry.simple(1, new int[] {4}, 2, new int[] {3}, 2, 1, 1, 1);
        ConvWorkspace ws = new ConvWorkspace(g, 1);
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv.forward(ws, new float[7], 0, new float[12], 0, new float[8], 0, WorkSplitter.SERIAL));
        assertTrue(e.getMessage().contains("x needs 8 floats"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Conv.forward(ws, new float[8], 0, new float[12], 0, new float[8], 0, WorkSplitter.SERIAL, Conv.Path.POINTWISE));
        // O = 0: kernel longer than the padded input
        ConvGeometry empty = ConvGeometry.simple(2, new int[] {2}, 3, new int[] {3}, 5, 1, 0, 1);
        assertEquals(0, empty.outSize(0));
    }
}
