package dev.adjoint.kernels;

/**
 * Evaluates a {@link FusedProgram} over a range of flat indices, block at a time: each
 * instruction runs over a whole block with the {@link BlockOps} loops before the next one
 * starts. A register is either a scalar (a constant, or an operand broadcast along the inner
 * axis), a view of an operand read in place (inner stride 1), or a run of L1-resident scratch;
 * the result's register is the output itself, so a chain of k ops costs one read of each
 * operand and one write of the result.
 *
 * <p>One interpreter per thread (held by that thread's {@link FusedRun}); it is attached to a
 * program while it evaluates it and forgets every array afterwards.
 */
final class BlockInterpreter {
    private static final UnaryKernelOp[] UNARY_OPS = UnaryKernelOp.values();
    private static final BinaryKernelOp[] BINARY_OPS = BinaryKernelOp.values();
    private static final CompareKernelOp[] COMPARE_OPS = CompareKernelOp.values();

    private FusedProgram p;
    private float[] scratch = new float[0];
    private float[][] rArr = new float[0][];
    private int[] rOff = new int[0];
    private boolean[] rScalar = new boolean[0];
    private float[] rVal = new float[0];
    /** Per operand: the index of the current row's first element. */
    private int[] base = new int[0];
    private int[] idx = new int[4];
    /** The reduction's running value over the range being evaluated. */
    double acc;
    /** Scratch for folding a vector's lanes in a fixed order (16 covers 512-bit vectors). */
    final float[] lanes = new float[16];

    /** Points this interpreter at {@code prog}, growing its tables to fit (only the first time a thread meets a larger program). */
    void attach(FusedProgram prog) {
        this.p = prog;
        int n = prog.kind.length;
        if (base.length < prog.inputs) base = new int[prog.inputs];
        int need = (prog.slots + 3) * prog.block;
        if (scratch.length < need) scratch = new float[need];
        if (rArr.length < n) {
            rArr = new float[n][];
            rOff = new int[n];
            rScalar = new boolean[n];
            rVal = new float[n];
        }
    }

    /** Forgets the program and every array it referred to. */
    void detach() {
        if (p == null) return;
        java.util.Arrays.fill(rArr, 0, p.kind.length, null);
        java.util.Arrays.fill(gArr, 0, Math.min(gArr.length, p.inputs), null);
        p = null;
    }

    // The generated loop's operand tables (this thread's) and its tail buffers: the ragged end of
    // a range runs through the same loop over one vector of copies (operand k at k*L, the result
    // after them), so every element is computed by the same vector code wherever a range ends.
    private float[][] gArr = new float[0][];
    private int[] gOff = new int[0];
    private float[] tail = new float[0];
    private float[][] tailArr = new float[0][];
    private int[] tailOff = new int[0];

    /**
     * Evaluates flat indices {@code [start, end)} of run {@code g} through its generated loop
     * ({@link FusedRun#gen}): one call over the range when every loaded operand is read in place,
     * one per block when a periodic operand is read from its tile (which covers one block from
     * any phase), and the ragged end through the tail buffers.
     */
    void evalGenerated(FusedRun g, long start, long end) {
        if (start >= end) return;
        GeneratedChain gc = g.gen;
        FusedKernel kernel = gc.kernel();
        int[] vin = gc.vectorInputs();
        int k0 = p.inputs, lanes = gc.lanes();
        if (gArr.length < k0) { gArr = new float[k0][]; gOff = new int[k0]; }
        if (tailArr.length < k0) {
            tailArr = new float[k0][];
            tailOff = new int[k0];
            for (int k = 0; k < k0; k++) tailOff[k] = k * lanes;
        }
        if (tail.length < (k0 + 1) * lanes) tail = new float[(k0 + 1) * lanes];
        java.util.Arrays.fill(tailArr, 0, k0, tail);
        boolean periodic = false;
        for (int k : vin) {
            boolean per = g.flat && g.cls[k] == FusedRun.PERIODIC;
            gArr[k] = per ? g.tile : g.in[k];
            periodic |= per;
        }
        long step = periodic ? p.block : end - start;
        for (long f = start; f < end; f += step) {
            int len = (int) Math.min(step, end - f);
            for (int k : vin) {
                gOff[k] = g.flat && g.cls[k] == FusedRun.PERIODIC ? g.tileOff[k] + (int) (f % g.period[k]) : g.inOff[k] + (int) f;
            }
            int ub = len - len % lanes, oo = g.outOff + (int) f;
            if (ub > 0) kernel.run(gArr, gOff, g.scal, g.out, oo, ub);
            if (ub < len) {
                int r = len - ub;
                for (int k : vin) System.arraycopy(gArr[k], gOff[k] + ub, tail, k * lanes, r);
                kernel.run(tailArr, tailOff, g.scal, tail, k0 * lanes, lanes);
                System.arraycopy(tail, k0 * lanes, g.out, oo + ub, r);
            }
        }
        java.util.Arrays.fill(tailArr, 0, k0, null);
    }

    /** Evaluates flat indices {@code [start, end)} of run {@code g}'s geometry with this thread's registers. */
    void evalRange(FusedRun g, long start, long end) {
        if (start >= end) return;
        if (g.flat) {
            for (long f = start; f < end; f += g.blockLen) evalBlock(g, 0, (int) Math.min(g.blockLen, end - f), f);
            return;
        }
        int r = g.rank, n = g.shape[r - 1], k = p.inputs;
        if (idx.length < r) idx = new int[r];
        long q = start;
        for (int d = r - 1; d >= 0; d--) {
            idx[d] = (int) (q % g.shape[d]);
            q /= g.shape[d];
        }
        long flat = start;
        while (flat < end) {
            for (int j = 0; j < k; j++) {
                int[] s = g.st[j];
                int bse = g.inOff[j];
                for (int d = 0; d < r - 1; d++) bse += idx[d] * s[d];
                base[j] = bse;
            }
            int j0 = idx[r - 1];
            int rowLen = (int) Math.min(n - j0, end - flat);
            int blk = g.blockLen;
            for (int b0 = 0; b0 < rowLen; b0 += blk) {
                evalBlock(g, j0 + b0, Math.min(blk, rowLen - b0), flat + b0);
            }
            flat += rowLen;
            idx[r - 1] = 0;
            for (int d = r - 2; d >= 0; d--) {
                if (++idx[d] < g.shape[d]) break;
                idx[d] = 0;
            }
        }
    }

    private void setScalar(int i, float v) { rScalar[i] = true; rVal[i] = v; }

    private void setView(int i, float[] arr, int off) { rScalar[i] = false; rArr[i] = arr; rOff[i] = off; }

    /** Points register {@code i} at its destination: the output for the final value, else its scratch slot. */
    private void dest(FusedRun g, int i, long flat) {
        if (i == p.result && g.red == null) setView(i, g.out, g.outOff + (int) flat);
        else setView(i, scratch, p.slot[i] * p.block);
    }

    /** Materializes register {@code i} as an array run, using temp {@code t} if it is a scalar. */
    private float[] arrOf(int i, int t, int len) {
        if (!rScalar[i]) return rArr[i];
        int off = (p.slots + t) * p.block;
        BlockOps.fill(scratch, off, len, rVal[i]);
        return scratch;
    }

    private int offOf(int i, int t) {
        return rScalar[i] ? (p.slots + t) * p.block : rOff[i];
    }

    /** Register {@code i} = operand {@code k} over flat indices {@code [flat, flat+len)}, as {@link FusedRun#cls} says. */
    private void loadFlat(FusedRun g, int i, int k, long flat, int len) {
        switch (g.cls[k]) {
            case FusedRun.DENSE -> setView(i, g.in[k], g.inOff[k] + (int) flat);
            case FusedRun.SCALAR -> setScalar(i, g.in[k][g.inOff[k]]);
            case FusedRun.PERIODIC -> setView(i, g.tile, g.tileOff[k] + (int) (flat % g.period[k]));
            default -> {
                dest(g, i, flat);
                gatherFlat(g, k, flat, len, rArr[i], rOff[i]);
            }
        }
    }

    /**
     * Copies operand {@code k} at flat indices {@code [f, f+len)} to {@code d[dO..]}, one run of
     * the inner axis at a time ({@link BlockOps#gatherRun}: a short contiguous run is one vector).
     */
    private void gatherFlat(FusedRun g, int k, long f, int len, float[] d, int dO) {
        int r = g.rank;
        int[] sh = g.shape, s = g.st[k];
        if (idx.length < r) idx = new int[r];
        long q = f;
        for (int dd = r - 1; dd >= 0; dd--) {
            idx[dd] = (int) (q % sh[dd]);
            q /= sh[dd];
        }
        int b = g.inOff[k];
        for (int dd = 0; dd < r - 1; dd++) b += idx[dd] * s[dd];
        float[] x = g.in[k];
        int n = sh[r - 1], si = s[r - 1], j = idx[r - 1], o = dO, end = dO + len;
        // The first row may start part-way.
        int run = Math.min(n - j, end - o);
        BlockOps.gatherRun(x, b + j * si, si, d, o, run, end);
        o += run;
        if (o >= end) return;
        b = nextRow(sh, s, r, b, 1);
        // Whole rows along axis r-2 in one call, then the carry into the outer axes.
        int rs = s[r - 2], a2 = sh[r - 2];
        while (true) {
            int rows = Math.min((end - o) / n, a2 - idx[r - 2]);
            if (rows == 0) {
                BlockOps.gatherRun(x, b, si, d, o, end - o, end);
                return;
            }
            BlockOps.gatherRows(x, b, si, rs, n, rows, d, o, end);
            o += rows * n;
            if (o >= end) return;
            b = nextRow(sh, s, r, b, rows);
        }
    }

    /** Advances {@link #idx} (and the row base {@code b}) by {@code rows} rows along axis r-2, carrying into the outer axes; {@code rows} stays within axis r-2. */
    private int nextRow(int[] sh, int[] s, int r, int b, int rows) {
        int dd = r - 2;
        b += rows * s[dd];
        idx[dd] += rows;
        while (idx[dd] == sh[dd]) {
            b -= sh[dd] * s[dd];
            idx[dd] = 0;
            if (--dd < 0) break;
            b += s[dd];
            idx[dd]++;
        }
        return b;
    }

    private void evalBlock(FusedRun g, int j, int len, long flat) {
        final FusedProgram p = this.p;
        final int r = g.rank;
        final int n = p.kind.length;
        for (int i = 0; i < n; i++) {
            if (!p.live[i]) continue;
            switch (p.kind[i]) {
                case FusedProgram.LOAD -> {
                    int k = p.a[i];
                    if (g.flat) {
                        loadFlat(g, i, k, flat, len);
                        continue;
                    }
                    int s = g.st[k][r - 1];
                    int pos = base[k] + j * s;
                    if (s == 1) setView(i, g.in[k], pos);
                    else if (s == 0) setScalar(i, g.in[k][pos]);
                    else {
                        dest(g, i, flat);
                        BlockOps.gather(g.in[k], pos, s, rArr[i], rOff[i], len);
                    }
                }
                case FusedProgram.CONST -> setScalar(i, p.konst[i]);
                case FusedProgram.UNARY -> {
                    int x = p.a[i];
                    UnaryKernelOp o = UNARY_OPS[p.op[i]];
                    if (rScalar[x]) setScalar(i, o.apply(rVal[x]));
                    else {
                        float[] xa = rArr[x];
                        int xo = rOff[x];
                        dest(g, i, flat);
                        BlockOps.unary(o, xa, xo, rArr[i], rOff[i], len);
                    }
                }
                case FusedProgram.BINARY -> {
                    int x = p.a[i], y = p.b[i];
                    BinaryKernelOp o = BINARY_OPS[p.op[i]];
                    boolean sx = rScalar[x], sy = rScalar[y];
                    if (sx && sy) setScalar(i, o.apply(rVal[x], rVal[y]));
                    else {
                        float[] xa = rArr[x], ya = rArr[y];
                        int xo = rOff[x], yo = rOff[y];
                        float xv = rVal[x], yv = rVal[y];
                        dest(g, i, flat);
                        if (sy) BlockOps.binaryVS(o, xa, xo, yv, rArr[i], rOff[i], len);
                        else if (sx) BlockOps.binarySV(o, xv, ya, yo, rArr[i], rOff[i], len);
                        else BlockOps.binaryVV(o, xa, xo, ya, yo, rArr[i], rOff[i], len);
                    }
                }
                case FusedProgram.COMPARE -> {
                    int x = p.a[i], y = p.b[i];
                    CompareKernelOp o = COMPARE_OPS[p.op[i]];
                    boolean sx = rScalar[x], sy = rScalar[y];
                    if (sx && sy) setScalar(i, o.apply(rVal[x], rVal[y]));
                    else {
                        float[] xa = rArr[x], ya = rArr[y];
                        int xo = rOff[x], yo = rOff[y];
                        float xv = rVal[x], yv = rVal[y];
                        dest(g, i, flat);
                        if (sy) BlockOps.compareVS(o, xa, xo, yv, rArr[i], rOff[i], len);
                        else if (sx) BlockOps.compareSV(o, xv, ya, yo, rArr[i], rOff[i], len);
                        else BlockOps.compareVV(o, xa, xo, ya, yo, rArr[i], rOff[i], len);
                    }
                }
                case FusedProgram.SELECT -> {
                    int m = p.a[i], x = p.b[i], y = p.c[i];
                    if (rScalar[m]) {
                        // A row-constant mask picks one side wholesale: alias, copy nothing.
                        int pick = rVal[m] != 0f ? x : y;
                        if (rScalar[pick]) setScalar(i, rVal[pick]);
                        else if (i == p.result && g.red == null) {
                            float[] pa = rArr[pick];
                            int po = rOff[pick];
                            dest(g, i, flat);
                            System.arraycopy(pa, po, rArr[i], rOff[i], len);
                        } else setView(i, rArr[pick], rOff[pick]);
                    } else {
                        float[] ma = rArr[m], xa = arrOf(x, 0, len), ya = arrOf(y, 1, len);
                        int mo = rOff[m], xo = offOf(x, 0), yo = offOf(y, 1);
                        dest(g, i, flat);
                        BlockOps.select(ma, mo, xa, xo, ya, yo, rArr[i], rOff[i], len);
                    }
                }
                default -> throw new IllegalStateException("unknown instruction kind " + p.kind[i]);
            }
        }
        int res = p.result;
        if (g.red == null) {
            int oo = g.outOff + (int) flat;
            if (rScalar[res]) BlockOps.fill(g.out, oo, len, rVal[res]);
            else if (rArr[res] != g.out || rOff[res] != oo) System.arraycopy(rArr[res], rOff[res], g.out, oo, len);
        } else if (g.red == ReduceKernelOp.SUM) {
            acc += rScalar[res] ? (double) rVal[res] * len : BlockOps.sum(rArr[res], rOff[res], len, lanes);
        } else {
            acc = Math.max(acc, rScalar[res] ? rVal[res] : BlockOps.max(rArr[res], rOff[res], len));
        }
    }
}
