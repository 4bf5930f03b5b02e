package dev.adjoint.onnx.internal;

import ai.onnx.proto.OnnxMl;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.onnx.LoadOptions;
import dev.adjoint.onnx.OnnxException;
import dev.adjoint.onnx.OnnxModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the Adjoint graph of a ModelProto: the inputs (symbolic sizes from {@link LoadOptions}),
 * the initializers (constants or named parameters), then each node in file order through its
 * {@link OpSpec} from {@link OpRegistry}, folded at import time when its inputs are all known.
 */
public final class Importer {
    /** The default-domain opsets the op mappers are written for. */
    public static final long MIN_OPSET = 6, MAX_OPSET = 17;

    private Importer() {}

    /** Imports {@code model} (read from {@code source}). */
    public static OnnxModel importModel(OnnxMl.ModelProto model, String source, LoadOptions options) {
        long opset = -1;
        for (OnnxMl.OperatorSetIdProto id : model.getOpsetImportList()) {
            String d = id.getDomain();
            if (d.isEmpty() || d.equals("ai.onnx")) opset = id.getVersion();
            else if (!d.equals("ai.onnx.ml") && !d.equals("ai.onnx.preview.training")) {
                // Other domains only matter if a node uses them; that node is rejected by its domain below.
            }
        }
        // No default-domain import (a model of other domains only): each node is then checked by its domain.
        if (opset >= 0 && (opset < MIN_OPSET || opset > MAX_OPSET)) {
            throw new OnnxException("onnx: " + source + " imports opset " + opset + " of the default domain; the importer maps opsets "
                    + MIN_OPSET + " to " + MAX_OPSET, "opset " + opset);
        }
        OnnxMl.GraphProto gp = model.getGraph();
        if (!gp.getSparseInitializerList().isEmpty()) {
            throw new OnnxException("onnx: " + source + " has sparse initializers, which the importer does not read", "sparse initializers");
        }
        Graph g = new Graph();
        Env env = new Env(source);
        Map<String, OnnxModel.Parameter> params = new LinkedHashMap<>();
        Set<String> initNames = new HashSet<>();
        for (OnnxMl.TensorProto init : gp.getInitializerList()) {
            String where = "initializer '" + init.getName() + "' of " + source;
            NdArray v = TensorData.read(init, where);
            initNames.add(init.getName());
            Tensor t;
            if (options.initializersAsParameters() && v.dtype().isFloat()) {
                t = g.input(init.getName(), v.dtype(), v.shape());
                params.put(init.getName(), new OnnxModel.Parameter(t, v));
            } else {
                t = g.constant(v.dtype(), v.shape(), v.data());
            }
            env.bind(init.getName(), t);
        }
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (OnnxMl.ValueInfoProto vi : gp.getInputList()) {
            if (initNames.contains(vi.getName())) continue; // an initializer listed as an input (IR < 4): its default wins
            NdArray fixed = options.inputValues().get(vi.getName());
            if (fixed != null) {
                env.bind(vi.getName(), g.constant(fixed.dtype(), fixed.shape(), fixed.data()));
                continue;
            }
            Tensor t = input(g, vi, source, options);
            inputs.put(vi.getName(), t);
            env.bind(vi.getName(), t);
        }
        for (OnnxMl.NodeProto n : gp.getNodeList()) importNode(n, g, env, opset, source);
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        for (OnnxMl.ValueInfoProto vi : gp.getOutputList()) outputs.put(vi.getName(), env.get(vi.getName(), null));
        return new OnnxModel(g, Collections.unmodifiableMap(inputs), Collections.unmodifiableMap(outputs),
                Collections.unmodifiableMap(params), opset);
    }

    private static Tensor input(Graph g, OnnxMl.ValueInfoProto vi, String source, LoadOptions options) {
        String where = "input '" + vi.getName() + "' of " + source;
        if (!vi.getType().hasTensorType()) {
            throw new OnnxException("onnx: " + where + " is not a tensor (" + vi.getType().getValueCase() + ")", "non-tensor input");
        }
        OnnxMl.TypeProto.Tensor tt = vi.getType().getTensorType();
        DType d = TensorData.dtype(tt.getElemType(), where);
        if (!tt.hasShape()) throw new OnnxException("onnx: " + where + " has no shape; the importer needs static ranks", "input shape");
        int r = tt.getShape().getDimCount();
        int[] dims = new int[r];
        for (int a = 0; a < r; a++) {
            OnnxMl.TensorShapeProto.Dimension dim = tt.getShape().getDim(a);
            if (dim.hasDimValue()) {
                dims[a] = (int) dim.getDimValue();
            } else {
                String p = dim.getDimParam();
                Integer size = options.dims().get(p);
                if (size == null && a == 0 && options.batch() > 0) size = options.batch();
                if (size == null) {
                    throw new OnnxException("onnx: " + where + " axis " + a + " has the symbolic size '" + p
                            + "'; give it with LoadOptions.withDim(\"" + p + "\", n)" + (a == 0 ? " or withBatch(n)" : ""),
                            "a size for dim " + p);
                }
                dims[a] = size;
            }
        }
        return g.input(vi.getName(), d, Shape.of(dims));
    }

    private static void importNode(OnnxMl.NodeProto n, Graph g, Env env, long opset, String source) {
        String name = n.getName().isEmpty() ? (n.getOutputCount() > 0 ? n.getOutput(0) : "?") : n.getName();
        NodeInfo info = new NodeInfo(name, n.getOpType(), opset, source);
        String domain = n.getDomain();
        if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
            throw info.unsupported("domain " + domain + " is not supported (only the default ONNX domain)", "domain " + domain);
        }
        OpSpec spec = OpRegistry.get(n.getOpType());
        if (spec == null) throw info.unsupported("op " + n.getOpType() + " is not supported", "op " + n.getOpType());
        if (opset < 0) throw info.unsupported("the model imports no opset of the default domain", "a default-domain opset");
        if (opset < spec.minOpset() || opset > spec.maxOpset()) {
            throw info.unsupported("op " + n.getOpType() + " is mapped for opsets " + spec.minOpset() + " to " + spec.maxOpset(),
                    "op " + n.getOpType() + " at opset " + opset);
        }
        Attrs attrs = new Attrs(n, info);
        attrs.requireOnly(spec.attributes());
        List<Tensor> ins = new ArrayList<>();
        for (String in : n.getInputList()) ins.add(env.get(in, info));
        List<Tensor> outs;
        try {
            if (Folding.foldable(ins) && !ins.isEmpty() || ins.stream().allMatch(t -> t == null)) {
                Graph scratch = new Graph();
                List<Tensor> local = new ArrayList<>();
                for (Tensor t : ins) local.add(t == null ? null : Folding.copy(t, scratch));
                List<Tensor> made = spec.mapper().map(new Ctx(scratch, info, attrs, local, n.getInputList(), n.getOutputCount()));
                outs = Folding.evaluate(scratch, made, g);
            } else {
                outs = spec.mapper().map(new Ctx(g, info, attrs, ins, n.getInputList(), n.getOutputCount()));
            }
        } catch (OnnxException e) {
            throw e;
        } catch (RuntimeException e) {
            // A shape or type rule of the graph refused what the mapper built: the node is malformed
            // or uses a combination the mapping does not cover. Name the node either way.
            throw new OnnxException("onnx: " + info.describe() + ": " + e.getMessage(), "op " + n.getOpType() + " (" + e.getMessage() + ")", e);
        }
        for (int k = 0; k < n.getOutputCount(); k++) {
            String out = n.getOutput(k);
            if (out.isEmpty()) continue;
            Tensor t = k < outs.size() ? outs.get(k) : null;
            if (t == null) throw info.unsupported("output " + k + " ('" + out + "') is not produced by the mapping", "output " + k + " of " + n.getOpType());
            env.bind(out, t);
        }
    }

    /** Whether {@code t} is a constant (known at import time). */
    static boolean isConstant(Tensor t) { return t.op() instanceof Constant; }
}
