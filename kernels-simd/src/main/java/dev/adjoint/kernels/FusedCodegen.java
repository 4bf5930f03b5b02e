package dev.adjoint.kernels;

import static java.lang.classfile.ClassFile.ACC_FINAL;
import static java.lang.classfile.ClassFile.ACC_PRIVATE;
import static java.lang.classfile.ClassFile.ACC_PUBLIC;
import static java.lang.classfile.ClassFile.ACC_STATIC;
import static java.lang.classfile.ClassFile.ACC_SUPER;
import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Generates, per fused-program structure, a class whose one method is a straight Vector API loop
 * over the program ({@link FusedKernel}): every instruction on one vector before the next vector
 * is loaded, so loads, arithmetic and the store overlap, where the {@link BlockInterpreter} runs
 * each instruction over a whole block before the next (0.45-0.62 of copy bandwidth on the 4-op
 * chain against 0.95 for a straight loop, docs/perf/elementwise.md).
 *
 * <p>The loop calls exactly what the interpreter's loops call, in the same order:
 * {@code FloatVector} add/sub/mul/div/max/min/neg/abs/sqrt, compares blended to 0/1, select as a
 * blend on {@code mask != 0}, and {@link VecMath} for exp, log, tanh, logistic, rsqrt and sign,
 * so each lane holds the same bits as the interpreter's. Ops the interpreter runs as scalar loops
 * (erf, sin, cos, atan, log1p, expm1, floor, ceil, round, pow, rem, ne) are not generated: such
 * programs keep the interpreter.
 *
 * <p>Classes are hidden classes defined in this package (so the launcher's
 * {@code CompileThresholdScaling} for {@code dev.adjoint.kernels.*} covers them), keyed by the
 * program's canonical structure: the live vector instructions renumbered, which operands they
 * load, and which registers are scalars. Constants' values and buffers are run-time arguments, so
 * identical chains share one class. The species and the 0 vector are static finals (C2 folds
 * them). Only {@link FusedRun} uses this class, and only when {@link Simd#ENABLED}.
 */
final class FusedCodegen {
    private FusedCodegen() {}

    private static final ConcurrentHashMap<String, FusedKernel> CLASSES = new ConcurrentHashMap<>();
    private static final AtomicInteger GENERATED = new AtomicInteger();
    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();

    private static final ClassDesc CD_FV = ClassDesc.of("jdk.incubator.vector.FloatVector");
    private static final ClassDesc CD_VEC = ClassDesc.of("jdk.incubator.vector.Vector");
    private static final ClassDesc CD_MASK = ClassDesc.of("jdk.incubator.vector.VectorMask");
    private static final ClassDesc CD_SPECIES = ClassDesc.of("jdk.incubator.vector.VectorSpecies");
    private static final ClassDesc CD_OPS = ClassDesc.of("jdk.incubator.vector.VectorOperators");
    private static final ClassDesc CD_CMP = ClassDesc.of("jdk.incubator.vector.VectorOperators$Comparison");
    private static final ClassDesc CD_VECMATH = ClassDesc.of("dev.adjoint.kernels.VecMath");
    private static final ClassDesc CD_VECBLOCK = ClassDesc.of("dev.adjoint.kernels.VecBlockOps");
    private static final ClassDesc CD_KERNEL = ClassDesc.of("dev.adjoint.kernels.FusedKernel");
    private static final ClassDesc CD_SELF = ClassDesc.of("dev.adjoint.kernels.FusedChainLoop");
    private static final ClassDesc CD_FLOATS = CD_float.arrayType();

    private static final MethodTypeDesc MT_FROM = MethodTypeDesc.of(CD_FV, CD_SPECIES, CD_FLOATS, CD_int);
    private static final MethodTypeDesc MT_INTO = MethodTypeDesc.of(CD_void, CD_FLOATS, CD_int);
    private static final MethodTypeDesc MT_BROADCAST = MethodTypeDesc.of(CD_FV, CD_SPECIES, CD_float);
    private static final MethodTypeDesc MT_ZERO = MethodTypeDesc.of(CD_FV, CD_SPECIES);
    private static final MethodTypeDesc MT_UN = MethodTypeDesc.of(CD_FV);
    private static final MethodTypeDesc MT_BIN = MethodTypeDesc.of(CD_FV, CD_VEC);
    private static final MethodTypeDesc MT_MATH = MethodTypeDesc.of(CD_FV, CD_FV);
    private static final MethodTypeDesc MT_CMP_V = MethodTypeDesc.of(CD_MASK, CD_CMP, CD_VEC);
    private static final MethodTypeDesc MT_CMP_F = MethodTypeDesc.of(CD_MASK, CD_CMP, CD_float);
    private static final MethodTypeDesc MT_BLEND_F = MethodTypeDesc.of(CD_FV, CD_float, CD_MASK);
    private static final MethodTypeDesc MT_BLEND_V = MethodTypeDesc.of(CD_FV, CD_VEC, CD_MASK);
    private static final MethodTypeDesc MT_RUN = MethodTypeDesc.of(CD_void, CD_FLOATS.arrayType(), CD_int.arrayType(),
            CD_FLOATS, CD_FLOATS, CD_int, CD_int);
    private static final MethodTypeDesc MT_VOID = MethodTypeDesc.of(CD_void);

    /** Number of classes generated in this JVM (one per distinct structure). */
    static int classCount() { return GENERATED.get(); }

    /**
     * Whether {@code p} can have a generated loop for some scalar pattern: two or more computing
     * instructions (one op already runs whole rows in the interpreter) and at most 63 operands.
     */
    static boolean candidate(FusedProgram p) {
        return p.computing >= 2 && p.inputs < 64;
    }

    /**
     * Binds {@code p} to its generated loop for the scalar pattern {@code scalarInputs} (bit k: operand k
     * is a scalar), generating the class if no program of the same structure has one yet. The kernel
     * is null when the pattern cannot be generated (an op with no vector form, a select whose mask is
     * a scalar but not both its sides, a result that is a scalar or a plain load).
     */
    static GeneratedChain bind(FusedProgram p, long scalarInputs, int lanes) {
        int n = p.kind.length;
        boolean[] scalar = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (!p.live[i]) continue;
            scalar[i] = switch (p.kind[i]) {
                case FusedProgram.LOAD -> (scalarInputs >>> p.a[i] & 1) != 0;
                case FusedProgram.CONST -> true;
                case FusedProgram.UNARY -> scalar[p.a[i]];
                case FusedProgram.BINARY, FusedProgram.COMPARE -> scalar[p.a[i]] && scalar[p.b[i]];
                case FusedProgram.SELECT -> scalar[p.a[i]] && scalar[p.b[i]] && scalar[p.c[i]];
                default -> throw new IllegalStateException("unknown instruction kind " + p.kind[i]);
            };
        }
        GeneratedChain none = new GeneratedChain(scalarInputs, null, scalar, new int[0], new int[0], lanes);
        int res = p.result;
        if (scalar[res] || p.kind[res] == FusedProgram.LOAD) return none;
        // Canonical numbering: vector values in program order, scalar slots in order of first use.
        int[] vid = new int[n], sid = new int[n];
        Arrays.fill(vid, -1);
        Arrays.fill(sid, -1);
        List<Integer> scalars = new ArrayList<>();
        List<Integer> vecInputs = new ArrayList<>();
        StringBuilder key = new StringBuilder().append(lanes).append('|');
        int nv = 0, math = 0;
        boolean withLog = false;
        for (int i = 0; i < n; i++) {
            if (!p.live[i] || scalar[i]) continue;
            int kind = p.kind[i], op = p.op[i];
            if (!supported(kind, op)) return none;
            if (kind == FusedProgram.UNARY && polynomial(UNARY_OPS[op])) {
                if (++math > MAX_POLYNOMIALS) return none;
                if (UNARY_OPS[op] == UnaryKernelOp.LOG) withLog = true;
            }
            if (nv >= (withLog ? MAX_WITH_LOG : MAX_INSTRUCTIONS)) return none;
            if (kind == FusedProgram.SELECT && scalar[p.a[i]]) return none;
            key.append(kind).append(':').append(op);
            if (kind == FusedProgram.LOAD) {
                key.append(":in").append(p.a[i]);
                if (!vecInputs.contains(p.a[i])) vecInputs.add(p.a[i]);
            } else {
                int[] args = kind == FusedProgram.UNARY ? new int[] {p.a[i]}
                        : kind == FusedProgram.SELECT ? new int[] {p.a[i], p.b[i], p.c[i]} : new int[] {p.a[i], p.b[i]};
                for (int x : args) {
                    if (scalar[x]) {
                        if (sid[x] < 0) { sid[x] = scalars.size(); scalars.add(x); }
                        key.append(":s").append(sid[x]);
                    } else key.append(":v").append(vid[x]);
                }
            }
            key.append(i == res ? "=R;" : ";");
            vid[i] = nv++;
        }
        FusedKernel k = CLASSES.computeIfAbsent(key.toString(), s -> generate(p, scalar, sid, scalars.size(), lanes));
        return new GeneratedChain(scalarInputs, k, scalar, scalars.stream().mapToInt(Integer::intValue).toArray(),
                vecInputs.stream().mapToInt(Integer::intValue).toArray(), lanes);
    }

    /**
     * Most polynomial math calls one loop may hold. C2 inlines a {@link VecMath} routine only within
     * its inlining budgets (callee size, NodeCountInliningCutoff); one it does not inline receives and
     * returns boxed vectors, 100-150 KB per run of 8192 floats and 2-30x slower. Measured on AVX-512
     * (MixProbe, docs/perf/elementwise.md): one exp, log, tanh or logistic inlines beside 30 plain ops;
     * exp + log, tanh + log, logistic + logistic, log + log do not (exp + tanh does, but one is the
     * rule that leaves a margin).
     */
    static final int MAX_POLYNOMIALS = 1;
    /** Most vector instructions one loop may hold, to stay inside C2's node budget with room to spare. */
    static final int MAX_INSTRUCTIONS = 40;
    /** The same with a log (the largest routine, two methods): a log beside 30 plain ops did not inline. */
    static final int MAX_WITH_LOG = 16;
    private static final UnaryKernelOp[] UNARY_OPS = UnaryKernelOp.values();

    private static boolean polynomial(UnaryKernelOp op) {
        return switch (op) {
            case EXP, LOG, TANH, LOGISTIC -> true;
            case NEG, SQRT, RSQRT, ABS, SIGN, ERF, SIN, COS, ATAN, LOG1P, EXPM1, FLOOR, CEIL, ROUND -> false;
        };
    }

    private static boolean supported(int kind, int op) {
        return switch (kind) {
            case FusedProgram.LOAD, FusedProgram.SELECT -> true;
            case FusedProgram.UNARY -> switch (UnaryKernelOp.values()[op]) {
                case NEG, EXP, LOG, TANH, LOGISTIC, SQRT, RSQRT, ABS, SIGN -> true;
                case ERF, SIN, COS, ATAN, LOG1P, EXPM1, FLOOR, CEIL, ROUND -> false;
            };
            case FusedProgram.BINARY -> switch (BinaryKernelOp.values()[op]) {
                case ADD, SUB, MUL, DIV, MAX, MIN -> true;
                case POW, REM -> false;
            };
            case FusedProgram.COMPARE -> CompareKernelOp.values()[op] != CompareKernelOp.NE;
            default -> false;
        };
    }

    private static FusedKernel generate(FusedProgram p, boolean[] scalar, int[] sid, int nScalars, int lanes) {
        byte[] bytes = ClassFile.of().build(CD_SELF, cb -> {
            cb.withFlags(ACC_FINAL | ACC_SUPER);
            cb.withInterfaceSymbols(CD_KERNEL);
            cb.withField("S", CD_SPECIES, ACC_PRIVATE | ACC_STATIC | ACC_FINAL);
            cb.withField("ZERO", CD_FV, ACC_PRIVATE | ACC_STATIC | ACC_FINAL);
            cb.withMethodBody("<clinit>", MT_VOID, ACC_STATIC, c -> {
                c.getstatic(CD_VECBLOCK, "S", CD_SPECIES);
                c.putstatic(CD_SELF, "S", CD_SPECIES);
                c.getstatic(CD_SELF, "S", CD_SPECIES);
                c.invokestatic(CD_FV, "zero", MT_ZERO);
                c.putstatic(CD_SELF, "ZERO", CD_FV);
                c.return_();
            });
            cb.withMethodBody("<init>", MT_VOID, ACC_PUBLIC, c -> {
                c.aload(0);
                c.invokespecial(CD_Object, "<init>", MT_VOID);
                c.return_();
            });
            cb.withMethodBody("run", MT_RUN, ACC_PUBLIC | ACC_FINAL, c -> emitRun(c, p, scalar, sid, nScalars, lanes));
        });
        try {
            Class<?> cls = LOOKUP.defineHiddenClass(bytes, true).lookupClass();
            GENERATED.incrementAndGet();
            return (FusedKernel) cls.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot define the generated loop of a fused program", e);
        }
    }

    /** Emits {@code run(a, o, s, out, oo, n)}: locals 1-6 are its parameters. */
    private static void emitRun(CodeBuilder c, FusedProgram p, boolean[] scalar, int[] sid, int nScalars, int lanes) {
        final int A = 1, O = 2, SC = 3, OUT = 4, OO = 5, N = 6;
        int n = p.kind.length;
        // Prologue: each loaded operand's array and offset, each scalar slot broadcast once.
        int[] arrLocal = new int[p.inputs], offLocal = new int[p.inputs];
        Arrays.fill(arrLocal, -1);
        for (int i = 0; i < n; i++) {
            if (!p.live[i] || scalar[i] || p.kind[i] != FusedProgram.LOAD) continue;
            int k = p.a[i];
            if (arrLocal[k] >= 0) continue;
            arrLocal[k] = c.allocateLocal(TypeKind.REFERENCE);
            offLocal[k] = c.allocateLocal(TypeKind.INT);
            c.aload(A); c.ldc(k); c.aaload(); c.astore(arrLocal[k]);
            c.aload(O); c.ldc(k); c.iaload(); c.istore(offLocal[k]);
        }
        int[] scalarLocal = new int[nScalars];
        for (int j = 0; j < nScalars; j++) {
            scalarLocal[j] = c.allocateLocal(TypeKind.REFERENCE);
            c.getstatic(CD_SELF, "S", CD_SPECIES);
            c.aload(SC); c.ldc(j); c.faload();
            c.invokestatic(CD_FV, "broadcast", MT_BROADCAST);
            c.astore(scalarLocal[j]);
        }
        int[] vLocal = new int[n];
        for (int i = 0; i < n; i++) if (p.live[i] && !scalar[i]) vLocal[i] = c.allocateLocal(TypeKind.REFERENCE);
        int iv = c.allocateLocal(TypeKind.INT);
        c.iconst_0();
        c.istore(iv);
        Label top = c.newLabel(), done = c.newLabel();
        c.labelBinding(top);
        c.iload(iv); c.iload(N); c.if_icmpge(done);
        for (int i = 0; i < n; i++) {
            if (!p.live[i] || scalar[i]) continue;
            emitInstruction(c, p, i, scalar, sid, scalarLocal, vLocal, arrLocal, offLocal, iv);
            c.astore(vLocal[i]);
        }
        c.aload(vLocal[p.result]);
        c.aload(OUT); c.iload(OO); c.iload(iv); c.iadd();
        c.invokevirtual(CD_FV, "intoArray", MT_INTO);
        c.iinc(iv, lanes);
        c.goto_(top);
        c.labelBinding(done);
        c.return_();
    }

    /** Pushes the vector value of program value {@code x}: its register, or its scalar slot's broadcast. */
    private static void push(CodeBuilder c, int x, boolean[] scalar, int[] sid, int[] scalarLocal, int[] vLocal) {
        c.aload(scalar[x] ? scalarLocal[sid[x]] : vLocal[x]);
    }

    /**
     * Leaves instruction {@code i}'s vector on the stack, written as the interpreter's loop for the
     * same operand kinds writes it (VecBlockOps): {@code a.op(b)}; vector-scalar {@code a.op(broadcast s)};
     * scalar-vector {@code b.op(broadcast s)} for commutative ops and {@code broadcast(s).op(b)} for sub
     * and div; a scalar-vector compare as the mirrored vector-scalar one.
     */
    private static void emitInstruction(CodeBuilder c, FusedProgram p, int i, boolean[] scalar, int[] sid, int[] scalarLocal,
            int[] vLocal, int[] arrLocal, int[] offLocal, int iv) {
        switch (p.kind[i]) {
            case FusedProgram.LOAD -> {
                int k = p.a[i];
                c.getstatic(CD_SELF, "S", CD_SPECIES);
                c.aload(arrLocal[k]);
                c.iload(offLocal[k]); c.iload(iv); c.iadd();
                c.invokestatic(CD_FV, "fromArray", MT_FROM);
            }
            case FusedProgram.UNARY -> {
                push(c, p.a[i], scalar, sid, scalarLocal, vLocal);
                switch (UnaryKernelOp.values()[p.op[i]]) {
                    case NEG -> c.invokevirtual(CD_FV, "neg", MT_UN);
                    case ABS -> c.invokevirtual(CD_FV, "abs", MT_UN);
                    case SQRT -> c.invokevirtual(CD_FV, "sqrt", MT_UN);
                    case EXP -> c.invokestatic(CD_VECMATH, "exp", MT_MATH);
                    case LOG -> c.invokestatic(CD_VECMATH, "log", MT_MATH);
                    case TANH -> c.invokestatic(CD_VECMATH, "tanh", MT_MATH);
                    case LOGISTIC -> c.invokestatic(CD_VECMATH, "logistic", MT_MATH);
                    case RSQRT -> c.invokestatic(CD_VECMATH, "rsqrt", MT_MATH);
                    case SIGN -> c.invokestatic(CD_VECMATH, "sign", MT_MATH);
                    case ERF, SIN, COS, ATAN, LOG1P, EXPM1, FLOOR, CEIL, ROUND ->
                            throw new IllegalStateException("no vector form for " + UnaryKernelOp.values()[p.op[i]]);
                }
            }
            case FusedProgram.BINARY -> {
                BinaryKernelOp op = BinaryKernelOp.values()[p.op[i]];
                int x = p.a[i], y = p.b[i];
                if (scalar[x] && op.commutative()) { int t = x; x = y; y = t; }
                push(c, x, scalar, sid, scalarLocal, vLocal);
                push(c, y, scalar, sid, scalarLocal, vLocal);
                String name = switch (op) {
                    case ADD -> "add";
                    case SUB -> "sub";
                    case MUL -> "mul";
                    case DIV -> "div";
                    case MAX -> "max";
                    case MIN -> "min";
                    case POW, REM -> throw new IllegalStateException("no vector form for " + op);
                };
                c.invokevirtual(CD_FV, name, MT_BIN);
            }
            case FusedProgram.COMPARE -> {
                CompareKernelOp op = CompareKernelOp.values()[p.op[i]];
                int x = p.a[i], y = p.b[i];
                if (scalar[x]) { int t = x; x = y; y = t; op = op.mirrored(); }
                c.getstatic(CD_SELF, "ZERO", CD_FV);
                c.fconst_1();
                push(c, x, scalar, sid, scalarLocal, vLocal);
                c.getstatic(CD_OPS, op.name(), CD_CMP);
                push(c, y, scalar, sid, scalarLocal, vLocal);
                c.invokevirtual(CD_FV, "compare", MT_CMP_V);
                c.invokevirtual(CD_FV, "blend", MT_BLEND_F);
            }
            case FusedProgram.SELECT -> {
                // b.blend(a, m.compare(NE, 0f)), as VecBlockOps.select.
                push(c, p.c[i], scalar, sid, scalarLocal, vLocal);
                push(c, p.b[i], scalar, sid, scalarLocal, vLocal);
                push(c, p.a[i], scalar, sid, scalarLocal, vLocal);
                c.getstatic(CD_OPS, "NE", CD_CMP);
                c.fconst_0();
                c.invokevirtual(CD_FV, "compare", MT_CMP_F);
                c.invokevirtual(CD_FV, "blend", MT_BLEND_V);
            }
            default -> throw new IllegalStateException("instruction kind " + p.kind[i] + " is not a vector instruction");
        }
    }
}
