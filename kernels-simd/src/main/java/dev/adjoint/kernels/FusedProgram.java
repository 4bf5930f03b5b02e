package dev.adjoint.kernels;

import java.util.Arrays;

/**
 * A compiled elementwise expression: a small DAG of register instructions (load an operand
 * through its own strides, constant, unary, binary, compare, select) evaluated in one pass
 * over memory. This class is the IR and its {@link Builder}; {@link FusedRun} drives a run
 * (operand checks, axis merging, chunks, reduction partials) and {@link BlockInterpreter}
 * evaluates the instructions.
 *
 * <p>The executor builds a program once with {@link #builder(int)} and runs it many times.
 * A program is immutable and may be run concurrently from several threads; each thread
 * evaluates into its own registers, held by one thread-local run state that refers to no
 * program (see {@link FusedRun} for why not one per program), grown to the largest program
 * the thread has run ({@link #workspaceBytes()}). A warm run allocates nothing.
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
    // The IR, read by the run driver (FusedRun) and the block interpreter (BlockInterpreter).
    final int inputs;
    final int[] kind, op, a, b, c;
    final float[] konst;
    /** Scratch slot of each value (-1 for constants and dead values). */
    final int[] slot;
    /** Whether the result depends on the value. */
    final boolean[] live;
    final int slots;
    final int result;
    /** Elements per block for this program's register count. */
    final int block;
    /** True when only one instruction computes (the result) and it is not a select: rows need no blocking. */
    final boolean single;
    /** Live instructions that compute (not loads or constants): the work per element, for {@link Parallelism}. */
    final int computing;
    /** Whether {@link FusedCodegen} may generate a loop for this program (decided once, at build). */
    final boolean generable;
    /**
     * Runs so far through the driver, counted (racily: an estimate is enough) until the program
     * qualifies for its generated loop ({@link FusedRun#CODEGEN_AFTER}).
     */
    int runs;
    /** The generated loop for the scalar pattern last run, or null; replaced when the pattern changes. */
    volatile GeneratedChain generated;

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
        this.computing = computing;
        this.generable = BlockOps.SIMD && FusedCodegen.candidate(this);
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
        if (in.length != inputs || offsets.length != inputs || strides.length != inputs) {
            throw new IllegalArgumentException("program reads " + inputs + " operands; got " + in.length + " arrays, "
                    + offsets.length + " offsets, " + strides.length + " stride vectors");
        }
        FusedRun g = FusedRun.attach(this);
        for (int k = 0; k < inputs; k++) g.bind(k, in[k], offsets[k], strides[k]);
        g.execute(shape, 0, null, out, outOff, splitter);
    }
}
