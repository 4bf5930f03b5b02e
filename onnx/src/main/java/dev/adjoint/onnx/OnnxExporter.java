package dev.adjoint.onnx;

import static dev.adjoint.onnx.ModelWriter.attr;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.ArgFn;
import dev.adjoint.graph.op.ArgReduce;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.Convert;
import dev.adjoint.graph.op.Cumsum;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Gather;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.RandomBits;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceSum;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.ScatterAdd;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.TakeAlongAxis;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.Window;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxGather;
import dev.adjoint.graph.op.WindowMaxScatter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an Adjoint graph as an ONNX model at opset 17 (IR version 8), so that a model, its
 * gradient graph or a whole training step runs in ONNX Runtime or any other ONNX backend.
 *
 * <p>Every primitive maps to standard ONNX ops (the table is in {@code onnx/README.md}): the
 * channels-last {@code conv} becomes {@code Transpose} + {@code Conv} + {@code Transpose} (lhs
 * dilation and negative padding as a {@code pad} before it), {@code dot_general} a
 * {@code Transpose}/{@code Reshape} to {@code [batch.., M, K] x [batch.., K, N]} and one
 * {@code MatMul}, {@code pad}'s interior padding a {@code Reshape}-{@code Pad}-{@code Reshape}
 * interleave, {@code rev} a {@code Slice} with step -1, {@code iota} a {@code Range}, and
 * {@code log1p}/{@code expm1} Kahan's accurate formulas. Constants become initializers; a
 * {@code random_bits} whose key does not depend on an input is evaluated and stored as a constant.
 * The graph's inputs that the outputs depend on become the model's inputs, in graph order, named
 * by their labels; each output is an {@code Identity} of its value under the name given.
 *
 * <p>What cannot be expressed at opset 17 is refused before anything is written, naming the node,
 * its op and the user's line: integer bitwise ops and shifts (ONNX has {@code BitwiseAnd} and
 * friends only from opset 18, shifts only on unsigned types) and a {@code random_bits} fed from an
 * input (ONNX has no counter-based generator).
 */
public final class OnnxExporter {
    /** The opset of the default domain every exported model imports. */
    public static final int OPSET = 17;
    /** The IR version written (8 is the one that goes with opset 17). */
    public static final long IR_VERSION = 8;

    private OnnxExporter() {}

    /**
     * The serialized ModelProto computing {@code outputs} (in map order), each under its key.
     *
     * @throws IllegalArgumentException if there are no outputs, they belong to different graphs,
     *     an output name is also an input's name, or a node has no ONNX equivalent at opset 17
     */
    public static byte[] toBytes(Map<String, Tensor> outputs) { return export(outputs).toByteArray(); }

    /** The serialized ModelProto computing {@code outputs}, named {@code output_0}, {@code output_1}, ... */
    public static byte[] toBytes(List<Tensor> outputs) { return export(outputs).toByteArray(); }

    /** Exports {@code outputs} named {@code output_0}, {@code output_1}, ... */
    static ModelProto export(List<Tensor> outputs) { return export(named(outputs)); }

    private static Map<String, Tensor> named(List<Tensor> outputs) {
        Map<String, Tensor> named = new LinkedHashMap<>();
        for (int i = 0; i < outputs.size(); i++) named.put("output_" + i, outputs.get(i));
        return named;
    }

    /** The ModelProto of {@link #toBytes(Map)} (package-private: protobuf is not part of the API). */
    static ModelProto export(Map<String, Tensor> outputs) {
        if (outputs.isEmpty()) throw new IllegalArgumentException("onnx export: no outputs given");
        Graph graph = outputs.values().iterator().next().graph();
        for (var e : outputs.entrySet()) {
            if (e.getValue().graph() != graph) {
                throw new IllegalArgumentException("onnx export: output \"" + e.getKey() + "\" belongs to another graph than the first output");
            }
        }
        GraphProto g = new Export(graph).run(outputs);
        return ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("adjoint")
                .setProducerVersion("0.1.0")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(g)
                .build();
    }

    /** Writes {@link #export(Map)} to {@code path} (through a temporary file moved into place). */
    public static void save(Map<String, Tensor> outputs, Path path) throws IOException {
        ModelProto model = export(outputs);
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                model.writeTo(out);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@link #export(List)} to {@code path}. */
    public static void save(List<Tensor> outputs, Path path) throws IOException { save(named(outputs), path); }

    /** One export: the ONNX value name of every Adjoint node emitted so far. */
    private static final class Export {
        private final Graph graph;
        private final ModelWriter w = new ModelWriter();
        private final String[] names;

        Export(Graph graph) {
            this.graph = graph;
            this.names = new String[graph.size()];
        }

        GraphProto run(Map<String, Tensor> outputs) {
            int n = graph.size();
            boolean[] needed = new boolean[n];
            for (Tensor t : outputs.values()) needed[t.id()] = true;
            for (int id = n - 1; id >= 0; id--) {
                if (!needed[id]) continue;
                Ints in = graph.node(id).inputs();
                for (int i = 0; i < in.size(); i++) needed[in.get(i)] = true;
            }
            boolean[] fromInput = new boolean[n];
            for (int id = 0; id < n; id++) {
                Node node = graph.node(id);
                fromInput[id] = node.op() instanceof Input;
                for (int i = 0; i < node.inputs().size(); i++) fromInput[id] |= fromInput[node.inputs().get(i)];
            }
            // Inputs keep their labels (a repeated label gets a suffix); output names must be free.
            for (int id = 0; id < n; id++) {
                Node node = graph.node(id);
                if (needed[id] && node.op() instanceof Input in) {
                    names[id] = w.fresh(in.label());
                    w.graph().addInput(ModelWriter.valueInfo(names[id], node.dtype(), node.shape()));
                }
            }
            for (String name : outputs.keySet()) {
                if (!w.claim(name)) {
                    throw new IllegalArgumentException("onnx export: output name \"" + name
                            + "\" is already an input's name or another output's; ONNX values have one name each");
                }
            }
            for (int id = 0; id < n; id++) {
                Node node = graph.node(id);
                if (!needed[id] || node.op() instanceof Input) continue;
                w.origin(node + " at " + node.where());
                names[id] = emit(node, fromInput[id]);
            }
            w.origin("");
            for (var e : outputs.entrySet()) {
                Node node = e.getValue().node();
                w.node("Identity", List.of(names[node.id()]), e.getKey());
                w.graph().addOutput(ModelWriter.valueInfo(e.getKey(), node.dtype(), node.shape()));
            }
            return w.graph().setName("adjoint").build();
        }

        private String in(Node node, int i) { return names[node.inputs().get(i)]; }

        private Shape shapeOf(Node node, int i) { return graph.node(node.inputs().get(i)).shape(); }

        private String emit(Node node, boolean fromInput) {
            DType t = node.dtype();
            Shape out = node.shape();
            if (out.size() == 0 && !(node.op() instanceof Constant)) {
                return w.node("Expand", List.of(w.scalar(t, 0), w.int64s(longs(out.dims()))));
            }
            if (!fromInput && lacksAnOnnxOp(node)) { // e.g. random bits from a constant key: store the values
                NdArray v = Interpreter.run(graph, Map.of(), graph.tensor(node.id()));
                String name = w.fresh(node.op().name());
                w.initializer(name, t, out, v.data());
                return name;
            }
            return switch (node.op()) {
                case Input ignored -> throw new AssertionError("inputs are named before the nodes");
                case Constant c -> {
                    String name = w.fresh("const");
                    w.initializer(name, c.dtype(), c.shape(), c.values());
                    yield name;
                }
                case Iota i -> iota(i);
                case StopGradient ignored -> w.node("Identity", List.of(in(node, 0)));
                case Unary u -> unary(node, u);
                case Binary b -> binary(node, b);
                case Compare c -> switch (c.comparison()) {
                    case LT -> w.node("Less", List.of(in(node, 0), in(node, 1)));
                    case LE -> w.node("LessOrEqual", List.of(in(node, 0), in(node, 1)));
                    case GT -> w.node("Greater", List.of(in(node, 0), in(node, 1)));
                    case GE -> w.node("GreaterOrEqual", List.of(in(node, 0), in(node, 1)));
                    case EQ -> w.node("Equal", List.of(in(node, 0), in(node, 1)));
                    case NE -> w.node("Not", List.of(w.node("Equal", List.of(in(node, 0), in(node, 1)))));
                };
                case Select ignored -> w.node("Where", List.of(in(node, 0), in(node, 1), in(node, 2)));
                case BroadcastInDim b -> broadcast(in(node, 0), shapeOf(node, 0), b);
                case ReduceSum r -> r.axes().size() == 0 ? in(node, 0)
                        : w.node("ReduceSum", List.of(in(node, 0), w.int64s(longs(r.axes().toArray()))), attr("keepdims", 0L));
                case Reduce r -> r.axes().size() == 0 ? in(node, 0)
                        : w.node(switch (r.fn()) {
                            case MAX -> "ReduceMax";
                            case MIN -> "ReduceMin";
                            case PROD -> "ReduceProd";
                        }, List.of(in(node, 0)), attr("axes", r.axes().toArray()), attr("keepdims", 0L));
                case ArgReduce a -> {
                    String idx = w.node(a.fn() == ArgFn.ARGMAX ? "ArgMax" : "ArgMin", List.of(in(node, 0)),
                            attr("axis", (long) a.axis()), attr("keepdims", 0L));
                    yield a.indexType() == DType.I64 ? idx : cast(idx, a.indexType());
                }
                case DotGeneral d -> dot(node, d);
                case Transpose tr -> w.node("Transpose", List.of(in(node, 0)), attr("perm", tr.perm().toArray()));
                case Reshape r -> reshape(in(node, 0), r.shape());
                case Pad p -> pad(in(node, 0), shapeOf(node, 0), p.lo().toArray(), p.hi().toArray(), p.interior().toArray(), t);
                case Slice s -> slice(in(node, 0), shapeOf(node, 0), s);
                case Rev r -> rev(in(node, 0), shapeOf(node, 0), r);
                case Concatenate c -> {
                    List<String> operands = new ArrayList<>();
                    for (int i = 0; i < node.inputs().size(); i++) operands.add(in(node, i));
                    yield w.node("Concat", operands, attr("axis", (long) c.axis()));
                }
                case Conv c -> conv(in(node, 0), in(node, 1), shapeOf(node, 0), shapeOf(node, 1), c, t);
                case Convert c -> cast(in(node, 0), c.to());
                case Cumsum c -> w.node("CumSum", List.of(in(node, 0), w.int64Scalar(c.axis())),
                        attr("exclusive", 0L), attr("reverse", c.reverse() ? 1L : 0L));
                case Gather ga -> w.node("Gather", List.of(in(node, 0), in(node, 1)), attr("axis", (long) ga.axis()));
                case TakeAlongAxis ta -> w.node("GatherElements", List.of(in(node, 0), in(node, 1)), attr("axis", (long) ta.axis()));
                case ScatterAdd s -> w.node("ScatterElements", List.of(in(node, 0), in(node, 1), in(node, 2)),
                        attr("axis", (long) s.axis()), attr("reduction", "add"));
                case WindowMax wm -> maxPool(in(node, 0), shapeOf(node, 0), wm.window(), out);
                case WindowMaxGather wg -> windowMaxGather(in(node, 0), in(node, 1), shapeOf(node, 0), wg.window(), out);
                case WindowMaxScatter ws -> windowMaxScatter(in(node, 0), in(node, 1), shapeOf(node, 0), shapeOf(node, 1), ws.window(), t);
                case RandomBits ignored -> throw notExportable(node, "its key depends on an input and ONNX has no counter-based"
                        + " generator (Threefry); feed the random bits as an input instead, or use a constant key");
            };
        }

        /** Whether the node is one that ONNX cannot compute at opset 17 (exported only when its value is fixed). */
        private static boolean lacksAnOnnxOp(Node node) {
            return switch (node.op()) {
                case RandomBits ignored -> true;
                case Binary b -> switch (b.fn()) {
                    case AND, OR, XOR -> node.dtype() != DType.BOOL;
                    case SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC -> true;
                    default -> false;
                };
                default -> false;
            };
        }

        private String unary(Node node, Unary u) {
            String x = in(node, 0);
            DType t = node.dtype();
            return switch (u.fn()) {
                case NEG -> w.node("Neg", List.of(x));
                case EXP -> w.node("Exp", List.of(x));
                case LOG -> w.node("Log", List.of(x));
                case TANH -> w.node("Tanh", List.of(x));
                case LOGISTIC -> w.node("Sigmoid", List.of(x));
                case SQRT -> w.node("Sqrt", List.of(x));
                case RSQRT -> w.node("Reciprocal", List.of(w.node("Sqrt", List.of(x))));
                case ABS -> w.node("Abs", List.of(x));
                case SIGN -> w.node("Sign", List.of(x));
                case ERF -> w.node("Erf", List.of(x));
                case SIN -> w.node("Sin", List.of(x));
                case COS -> w.node("Cos", List.of(x));
                case ATAN -> w.node("Atan", List.of(x));
                case FLOOR -> w.node("Floor", List.of(x));
                case CEIL -> w.node("Ceil", List.of(x));
                case ROUND -> w.node("Round", List.of(x)); // ONNX rounds halves to even, as Adjoint does
                case NOT -> t == DType.BOOL ? w.node("Not", List.of(x)) : w.node("Sub", List.of(w.scalar(t, -1), x)); // ~x = -1 - x
                case LOG1P -> log1p(x, t);
                case EXPM1 -> expm1(x, t);
            };
        }

        /**
         * {@code log1p(x)} without ONNX's missing Log1p: with {@code u = 1 + x}, {@code log(u) * x / (u - 1)}
         * (Kahan; exact where u rounds, since the rounding error of u cancels), {@code x} where
         * {@code u == 1}, {@code u}'s log where u is infinite.
         */
        private String log1p(String x, DType t) {
            String u = w.node("Add", List.of(x, w.scalar(t, 1)));
            String d = w.node("Sub", List.of(u, w.scalar(t, 1)));
            String logU = w.node("Log", List.of(u));
            String kahan = w.node("Div", List.of(w.node("Mul", List.of(logU, x)), d));
            String finite = w.node("Where", List.of(w.node("IsInf", List.of(u)), logU, kahan));
            return w.node("Where", List.of(w.node("Equal", List.of(d, w.scalar(t, 0))), x, finite));
        }

        /**
         * {@code expm1(x)} without ONNX's missing Expm1: with {@code u = e^x}, {@code (u - 1) * x / log(u)}
         * (Kahan), {@code x} where {@code u == 1}, {@code -1} where {@code u - 1 == -1}, {@code u}
         * where it is infinite.
         */
        private String expm1(String x, DType t) {
            String u = w.node("Exp", List.of(x));
            String um1 = w.node("Sub", List.of(u, w.scalar(t, 1)));
            String kahan = w.node("Div", List.of(w.node("Mul", List.of(um1, x)), w.node("Log", List.of(u))));
            String big = w.node("Where", List.of(w.node("IsInf", List.of(u)), u, kahan));
            String low = w.node("Where", List.of(w.node("Equal", List.of(um1, w.scalar(t, -1))), um1, big));
            return w.node("Where", List.of(w.node("Equal", List.of(um1, w.scalar(t, 0))), x, low));
        }

        private String binary(Node node, Binary b) {
            String x = in(node, 0), y = in(node, 1);
            DType t = node.dtype();
            List<String> xy = List.of(x, y);
            return switch (b.fn()) {
                case ADD -> w.node("Add", xy);
                case SUB -> w.node("Sub", xy);
                case MUL -> w.node("Mul", xy);
                case DIV -> w.node("Div", xy);
                case MAX -> w.node("Max", xy);
                case MIN -> w.node("Min", xy);
                case POW -> w.node("Pow", xy);
                case REM -> w.node("Mod", xy, attr("fmod", 1L)); // C's fmod / truncated remainder: the sign of x
                case AND, OR, XOR -> {
                    if (t != DType.BOOL) {
                        throw notExportable(node, "bitwise " + b.fn().label() + " on " + t.label() + " needs ONNX's Bitwise"
                                + b.fn().label().substring(0, 1).toUpperCase() + b.fn().label().substring(1)
                                + ", which exists only from opset 18; this exporter writes opset " + OPSET);
                    }
                    yield w.node(switch (b.fn()) {
                        case AND -> "And";
                        case OR -> "Or";
                        default -> "Xor";
                    }, xy);
                }
                case SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC -> throw notExportable(node,
                        "ONNX's BitShift takes only unsigned types and has no arithmetic shift; " + t.label() + " shifts have no opset "
                                + OPSET + " equivalent");
            };
        }

        private String cast(String x, DType to) {
            return w.node("Cast", List.of(x), attr("to", (long) ModelWriter.elemType(to).getNumber()));
        }

        /**
         * {@code window_max} as ONNX MaxPool, which pools the axes after [N, C]: the identity axes
         * (window 1, stride 1, no padding) are moved first and merged into N with C = 1, the windowed
         * axes follow in order; the result is reshaped and transposed back.
         */
        /**
         * A max pool as ONNX's MaxPool, which pools only the trailing axes of {@code [N, C, S..]}: the
         * window's identity axes move to the front ({@link PooledLayout#perm}) and merge into N, with C = 1.
         */
        private String maxPool(String x, Shape xs, Window win, Shape out) {
            PooledLayout l = PooledLayout.of(xs, win);
            if (l == null) return w.node("Identity", List.of(x));
            String y = w.node("MaxPool", List.of(reshape(l.toPooled(w, x), l.in())), l.attributes());
            return l.fromPooled(w, reshape(y, l.outPooled(out)));
        }

        /**
         * The arg-max positions of a max pool as MaxPool's second output, {@code Indices}: int64 flat
         * positions in the pooled layout's input, the first maximum of each window (ONNX Runtime scans
         * with a strict greater-than, as the interpreter does).
         */
        private String maxPoolIndices(String x, Shape xs, PooledLayout l) {
            String y = w.fresh("maxpool"), indices = w.fresh("maxpool_indices");
            w.node2("MaxPool", List.of(reshape(l.toPooled(w, x), l.in())), y, indices, l.attributes());
            return indices;
        }

        /** {@code window_max_gather(x, t)}: t in the pooled layout, flattened, gathered at the arg-max indices. */
        private String windowMaxGather(String x, String tan, Shape xs, Window win, Shape out) {
            PooledLayout l = PooledLayout.of(xs, win);
            if (l == null) return w.node("Identity", List.of(tan));
            String flat = reshape(l.toPooled(w, tan), Shape.of(xs.size()));
            String g = w.node("Gather", List.of(flat, maxPoolIndices(x, xs, l)), attr("axis", 0L));
            return l.fromPooled(w, reshape(g, l.outPooled(out)));
        }

        /**
         * {@code window_max_scatter(x, ct)}: ct in the pooled layout, flattened, scatter-added into zeros
         * at the arg-max indices (ScatterElements with reduction add), then back to x's layout.
         */
        private String windowMaxScatter(String x, String ct, Shape xs, Shape cts, Window win, DType t) {
            PooledLayout l = PooledLayout.of(xs, win);
            if (l == null) return w.node("Identity", List.of(ct));
            String indices = reshape(maxPoolIndices(x, xs, l), Shape.of(cts.size()));
            String updates = reshape(l.toPooled(w, ct), Shape.of(cts.size()));
            String zeros = w.node("Expand", List.of(w.scalar(t, 0), w.int64s(xs.size())));
            String dx = w.node("ScatterElements", List.of(zeros, indices, updates), attr("axis", 0L), attr("reduction", "add"));
            return l.fromPooled(w, reshape(dx, l.inTransposed()));
        }

        /**
         * How a window maps onto ONNX's MaxPool: {@code perm} puts the identity axes first; {@code in}
         * is the transposed input merged to {@code [lead, 1, S..]}.
         */
        private record PooledLayout(int[] perm, boolean moved, Shape xs, Shape in, AttributeProto[] attributes) {
            static PooledLayout of(Shape xs, Window win) {
                int r = xs.rank();
                List<Integer> ident = new ArrayList<>(), pooled = new ArrayList<>();
                for (int a = 0; a < r; a++) (win.isIdentity(a) ? ident : pooled).add(a);
                if (pooled.isEmpty()) return null;
                int[] perm = new int[r];
                int j = 0;
                for (int a : ident) perm[j++] = a;
                for (int a : pooled) perm[j++] = a;
                int m = pooled.size();
                int lead = 1;
                for (int a : ident) lead *= xs.dim(a);
                int[] in4 = new int[m + 2], k = new int[m], st = new int[m], pads = new int[2 * m], dil = new int[m];
                in4[0] = lead;
                in4[1] = 1;
                for (int i = 0; i < m; i++) {
                    int a = pooled.get(i);
                    in4[i + 2] = xs.dim(a);
                    k[i] = win.size().get(a);
                    st[i] = win.strides().get(a);
                    pads[i] = win.padLo().get(a);
                    pads[m + i] = win.padHi().get(a);
                    dil[i] = win.dilation().get(a);
                }
                AttributeProto[] attrs = {attr("kernel_shape", k), attr("strides", st), attr("pads", pads), attr("dilations", dil)};
                return new PooledLayout(perm, !Ints.of(perm).equals(Ints.range(r)), xs, Shape.of(in4), attrs);
            }

            String toPooled(ModelWriter w, String v) {
                return moved ? w.node("Transpose", List.of(v), attr("perm", perm)) : v;
            }

            /** The shape {@code s} (of x's rank) with its axes in the pooled order. */
            Shape outPooled(Shape s) {
                int[] d = new int[perm.length];
                for (int i = 0; i < perm.length; i++) d[i] = s.dim(perm[i]);
                return Shape.of(d);
            }

            Shape inTransposed() { return outPooled(xs); }

            /** {@code v}, already reshaped to a pooled-order shape, transposed back to x's axis order. */
            String fromPooled(ModelWriter w, String v) {
                return moved ? w.node("Transpose", List.of(v), attr("perm", Ints.of(perm).inversePermutation().toArray())) : v;
            }
        }

        private String reshape(String x, Shape shape) {
            return w.node("Reshape", List.of(x, w.int64s(longs(shape.dims()))));
        }

        /** {@code iota}: a Range along the axis, reshaped to stand on it and expanded to the shape. */
        private String iota(Iota i) {
            Shape s = i.shape();
            int n = s.dim(i.axis());
            DType t = i.dtype();
            String ramp = w.node("Range", List.of(w.scalar(t, 0), w.scalar(t, n), w.scalar(t, 1)));
            if (s.rank() == 1) return ramp;
            int[] standing = new int[s.rank()];
            Arrays.fill(standing, 1);
            standing[i.axis()] = n;
            String r = reshape(ramp, Shape.of(standing));
            return Shape.of(standing).equals(s) ? r : w.node("Expand", List.of(r, w.int64s(longs(s.dims()))));
        }

        /** {@code broadcast_in_dim}: a Reshape putting each input axis where {@code dims} says, then an Expand. */
        private String broadcast(String x, Shape from, BroadcastInDim b) {
            Shape to = b.shape();
            String cur = x;
            int[] standing = new int[to.rank()];
            Arrays.fill(standing, 1);
            for (int i = 0; i < b.dims().size(); i++) standing[b.dims().get(i)] = from.dim(i);
            if (!Shape.of(standing).equals(from)) cur = reshape(cur, Shape.of(standing));
            if (!Shape.of(standing).equals(to)) cur = w.node("Expand", List.of(cur, w.int64s(longs(to.dims()))));
            return cur;
        }

        /**
         * {@code dot_general} as one MatMul: x to {@code [batch.., M, K]} and y to {@code [batch.., K, N]}
         * (a Transpose if the axes are not in that order, a Reshape if the free or contracted axes are
         * not exactly one each), then the result reshaped to {@code [batch.., x free.., y free..]}.
         */
        private String dot(Node node, DotGeneral d) {
            Shape xs = shapeOf(node, 0), ys = shapeOf(node, 1);
            Ints xFree = d.lhsFree(xs.rank()), yFree = d.rhsFree(ys.rank());
            int nb = d.lhsBatch().size();
            int[] batchDims = new int[nb];
            for (int i = 0; i < nb; i++) batchDims[i] = xs.dim(d.lhsBatch().get(i));
            String x = matrix(in(node, 0), xs, d.lhsBatch(), xFree, d.lhsContract(), batchDims, true);
            String y = matrix(in(node, 1), ys, d.rhsBatch(), d.rhsContract(), yFree, batchDims, false);
            String prod = w.node("MatMul", List.of(x, y));
            int m = product(xs, xFree), nn = product(ys, yFree);
            Shape got = Shape.of(concat(batchDims, new int[] {m, nn}));
            return got.equals(node.shape()) ? prod : reshape(prod, node.shape());
        }

        /** One operand of {@link #dot}: axes {@code batch, rows, cols} merged to {@code [batch.., rows, cols]}. */
        private String matrix(String v, Shape s, Ints batch, Ints rows, Ints cols, int[] batchDims, boolean lhs) {
            int[] perm = concat(batch.toArray(), concat(rows.toArray(), cols.toArray()));
            String cur = v;
            int[] permuted = new int[perm.length];
            for (int i = 0; i < perm.length; i++) permuted[i] = s.dim(perm[i]);
            if (!Ints.of(perm).equals(Ints.range(perm.length))) cur = w.node("Transpose", List.of(cur), attr("perm", perm));
            Shape want = Shape.of(concat(batchDims, new int[] {product(s, rows), product(s, cols)}));
            return Shape.of(permuted).equals(want) ? cur : reshape(cur, want);
        }

        /**
         * {@code pad(lo, hi, interior)}: the interior zeros by interleaving (each dilated axis of size
         * n gets a size-1 axis after it, padded to {@code interior + 1}, merged back and cropped by
         * {@code interior} at the end), then a Slice for the negative (cropping) edges and a Pad
         * for the positive ones. ONNX's Pad has neither interior padding nor, portably, negative pads.
         */
        private String pad(String x, Shape s, int[] lo, int[] hi, int[] interior, DType t) {
            int r = s.rank();
            if (s.size() == 0) { // nothing of x survives: the result is all padding
                Shape out = new Pad(Ints.of(lo), Ints.of(hi), Ints.of(interior)).infer(List.of(s));
                return w.node("Expand", List.of(w.scalar(t, 0), w.int64s(longs(out.dims()))));
            }
            String cur = x;
            int[] dims = s.dims();
            int[] effHi = hi.clone();
            if (Arrays.stream(interior).anyMatch(p -> p > 0)) {
                List<Integer> split = new ArrayList<>(), merged = new ArrayList<>();
                List<Long> pads = new ArrayList<>();
                for (int a = 0; a < r; a++) {
                    split.add(dims[a]);
                    if (interior[a] > 0) {
                        split.add(1);
                        merged.add(dims[a] * (interior[a] + 1));
                        effHi[a] -= interior[a];
                        dims[a] = dims[a] * (interior[a] + 1);
                    } else {
                        merged.add(dims[a]);
                    }
                }
                // Pads [begins.., ends..] over the split axes: the end of each inserted axis gets interior zeros.
                long[] p = new long[2 * split.size()];
                for (int a = 0, pos = 0; a < r; a++) {
                    if (interior[a] > 0) {
                        p[split.size() + pos + 1] = interior[a];
                        pos += 2;
                    } else {
                        pos += 1;
                    }
                }
                cur = reshape(cur, Shape.of(split.stream().mapToInt(Integer::intValue).toArray()));
                cur = w.node("Pad", List.of(cur, w.int64s(p), w.scalar(t, 0)), attr("mode", "constant"));
                cur = reshape(cur, Shape.of(merged.stream().mapToInt(Integer::intValue).toArray()));
            }
            long[] starts = new long[r], ends = new long[r];
            boolean crop = false, grow = false;
            long[] p = new long[2 * r];
            for (int a = 0; a < r; a++) {
                starts[a] = Math.max(-lo[a], 0);
                ends[a] = dims[a] - Math.max(-effHi[a], 0);
                crop |= lo[a] < 0 || effHi[a] < 0;
                p[a] = Math.max(lo[a], 0);
                p[r + a] = Math.max(effHi[a], 0);
                grow |= p[a] != 0 || p[r + a] != 0;
            }
            if (crop) cur = w.node("Slice", List.of(cur, w.int64s(starts), w.int64s(ends), w.int64s(longs(Ints.range(r).toArray()))));
            if (grow) cur = w.node("Pad", List.of(cur, w.int64s(p), w.scalar(t, 0)), attr("mode", "constant"));
            return cur;
        }

        private String slice(String x, Shape s, Slice sl) {
            List<Long> axes = new ArrayList<>(), starts = new ArrayList<>(), ends = new ArrayList<>(), steps = new ArrayList<>();
            for (int a = 0; a < s.rank(); a++) {
                if (sl.start().get(a) == 0 && sl.stop().get(a) == s.dim(a) && sl.step().get(a) == 1) continue;
                axes.add((long) a);
                starts.add((long) sl.start().get(a));
                ends.add((long) sl.stop().get(a));
                steps.add((long) sl.step().get(a));
            }
            if (axes.isEmpty()) return x;
            return w.node("Slice", List.of(x, w.int64s(unbox(starts)), w.int64s(unbox(ends)), w.int64s(unbox(axes)), w.int64s(unbox(steps))));
        }

        private String rev(String x, Shape s, Rev r) {
            List<Long> axes = new ArrayList<>();
            for (int i = 0; i < r.axes().size(); i++) if (s.dim(r.axes().get(i)) > 1) axes.add((long) r.axes().get(i));
            if (axes.isEmpty()) return x;
            long[] starts = new long[axes.size()], ends = new long[axes.size()], steps = new long[axes.size()];
            Arrays.fill(starts, -1);
            Arrays.fill(ends, Long.MIN_VALUE); // "to before the first element" for a negative step
            Arrays.fill(steps, -1);
            return w.node("Slice", List.of(x, w.int64s(starts), w.int64s(ends), w.int64s(unbox(axes)), w.int64s(steps)));
        }

        /**
         * {@code conv} (channels last, kernel {@code [K.., Cin/G, Cout]}) as ONNX's channels-first Conv:
         * x to {@code [N, C, S..]}, the kernel to {@code [Cout, Cin/G, K..]}, the result back. Lhs
         * dilation and negative padding are done by {@link #pad} on x first (ONNX's Conv has neither).
         */
        private String conv(String x, String k, Shape xs, Shape ks, Conv c, DType t) {
            int r = c.spatialRank();
            if (r == 0) { // a per-position grouped matrix product: one spatial axis of size 1
                Conv one = Conv.simple(1);
                one = new Conv(one.strides(), one.padLo(), one.padHi(), one.lhsDilation(), one.rhsDilation(), c.groups());
                Shape x1 = Shape.of(xs.dim(0), 1, xs.dim(1)), k1 = Shape.of(1, ks.dim(0), ks.dim(1));
                String y = conv(reshape(x, x1), reshape(k, k1), x1, k1, one, t);
                return reshape(y, Shape.of(xs.dim(0), ks.dim(1)));
            }
            boolean dilate = !c.lhsDilation().all(1);
            boolean negative = false;
            for (int a = 0; a < r; a++) negative |= c.padLo().get(a) < 0 || c.padHi().get(a) < 0;
            String xp = x;
            long[] pads = new long[2 * r];
            if (dilate || negative) {
                int[] lo = new int[r + 2], hi = new int[r + 2], in = new int[r + 2];
                for (int a = 0; a < r; a++) {
                    lo[a + 1] = c.padLo().get(a);
                    hi[a + 1] = c.padHi().get(a);
                    in[a + 1] = c.lhsDilation().get(a) - 1;
                }
                xp = pad(x, xs, lo, hi, in, t);
            } else {
                for (int a = 0; a < r; a++) {
                    pads[a] = c.padLo().get(a);
                    pads[r + a] = c.padHi().get(a);
                }
            }
            int[] toNcs = new int[r + 2], toKernel = new int[r + 2], back = new int[r + 2];
            toNcs[1] = r + 1;
            toKernel[0] = r + 1;
            toKernel[1] = r;
            for (int a = 0; a < r; a++) {
                toNcs[a + 2] = a + 1;
                toKernel[a + 2] = a;
                back[a + 1] = a + 2;
            }
            back[r + 1] = 1;
            String xt = w.node("Transpose", List.of(xp), attr("perm", toNcs));
            String kt = w.node("Transpose", List.of(k), attr("perm", toKernel));
            int[] kernelShape = Arrays.copyOf(ks.dims(), r);
            String y = w.node("Conv", List.of(xt, kt), attr("strides", c.strides().toArray()), attr("dilations", c.rhsDilation().toArray()),
                    attr("group", (long) c.groups()), attr("pads", pads), attr("kernel_shape", kernelShape));
            return w.node("Transpose", List.of(y), attr("perm", back));
        }

        private IllegalArgumentException notExportable(Node node, String why) {
            return new IllegalArgumentException("onnx export: node " + node + " (built at " + node.where() + ") is not exportable: " + why);
        }
    }

    private static long[] longs(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    private static long[] unbox(List<Long> v) {
        long[] out = new long[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int product(Shape s, Ints axes) {
        int p = 1;
        for (int i = 0; i < axes.size(); i++) p *= s.dim(axes.get(i));
        return p;
    }
}
