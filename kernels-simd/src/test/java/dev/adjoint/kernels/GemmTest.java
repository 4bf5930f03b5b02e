package dev.adjoint.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/**
 * Gemm against a float64 reference on random data, odd sizes, strided/transposed operands and every epilogue.
 * Vector-only (it reads the tile sizes), so skipped in the scalar-fallback JVM, where FallbackTest and the Plan tests cover GEMM.
 */
@DisabledIfSystemProperty(named = "adjoint.expectScalar", matches = "true")
class GemmTest {
    static final int L = GemmMicroKernel.L;
    /**
     * Executor stand-ins (chunks on a fixed pool), the real pool, and a "two-thread" splitter that runs its
     * chunks on the caller in reverse order (a pool whose worker never came: one thread runs every chunk).
     */
    static GemmExecutorSplitter two, three;
    static ThreadPool pool2, pool3;
    static WorkSplitter[] parallel;
    static final WorkSplitter REVERSED_ON_CALLER = new WorkSplitter() {
        @Override public int threads() { return 2; }
        @Override public void forEach(int chunks, Chunk task) {
            for (int i = chunks - 1; i >= 0; i--) task.run(i);
        }
    };

    @BeforeAll static void pools() {
        two = new GemmExecutorSplitter(2); three = new GemmExecutorSplitter(3);
        pool2 = new ThreadPool(2); pool3 = new ThreadPool(3);
        parallel = new WorkSplitter[] {two, three, pool2, pool3, REVERSED_ON_CALLER};
    }
    @AfterAll static void close() { two.close(); three.close(); pool2.close(); pool3.close(); }

    /** One randomly laid out problem: operands with padding between rows and matrices, C poisoned. */
    static final class Case {
        final int batch, m, n, k;
        final boolean ta, tb, acc;
        final GemmBias biasMode;
        final GemmActivation act;
        final float alpha;
        float[] a, b, c, c0, bias;
        int aOff, ars, acs, abs, bOff, brs, bcs, bbs, cOff, ldc, cbs;

        Case(long seed, int batch, int m, int n, int k, boolean ta, boolean tb, boolean acc,
             GemmBias biasMode, GemmActivation act, float alpha) {
            this.batch = batch; this.m = m; this.n = n; this.k = k; this.ta = ta; this.tb = tb; this.acc = acc;
            this.biasMode = biasMode; this.act = act; this.alpha = alpha;
            SplittableRandom r = new SplittableRandom(seed);
            // A is m x k; stored k x m (transposed) when ta. Padding of 3 per row, 5 per matrix.
            int aRows = ta ? k : m, aCols = ta ? m : k, lda = aCols + 3;
            aOff = 2; abs = aRows * lda + 5;
            ars = ta ? 1 : lda; acs = ta ? lda : 1;
            a = fill(r, aOff + batch * abs + 1);
            int bRows = tb ? n : k, bCols = tb ? k : n, ldb = bCols + 1;
            bOff = 1; bbs = bRows * ldb + 4;
            brs = tb ? 1 : ldb; bcs = tb ? ldb : 1;
            b = fill(r, bOff + batch * bbs + 1);
            ldc = n + 2; cOff = 3; cbs = m * ldc + 7;
            c = new float[cOff + batch * cbs + 5];
            if (acc) {
                for (int i = 0; i < c.length; i++) c[i] = (float) (r.nextDouble() * 2 - 1);
            } else {
                Arrays.fill(c, Float.NaN);   // poisoned: a result read from old C would show
            }
            c0 = c.clone();
            bias = fill(r, 7 + Math.max(m, n));
        }

        static float[] fill(SplittableRandom r, int len) {
            float[] x = new float[len];
            for (int i = 0; i < len; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
            return x;
        }

        GemmEpilogue epilogue() { return new GemmEpilogue(biasMode, biasMode == GemmBias.NONE ? null : bias, 7, act); }

        void run(GemmWorkspace ws, WorkSplitter sp) {
            run(ws, sp, Gemm.PATH_AUTO);
        }

        void run(GemmWorkspace ws, WorkSplitter sp, int path) {
            run(ws, sp, path, null);
        }

        void run(GemmWorkspace ws, WorkSplitter sp, int path, GemmBlocking blocking) {
            Gemm.sgemm(batch, m, n, k, alpha, a, aOff, ars, acs, abs, b, bOff, brs, bcs, bbs, acc,
                    c, cOff, ldc, cbs, epilogue(), ws, sp, path, blocking);
        }

        /** Restores C to its state before the first run, so one case can be run again on another path. */
        void reset() {
            System.arraycopy(c0, 0, c, 0, c.length);
        }

        /** Compares with the float64 reference; also checks that nothing outside C's elements was written. */
        void check() {
            boolean[] inC = new boolean[c.length];
            for (int bi = 0; bi < batch; bi++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0, mag = 0;
                        for (int p = 0; p < k; p++) {
                            double x = a[aOff + bi * abs + i * ars + p * acs], y = b[bOff + bi * bbs + p * brs + j * bcs];
                            s += x * y; mag += Math.abs(x * y);
                        }
                        int ci = cOff + bi * cbs + i * ldc + j;
                        inC[ci] = true;
                        double v = alpha * s, vmag = Math.abs(alpha) * mag;
                        if (acc) { v += c0[ci]; vmag += Math.abs(c0[ci]); }
                        if (biasMode == GemmBias.PER_ROW) { v += bias[7 + i]; vmag += Math.abs(bias[7 + i]); }
                        if (biasMode == GemmBias.PER_COLUMN) { v += bias[7 + j]; vmag += Math.abs(bias[7 + j]); }
                        if (act == GemmActivation.RELU) v = Math.max(v, 0);
                        double tol = (k + 4) * Math.ulp(1f) * vmag + 1e-30;
                        float got = c[ci];
                        if (!(Math.abs(got - v) <= tol)) {
                            fail(this + ": C[" + bi + "][" + i + "][" + j + "] = " + got + ", expected " + v + " +- " + tol);
                        }
                    }
                }
            }
            for (int i = 0; i < c.length; i++) {
                if (!inC[i] && Float.floatToRawIntBits(c[i]) != Float.floatToRawIntBits(c0[i])) {
                    fail(this + ": wrote outside C at index " + i);
                }
            }
        }

        @Override public String toString() {
            return "batch=" + batch + " m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb + " acc=" + acc
                    + " bias=" + biasMode + " act=" + act + " alpha=" + alpha;
        }
    }

    static final int[] SIZES = {0, 1, 2, 15, 16, 17, 31, 33, L - 1, L + 1, 2 * L + 1, 97, 257};

    /**
     * Every transpose combination and epilogue over a sampled grid of sizes (all sizes of every
     * axis appear), each case on the automatic, the direct and the packed path.
     */
    @Test void sampledGrid() {
        SplittableRandom r = new SplittableRandom(42);
        GemmWorkspace ws = new GemmWorkspace();
        int cases = 0;
        for (int mi = 0; mi < SIZES.length; mi++) {
            for (int ni = 0; ni < SIZES.length; ni++) {
                for (int rep = 0; rep < 3; rep++) {
                    int m = SIZES[mi], n = SIZES[ni], k = SIZES[r.nextInt(SIZES.length)];
                    if ((long) m * n * k > 257L * 257 * 33) k = SIZES[r.nextInt(8)];   // keep the float64 reference fast
                    boolean ta = r.nextBoolean(), tb = r.nextBoolean(), acc = r.nextInt(3) == 0;
                    GemmBias bias = GemmBias.values()[r.nextInt(3)];
                    GemmActivation act = r.nextBoolean() ? GemmActivation.RELU : GemmActivation.NONE;
                    int batch = r.nextInt(3) == 0 ? 3 : 1;
                    float alpha = r.nextInt(4) == 0 ? -0.5f : 1f;
                    Case c = new Case(r.nextLong(), batch, m, n, k, ta, tb, acc, bias, act, alpha);
                    for (int path : new int[] {Gemm.PATH_AUTO, Gemm.PATH_DIRECT, Gemm.PATH_PACKED, Gemm.PATH_NARROW, Gemm.PATH_DOT}) {
                        c.reset();
                        c.run(ws, WorkSplitter.SERIAL, path);
                        c.check();
                    }
                    cases++;
                }
            }
        }
        assertTrue(cases > 400);
    }

    /** All four transpose combinations and all epilogues on a few sizes across the small/packed boundary. */
    @Test void everyCombinationOnFewSizes() {
        GemmWorkspace ws = new GemmWorkspace();
        int[][] shapes = {{17, 33, 15}, {33, 31, 33}, {L + 1, 2 * L - 1, 97}, {97, 33, 1}, {1, 257, 17}};
        long seed = 1;
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                for (GemmBias bias : GemmBias.values()) {
                    for (GemmActivation act : GemmActivation.values()) {
                        for (boolean acc : new boolean[] {false, true}) {
                            for (int batch : new int[] {1, 3}) {
                                Case c = new Case(seed++, batch, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, acc, bias, act, 1f);
                                for (int path : new int[] {Gemm.PATH_DIRECT, Gemm.PATH_PACKED}) {
                                    c.reset();
                                    c.run(ws, WorkSplitter.SERIAL, path);
                                    c.check();
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Shapes beyond one cache block in every direction: several K blocks (uneven), M blocks, and N blocks. */
    @Test void multipleCacheBlocks() {
        GemmWorkspace ws = new GemmWorkspace();
        GemmBlocking bl = GemmMicroKernel.BLOCKING;
        int[][] shapes = {{37, 29, 3 * bl.kc() + 5}, {bl.mc() * 2 + 7, 19, 40}, {3, bl.nc() + 21, 35}, {150, 150, 600}};
        long seed = 100;
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                Case c = new Case(seed++, 1, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, t == 3,
                        t == 1 ? GemmBias.PER_ROW : GemmBias.PER_COLUMN, GemmActivation.RELU, 1f);
                c.run(ws, WorkSplitter.SERIAL);
                c.check();
            }
        }
    }

    /** Every register tile (not only this machine's), with its own blocks and with tiny ones that force many blocks. */
    static GemmBlocking[] everyTile() {
        int[] tiles = {GemmBlocking.TILE_4X2, GemmBlocking.TILE_8X2};
        GemmBlocking[] out = new GemmBlocking[2 * tiles.length];
        for (int t = 0; t < tiles.length; t++) {
            int mr = GemmBlocking.rowsOf(tiles[t]);
            GemmBlocking own = tiles[t] == GemmMicroKernel.BLOCKING.tile() ? GemmMicroKernel.BLOCKING
                    : new GemmBlocking(tiles[t], mr, L, 256, 16 * mr, 64 * L);
            out[2 * t] = own;
            out[2 * t + 1] = own.withBlocks(13, 2 * mr, 2 * 2 * L);   // K, M and N blocks of every size class
        }
        return out;
    }

    /**
     * Each tile variant against the float64 reference on odd sizes (1, 7, 17, 33, 100 and sizes
     * that are not multiples of any tile), all four transpose combinations, batches and epilogues.
     */
    @Test void everyTileOnOddSizes() {
        int[] sizes = {1, 7, 17, 33, 100, 2 * L + 3};
        SplittableRandom r = new SplittableRandom(13);
        GemmWorkspace ws = new GemmWorkspace();
        int cases = 0;
        for (GemmBlocking bl : everyTile()) {
            for (int m : sizes) {
                for (int n : sizes) {
                    int k = sizes[r.nextInt(sizes.length)];
                    int t = r.nextInt(4);
                    boolean acc = r.nextInt(3) == 0;
                    int batch = r.nextInt(3) == 0 ? 2 : 1;
                    GemmBias bias = GemmBias.values()[r.nextInt(3)];
                    Case c = new Case(r.nextLong(), batch, m, n, k, (t & 1) != 0, (t & 2) != 0, acc, bias,
                            r.nextBoolean() ? GemmActivation.RELU : GemmActivation.NONE, r.nextInt(4) == 0 ? -0.5f : 1f);
                    c.run(ws, WorkSplitter.SERIAL, Gemm.PATH_PACKED, bl);
                    c.check();
                    cases++;
                }
            }
            // Several K blocks with the machine-sized blocks, every layout.
            for (int t = 0; t < 4; t++) {
                Case c = new Case(r.nextLong(), 1, 3 * bl.mr() + 1, 2 * L + 5, bl.kc() + 7, (t & 1) != 0, (t & 2) != 0, t == 3,
                        GemmBias.PER_ROW, GemmActivation.RELU, 1f);
                c.run(ws, WorkSplitter.SERIAL, Gemm.PATH_PACKED, bl);
                c.check();
            }
        }
        assertEquals(everyTile().length * sizes.length * sizes.length, cases);
    }

    /** Every tile variant gives bit-identical results on 1, 2 and 3 threads (split along M, N and the batch). */
    @Test void everyTileBitIdenticalAcrossThreads() {
        int[][] shapes = {{1, 130, 70, 300}, {1, 40, 333, 100}, {3, 50, 50, 60}};   // batch, m, n, k
        long seed = 900;
        for (GemmBlocking bl : everyTile()) {
            for (int[] s : shapes) {
                boolean ta = (seed & 1) != 0, tb = (seed & 2) != 0;
                Case serial = new Case(seed, s[0], s[1], s[2], s[3], ta, tb, false, GemmBias.PER_COLUMN, GemmActivation.NONE, 1f);
                serial.run(new GemmWorkspace(), WorkSplitter.SERIAL, Gemm.PATH_PACKED, bl);
                serial.check();
                for (WorkSplitter sp : parallel) {
                    Case par = new Case(seed, s[0], s[1], s[2], s[3], ta, tb, false, GemmBias.PER_COLUMN, GemmActivation.NONE, 1f);
                    par.run(new GemmWorkspace(), sp, Gemm.PATH_PACKED, bl);
                    assertArrayEquals(serial.c, par.c, serial + " " + bl + " threads=" + sp.threads());
                }
                seed++;
            }
        }
    }

    /**
     * The narrow-N path (n <= one vector) on odd sizes of M, K and N (1, 3, 10, 15, 17, 31, 33, 127, 129, and N up to L),
     * every layout and epilogue, against the float64 reference, and bit-identical on 1, 2 and 3 threads.
     */
    @Test void narrowOddSizes() {
        int[] mk = {1, 3, 10, 15, 17, 31, 33, 127, 129};
        int[] ns = {1, 3, 10, L - 1, L};
        SplittableRandom r = new SplittableRandom(77);
        int cases = 0;
        for (int m : mk) {
            for (int k : mk) {
                int n = ns[r.nextInt(ns.length)];
                int t = r.nextInt(4);
                GemmBias bias = GemmBias.values()[r.nextInt(3)];
                GemmActivation act = r.nextBoolean() ? GemmActivation.RELU : GemmActivation.NONE;
                boolean acc = r.nextInt(3) == 0;
                int batch = r.nextInt(4) == 0 ? 3 : 1;
                long seed = r.nextLong();
                Case serial = new Case(seed, batch, m, n, k, (t & 1) != 0, (t & 2) != 0, acc, bias, act, r.nextInt(4) == 0 ? -0.5f : 1f);
                serial.run(new GemmWorkspace(), WorkSplitter.SERIAL, Gemm.PATH_NARROW);
                serial.check();
                for (WorkSplitter sp : parallel) {
                    Case par = new Case(seed, batch, m, n, k, (t & 1) != 0, (t & 2) != 0, acc, bias, act, serial.alpha);
                    par.run(new GemmWorkspace(), sp, Gemm.PATH_NARROW);
                    assertArrayEquals(serial.c, par.c, serial + " threads=" + sp.threads());
                }
                cases++;
            }
        }
        // The MLP's narrow shapes (forward 128x512x10, weight gradient 512x128x10 with A transposed), and several K blocks.
        int[][] shapes = {{128, 10, 512, 0}, {512, 10, 128, 1}, {37, 5, 2 * GemmNarrow.KC + 3, 2}};
        for (int[] s : shapes) {
            Case serial = new Case(s[3], 1, s[0], s[1], s[2], s[3] == 1, s[3] == 2, s[3] == 2, GemmBias.PER_COLUMN, GemmActivation.RELU, 1f);
            serial.run(new GemmWorkspace(), WorkSplitter.SERIAL);
            serial.check();
            Case par = new Case(s[3], 1, s[0], s[1], s[2], s[3] == 1, s[3] == 2, s[3] == 2, GemmBias.PER_COLUMN, GemmActivation.RELU, 1f);
            for (WorkSplitter sp : parallel) {
                par.reset();
                par.run(new GemmWorkspace(), sp);
                assertArrayEquals(serial.c, par.c, serial + " threads=" + sp.threads());
            }
        }
        assertEquals(mk.length * mk.length, cases);
    }

    /**
     * The dot path (one row of A against a transposed B, B read in place) on odd sizes: K of 1, L - 1, L, L + 1
     * and long, N not a multiple of its 4-row block, every epilogue, alpha, accumulation, batches, against the
     * float64 reference, bit-identical on 1, 2 and 3 threads; more rows of A when forced. MobileNet-v2's
     * classifier shape (1 x 1280 by 1280 x 1000) too.
     */
    @Test void dotOddSizes() {
        int[] ks = {1, 3, L - 1, L, L + 1, 2 * L + 3, 100, 1280};
        int[] ns = {1, 3, 4, 5, 17, 33, 130, 1000};
        SplittableRandom r = new SplittableRandom(31);
        int cases = 0;
        for (int k : ks) {
            for (int n : ns) {
                int m = r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 1;
                GemmBias bias = GemmBias.values()[r.nextInt(3)];
                GemmActivation act = r.nextBoolean() ? GemmActivation.RELU : GemmActivation.NONE;
                boolean acc = r.nextInt(3) == 0;
                int batch = r.nextInt(4) == 0 ? 3 : 1;
                float alpha = r.nextInt(4) == 0 ? -0.5f : 1f;
                long seed = r.nextLong();
                Case serial = new Case(seed, batch, m, n, k, false, true, acc, bias, act, alpha);
                serial.run(new GemmWorkspace(), WorkSplitter.SERIAL, Gemm.PATH_DOT);
                serial.check();
                for (WorkSplitter sp : parallel) {
                    Case par = new Case(seed, batch, m, n, k, false, true, acc, bias, act, alpha);
                    par.run(new GemmWorkspace(), sp, Gemm.PATH_DOT);
                    assertArrayEquals(serial.c, par.c, serial + " threads=" + sp.threads());
                }
                if (m == 1 && k >= L) {   // what the automatic choice takes
                    Case auto = new Case(seed, batch, m, n, k, false, true, acc, bias, act, alpha);
                    auto.run(new GemmWorkspace(), pool2);
                    assertArrayEquals(serial.c, auto.c, serial + " auto");
                }
                cases++;
            }
        }
        assertEquals(ks.length * ns.length, cases);
        assertEquals(Gemm.MODE_SPLIT_N, Gemm.splitMode(1, 1, 1000, 1280, 2, false, false, true, 1));
        // Fewer columns than one register-tile sliver (2 vectors, whatever the vector width): nothing to split.
        assertEquals(Gemm.MODE_WHOLE, Gemm.splitMode(1, 1, GemmMicroKernel.NR - 1, 1280, 2, false, false, true, 1));
    }

    /**
     * The direct-store tile ({@link GemmMicroKernel#store8x2}, full 8 x 2 tiles of a K block that neither adds
     * old C nor applies an epilogue) writes bitwise what the tile buffer + merge writes, for K at and above
     * {@link GemmMicroKernel#SHORT_K}, alpha 1 and not 1; it touches only its 8 x NR elements of C.
     */
    @Test void directStoreTileBitIdenticalToMerge() {
        int nr = GemmMicroKernel.NR;
        assertTrue(GemmMicroKernel.storesDirectly(GemmBlocking.TILE_8X2, GemmMicroKernel.SHORT_K, 8, nr, GemmMicroKernel.LAST));
        assertTrue(GemmMicroKernel.storesDirectly(GemmBlocking.TILE_8X2, 256, 8, nr, 0));
        assertTrue(!GemmMicroKernel.storesDirectly(GemmBlocking.TILE_8X2, GemmMicroKernel.SHORT_K - 1, 8, nr, 0));
        assertTrue(!GemmMicroKernel.storesDirectly(GemmBlocking.TILE_8X2, 256, 7, nr, 0));
        assertTrue(!GemmMicroKernel.storesDirectly(GemmBlocking.TILE_8X2, 256, 8, nr - 1, 0));
        assertTrue(!GemmMicroKernel.storesDirectly(GemmBlocking.TILE_4X2, 256, 4, nr, 0));
        assertTrue(!GemmMicroKernel.storesDirectly(GemmBlocking.TILE_8X2, 256, 8, nr, GemmMicroKernel.ADD_OLD));
        for (int f : new int[] {GemmMicroKernel.BIAS_ROW, GemmMicroKernel.BIAS_COL, GemmMicroKernel.RELU}) {
            assertTrue(!GemmMicroKernel.storesDirectly(GemmBlocking.TILE_8X2, 256, 8, nr, GemmMicroKernel.LAST | f));
            assertTrue(GemmMicroKernel.storesDirectly(GemmBlocking.TILE_8X2, 256, 8, nr, f));   // not the last K block: no epilogue yet
        }
        SplittableRandom r = new SplittableRandom(77);
        for (int kc : new int[] {GemmMicroKernel.SHORT_K, 97, 256, 513}) {
            for (float alpha : new float[] {1f, -0.75f}) {
                float[] pa = Case.fill(r, 3 + 8 * kc), pb = Case.fill(r, 5 + nr * kc);
                int ldc = nr + 3, co = 2;
                float[] viaMerge = new float[co + 8 * ldc + 4], direct = new float[viaMerge.length];
                Arrays.fill(viaMerge, Float.NaN);
                Arrays.fill(direct, Float.NaN);
                float[] tile = new float[8 * nr];
                GemmMicroKernel.kernel8x2(kc, pa, 3, pb, 5, tile);
                GemmMicroKernel.merge(tile, 8, nr, viaMerge, co, ldc, GemmMicroKernel.LAST, alpha, null, 0, 0);
                GemmMicroKernel.store8x2(kc, pa, 3, pb, 5, direct, co, ldc, alpha);
                for (int i = 0; i < direct.length; i++) {
                    assertEquals(Float.floatToRawIntBits(viaMerge[i]), Float.floatToRawIntBits(direct[i]), "kc=" + kc + " alpha=" + alpha + " at " + i);
                }
            }
        }
        // Whole GEMMs where full tiles take the direct store and edge tiles / later K blocks the merge, against the reference.
        GemmWorkspace ws = new GemmWorkspace();
        long seed = 4000;
        for (int k : new int[] {GemmMicroKernel.SHORT_K, 128, 300, 2 * GemmMicroKernel.BLOCKING.kc() + 9}) {
            for (int t = 0; t < 4; t++) {
                GemmBias bias = t == 2 ? GemmBias.PER_COLUMN : t == 3 ? GemmBias.PER_ROW : GemmBias.NONE;
                Case c = new Case(seed++, 1, 8 * 3 + 5, 3 * nr + 7, k, (t & 1) != 0, (t & 2) != 0, false, bias,
                        t == 1 ? GemmActivation.RELU : GemmActivation.NONE, t == 0 ? -0.5f : 1f);
                c.run(ws, WorkSplitter.SERIAL, Gemm.PATH_PACKED);
                c.check();
            }
        }
    }

    /**
     * packA lays out every A layout (row-major, transposed: rs == 1, as dW = X^T dY reads it) as the
     * sliver definition says, for 4- and 8-row slivers, odd row counts (zero-padded edge sliver) and odd kc;
     * covers the 256-bit copy of 8-row transposed slivers and the 8 x 16 register transpose.
     */
    @Test void packALayout() {
        SplittableRandom r = new SplittableRandom(31);
        for (int mr : new int[] {4, 8}) {
            for (int rows : new int[] {1, 7, 8, 9, 16, 29}) {
                for (int kc : new int[] {1, 15, 16, 17, 37}) {
                    for (boolean transposed : new boolean[] {false, true}) {
                        int ld = (transposed ? rows : kc) + 3, off = 5;
                        int rs = transposed ? 1 : ld, cs = transposed ? ld : 1;
                        float[] a = Case.fill(r, off + (transposed ? kc : rows) * ld + 2);
                        int slivers = (rows + mr - 1) / mr;
                        float[] got = new float[slivers * kc * mr + 4];
                        Arrays.fill(got, Float.NaN);
                        GemmPacking.packA(a, off, rs, cs, rows, kc, mr, got);
                        for (int sl = 0; sl < slivers; sl++) {
                            for (int p = 0; p < kc; p++) {
                                for (int q = 0; q < mr; q++) {
                                    int i = sl * mr + q;
                                    float want = i < rows ? a[off + i * rs + p * cs] : 0f;
                                    assertEquals(want, got[sl * kc * mr + p * mr + q],
                                            "mr=" + mr + " rows=" + rows + " kc=" + kc + " transposed=" + transposed);
                                }
                            }
                        }
                        for (int i = slivers * kc * mr; i < got.length; i++) assertTrue(Float.isNaN(got[i]), "wrote past the panel");
                    }
                }
            }
        }
    }

    /** The blocking follows the vector width: 32 registers (512 bit) get a wider tile than 16 (256 bit). */
    @Test void blockingFollowsVectorWidth() {
        GemmBlocking avx2 = GemmBlocking.forVectorBits(256, 8), avx512 = GemmBlocking.forVectorBits(512, 16);
        assertEquals(GemmBlocking.TILE_4X2, avx2.tile());
        assertTrue(avx512.mr() > avx2.mr(), avx512 + " vs " + avx2);
        assertEquals(512, avx512.kc());   // measured on Zen 4 (wave 6) and Zen 5 (wave 8): KC 512 / MC 96
        assertEquals(96, avx512.mc());
        assertEquals(512, avx2.kc());
        assertEquals(72, avx2.mc());
        assertEquals(GemmBlocking.forVectorBits(GemmMicroKernel.S.vectorBitSize(), L), GemmMicroKernel.BLOCKING);
        assertThrows(IllegalArgumentException.class, () -> new GemmBlocking(GemmBlocking.TILE_8X2, 4, 16, 256, 64, 512));
        assertThrows(IllegalArgumentException.class, () -> new GemmBlocking(GemmBlocking.TILE_8X2, 8, 16, 256, 12, 512));
    }

    /** K = 0 leaves act(bias) or act(C + bias). */
    @Test void emptyK() {
        GemmWorkspace ws = new GemmWorkspace();
        for (boolean acc : new boolean[] {false, true}) {
            for (GemmBias bias : GemmBias.values()) {
                Case c = new Case(7, 3, 5, 19, 0, false, true, acc, bias, GemmActivation.RELU, 1f);
                c.run(ws, WorkSplitter.SERIAL);
                c.check();
            }
        }
    }

    /** Splitting over 2 or 3 threads (by batch, along N, along M) gives bit-identical results to serial. */
    @Test void threadsAreBitIdenticalToSerial() {
        int[][] shapes = {  // batch, m, n, k
            {1, 128, 128, 128}, {1, 300, 64, 300}, {1, 64, 301, 300}, {1, 13, 1000, 200}, {1, 1000, 12, 200},
            {3, 100, 100, 100}, {4, 70, 90, 300}, {8, 20, 20, 20}, {1, 257, 257, 257}, {2, 7, 5, 3}};
        long seed = 500;
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                Case serial = new Case(seed, s[0], s[1], s[2], s[3], (t & 1) != 0, (t & 2) != 0, t == 2,
                        GemmBias.PER_COLUMN, GemmActivation.RELU, 1f);
                serial.run(new GemmWorkspace(), WorkSplitter.SERIAL);
                serial.check();
                for (WorkSplitter sp : parallel) {
                    Case par = new Case(seed, s[0], s[1], s[2], s[3], (t & 1) != 0, (t & 2) != 0, t == 2,
                            GemmBias.PER_COLUMN, GemmActivation.RELU, 1f);
                    par.run(new GemmWorkspace(), sp);
                    assertArrayEquals(serial.c, par.c, serial + " threads=" + sp.threads());
                }
                seed++;
            }
        }
    }

    /**
     * Every split mode, forced, on 2 and 3 threads (the real pool, the executor stand-ins, and one thread
     * running every chunk in reverse order), bit-identical to serial: shapes with several K, M and N blocks
     * (tiny blocks), more threads than M slivers, batches, every layout, one workspace reused across calls
     * (the shared-B group states carry over). Also a GEMM started inside a pool chunk (the pool busy: its
     * chunks run one after the other on that thread, the first packing all of the shared B).
     */
    @Test void everySplitModeBitIdentical() {
        int[] modes = {Gemm.MODE_BATCH, Gemm.MODE_SPLIT_N, Gemm.MODE_SPLIT_M, Gemm.MODE_SHARED_B};
        int[][] shapes = {{1, 70, 90, 61}, {2, 33, 100, 29}, {1, 5, 300, 40}, {3, 129, 17, 80}, {1, 100, 100, 1}};
        GemmBlocking[] blocks = {GemmMicroKernel.BLOCKING, GemmMicroKernel.BLOCKING.withBlocks(13, 2 * GemmMicroKernel.BLOCKING.mr(), 2 * 2 * L)};
        long seed = 3000;
        int cases = 0;
        for (GemmBlocking bl : blocks) {
            for (int[] s : shapes) {
                int t = (int) (seed & 3);
                Case serial = new Case(seed, s[0], s[1], s[2], s[3], (t & 1) != 0, (t & 2) != 0, t == 3,
                        GemmBias.PER_ROW, GemmActivation.RELU, 0.75f);
                serial.run(new GemmWorkspace(), WorkSplitter.SERIAL, Gemm.PATH_PACKED, bl);
                serial.check();
                GemmWorkspace ws = new GemmWorkspace();   // reused across modes and splitters
                for (int mode : modes) {
                    for (WorkSplitter sp : parallel) {
                        Case par = new Case(seed, s[0], s[1], s[2], s[3], (t & 1) != 0, (t & 2) != 0, t == 3,
                                GemmBias.PER_ROW, GemmActivation.RELU, 0.75f);
                        Gemm.sgemm(par.batch, par.m, par.n, par.k, par.alpha, par.a, par.aOff, par.ars, par.acs, par.abs,
                                par.b, par.bOff, par.brs, par.bcs, par.bbs, par.acc, par.c, par.cOff, par.ldc, par.cbs,
                                par.epilogue(), ws, sp, Gemm.PATH_PACKED, bl, mode);
                        assertArrayEquals(serial.c, par.c, serial + " " + bl + " mode=" + mode + " threads=" + sp.threads());
                        cases++;
                    }
                }
                seed++;
            }
        }
        assertEquals(blocks.length * shapes.length * modes.length * parallel.length, cases);
        // Inside a chunk of the pool (busy), the shared-B GEMM's chunks run on that one thread and give the same bits.
        Case serial = new Case(77, 1, 150, 140, 300, false, false, false, GemmBias.NONE, GemmActivation.NONE, 1f);
        serial.run(new GemmWorkspace(), WorkSplitter.SERIAL);
        Case[] inner = new Case[2];
        pool2.forEach(2, i -> {
            inner[i] = new Case(77, 1, 150, 140, 300, false, false, false, GemmBias.NONE, GemmActivation.NONE, 1f);
            inner[i].run(new GemmWorkspace(), pool2);
        });
        for (Case c : inner) assertArrayEquals(serial.c, c.c, "GEMM inside a pool chunk");
    }

    /** The split chosen by shape: N for one packed matrix of few rows, shared B up to its size bound, else M or N; batch; narrow M. */
    @Test void splitModeByShape() {
        int mr = GemmMicroKernel.BLOCKING.mr(), nr = GemmMicroKernel.NR;
        assertEquals(Gemm.MODE_SHARED_B, Gemm.splitMode(1, 2048, 2048, 2048, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_SPLIT_N, Gemm.splitMode(1, 128, 512, 784, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_SPLIT_N, Gemm.splitMode(1, 128, 128, 128, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_SHARED_B, Gemm.splitMode(1, 256, 256, 256, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_SHARED_B, Gemm.splitMode(1, 512, 784, 128, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_SPLIT_M, Gemm.splitMode(1, 4096, 4096, 4096, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_SPLIT_M, Gemm.splitMode(3, 128, 128, 128, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_SPLIT_N, Gemm.splitMode(1, mr, 4 * nr, 64, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_WHOLE, Gemm.splitMode(1, mr, nr, 64, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_BATCH, Gemm.splitMode(4, 512, 512, 512, 2, false, false, false, mr));
        assertEquals(Gemm.MODE_SPLIT_M, Gemm.splitMode(1, 128, 10, 512, 2, false, true, false, GemmNarrow.ROWS));
    }

    /** A reused workspace gives the same answer as a fresh one (no stale packed data leaks between calls). */
    @Test void workspaceReuse() {
        GemmWorkspace ws = new GemmWorkspace();
        Case big = new Case(9, 1, 200, 200, 300, false, false, false, GemmBias.NONE, GemmActivation.NONE, 1f);
        big.run(ws, WorkSplitter.SERIAL);
        Case small = new Case(10, 1, 50, 45, 70, true, false, false, GemmBias.NONE, GemmActivation.NONE, 1f);
        small.run(ws, WorkSplitter.SERIAL);
        small.check();
        long floats = ws.floatsAllocated();
        small.run(ws, WorkSplitter.SERIAL);
        assertEquals(floats, ws.floatsAllocated());
    }

    /** Simple row-major convenience entry point. */
    @Test void matmulConvenience() {
        float[] a = {1, 2, 3, 4, 5, 6}, b = {7, 8, 9, 10, 11, 12}, c = new float[4];
        Gemm.matmul(2, 2, 3, a, b, c);
        assertArrayEquals(new float[] {58, 64, 139, 154}, c);
    }

    /** Bad arguments are rejected with a message, not an ArrayIndexOutOfBounds inside a kernel. */
    @Test void rejectsBadArguments() {
        GemmWorkspace ws = new GemmWorkspace();
        float[] x = new float[16];
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(1, 4, 4, 5, 1f, x, 0, 4, 1, 0, x, 0, 4, 1, 0,
                false, x, 0, 4, 0, GemmEpilogue.NONE, ws, WorkSplitter.SERIAL));
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(1, 4, 4, 4, 1f, x, 0, 4, 1, 0, x, 0, 4, 1, 0,
                false, x, 0, 3, 0, GemmEpilogue.NONE, ws, WorkSplitter.SERIAL));
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(-1, 4, 4, 4, 1f, x, 0, 4, 1, 0, x, 0, 4, 1, 0,
                false, x, 0, 4, 0, GemmEpilogue.NONE, ws, WorkSplitter.SERIAL));
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(1, 4, 4, 4, 1f, x, 0, 4, 1, 0, x, 0, 4, 1, 0,
                false, x, 0, 4, 0, GemmEpilogue.of(GemmBias.PER_COLUMN, new float[3], 0, GemmActivation.NONE),
                ws, WorkSplitter.SERIAL));
        assertThrows(NullPointerException.class, () -> GemmEpilogue.of(GemmBias.PER_ROW, null, 0, GemmActivation.NONE));
    }
}
