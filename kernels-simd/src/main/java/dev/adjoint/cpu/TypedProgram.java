package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Scalar;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.op.Comparison;
import dev.adjoint.graph.op.UnaryFn;
import java.util.ArrayList;
import java.util.List;

/**
 * A fused elementwise chain over any element types: what the f32 {@code FusedProgram} cannot run
 * (f64, i32, i64, logical ops on bool, converts, and chains that mix types). Like the f32 program
 * it makes one pass over memory, evaluating each instruction over a block of up to {@value #BLOCK}
 * elements of the innermost axis before the next, so intermediates stay in L1.
 *
 * <p>Registers of float types are {@code double[]} blocks, of integer and bool types {@code long[]}
 * blocks. An f32 result is rounded to float after every instruction, so f32 semantics are those of
 * float arithmetic; integers wrap to their width as Java's {@code int} and {@code long} do; each
 * function is the one {@link Scalar} defines. The per-instruction loops over plain arrays are
 * simple enough for C2's auto-vectorizer (f64 add/mul/... run as packed AVX code).
 *
 * <p>Registers are allocated at compile time; a program belongs to one plan and runs on the
 * calling thread only (a plan is not safe for concurrent runs), so results never depend on the
 * thread count.
 */
final class TypedProgram {
    static final int BLOCK = 256;

    enum Kind { LOAD, CONST, UNARY, BINARY, COMPARE, SELECT, CONVERT }

    /**
     * One instruction.
     *
     * @param type the result's element type
     * @param from the operands' element type (compare, convert)
     */
    record Instr(Kind kind, int a, int b, int c, DType type, DType from, UnaryFn unary, BinaryFn binary,
                 Comparison cmp, double konst) {}

    private final Instr[] code;
    private final int result;
    private final DType[] leafTypes;
    private final double[][] d;
    private final long[][] l;
    private final int[] idx;

    private TypedProgram(List<Instr> code, int result, DType[] leafTypes, int rank) {
        this.code = code.toArray(new Instr[0]);
        this.result = result;
        this.leafTypes = leafTypes;
        d = new double[this.code.length][];
        l = new long[this.code.length][];
        for (int i = 0; i < this.code.length; i++) {
            if (isFloat(this.code[i].type())) d[i] = new double[BLOCK];
            else l[i] = new long[BLOCK];
        }
        idx = new int[Math.max(1, rank)];
    }

    private static boolean isFloat(DType t) { return t.isFloat(); }

    /** Collects instructions; ids are consecutive from 0. */
    static final class Builder {
        private final List<Instr> code = new ArrayList<>();
        private final List<DType> leaves = new ArrayList<>();

        private int add(Instr i) {
            code.add(i);
            return code.size() - 1;
        }

        private DType type(int v) { return code.get(v).type(); }

        /** Reads leaf {@code leaf} (an operand array of element type {@code t}). */
        int load(int leaf, DType t) {
            while (leaves.size() <= leaf) leaves.add(null);
            leaves.set(leaf, t);
            return add(new Instr(Kind.LOAD, leaf, -1, -1, t, t, null, null, null, 0));
        }

        int constant(double v, DType t) { return add(new Instr(Kind.CONST, -1, -1, -1, t, t, null, null, null, v)); }

        int unary(UnaryFn fn, int x, DType t) { return add(new Instr(Kind.UNARY, x, -1, -1, t, type(x), fn, null, null, 0)); }

        int binary(BinaryFn fn, int x, int y, DType t) { return add(new Instr(Kind.BINARY, x, y, -1, t, type(x), null, fn, null, 0)); }

        int compare(Comparison c, int x, int y) {
            return add(new Instr(Kind.COMPARE, x, y, -1, DType.BOOL, type(x), null, null, c, 0));
        }

        int select(int m, int x, int y, DType t) { return add(new Instr(Kind.SELECT, m, x, y, t, type(x), null, null, null, 0)); }

        int convert(int x, DType to) { return add(new Instr(Kind.CONVERT, x, -1, -1, to, type(x), null, null, null, 0)); }

        TypedProgram build(int result, int rank) {
            return new TypedProgram(code, result, leaves.toArray(new DType[0]), rank);
        }
    }

    /** Number of instructions that compute. */
    int ops() {
        int n = 0;
        for (Instr i : code) if (i.kind() != Kind.LOAD && i.kind() != Kind.CONST) n++;
        return n;
    }

    /**
     * Evaluates at every index of {@code shape}, writing densely into {@code out} (the storage of the
     * result type) from offset 0.
     */
    void run(int[] shape, Object[] in, int[] offsets, int[][] strides, Object out) {
        int rank = shape.length;
        int inner = rank == 0 ? 1 : shape[rank - 1];
        long total = 1;
        for (int s : shape) total *= s;
        if (total == 0) return;
        long rows = total / inner;
        int[] ix = idx;
        java.util.Arrays.fill(ix, 0);
        int o = 0;
        for (long row = 0; row < rows; row++) {
            for (int c0 = 0; c0 < inner; c0 += BLOCK) {
                int len = Math.min(BLOCK, inner - c0);
                for (int i = 0; i < code.length; i++) exec(i, in, offsets, strides, ix, rank, c0, len);
                store(out, o, len);
                o += len;
            }
            // next row: increment the index over all axes but the last
            for (int a = rank - 2; a >= 0; a--) {
                if (++ix[a] < shape[a]) break;
                ix[a] = 0;
            }
        }
    }

    private void exec(int i, Object[] in, int[] offsets, int[][] strides, int[] ix, int rank, int c0, int len) {
        Instr ins = code[i];
        double[] rd = d[i];
        long[] rl = l[i];
        switch (ins.kind()) {
            case LOAD -> {
                int k = ins.a();
                int[] st = strides[k];
                int base = offsets[k];
                for (int a = 0; a < rank - 1; a++) base += ix[a] * st[a];
                int s = rank == 0 ? 0 : st[rank - 1];
                base += c0 * s;
                load(in[k], base, s, rd, rl, len);
            }
            case CONST -> {
                if (rd != null) java.util.Arrays.fill(rd, 0, len, ins.konst());
                else java.util.Arrays.fill(rl, 0, len, (long) ins.konst());
            }
            case UNARY -> unary(ins, rd, rl, len);
            case BINARY -> binary(ins, rd, rl, len);
            case COMPARE -> compare(ins, rl, len);
            case SELECT -> {
                long[] m = l[ins.a()];
                if (rd != null) {
                    double[] x = d[ins.b()], y = d[ins.c()];
                    for (int j = 0; j < len; j++) rd[j] = m[j] != 0 ? x[j] : y[j];
                } else {
                    long[] x = l[ins.b()], y = l[ins.c()];
                    for (int j = 0; j < len; j++) rl[j] = m[j] != 0 ? x[j] : y[j];
                }
            }
            case CONVERT -> convert(ins, rd, rl, len);
        }
    }

    private static void load(Object arr, int base, int s, double[] rd, long[] rl, int len) {
        switch (arr) {
            case float[] f -> {
                if (rd != null) for (int j = 0; j < len; j++) rd[j] = f[base + j * s];
                else for (int j = 0; j < len; j++) rl[j] = (long) f[base + j * s];
            }
            case double[] f -> { for (int j = 0; j < len; j++) rd[j] = f[base + j * s]; }
            case int[] f -> { for (int j = 0; j < len; j++) rl[j] = f[base + j * s]; }
            case long[] f -> { for (int j = 0; j < len; j++) rl[j] = f[base + j * s]; }
            default -> throw new IllegalStateException("not a storage array: " + arr.getClass());
        }
    }

    private void store(Object out, int o, int len) {
        double[] rd = d[result];
        long[] rl = l[result];
        switch (out) {
            case float[] f -> {
                if (rd != null) for (int j = 0; j < len; j++) f[o + j] = (float) rd[j];
                else for (int j = 0; j < len; j++) f[o + j] = rl[j];
            }
            case double[] f -> System.arraycopy(rd, 0, f, o, len);
            case int[] f -> { for (int j = 0; j < len; j++) f[o + j] = (int) rl[j]; }
            case long[] f -> System.arraycopy(rl, 0, f, o, len);
            default -> throw new IllegalStateException("not a storage array: " + out.getClass());
        }
    }

    private void unary(Instr ins, double[] r, long[] rl, int len) {
        UnaryFn fn = ins.unary();
        if (r != null) {
            double[] x = d[ins.a()];
            switch (fn) {
                case NEG -> { for (int j = 0; j < len; j++) r[j] = -x[j]; }
                case ABS -> { for (int j = 0; j < len; j++) r[j] = Math.abs(x[j]); }
                case SQRT -> { for (int j = 0; j < len; j++) r[j] = Math.sqrt(x[j]); }
                case EXP -> { for (int j = 0; j < len; j++) r[j] = Math.exp(x[j]); }
                case LOG -> { for (int j = 0; j < len; j++) r[j] = Math.log(x[j]); }
                case TANH -> { for (int j = 0; j < len; j++) r[j] = Math.tanh(x[j]); }
                case FLOOR -> { for (int j = 0; j < len; j++) r[j] = Math.floor(x[j]); }
                case CEIL -> { for (int j = 0; j < len; j++) r[j] = Math.ceil(x[j]); }
                case ROUND -> { for (int j = 0; j < len; j++) r[j] = Math.rint(x[j]); }
                case LOGISTIC, RSQRT, SIGN, ERF, SIN, COS, ATAN, LOG1P, EXPM1, NOT -> {
                    for (int j = 0; j < len; j++) r[j] = Scalar.unary(fn, x[j]);
                }
            }
            roundIfF32(ins.type(), r, len);
        } else {
            long[] x = l[ins.a()];
            DType t = ins.type();
            for (int j = 0; j < len; j++) {
                long v = x[j];
                rl[j] = switch (fn) {
                    case NEG -> -v;
                    case ABS -> Math.abs(v);
                    case SIGN -> Long.signum(v);
                    case NOT -> t == DType.BOOL ? 1 - v : ~v;
                    case EXP, LOG, TANH, LOGISTIC, SQRT, RSQRT, ERF, SIN, COS, ATAN, LOG1P, EXPM1, FLOOR, CEIL, ROUND ->
                            throw new IllegalStateException(fn.label() + " on " + t.label());
                };
            }
            wrap(t, rl, len);
        }
    }

    private void binary(Instr ins, double[] r, long[] rl, int len) {
        BinaryFn fn = ins.binary();
        if (r != null) {
            double[] x = d[ins.a()], y = d[ins.b()];
            dev.adjoint.kernels.BinaryKernelOp k = F32Ops.binary(fn);
            if (k != null && k != dev.adjoint.kernels.BinaryKernelOp.POW && k != dev.adjoint.kernels.BinaryKernelOp.REM) {
                // DoubleVector (the kernel op's float64 meaning is the graph function's)
                dev.adjoint.kernels.DoubleOps.binary(k, x, y, r, len);
                roundIfF32(ins.type(), r, len);
                return;
            }
            switch (fn) {
                case ADD -> { for (int j = 0; j < len; j++) r[j] = x[j] + y[j]; }
                case SUB -> { for (int j = 0; j < len; j++) r[j] = x[j] - y[j]; }
                case MUL -> { for (int j = 0; j < len; j++) r[j] = x[j] * y[j]; }
                case DIV -> { for (int j = 0; j < len; j++) r[j] = x[j] / y[j]; }
                case MAX -> { for (int j = 0; j < len; j++) r[j] = Math.max(x[j], y[j]); }
                case MIN -> { for (int j = 0; j < len; j++) r[j] = Math.min(x[j], y[j]); }
                case POW -> { for (int j = 0; j < len; j++) r[j] = dev.adjoint.graph.Scalar.pow(x[j], y[j]); }
                case REM -> { for (int j = 0; j < len; j++) r[j] = x[j] % y[j]; }
                case AND, OR, XOR, SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC ->
                        throw new IllegalStateException(fn.label() + " on " + ins.type().label());
            }
            roundIfF32(ins.type(), r, len);
        } else {
            long[] x = l[ins.a()], y = l[ins.b()];
            DType t = ins.type();
            boolean i32 = t == DType.I32;
            switch (fn) {
                case ADD -> { for (int j = 0; j < len; j++) rl[j] = x[j] + y[j]; }
                case SUB -> { for (int j = 0; j < len; j++) rl[j] = x[j] - y[j]; }
                case MUL -> { for (int j = 0; j < len; j++) rl[j] = x[j] * y[j]; }
                case DIV -> {
                    for (int j = 0; j < len; j++) {
                        if (y[j] == 0) throw new ArithmeticException("integer division by zero");
                        rl[j] = i32 ? (int) x[j] / (int) y[j] : x[j] / y[j];
                    }
                }
                case REM -> {
                    for (int j = 0; j < len; j++) {
                        if (y[j] == 0) throw new ArithmeticException("integer remainder by zero");
                        rl[j] = i32 ? (int) x[j] % (int) y[j] : x[j] % y[j];
                    }
                }
                case MAX -> { for (int j = 0; j < len; j++) rl[j] = Math.max(x[j], y[j]); }
                case MIN -> { for (int j = 0; j < len; j++) rl[j] = Math.min(x[j], y[j]); }
                case AND -> { for (int j = 0; j < len; j++) rl[j] = x[j] & y[j]; }
                case OR -> { for (int j = 0; j < len; j++) rl[j] = x[j] | y[j]; }
                case XOR -> { for (int j = 0; j < len; j++) rl[j] = x[j] ^ y[j]; }
                case SHIFT_LEFT -> { for (int j = 0; j < len; j++) rl[j] = i32 ? (int) x[j] << (int) y[j] : x[j] << y[j]; }
                case SHIFT_RIGHT_LOGICAL -> { for (int j = 0; j < len; j++) rl[j] = i32 ? (int) x[j] >>> (int) y[j] : x[j] >>> y[j]; }
                case SHIFT_RIGHT_ARITHMETIC -> { for (int j = 0; j < len; j++) rl[j] = i32 ? (int) x[j] >> (int) y[j] : x[j] >> y[j]; }
                case POW -> throw new IllegalStateException("pow on " + t.label());
            }
            wrap(t, rl, len);
        }
    }

    private void compare(Instr ins, long[] r, int len) {
        Comparison c = ins.cmp();
        if (isFloat(ins.from())) {
            double[] x = d[ins.a()], y = d[ins.b()];
            for (int j = 0; j < len; j++) r[j] = Scalar.compare(c, x[j], y[j]) ? 1 : 0;
        } else {
            long[] x = l[ins.a()], y = l[ins.b()];
            for (int j = 0; j < len; j++) {
                long a = x[j], b = y[j];
                boolean v = switch (c) {
                    case LT -> a < b;
                    case LE -> a <= b;
                    case GT -> a > b;
                    case GE -> a >= b;
                    case EQ -> a == b;
                    case NE -> a != b;
                };
                r[j] = v ? 1 : 0;
            }
        }
    }

    /** {@link dev.adjoint.graph.op.Convert}'s rules; between floats f64 -> f32 rounds to nearest. */
    private void convert(Instr ins, double[] rd, long[] rl, int len) {
        DType from = ins.from(), to = ins.type();
        if (isFloat(from)) {
            double[] x = d[ins.a()];
            switch (to) {
                case F32 -> { for (int j = 0; j < len; j++) rd[j] = (float) x[j]; }
                case F64 -> System.arraycopy(x, 0, rd, 0, len);
                case BOOL -> { for (int j = 0; j < len; j++) rl[j] = x[j] != 0 ? 1 : 0; }
                case I32 -> { for (int j = 0; j < len; j++) rl[j] = (int) x[j]; }
                case I64 -> { for (int j = 0; j < len; j++) rl[j] = (long) x[j]; }
            }
        } else {
            long[] x = l[ins.a()];
            switch (to) {
                case F32 -> { for (int j = 0; j < len; j++) rd[j] = (float) x[j]; }
                case F64 -> { for (int j = 0; j < len; j++) rd[j] = (double) x[j]; }
                case BOOL -> { for (int j = 0; j < len; j++) rl[j] = x[j] != 0 ? 1 : 0; }
                case I32 -> { for (int j = 0; j < len; j++) rl[j] = (int) x[j]; }
                case I64 -> System.arraycopy(x, 0, rl, 0, len);
            }
        }
    }

    private static void roundIfF32(DType t, double[] r, int len) {
        if (t == DType.F32) for (int j = 0; j < len; j++) r[j] = (float) r[j];
    }

    private static void wrap(DType t, long[] r, int len) {
        if (t == DType.I32) for (int j = 0; j < len; j++) r[j] = (int) r[j];
    }

    /** The leaves' element types, in leaf order. */
    DType[] leafTypes() { return leafTypes.clone(); }
}
