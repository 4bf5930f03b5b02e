package dev.adjoint.kernels;

import java.util.Arrays;

/**
 * A compiled elementwise expression: a small DAG of register instructions (load an operand
 * through its own strides, constant, unary, binary, compare, select) evaluated in one pass
 * over memory, optionally followed by a sum or max over the trailing axes.
 *
 * <p>The executor builds a program once with {@link #builder(int)} and runs it many times.
 * A program is immutable and may be run concurrently from several threads; each thread
 * evaluates into its own register file. That register file is per thread, not per program:
 * one thread-local {@code Workspace} that refers to no program, grown to the largest program
 * the thread has run ({@link #workspaceBytes()}), attached to a program for the length of one
 * run and cleared after it (so it keeps no operand or output array alive). A per-program
 * thread-local would leak: its value would reach the program and through it the thread-local's
 * own key, so the entry could never be cleared (about 32 KiB per program per thread, issue 11).
 * A warm run allocates nothing.
 *
 * <p>Evaluation is block-at-a-time: the innermost axis is cut into blocks (240 to 2032
 * elements, as many as keep the scratch registers within 32 KiB) and each
 * instruction runs over a whole block with the Vector API before the next one starts; a
 * program with a single computing instruction and no gathered operand runs whole rows,
 * with no per-block dispatch at all. Intermediate values live in L1-resident scratch,
 * operands contiguous along the inner axis are read in place, operands broadcast along it
 * (stride 0) become scalars, and the last instruction writes straight into the output,
 * so a chain of k ops costs one read of each operand and one write of the result.
 *
 * <p>Adjacent axes that every operand can step through with a single stride are merged
 * before evaluation, so fully contiguous operands (and inner-axis broadcasts) reduce to one
 * long row whatever the rank.
 */
public final class FusedProgram {
    /** Smallest evaluation block; below this the per-block dispatch shows in the timings. */
    static final int MIN_BLOCK = 256;
    /** Largest evaluation block: longer blocks gain nothing once dispatch is amortized. */
    static final int MAX_BLOCK = 2048;
    /** Scratch budget in floats (32 KiB, one L1) shared by all registers of a block. */
    static final int SCRATCH_FLOATS = 8192;

    static final int LOAD = 0, CONST = 1, UNARY = 2, BINARY = 3, COMPARE = 4, SELECT = 5;
    private static final UnaryKernelOp[] UNARY_OPS = UnaryKernelOp.values();
    private static final BinaryKernelOp[] BINARY_OPS = BinaryKernelOp.values();
    private static final CompareKernelOp[] COMPARE_OPS = CompareKernelOp.values();
    /** Flattened reduced elements per deterministic partial; fixed so results do not depend on threads. */
    static final long PIECE = 1 << 16;
    /** Below this many elements a run stays on the calling thread: waking a worker costs more. */
    static final long MIN_PARALLEL = 1 << 16;

    private final int inputs;
    private final int[] kind, op, a, b, c;
    private final float[] konst;
    private final int[] slot;
    private final boolean[] live;
    private final int slots;
    private final int result;
    /** Elements per block for this program's register count. */
    final int block;
    /** True when only one instruction computes (the result) and it is not a select: rows need no blocking. */
    private final boolean single;
    /** One workspace per thread for every program; see the class comment for why not one per program. */
    private static final ThreadLocal<Workspace> LOCAL = ThreadLocal.withInitial(Workspace::new);

    private FusedProgram(Builder bld, int result) {
        this.inputs = bld.inputs;
        int n = bld.n;
        this.kind = Arrays.copyOf(bld.kind, n);
        this.op = Arrays.copyOf(bld.op, n);
        this.a = Arrays.copyOf(bld.a, n);
        this.b = Arrays.copyOf(bld.b, n);
        this.c = Arrays.copyOf(bld.c, n);
        this.konst = Arrays.copyOf(bld.konst, n);
        this.result = result;
        // Only what the result needs is evaluated.
        live = new boolean[n];
        live[result] = true;
        for (int i = n - 1; i >= 0; i--) {
            if (!live[i]) continue;
            if (kind[i] >= UNARY) live[a[i]] = true;
            if (kind[i] >= BINARY) live[b[i]] = true;
            if (kind[i] == SELECT) live[c[i]] = true;
        }
        // Linear-scan slot assignment: a value's scratch slot is recycled after its last use.
        int[] lastUse = new int[n];
        Arrays.fill(lastUse, -1);
        for (int i = 0; i < n; i++) {
            if (!live[i]) continue;
            if (kind[i] >= UNARY) lastUse[a[i]] = i;
            if (kind[i] >= BINARY) lastUse[b[i]] = i;
            if (kind[i] == SELECT) lastUse[c[i]] = i;
        }
        lastUse[result] = n;
        // A select with a row-constant mask aliases the register it picks, so what it may pick
        // must stay allocated as long as the select's own value is used.
        for (int i = n - 1; i >= 0; i--) {
            if (live[i] && kind[i] == SELECT) {
                lastUse[b[i]] = Math.max(lastUse[b[i]], lastUse[i]);
                lastUse[c[i]] = Math.max(lastUse[c[i]], lastUse[i]);
            }
        }
        slot = new int[n];
        Arrays.fill(slot, -1);
        int[] free = new int[n + 1];
        int nFree = 0, nSlots = 0;
        for (int i = 0; i < n; i++) {
            if (!live[i]) continue;
            for (int opnd : operands(i)) {
                if (opnd >= 0 && lastUse[opnd] == i && slot[opnd] >= 0 && !contains(free, nFree, slot[opnd])) {
                    free[nFree++] = slot[opnd];
                }
            }
            if (kind[i] != CONST) slot[i] = nFree > 0 ? free[--nFree] : nSlots++;
        }
        this.slots = nSlots;
        int b = SCRATCH_FLOATS / Math.max(1, nSlots + 2);
        // 16 floats short of a multiple of 64: with power-of-two blocks every scratch register
        // sits at the same address modulo 4 KiB relative to the output stream, and the
        // resulting 4K-aliasing stalls cost ~15% on the 4-op chain (measured: 2032 vs 2048).
        this.block = Math.max(MIN_BLOCK, Math.min(MAX_BLOCK, b & ~63)) - 16;
        int computing = 0;
        boolean sel = false;
        for (int i = 0; i < n; i++) {
            if (live[i] && kind[i] >= UNARY) computing++;
            if (live[i] && kind[i] == SELECT) sel = true;
        }
        this.single = computing <= 1 && !sel;
    }

    private int[] operands(int i) {
        return switch (kind[i]) {
            case UNARY -> new int[] {a[i]};
            case BINARY, COMPARE -> new int[] {a[i], b[i]};
            case SELECT -> new int[] {a[i], b[i], c[i]};
            default -> new int[0];
        };
    }

    private static boolean contains(int[] xs, int n, int v) {
        for (int i = 0; i < n; i++) if (xs[i] == v) return true;
        return false;
    }

    /**
     * Starts a program over {@code inputs} operands.
     *
     * @param inputs number of operand arrays the program reads (may be 0)
     * @return a new builder
     */
    public static Builder builder(int inputs) {
        if (inputs < 0) throw new IllegalArgumentException("inputs must be >= 0, got " + inputs);
        return new Builder(inputs);
    }

    /**
     * Number of operands a run must bind.
     *
     * @return the operand count
     */
    public int inputCount() { return inputs; }

    /**
     * Number of scratch registers (of one block each) a thread needs to run this program.
     *
     * @return the register count after slot reuse
     */
    public int registerCount() { return slots; }

    /**
     * Bytes of the per-thread workspace a run of this program needs (scratch registers and the
     * per-register tables). Each thread that runs a chunk holds a workspace as large as the
     * largest program it ran, for the life of the thread.
     */
    public long workspaceBytes() {
        int n = kind.length;
        return 4L * (slots + 3) * block + (long) n * (8 + 4 + 1 + 4) + (long) inputs * (8 + 4 + 8 + 8 + 4 + 16);
    }

    /**
     * Collects instructions. Every method returns the id of the value it defines; ids are
     * consecutive from 0 and an instruction may only use earlier ids.
     */
    public static final class Builder {
        private final int inputs;
        private int n;
        private int[] kind = new int[8], op = new int[8], a = new int[8], b = new int[8], c = new int[8];
        private float[] konst = new float[8];

        private Builder(int inputs) { this.inputs = inputs; }

        private int add(int k, int o, int x, int y, int z, float v) {
            if (n == kind.length) {
                int m = 2 * n;
                kind = Arrays.copyOf(kind, m); op = Arrays.copyOf(op, m); a = Arrays.copyOf(a, m);
                b = Arrays.copyOf(b, m); c = Arrays.copyOf(c, m); konst = Arrays.copyOf(konst, m);
            }
            kind[n] = k; op[n] = o; a[n] = x; b[n] = y; c[n] = z; konst[n] = v;
            return n++;
        }

        private int check(int v) {
            if (v < 0 || v >= n) throw new IllegalArgumentException("value " + v + " is not defined yet (have " + n + ")");
            return v;
        }

        /**
         * Reads operand {@code input} at the current element, through the strides given at run time.
         *
         * @param input operand index in {@code [0, inputs)}
         * @return the new value's id
         */
        public int load(int input) {
            if (input < 0 || input >= inputs) throw new IllegalArgumentException("input " + input + " out of range [0, " + inputs + ")");
            return add(LOAD, 0, input, -1, -1, 0f);
        }

        /**
         * A constant.
         *
         * @param value the constant
         * @return the new value's id
         */
        public int constant(float value) { return add(CONST, 0, -1, -1, -1, value); }

        /**
         * {@code op(x)}.
         *
         * @param op the operation
         * @param x operand id
         * @return the new value's id
         */
        public int unary(UnaryKernelOp op, int x) { return add(UNARY, op.ordinal(), check(x), -1, -1, 0f); }

        /**
         * {@code op(x, y)}.
         *
         * @param op the operation
         * @param x left operand id
         * @param y right operand id
         * @return the new value's id
         */
        public int binary(BinaryKernelOp op, int x, int y) { return add(BINARY, op.ordinal(), check(x), check(y), -1, 0f); }

        /**
         * The 0/1 mask of {@code op(x, y)}.
         *
         * @param op the comparison
         * @param x left operand id
         * @param y right operand id
         * @return the new value's id
         */
        public int compare(CompareKernelOp op, int x, int y) { return add(COMPARE, op.ordinal(), check(x), check(y), -1, 0f); }

        /**
         * {@code mask != 0 ? x : y}.
         *
         * @param mask mask id
         * @param x value id picked where the mask is non-zero
         * @param y value id picked elsewhere
         * @return the new value's id
         */
        public int select(int mask, int x, int y) { return add(SELECT, 0, check(mask), check(x), check(y), 0f); }

        /**
         * Freezes the program.
         *
         * @param result id of the value the program produces
         * @return the immutable program
         */
        public FusedProgram build(int result) { return new FusedProgram(this, check(result)); }
    }

    // ------------------------------------------------------------------ running

    /**
     * Evaluates the program at every index of {@code shape} and writes the results densely
     * (row-major) to {@code out[outOff...]}.
     *
     * <p>Operand {@code k} at index {@code i} is {@code inputs[k][offsets[k] + sum_d i[d]*strides[k][d]]};
     * a stride of 0 broadcasts along that axis without materializing anything. {@code out}
     * may be one of the operands only if that operand is dense with offset {@code outOff}.
     *
     * @param shape output shape (rank 0 allowed: one element)
     * @param in operand arrays, {@link #inputCount()} of them
     * @param offsets operand offsets
     * @param strides operand strides, one per axis of {@code shape}
     * @param out destination
     * @param outOff offset of the first result in {@code out}
     * @param splitter where to run chunks of large work
     */
    public void run(int[] shape, float[][] in, int[] offsets, int[][] strides, float[] out, int outOff, WorkSplitter splitter) {
        Workspace g = bindAll(in, offsets, strides);
        g.execute(shape, 0, null, out, outOff, splitter);
    }

    /**
     * Evaluates the program over {@code shape} and reduces it over the last
     * {@code reducedAxes} axes, writing {@code prod(shape[0..rank-reducedAxes))} results
     * densely to {@code out[outOff...]}. Sums are accumulated per block in float and across
     * blocks in double, over fixed pieces of {@value #PIECE} elements, so the result is the
     * same whatever the splitter's thread count.
     *
     * @param reduce SUM or MAX
     * @param reducedAxes how many trailing axes to reduce, in {@code [0, rank]}
     * @param shape the evaluated shape
     * @param in operand arrays
     * @param offsets operand offsets
     * @param strides operand strides, one per axis of {@code shape}
     * @param out destination
     * @param outOff offset of the first result
     * @param splitter where to run chunks of large work
     */
    public void runReduce(ReduceKernelOp reduce, int reducedAxes, int[] shape, float[][] in, int[] offsets, int[][] strides,
                          float[] out, int outOff, WorkSplitter splitter) {
        if (reducedAxes < 0 || reducedAxes > shape.length) {
            throw new IllegalArgumentException("reducedAxes " + reducedAxes + " not in [0, " + shape.length + "]");
        }
        Workspace g = bindAll(in, offsets, strides);
        g.execute(shape, reducedAxes, reduce, out, outOff, splitter);
    }

    private Workspace bindAll(float[][] in, int[] offsets, int[][] strides) {
        if (in.length != inputs || offsets.length != inputs || strides.length != inputs) {
            throw new IllegalArgumentException("program reads " + inputs + " operands; got " + in.length + " arrays, "
                    + offsets.length + " offsets, " + strides.length + " stride vectors");
        }
        Workspace g = workspace();
        for (int k = 0; k < inputs; k++) g.bind(k, in[k], offsets[k], strides[k]);
        return g;
    }

    /** This thread's workspace, attached to this program until the run ends; for the fixed-arity wrappers in {@link Elementwise}. */
    Workspace workspace() {
        Workspace g = LOCAL.get();
        g.attach(this);
        return g;
    }

    /** Runs with operands already bound on this thread's workspace. */
    void runBound(Workspace g, int[] shape, ReduceKernelOp reduce, int reducedAxes, float[] out, int outOff, WorkSplitter splitter) {
        g.execute(shape, reducedAxes, reduce, out, outOff, splitter);
    }

    /**
     * Per-thread state. On the calling thread it also holds the run's geometry, which chunk
     * threads read (only) while the caller waits in {@link WorkSplitter#forEach}; being the
     * {@link WorkSplitter.Chunk} itself spares a lambda allocation per run.
     */
    static final class Workspace implements WorkSplitter.Chunk {
        /** The program being run, set by {@link #attach} and cleared when the run ends. */
        FusedProgram p;
        // geometry (caller's)
        float[][] in = new float[0][];
        int[] inOff = new int[0];
        int[][] inStrUser = new int[0][];
        int[] shape = new int[4];
        int rank;
        float[] out;
        int outOff;
        long total;
        ReduceKernelOp red;
        long redSize, pieces, items;
        int chunks;
        int blockLen;
        double[] partial = new double[0];
        // evaluation state (this thread's)
        float[] scratch = new float[0];
        float[][] rArr = new float[0][];
        int[] rOff = new int[0];
        boolean[] rScalar = new boolean[0];
        float[] rVal = new float[0];
        int[] base = new int[0];
        int[] idx = new int[4];
        double acc;
        /** Scratch for folding a vector's lanes in a fixed order (16 covers 512-bit vectors). */
        final float[] lanes = new float[16];

        int[][] st = new int[0][];

        /** Points this workspace at {@code prog}, growing its tables to fit (only the first time a thread meets a larger program). */
        void attach(FusedProgram prog) {
            this.p = prog;
            int k = prog.inputs, n = prog.kind.length;
            if (in.length < k) {
                in = new float[k][];
                inOff = new int[k];
                inStrUser = new int[k][];
                base = new int[k];
                int[][] s2 = new int[k][];
                for (int i = 0; i < k; i++) s2[i] = i < st.length ? st[i] : new int[shape.length];
                st = s2;
            }
            int need = (prog.slots + 3) * prog.block;
            if (scratch.length < need) scratch = new float[need];
            if (rArr.length < n) {
                rArr = new float[n][];
                rOff = new int[n];
                rScalar = new boolean[n];
                rVal = new float[n];
            }
        }

        /** Forgets the program and every array of the run, so a thread's workspace keeps nothing of a plan alive. */
        void detach() {
            FusedProgram prog = p;
            if (prog == null) return;
            Arrays.fill(in, 0, prog.inputs, null);
            Arrays.fill(inStrUser, 0, prog.inputs, null);
            Arrays.fill(rArr, 0, prog.kind.length, null);
            out = null;
            tmpArr = null;
            p = null;
        }

        void bind(int k, float[] arr, int off, int[] strides) {
            in[k] = arr;
            inOff[k] = off;
            inStrUser[k] = strides;
        }

        void execute(int[] shp, int reducedAxes, ReduceKernelOp reduce, float[] dst, int dstOff, WorkSplitter splitter) {
            try {
                executeAttached(shp, reducedAxes, reduce, dst, dstOff, splitter);
            } finally {
                detach();
            }
        }

        private void executeAttached(int[] shp, int reducedAxes, ReduceKernelOp reduce, float[] dst, int dstOff, WorkSplitter splitter) {
            int r0 = shp.length;
            long tot = 1, outCount = 1;
            for (int d = 0; d < r0; d++) {
                if (shp[d] < 0) throw new IllegalArgumentException("negative extent in shape " + Arrays.toString(shp));
                tot *= shp[d];
                if (d < r0 - reducedAxes) outCount *= shp[d];
            }
            for (int k = 0; k < p.inputs; k++) checkOperand(k, shp, tot);
            long outN = reduce == null ? tot : outCount;
            if (doesNotFit(dstOff, outN, dst)) throw new IllegalArgumentException("output of " + outN + " elements at offset "
                    + dstOff + " does not fit an array of " + dst.length);
            if (outN == 0) return;
            this.out = dst;
            this.outOff = dstOff;
            this.total = tot;
            this.red = reduce;
            if (reduce != null && tot == 0) { // reducing an empty axis
                Arrays.fill(dst, dstOff, dstOff + (int) outN, reduce.identity());
                return;
            }
            collapse(shp);
            blockLen = p.block;
            if (p.single && reduce == null) {
                boolean gathers = false;
                for (int k = 0; k < p.inputs; k++) if (st[k][rank - 1] != 0 && st[k][rank - 1] != 1) gathers = true;
                if (!gathers) blockLen = Integer.MAX_VALUE;
            }
            long work;
            if (reduce == null) {
                work = tot;
                chunks = chunkCount(tot, splitter);
            } else {
                redSize = tot / outCount;
                pieces = (redSize + PIECE - 1) / PIECE;
                items = outCount * pieces;
                if (pieces > 1 && partial.length < items) partial = new double[(int) items];
                work = tot;
                chunks = (int) Math.min(items, chunkCount(work, splitter));
            }
            if (chunks <= 1) run(0);
            else splitter.forEach(chunks, this);
            if (reduce != null && pieces > 1) {
                for (long o = 0; o < outCount; o++) {
                    double s = reduce == ReduceKernelOp.SUM ? 0.0 : Double.NEGATIVE_INFINITY;
                    for (long q = 0; q < pieces; q++) {
                        double v = partial[(int) (o * pieces + q)];
                        s = reduce == ReduceKernelOp.SUM ? s + v : maxNaN(s, v);
                    }
                    dst[dstOff + (int) o] = (float) s;
                }
            }
            this.out = null;
        }

        private static boolean doesNotFit(int off, long n, float[] dst) {
            return off < 0 || off + n > dst.length;
        }

        private void checkOperand(int k, int[] shp, long tot) {
            int[] s = inStrUser[k];
            if (s.length != shp.length) throw new IllegalArgumentException("operand " + k + " has " + s.length
                    + " strides for a rank-" + shp.length + " shape " + Arrays.toString(shp));
            if (tot == 0) return;
            long lo = inOff[k], hi = inOff[k];
            for (int d = 0; d < shp.length; d++) {
                long span = (long) (shp[d] - 1) * s[d];
                if (span < 0) lo += span; else hi += span;
            }
            if (lo < 0 || hi >= in[k].length) throw new IllegalArgumentException("operand " + k + " reads indices ["
                    + lo + ", " + hi + "] outside its array of " + in[k].length + " (offset " + inOff[k]
                    + ", strides " + Arrays.toString(s) + ", shape " + Arrays.toString(shp) + ")");
        }

        /** Drops unit axes and merges neighbours every operand steps through with one stride. */
        private void collapse(int[] shp) {
            int r0 = Math.max(1, shp.length);
            if (shape.length < r0) {
                shape = new int[r0];
                for (int k = 0; k < st.length; k++) st[k] = new int[r0];
            }
            int r = 0;
            for (int d = 0; d < shp.length; d++) {
                int sz = shp[d];
                if (sz == 1) continue;
                boolean merge = r > 0;
                for (int k = 0; merge && k < p.inputs; k++) {
                    if (st[k][r - 1] != (long) inStrUser[k][d] * sz) merge = false;
                }
                if (merge) {
                    shape[r - 1] *= sz;
                    for (int k = 0; k < p.inputs; k++) st[k][r - 1] = inStrUser[k][d];
                } else {
                    shape[r] = sz;
                    for (int k = 0; k < p.inputs; k++) st[k][r] = inStrUser[k][d];
                    r++;
                }
            }
            if (r == 0) {
                shape[0] = 1;
                for (int k = 0; k < p.inputs; k++) st[k][0] = 0;
                r = 1;
            }
            rank = r;
        }

        private static int chunkCount(long work, WorkSplitter splitter) {
            int t = splitter.threads();
            if (t <= 1 || work < MIN_PARALLEL) return 1;
            return (int) Math.max(1, Math.min(4L * t, work / (MIN_PARALLEL / 2)));
        }

        /** Runs chunk {@code ci} of the geometry held by this (the caller's) workspace. */
        @Override
        public void run(int ci) {
            Workspace e = LOCAL.get();
            if (e == this) {
                runChunk(e, ci);
                return;
            }
            // Another thread's chunk: its own registers, attached for this chunk only.
            e.attach(p);
            try {
                runChunk(e, ci);
            } finally {
                e.detach();
            }
        }

        private void runChunk(Workspace e, int ci) {
            if (red == null) {
                long s = (total * ci / chunks) & ~63L, t = ci == chunks - 1 ? total : (total * (ci + 1) / chunks) & ~63L;
                e.evalRange(this, s, t);
                return;
            }
            long i0 = items * ci / chunks, i1 = items * (ci + 1) / chunks;
            for (long it = i0; it < i1; it++) {
                long o = it / pieces, q = it % pieces;
                long s = o * redSize + q * PIECE, t = o * redSize + Math.min((q + 1) * PIECE, redSize);
                e.acc = red == ReduceKernelOp.SUM ? 0.0 : Double.NEGATIVE_INFINITY;
                e.evalRange(this, s, t);
                if (pieces > 1) partial[(int) it] = e.acc;
                else out[outOff + (int) o] = (float) e.acc;
            }
        }

        /** Evaluates flat indices {@code [start, end)} of geometry {@code g} with this thread's registers. */
        void evalRange(Workspace g, long start, long end) {
            if (start >= end) return;
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
        private void dest(Workspace g, int i, long flat) {
            if (i == p.result && g.red == null) setView(i, g.out, g.outOff + (int) flat);
            else setView(i, scratch, p.slot[i] * p.block);
        }

        /** Materializes register {@code i} as an array run, using temp {@code t} if it is a scalar. */
        private void materialize(int i, int t, int len) {
            if (!rScalar[i]) return;
            int off = (p.slots + t) * p.block;
            BlockOps.fill(scratch, off, len, rVal[i]);
            tmpArr = scratch;
            tmpOff = off;
        }

        private float[] tmpArr;
        private int tmpOff;

        private float[] arrOf(int i, int t, int len) {
            if (rScalar[i]) { materialize(i, t, len); return tmpArr; }
            return rArr[i];
        }

        private int offOf(int i, int t) {
            return rScalar[i] ? (p.slots + t) * p.block : rOff[i];
        }

        private void evalBlock(Workspace g, int j, int len, long flat) {
            final FusedProgram p = this.p;
            final int r = g.rank;
            final int n = p.kind.length;
            for (int i = 0; i < n; i++) {
                if (!p.live[i]) continue;
                switch (p.kind[i]) {
                    case LOAD -> {
                        int k = p.a[i];
                        int s = g.st[k][r - 1];
                        int pos = base[k] + j * s;
                        if (s == 1) setView(i, g.in[k], pos);
                        else if (s == 0) setScalar(i, g.in[k][pos]);
                        else {
                            dest(g, i, flat);
                            BlockOps.gather(g.in[k], pos, s, rArr[i], rOff[i], len);
                        }
                    }
                    case CONST -> setScalar(i, p.konst[i]);
                    case UNARY -> {
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
                    case BINARY -> {
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
                    case COMPARE -> {
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
                    case SELECT -> {
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
                    default -> throw new IllegalStateException();
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
                acc = maxNaN(acc, rScalar[res] ? rVal[res] : BlockOps.max(rArr[res], rOff[res], len));
            }
        }
    }

    static double maxNaN(double x, double y) {
        return Math.max(x, y);
    }
}
