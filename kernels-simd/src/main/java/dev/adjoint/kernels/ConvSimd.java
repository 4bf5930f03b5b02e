package dev.adjoint.kernels;

import static dev.adjoint.kernels.Conv.JOB_FIELDS;
import static dev.adjoint.kernels.Conv.gcd;
import static dev.adjoint.kernels.Conv.staging;
import static dev.adjoint.kernels.ConvWorkspace.JOBS;
import static dev.adjoint.kernels.ConvWorkspace.STAGED;
import static dev.adjoint.kernels.ConvWorkspace.TAPS_USED;

import dev.adjoint.kernels.Conv.Path;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API half of {@link Conv}: the implicit-GEMM micro-kernels, kernel packing and the
 * chunk driver. Only {@link Conv} refers to it, and only when {@link Simd#ENABLED}, so the package
 * links on a JVM without the incubator module. The algorithm is described on {@link Conv}.
 */
final class ConvSimd {
    private ConvSimd() {}

    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    static final int L = SP.length();
    /**
     * Vector registers of the ISA the preferred species implies: 512-bit vectors mean AVX-512 (32
     * zmm registers), anything narrower is taken as AVX2/NEON-class with 16. The Vector API does
     * not expose the count; {@code adjoint.conv.registers} overrides the guess for measurements.
     */
    static final int REGISTERS = Integer.getInteger("adjoint.conv.registers", SP.vectorBitSize() >= 512 ? 32 : 16);
    /**
     * Output rows per micro-kernel block, chosen from the register count: rows x 2 vector
     * accumulators plus the two kernel vectors and a broadcast must stay in registers. 16 registers:
     * 4 rows (8 accumulators; docs/perf/conv.md step 2: C2 spilled at 12). 32 registers: 8 rows
     * (16 accumulators + 3 = 19 live), twice the FMAs per kernel-vector load and enough independent
     * chains to cover two FMA pipes of 4-cycle latency.
     */
    static final int ROWS = REGISTERS >= 32 ? 8 : 4;
    /** Output channels per micro-kernel block (two vectors), also the width of the packed kernel panels. */
    static final int BLOCK = 2 * L;

    /** The vector part of {@link Conv#forward}: arguments are checked and the path resolved. */
    static void run(ConvWorkspace ws, float[] x, int xOff, float[] k, int kOff, ConvKernelLayout layout, boolean standard,
                    float[] y, int yOff, WorkSplitter split, Path p, ConvEpilogue epilogue) {
        ConvGeometry g = ws.geometry;
        int units;
        boolean batchBlocked = false;
        double work = g.flops();
        if (p == Path.POINTWISE) {
            units = (int) (g.batch * g.outSpatial());
        } else if (p == Path.SMALL_COUT) {
            units = ConvColumns.units(ws);
        } else {
            // Block over batch entries when the innermost output axis is too short to fill a
            // 4-row micro-kernel (per residue class of the lhs dilation).
            int inner = ws.outS[ws.r - 1];
            int q = ws.a[ws.r - 1] / gcd(ws.str[ws.r - 1], ws.a[ws.r - 1]);
            int perClass = (inner + q - 1) / q;
            batchBlocked = p == Path.GENERAL && perClass < 8 && g.batch >= 4;
            int nb = batchBlocked ? (g.batch + ROWS - 1) / ROWS : g.batch;
            units = banded(ws, p, batchBlocked) ? g.batch * ws.bands : nb * ws.outerRows;
        }
        int chunks = 1;
        if (Parallelism.worthSplitting(split, 0, work))
            chunks = Math.min(units, Math.min(ws.maxChunks, 4 * split.threads()));
        ws.x = x; ws.k = k; ws.y = y; ws.xOff = xOff; ws.kOff = kOff; ws.yOff = yOff;
        ws.path = p; ws.units = units; ws.chunks = chunks; ws.batchBlocked = batchBlocked;
        ws.epilogue = epilogue.isNone() ? null : epilogue;
        // The panel's tap order follows the driver: interleaveTapRows' (kw, kh) only for banded calls.
        boolean tapRows = ws.tapRows && banded(ws, p, batchBlocked);
        ws.tapOrder = tapRows;
        // A constant kernel (ConvWorkspace.assumeConstantKernel, e.g. a model's weights) is packed
        // on the first call only; the packed copy is keyed by the array, offset and layout.
        boolean fresh = !(ws.constantKernel && ws.packedFrom == k && ws.packedOff == kOff && ws.packedLayout == layout && ws.packedPath == p && ws.packedTapOrder == tapRows);
        if (p == Path.SMALL_COUT) {
            if (fresh) ConvColumns.table(ws, k, kOff, layout);
        } else if (p != Path.DEPTHWISE) {
            if (fresh) pack(ws, k, kOff, layout);
        } else if (!standard) {
            // Depthwise reads k[taps][C] contiguously over channels: repack other layouts (an
            // imported [C, 1, K..] weight seen through a transpose) into that order.
            if (fresh) packDepthwise(ws, k, kOff, layout);
            ws.k = ws.packed;
            ws.kOff = 0;
        }
        if (ws.constantKernel) { ws.packedFrom = k; ws.packedOff = kOff; ws.packedLayout = layout; ws.packedPath = p; ws.packedTapOrder = tapRows; }
        try {
            if (chunks == 1) runChunk(ws, 0);
            else split.forEach(chunks, ws.task);
        } finally {
            ws.x = null; ws.k = null; ws.y = null; ws.epilogue = null; // do not keep the caller's arrays alive
        }
    }

    /**
     * Repacks k[taps, cinG, Cout] into panels [group][block of BLOCK output channels][tap][cinG][BLOCK],
     * zero-padded past the group's channels: the micro-kernel then reads k with a constant stride,
     * sequentially, and needs no mask on its loads.
     */
    private static void pack(ConvWorkspace w, float[] k, int kOff, ConvKernelLayout kl) {
        ConvGeometry g = w.geometry;
        int taps = (int) g.taps(), cinG = g.cinPerGroup, coutG = g.coutPerGroup;
        int ts = kl.tapStride, is = kl.inStride, os = kl.outStride;
        float[] kp = w.packed;
        int dst = 0;
        for (int gi = 0; gi < g.groups; gi++)
            for (int bi = 0; bi < w.blocksPerGroup; bi++) {
                int c0 = bi * BLOCK, n = Math.min(BLOCK, coutG - c0);
                int src0 = kOff + kl.offset + gi * kl.groupStride + c0 * os;
                for (int t = 0; t < taps; t++)
                    for (int c = 0; c < cinG; c++, dst += BLOCK) {
                        // tapRows (Cin 1): panel row t is tap (kh, kw) = (t % K0, t / K0), see interleaveTapRows.
                        int src = src0 + (w.tapOrder ? (t % w.kS[0]) * w.kS[1] + t / w.kS[0] : t) * ts + c * is;
                        if (os == 1) System.arraycopy(k, src, kp, dst, n);
                        else for (int i = 0; i < n; i++) kp[dst + i] = k[src + i * os];
                        for (int i = n; i < BLOCK; i++) kp[dst + i] = 0f;
                    }
            }
    }

    /** Whether a GENERAL call runs in bands of output rows ({@link #bandUnit}). */
    private static boolean banded(ConvWorkspace w, Path p, boolean batchBlocked) {
        return p == Path.GENERAL && staging && !batchBlocked && w.bandRows > 1;
    }

    /** Rows of the next block with {@code left} rows to go: at most ROWS, and never leaving a lone last row (1-row blocks are latency-bound). */
    private static int rowsFor(int left) { return left <= ROWS ? left : left == ROWS + 1 ? ROWS - 1 : ROWS; }

    /** Repacks a depthwise kernel (one input channel per group) into the standard [taps][C] order. */
    private static void packDepthwise(ConvWorkspace w, float[] k, int kOff, ConvKernelLayout kl) {
        ConvGeometry g = w.geometry;
        int taps = (int) g.taps(), C = g.cout;
        float[] kp = w.packed;
        for (int t = 0; t < taps; t++) {
            int src = kOff + kl.offset + t * kl.tapStride;
            for (int c = 0; c < C; c++) kp[t * C + c] = k[src + c * kl.groupStride];
        }
    }

    /** Runs chunk {@code ci} of the call currently set in {@code w}. */
    static void runChunk(ConvWorkspace w, int ci) {
        int u0 = (int) ((long) ci * w.units / w.chunks), u1 = (int) ((long) (ci + 1) * w.units / w.chunks);
        ConvGeometry g = w.geometry;
        if (w.path == Path.SMALL_COUT) { ConvColumns.runChunk(w, ci, u0, u1); return; }
        if (w.path == Path.POINTWISE) {
            int[] tx = w.tx[ci], tk = w.tk[ci];
            tx[0] = 0; tk[0] = 0;
            w.jobState[ci][STAGED] = 0;
            int cin = g.cin, cout = g.cout;
            // Rows in slices that keep x hot in L1 while every channel block's panel streams over them.
            final int slice = 64;
            for (int m0 = u0; m0 < u1; m0 += slice) {
                int m1 = Math.min(u1, m0 + slice);
                for (int m = m0; m < m1; m += ROWS)
                    emit(w, ci, false, Math.min(ROWS, m1 - m), w.xOff + m * cin, cin, tx, tk, 1, g.cinPerGroup, w.yOff + m * cout, cout);
                flush(w, ci);
                if (w.epilogue != null) epilogue(w, w.yOff + m0 * cout, (m1 - m0) * cout);
            }
            return;
        }
        if (banded(w, w.path, w.batchBlocked)) {
            int band = w.bandRows * w.outS[1] * g.cout;
            for (int u = u0; u < u1; u++) {
                int n = u / w.bands, b = u % w.bands;
                bandUnit(w, ci, n, b);
                flush(w, ci); // the next band overwrites the staging buffer
                if (w.epilogue != null) {
                    int y0 = b * band;
                    epilogue(w, w.yOff + n * w.yN + y0, Math.min(band, w.yN - y0));
                }
            }
            return;
        }
        int rows = w.outerRows, rowLen = w.yN / rows;
        for (int u = u0; u < u1; u++) {
            int outer = u % rows, nIdx = u / rows;
            w.jobState[ci][STAGED] = 0;
            if (w.batchBlocked) unit(w, ci, nIdx * ROWS, Math.min(ROWS, g.batch - nIdx * ROWS), outer);
            else unit(w, ci, nIdx, 1, outer);
            // Staged rows read the per-chunk staging buffer, which the next row overwrites: flush
            // now. Batch-blocked rows read x itself: their jobs wait (emit flushes when full).
            if (w.path != Path.DEPTHWISE && !w.batchBlocked) flush(w, ci);
            if (w.epilogue != null && !w.batchBlocked) epilogue(w, w.yOff + nIdx * w.yN + outer * rowLen, rowLen);
        }
        if (w.path != Path.DEPTHWISE) flush(w, ci);
        if (w.epilogue != null && w.batchBlocked)
            // Rows of ROWS batch entries each, finished only now (their jobs ran at the flushes).
            for (int u = u0; u < u1; u++) {
                int outer = u % rows, n0 = (u / rows) * ROWS, n1 = Math.min(g.batch, n0 + ROWS);
                for (int n = n0; n < n1; n++) epilogue(w, w.yOff + n * w.yN + outer * rowLen, rowLen);
            }
    }

    /**
     * Applies the call's epilogue (bias, clamp) to {@code y[from, from + len)}, whole rows of Cout
     * channels just finished by this chunk: vectors over the channels, the last Cout mod L scalar,
     * each value by the f32 add, max and min of {@link ConvEpilogue#at}.
     */
    static void epilogue(ConvWorkspace w, int from, int len) {
        ConvEpilogue e = w.epilogue;
        float[] y = w.y, b = e.bias();
        int cout = w.geometry.cout, cv = cout - cout % L, bo = e.biasOffset();
        float lo = e.lo(), hi = e.hi();
        for (int p = from, end = from + len; p < end; p += cout) {
            int c = 0;
            if (b != null)
                for (; c < cv; c += L)
                    FloatVector.fromArray(SP, y, p + c).add(FloatVector.fromArray(SP, b, bo + c)).max(lo).min(hi).intoArray(y, p + c);
            else
                for (; c < cv; c += L) FloatVector.fromArray(SP, y, p + c).max(lo).min(hi).intoArray(y, p + c);
            for (; c < cout; c++) y[p + c] = e.at(y[p + c], c);
        }
    }

    /**
     * The GEMM paths without lhs dilation on the innermost axis: copies the input rows of the
     * valid outer taps into a zero-padded staging buffer (padding, cropping and the part of the
     * row the stride never reaches are resolved by the copy), so that every output of the row is
     * "interior": full tap list, blocks of 4 positions, and with d == 1 one contiguous run of
     * K * Cin per outer tap. Without it, border positions run one at a time with shortened tap
     * lists, which dominated the kernel-gradient conv (huge kernel, 5-wide output, all border).
     */
    private static void stagedRow(ConvWorkspace w, int ci, int no, int xb0, int yb, boolean merge) {
        ConvGeometry g = w.geometry;
        int ia = w.r - 1;
        int O = w.outS[ia], s = w.str[ia], dd = w.d[ia], lo = w.lo[ia], K = w.kS[ia], S = w.inS[ia];
        int cin = g.cin, cinG = g.cinPerGroup, W = w.stageWidth, rowLen = W * cin;
        float[] st = w.stage[ci], x = w.x;
        int[] ox = w.outerX[ci], ok = w.outerK[ci], tx = w.tx[ci], tk = w.tk[ci];
        // Staged column u holds input column u - lo (zero outside [0, S)).
        int u0 = Math.max(0, lo), u1 = Math.min(W, S + lo);
        for (int e = 0; e < no; e++) {
            int base = e * rowLen;
            if (u1 <= u0) { java.util.Arrays.fill(st, base, base + rowLen, 0f); continue; }
            java.util.Arrays.fill(st, base, base + u0 * cin, 0f);
            System.arraycopy(x, xb0 + ox[e] + (u0 - lo) * cin, st, base + u0 * cin, (u1 - u0) * cin);
            java.util.Arrays.fill(st, base + u1 * cin, base + rowLen, 0f);
        }
        int nt = 0, run = cinG;
        if (merge) {
            for (int e = 0; e < no; e++) { tx[nt] = e * rowLen; tk[nt] = ok[e]; nt++; }
            run = K * cinG;
        } else {
            for (int e = 0; e < no; e++)
                for (int t = 0; t < K; t++) { tx[nt] = e * rowLen + t * dd * cin; tk[nt] = ok[e] + t * w.ks[ia]; nt++; }
        }
        w.jobState[ci][STAGED] = 1;
        int ys = w.ys[ia];
        for (int o = 0; o < O; ) {
            int left = O - o, P = rowsFor(left);
            emit(w, ci, false, P, o * s * cin, s * cin, tx, tk, nt, run, yb + o * ys, ys);
            o += P;
        }
    }

    /**
     * A band of output rows [oh0, oh1) of batch entry n of a 2-D conv without lhs dilation: the
     * band's input rows are staged once, zero-padded (padding rows too, so that every output
     * position sees the same tap list: one list for the whole band), and the band's positions,
     * flattened row-major, are blocked 8 at a time across row ends. A 14-wide row no longer runs as
     * 8 + 6 blocks (the 6 computing 8), and a 1-channel input (layer D) no longer rebuilds its tap
     * lists and jobs for every 28-wide row. y rows of one entry are contiguous, so a block's outputs
     * are too; its x rows are not (a row end jumps to the next staged row): each job records its
     * rows' offsets.
     */
    private static void bandUnit(ConvWorkspace w, int ci, int n, int band) {
        ConvGeometry g = w.geometry;
        int Ho = w.outS[0], Wo = w.outS[1], s0 = w.str[0], d0 = w.d[0], lo0 = w.lo[0], K0 = w.kS[0], S0 = w.inS[0];
        int s1 = w.str[1], d1 = w.d[1], lo1 = w.lo[1], K1 = w.kS[1], S1 = w.inS[1];
        int cin = g.cin, cinG = g.cinPerGroup, W = w.stageWidth, rowLen = W * cin;
        int oh0 = band * w.bandRows, oh1 = Math.min(Ho, oh0 + w.bandRows);
        int inRows = (oh1 - oh0 - 1) * s0 + (K0 - 1) * d0 + 1, ih0 = oh0 * s0 - lo0;
        float[] st = w.stage[ci], x = w.x;
        int xb0 = w.xOff + n * w.xN;
        // Staged column u holds input column u - lo1 (zero outside [0, S1)); staged row j input row ih0 + j.
        int u0 = Math.max(0, lo1), u1 = Math.min(W, S1 + lo1);
        for (int j = 0; j < inRows; j++) {
            int base = j * rowLen, ih = ih0 + j;
            if (ih < 0 || ih >= S0 || u1 <= u0) { java.util.Arrays.fill(st, base, base + rowLen, 0f); continue; }
            java.util.Arrays.fill(st, base, base + u0 * cin, 0f);
            System.arraycopy(x, xb0 + ih * w.xs[0] + (u0 - lo1) * cin, st, base + u0 * cin, (u1 - u0) * cin);
            java.util.Arrays.fill(st, base + u1 * cin, base + rowLen, 0f);
        }
        int[] tx = w.tx[ci], tk = w.tk[ci];
        int nt = 0, run, rowStep, colStep;
        if (w.tapOrder) {
            // One run of all K0 x K1 taps per position, from the interleaved rows (interleaveTapRows).
            interleaveTapRows(w, ci, oh1 - oh0);
            tx[nt] = 0; tk[nt] = 0; nt++;
            run = K0 * K1;
            rowStep = W * K0; colStep = s1 * K0;
            w.jobState[ci][STAGED] = 2;
        } else {
            boolean merge = g.groups == 1 && d1 == 1;
            for (int t0 = 0; t0 < K0; t0++) {
                if (merge) { tx[nt] = t0 * d0 * rowLen; tk[nt] = t0 * w.ks[0]; nt++; }
                else for (int t = 0; t < K1; t++) { tx[nt] = t0 * d0 * rowLen + t * d1 * cin; tk[nt] = t0 * w.ks[0] + t * w.ks[1]; nt++; }
            }
            run = merge ? K1 * cinG : cinG;
            rowStep = s0 * rowLen; colStep = s1 * cin;
            w.jobState[ci][STAGED] = 1;
        }
        int positions = (oh1 - oh0) * Wo, cout = g.cout;
        int yb = w.yOff + n * w.yN + oh0 * w.ys[0];
        int pr = 0, pc = 0; // row and column of position p (no divisions: D has 784 positions per band)
        for (int p = 0; p < positions; ) {
            int P = rowsFor(positions - p);
            int j = record(w, ci, P, tx, tk, nt, run, yb + p * cout, cout);
            int[] ro = w.jobRows[ci];
            int r0 = j * ROWS, x0 = pr * rowStep + pc * colStep, last = 0;
            w.jobs[ci][j * JOB_FIELDS + 1] = x0;
            for (int i = 0; i < ROWS; i++) {
                if (i < P) {
                    last = pr * rowStep + pc * colStep - x0;
                    if (++pc == Wo) { pc = 0; pr++; }
                }
                ro[r0 + i] = last;
            }
            p += P;
        }
    }

    /**
     * For Cin 1 ({@link ConvWorkspace#tapRows}), after {@link #bandUnit} staged the band: the merged
     * tap list would be K0 runs of K1 taps (layer D: 5 of 5), a micro-kernel inner loop too short to
     * pay its setup (and copying each position's K0 x K1 taps out, im2col style, cost as much as it
     * saved: 5 copies per 50 FMAs). Instead each of the band's {@code rows} output rows gets its K0
     * input rows interleaved, column by column: cols[(row * W + u) * K0 + kh] = staged input row
     * (row * s0 + kh * d0), column u. Position (row, c)'s taps are then one contiguous run of
     * K0 * K1 floats from (row * W + c * s1) * K0, ordered (kw, kh), and the kernel panel is packed
     * in the same (kw, kh) order ({@link #pack}): one 25-trip contraction per job for layer D. Each
     * output sums its taps kw-major, kh-minor (not the merged list's kh-major order): fixed by the
     * geometry, so the same at every thread count.
     */
    private static void interleaveTapRows(ConvWorkspace w, int ci, int rows) {
        int K0 = w.kS[0], W = w.stageWidth, s0 = w.str[0], d0 = w.d[0];
        float[] st = w.stage[ci], col = w.cols[ci];
        for (int r = 0; r < rows; r++)
            for (int kh = 0; kh < K0; kh++) {
                int src = (r * s0 + kh * d0) * W, dst = r * W * K0 + kh;
                for (int u = 0; u < W; u++, dst += K0) col[dst] = st[src + u];
            }
    }

    /** Computes one output row (all innermost positions) for batch entries [n0, n0+nb). */
    private static void unit(ConvWorkspace w, int ci, int n0, int nb, int outer) {
        int r = w.r;
        int[] co = w.coord[ci];
        int rem = outer;
        for (int ax = r - 2; ax >= 0; ax--) { co[ax] = rem % w.outS[ax]; rem /= w.outS[ax]; }
        int yb = w.yOff + n0 * w.yN;
        for (int ax = 0; ax < r - 1; ax++) yb += co[ax] * w.ys[ax];

        // Outer-axis taps valid for this row: the Cartesian product over axes of the taps that
        // land on a real (non-padding, non-hole) input element.
        int[] ox = w.outerX[ci], ok = w.outerK[ci];
        int[] vt = w.innerT[ci], vb = w.innerB[ci];
        int[] ks = w.path == Path.DEPTHWISE ? w.ksOrig : w.ks;
        int no = 1;
        ox[0] = 0; ok[0] = 0;
        for (int ax = 0; ax < r - 1 && no > 0; ax++) {
            int nv = 0;
            for (int t = 0; t < w.kS[ax]; t++) {
                int pos = co[ax] * w.str[ax] + t * w.d[ax] - w.lo[ax];
                if (pos >= 0 && pos < w.la[ax] && pos % w.a[ax] == 0) {
                    vt[nv] = t * ks[ax]; vb[nv] = (pos / w.a[ax]) * w.xs[ax]; nv++;
                }
            }
            for (int e = no - 1; e >= 0; e--) {
                int bx = ox[e], bk = ok[e];
                for (int v = nv - 1; v >= 0; v--) { ox[e * nv + v] = bx + vb[v]; ok[e * nv + v] = bk + vt[v]; }
            }
            no *= nv;
        }

        int ia = r - 1;
        int O = w.outS[ia], s = w.str[ia], dd = w.d[ia], aa = w.a[ia], la = w.la[ia], lo = w.lo[ia], K = w.kS[ia];
        int q = aa / gcd(s, aa);
        int step = q * s;                      // dilated-input distance between outputs of one class
        int xStep = (step / aa) * w.xs[ia];    // x distance between them (step is a multiple of aa)
        int yStep = q * w.ys[ia];
        int xb0 = w.xOff + n0 * w.xN;
        int[] tx = w.tx[ci], tk = w.tk[ci], ftx = w.ftx[ci], ftk = w.ftk[ci];
        boolean dw = w.path == Path.DEPTHWISE;
        boolean bb = w.batchBlocked;
        int cinG = w.geometry.cinPerGroup;
        boolean merge = !dw && w.geometry.groups == 1 && dd == aa;
        if (staging && !dw && !bb && w.stageWidth > 0) {
            stagedRow(w, ci, no, xb0, yb, merge);
            return;
        }
        // Outputs o = c + q*m of one residue class c see the lhs-dilation holes at the same taps,
        // so the class shares one tap list; only the padding border shortens it.
        for (int c = 0; c < q && c < O; c++) {
            int nIn = 0;
            for (int t = 0; t < K; t++) {
                int base = c * s + t * dd - lo;
                if (Math.floorMod(base, aa) == 0) { vt[nIn] = t; vb[nIn] = base; nIn++; }
            }
            int M = (O - c + q - 1) / q;
            int nt = 0, run = cinG;
            if (merge && nIn > 0) {
                // Consecutive inner taps read consecutive input pixels (d == a, one group), and
                // their packed kernel rows are consecutive too: one run of nIn * Cin per outer tap.
                for (int e = 0; e < no; e++) {
                    tx[nt] = ox[e] + (vb[0] / aa) * w.xs[ia];
                    tk[nt] = ok[e] + vt[0] * ks[ia];
                    nt++;
                }
                run = nIn * cinG;
            } else {
                for (int e = 0; e < no; e++)
                    for (int i = 0; i < nIn; i++) {
                        tx[nt] = ox[e] + (vb[i] / aa) * w.xs[ia];
                        tk[nt] = ok[e] + vt[i] * ks[ia];
                        nt++;
                    }
            }
            int mLo, mHi;
            if (nt == 0) { mLo = 0; mHi = M - 1; }
            else {
                mLo = Math.max(0, Math.floorDiv(-vb[0] + step - 1, step));
                mHi = Math.min(M - 1, Math.floorDiv(la - 1 - vb[nIn - 1], step));
            }
            int m = 0;
            while (m < M) {
                int xb = xb0 + m * xStep, yo = yb + (c + q * m) * w.ys[ia];
                if (m >= mLo && m <= mHi) {
                    int left = mHi - m + 1;
                    // Up to 4 rows; 5 left are split 3 + 2 so that no 1-row block remains.
                    int P = bb ? nb : rowsFor(left);
                    emit(w, ci, dw, P, xb, bb ? w.xN : xStep, tx, tk, nt, run, yo, bb ? w.yN : yStep);
                    m += bb ? 1 : P;
                } else {
                    int nf = 0, frun = cinG;
                    if (merge) {
                        // In-range inner taps are a contiguous part of the list (positions grow with t).
                        int i0 = 0, i1 = nIn;
                        while (i0 < nIn && vb[i0] + m * step < 0) i0++;
                        while (i1 > i0 && vb[i1 - 1] + m * step >= la) i1--;
                        if (i1 > i0) {
                            for (int e = 0; e < no; e++) {
                                ftx[nf] = ox[e] + (vb[i0] / aa) * w.xs[ia];
                                ftk[nf] = ok[e] + vt[i0] * ks[ia];
                                nf++;
                            }
                            frun = (i1 - i0) * cinG;
                        }
                    } else {
                        for (int e = 0; e < no; e++)
                            for (int i = 0; i < nIn; i++) {
                                int p = vb[i] + m * step;
                                if (p >= 0 && p < la) {
                                    ftx[nf] = ox[e] + (vb[i] / aa) * w.xs[ia];
                                    ftk[nf] = ok[e] + vt[i] * ks[ia];
                                    nf++;
                                }
                            }
                    }
                    emit(w, ci, dw, bb ? nb : 1, xb, w.xN, ftx, ftk, nf, frun, yo, w.yN);
                    m++;
                }
            }
        }
    }

    /**
     * Hands over P output rows sharing one tap list: depthwise runs them at once; the GEMM paths
     * record them, and {@link #flush} runs the row's jobs one output-channel block at a time, so
     * that block's kernel panel stays in cache across all of them.
     */
    private static void emit(ConvWorkspace w, int ci, boolean dw, int P, int xb, int xrs, int[] tx, int[] tk, int nt, int run,
                             int yb, int yrs) {
        if (dw) { dwRows(w, P, xb, xrs, tx, tk, nt, yb, yrs); return; }
        int j = record(w, ci, P, tx, tk, nt, run, yb, yrs);
        w.jobs[ci][j * JOB_FIELDS + 1] = xb;
        int[] ro = w.jobRows[ci];
        for (int i = 0, r0 = j * ROWS; i < ROWS; i++) ro[r0 + i] = Math.min(i, P - 1) * xrs;
    }

    /** Records a job of P rows (flushing first when the lists are full) and returns its index; the caller sets its x base and row offsets. */
    private static int record(ConvWorkspace w, int ci, int P, int[] tx, int[] tk, int nt, int run, int yb, int yrs) {
        int[] jobs = w.jobs[ci], bx = w.jobTx[ci], bk = w.jobTk[ci];
        if (w.jobState[ci][JOBS] == w.jobCap || w.jobState[ci][TAPS_USED] + nt > w.listCap) flush(w, ci);
        int off = w.jobState[ci][TAPS_USED];
        if (nt > w.listCap) throw new IllegalStateException("conv: tap list longer than the workspace's");
        System.arraycopy(tx, 0, bx, off, nt);
        System.arraycopy(tk, 0, bk, off, nt);
        w.jobState[ci][TAPS_USED] = off + nt;
        int ji = w.jobState[ci][JOBS]++, j = ji * JOB_FIELDS;
        jobs[j] = P; jobs[j + 2] = ji * ROWS; jobs[j + 3] = off; jobs[j + 4] = nt; jobs[j + 5] = yb; jobs[j + 6] = yrs;
        jobs[j + 7] = run;
        return ji;
    }


    /** Runs the recorded jobs of chunk ci, output-channel block by block, and clears the list. */
    private static void flush(ConvWorkspace w, int ci) {
        int nj = w.jobState[ci][JOBS];
        if (nj == 0) return;
        ConvGeometry g = w.geometry;
        int staged = w.jobState[ci][STAGED];
        float[] x = staged == 2 ? w.cols[ci] : staged == 1 ? w.stage[ci] : w.x, kp = w.packed, y = w.y;
        int[] jobs = w.jobs[ci], bx = w.jobTx[ci], bk = w.jobTk[ci], ro = w.jobRows[ci];
        int cinG = g.cinPerGroup, coutG = g.coutPerGroup;
        // Entries (tap-list items) per segment, from the longest run among the jobs.
        int maxRun = 1, maxLen = 0;
        for (int j = 0; j < nj * JOB_FIELDS; j += JOB_FIELDS) { maxRun = Math.max(maxRun, jobs[j + 7]); maxLen = Math.max(maxLen, jobs[j + 4]); }
        int seg = Math.max(1, Conv.segmentFloats / (maxRun * BLOCK));
        if (w.panel <= Conv.segmentFloats || seg >= maxLen) seg = Math.max(1, maxLen);
        int segments = Math.max(1, (maxLen + seg - 1) / seg);
        float[] tile = w.tile[ci];
        for (int gi = 0; gi < g.groups; gi++)
            for (int bi = 0; bi < w.blocksPerGroup; bi++) {
                int kb = (gi * w.blocksPerGroup + bi) * w.panel, cb = bi * BLOCK, cy = gi * coutG + cb;
                int n = Math.min(BLOCK, coutG - cb);
                for (int sg = 0; sg < segments; sg++) {
                    boolean acc = sg > 0;
                    for (int j = 0; j < nj * JOB_FIELDS; j += JOB_FIELDS) {
                        int len = jobs[j + 4];
                        int s0 = sg * seg;
                        if (acc && s0 >= len) continue; // this job's list ended in an earlier segment
                        int P = jobs[j], xg = jobs[j + 1] + gi * cinG, r0 = jobs[j + 2];
                        int t0 = jobs[j + 3] + s0, t1 = jobs[j + 3] + Math.min(len, s0 + seg);
                        int yg = jobs[j + 5] + cy, yrs = jobs[j + 6], run = jobs[j + 7];
                        if (n == BLOCK) {
                            if (P > 4) mk8x2(x, xg, ro, r0, bx, bk, t0, t1, run, kp, kb, y, yg, yrs, P, acc);
                            else if (P > 1) mk4x2(x, xg, ro, r0, bx, bk, t0, t1, run, kp, kb, y, yg, yrs, P, acc);
                            else mk1x2(x, xg, bx, bk, t0, t1, run, kp, kb, y, yg, acc);
                        } else {
                            // Channel tail: the panel is zero-padded, so compute whole vectors into a
                            // tile and copy the n real channels (masks here were not scalar-replaced
                            // by C2 and allocated on every call).
                            if (acc)
                                for (int p = 0; p < P; p++)
                                    for (int c = 0; c < n; c++) tile[p * BLOCK + c] = y[yg + p * yrs + c];
                            if (P > 4) mk8x2(x, xg, ro, r0, bx, bk, t0, t1, run, kp, kb, tile, 0, BLOCK, P, acc);
                            else if (P > 1) mk4x2(x, xg, ro, r0, bx, bk, t0, t1, run, kp, kb, tile, 0, BLOCK, P, acc);
                            else mk1x2(x, xg, bx, bk, t0, t1, run, kp, kb, tile, 0, acc);
                            for (int p = 0; p < P; p++)
                                for (int c = 0; c < n; c++) y[yg + p * yrs + c] = tile[p * BLOCK + c];
                        }
                    }
                }
            }
        w.jobState[ci][JOBS] = 0;
        w.jobState[ci][TAPS_USED] = 0;
    }

    // Micro-kernels. Accumulators live in registers for the whole (tap, channel) contraction; x
    // values are broadcast, k rows are loaded once per (tap, channel) and reused by all rows.
    // 4 rows x 2 vectors = 8 accumulators: measured in isolation (L1-resident, AVX2) 80 GFLOP/s,
    // 90% of the 89 GFLOP/s FMA peak, while 6x2 and 4x3 (12 accumulators) fell to 36-40 GFLOP/s:
    // C2's register allocation spills with 12 live accumulators in 16 registers.
    // A kernel asked for fewer rows than it holds recomputes its last row (the job's row offsets
    // repeat it) and stores only the rows asked for, instead of needing a variant for every row count.
    // Row offsets come from the job (ConvWorkspace.jobRows): constant steps within one output row,
    // a jump at each row end within a band.

    private static void mk4x2(float[] x, int xb, int[] ro, int r0, int[] tx, int[] tk, int j0, int j1, int cin,
                              float[] k, int kb, float[] y, int yb, int yrs, int P, boolean acc) {
        FloatVector z = FloatVector.zero(SP);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        int x1 = ro[r0 + 1], x2 = ro[r0 + 2], x3 = ro[r0 + 3];
        if (acc) { // continue the sums of an earlier segment (rows past P reload row P-1, as they recompute it)
            int y2 = yb + Math.min(2, P - 1) * yrs, y3 = yb + (P - 1) * yrs;
            a00 = FloatVector.fromArray(SP, y, yb); a01 = FloatVector.fromArray(SP, y, yb + L);
            a10 = FloatVector.fromArray(SP, y, yb + yrs); a11 = FloatVector.fromArray(SP, y, yb + yrs + L);
            a20 = FloatVector.fromArray(SP, y, y2); a21 = FloatVector.fromArray(SP, y, y2 + L);
            a30 = FloatVector.fromArray(SP, y, y3); a31 = FloatVector.fromArray(SP, y, y3 + L);
        }
        for (int j = j0; j < j1; j++) {
            int xo = xb + tx[j], ko = kb + tk[j];
            for (int c = 0; c < cin; c++, ko += BLOCK) {
                FloatVector k0 = FloatVector.fromArray(SP, k, ko), k1 = FloatVector.fromArray(SP, k, ko + L);
                FloatVector b = FloatVector.broadcast(SP, x[xo + c]);
                a00 = b.fma(k0, a00); a01 = b.fma(k1, a01);
                b = FloatVector.broadcast(SP, x[xo + x1 + c]);
                a10 = b.fma(k0, a10); a11 = b.fma(k1, a11);
                b = FloatVector.broadcast(SP, x[xo + x2 + c]);
                a20 = b.fma(k0, a20); a21 = b.fma(k1, a21);
                b = FloatVector.broadcast(SP, x[xo + x3 + c]);
                a30 = b.fma(k0, a30); a31 = b.fma(k1, a31);
            }
        }
        a00.intoArray(y, yb); a01.intoArray(y, yb + L); yb += yrs;
        a10.intoArray(y, yb); a11.intoArray(y, yb + L); yb += yrs;
        if (P > 2) { a20.intoArray(y, yb); a21.intoArray(y, yb + L); yb += yrs; }
        if (P > 3) { a30.intoArray(y, yb); a31.intoArray(y, yb + L); }
    }

    /** 8 rows x 2 vectors (16 accumulators), for 32-register ISAs; P in 5..8, same summation order as {@link #mk4x2}. */
    private static void mk8x2(float[] x, int xb, int[] ro, int r0, int[] tx, int[] tk, int j0, int j1, int cin,
                              float[] k, int kb, float[] y, int yb, int yrs, int P, boolean acc) {
        FloatVector z = FloatVector.zero(SP);
        FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        FloatVector a40 = z, a41 = z, a50 = z, a51 = z, a60 = z, a61 = z, a70 = z, a71 = z;
        int x1 = ro[r0 + 1], x2 = ro[r0 + 2], x3 = ro[r0 + 3], x4 = ro[r0 + 4], x5 = ro[r0 + 5],
            x6 = ro[r0 + 6], x7 = ro[r0 + 7];
        if (acc) { // continue the sums of an earlier segment (rows past P reload row P-1)
            int y5 = yb + Math.min(5, P - 1) * yrs, y6 = yb + Math.min(6, P - 1) * yrs, y7 = yb + (P - 1) * yrs;
            a00 = FloatVector.fromArray(SP, y, yb); a01 = FloatVector.fromArray(SP, y, yb + L);
            a10 = FloatVector.fromArray(SP, y, yb + yrs); a11 = FloatVector.fromArray(SP, y, yb + yrs + L);
            a20 = FloatVector.fromArray(SP, y, yb + 2 * yrs); a21 = FloatVector.fromArray(SP, y, yb + 2 * yrs + L);
            a30 = FloatVector.fromArray(SP, y, yb + 3 * yrs); a31 = FloatVector.fromArray(SP, y, yb + 3 * yrs + L);
            a40 = FloatVector.fromArray(SP, y, yb + 4 * yrs); a41 = FloatVector.fromArray(SP, y, yb + 4 * yrs + L);
            a50 = FloatVector.fromArray(SP, y, y5); a51 = FloatVector.fromArray(SP, y, y5 + L);
            a60 = FloatVector.fromArray(SP, y, y6); a61 = FloatVector.fromArray(SP, y, y6 + L);
            a70 = FloatVector.fromArray(SP, y, y7); a71 = FloatVector.fromArray(SP, y, y7 + L);
        }
        for (int j = j0; j < j1; j++) {
            int xo = xb + tx[j], ko = kb + tk[j];
            for (int c = 0; c < cin; c++, ko += BLOCK) {
                FloatVector k0 = FloatVector.fromArray(SP, k, ko), k1 = FloatVector.fromArray(SP, k, ko + L);
                FloatVector b = FloatVector.broadcast(SP, x[xo + c]);
                a00 = b.fma(k0, a00); a01 = b.fma(k1, a01);
                b = FloatVector.broadcast(SP, x[xo + x1 + c]);
                a10 = b.fma(k0, a10); a11 = b.fma(k1, a11);
                b = FloatVector.broadcast(SP, x[xo + x2 + c]);
                a20 = b.fma(k0, a20); a21 = b.fma(k1, a21);
                b = FloatVector.broadcast(SP, x[xo + x3 + c]);
                a30 = b.fma(k0, a30); a31 = b.fma(k1, a31);
                b = FloatVector.broadcast(SP, x[xo + x4 + c]);
                a40 = b.fma(k0, a40); a41 = b.fma(k1, a41);
                b = FloatVector.broadcast(SP, x[xo + x5 + c]);
                a50 = b.fma(k0, a50); a51 = b.fma(k1, a51);
                b = FloatVector.broadcast(SP, x[xo + x6 + c]);
                a60 = b.fma(k0, a60); a61 = b.fma(k1, a61);
                b = FloatVector.broadcast(SP, x[xo + x7 + c]);
                a70 = b.fma(k0, a70); a71 = b.fma(k1, a71);
            }
        }
        a00.intoArray(y, yb); a01.intoArray(y, yb + L); yb += yrs;
        a10.intoArray(y, yb); a11.intoArray(y, yb + L); yb += yrs;
        a20.intoArray(y, yb); a21.intoArray(y, yb + L); yb += yrs;
        a30.intoArray(y, yb); a31.intoArray(y, yb + L); yb += yrs;
        a40.intoArray(y, yb); a41.intoArray(y, yb + L); yb += yrs;
        if (P > 5) { a50.intoArray(y, yb); a51.intoArray(y, yb + L); yb += yrs; }
        if (P > 6) { a60.intoArray(y, yb); a61.intoArray(y, yb + L); yb += yrs; }
        if (P > 7) { a70.intoArray(y, yb); a71.intoArray(y, yb + L); }
    }

    /**
     * One row. Sums in exactly the order of {@link #mk4x2} (one FMA chain per vector, taps then
     * channels), so that an element's value does not depend on which block it fell into: chunk
     * boundaries move blocks, and results must not depend on the thread count.
     */
    private static void mk1x2(float[] x, int xb, int[] tx, int[] tk, int j0, int j1, int cin,
                              float[] k, int kb, float[] y, int yb, boolean acc) {
        FloatVector a0 = FloatVector.zero(SP), a1 = a0;
        if (acc) { a0 = FloatVector.fromArray(SP, y, yb); a1 = FloatVector.fromArray(SP, y, yb + L); }
        for (int j = j0; j < j1; j++) {
            int xo = xb + tx[j], ko = kb + tk[j];
            for (int c = 0; c < cin; c++, ko += BLOCK) {
                FloatVector b = FloatVector.broadcast(SP, x[xo + c]);
                a0 = b.fma(FloatVector.fromArray(SP, k, ko), a0);
                a1 = b.fma(FloatVector.fromArray(SP, k, ko + L), a1);
            }
        }
        a0.intoArray(y, yb); a1.intoArray(y, yb + L);
    }

    /**
     * Depthwise rows: channel c of the output reads channel c of the input, so vectorize over c.
     * Whole vectors only (no masks: masked loads were neither scalar-replaced nor fast); the last
     * C mod L channels run as scalar FMAs in the same order (tap by tap).
     */
    private static void dwRows(ConvWorkspace w, int P, int xb, int xrs, int[] tx, int[] tk, int nt, int yb, int yrs) {
        float[] x = w.x, k = w.k, y = w.y;
        int C = w.geometry.cout, kb = w.kOff, cv = C - C % L;
        for (int c = 0; c < cv; c += L) {
            int p0 = 0;
            for (; p0 + 4 <= P; p0 += 4) {
                int xb4 = xb + p0 * xrs + c, yb4 = yb + p0 * yrs + c;
                FloatVector a0 = FloatVector.zero(SP), a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0; j < nt; j++) {
                    int xo = xb4 + tx[j];
                    FloatVector kv = FloatVector.fromArray(SP, k, kb + tk[j] + c);
                    a0 = FloatVector.fromArray(SP, x, xo).fma(kv, a0);
                    a1 = FloatVector.fromArray(SP, x, xo + xrs).fma(kv, a1);
                    a2 = FloatVector.fromArray(SP, x, xo + 2 * xrs).fma(kv, a2);
                    a3 = FloatVector.fromArray(SP, x, xo + 3 * xrs).fma(kv, a3);
                }
                a0.intoArray(y, yb4); a1.intoArray(y, yb4 + yrs);
                a2.intoArray(y, yb4 + 2 * yrs); a3.intoArray(y, yb4 + 3 * yrs);
            }
            for (int p = p0; p < P; p++) {
                FloatVector a0 = FloatVector.zero(SP);
                int xp = xb + p * xrs + c;
                for (int j = 0; j < nt; j++)
                    a0 = FloatVector.fromArray(SP, x, xp + tx[j]).fma(FloatVector.fromArray(SP, k, kb + tk[j] + c), a0);
                a0.intoArray(y, yb + p * yrs + c);
            }
        }
        for (int c = cv; c < C; c++)
            for (int p = 0; p < P; p++) {
                float a = 0f;
                int xp = xb + p * xrs + c;
                for (int j = 0; j < nt; j++) a = Math.fma(x[xp + tx[j]], k[kb + tk[j] + c], a);
                y[yb + p * yrs + c] = a;
            }
    }

}
