package dev.adjoint.onnx.internal;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Indexing ops: Gather, GatherElements, ScatterElements, ArgMax/ArgMin, CumSum, OneHot, Trilu. */
final class IndexOps {
    private IndexOps() {}

    static void register(Map<String, OpSpec> m) {
        put(m, "Gather", Set.of("axis"), c -> {
            Tensor x = c.in(0);
            int axis = c.axis(c.attrs.i("axis", 0), x.rank(), "axis");
            return List.of(x.gather(normalise(c, c.in(1), x.dim(axis)), axis));
        });
        put(m, "GatherElements", Set.of("axis"), c -> {
            Tensor x = c.in(0);
            int axis = c.axis(c.attrs.i("axis", 0), x.rank(), "axis");
            return List.of(x.takeAlongAxis(normalise(c, c.in(1), x.dim(axis)), axis));
        });
        put(m, "ScatterElements", Set.of("axis", "reduction"), c -> scatter(c));
        // Scatter (opsets 9 and 10) is ScatterElements under its old name.
        m.put("Scatter", new OpSpec("Scatter", Set.of("axis"), 9, 10, IndexOps::scatter));
        put(m, "ArgMax", Set.of("axis", "keepdims", "select_last_index"), c -> arg(c, true));
        put(m, "ArgMin", Set.of("axis", "keepdims", "select_last_index"), c -> arg(c, false));
        put(m, "CumSum", Set.of("exclusive", "reverse"), c -> {
            Tensor x = c.in(0);
            c.requireType(x, "the input", DType.F32, DType.F64, DType.I32, DType.I64);
            int axis = c.axis(c.longs(1, "axis")[0], x.rank(), "axis");
            boolean rev = c.attrs.i("reverse", 0) == 1;
            Tensor y = x.cumsum(axis, rev);
            if (c.attrs.i("exclusive", 0) == 1) y = y.sub(x);
            return List.of(y);
        });
        put(m, "OneHot", Set.of("axis"), c -> {
            Tensor ids = c.in(0);
            c.requireType(ids, "the indices", DType.I32, DType.I64, DType.F32, DType.F64);
            int depth = (int) c.constant(1, "depth").data()[0];
            Tensor values = c.in(2);
            int r = ids.rank() + 1;
            int axis = c.axis(c.attrs.i("axis", -1), r, "axis");
            Tensor idx = ids.dtype().isFloat() ? ids.convert(DType.I64) : ids.convert(DType.I64);
            idx = Tensor.where(idx.lt(0L), idx.add((double) depth), idx).unsqueeze(axis);
            int[] dims = idx.shape().dims();
            dims[axis] = depth;
            Tensor iota = c.g.iota(Shape.of(dims), axis, DType.I64);
            Tensor hit = iota.eq(idx);
            Tensor off = values.slice(new int[] {0}, new int[] {1}).reshape();
            Tensor on = values.slice(new int[] {1}, new int[] {2}).reshape();
            return List.of(Tensor.where(hit, on, off));
        });
        put(m, "Trilu", Set.of("upper"), c -> {
            Tensor x = c.in(0);
            long k = c.has(1) ? c.longs(1, "k")[0] : 0;
            int r = x.rank();
            if (x.shape().size() == 0) return List.of(x);
            Shape s = Shape.of(x.dim(r - 2), x.dim(r - 1));
            Tensor row = c.g.iota(s, 0, DType.I64), col = c.g.iota(s, 1, DType.I64);
            Tensor d = col.sub(row);
            Tensor keep = c.attrs.i("upper", 1) == 1 ? d.ge((double) k) : d.le((double) k);
            return List.of(Tensor.where(keep, x, c.g.constant(0, x.dtype())));
        });
    }

    /** ONNX allows negative indices (from the end): where(i < 0, i + n, i), in the graph. */
    static Tensor normalise(Ctx c, Tensor idx, int n) {
        c.requireType(idx, "the indices", DType.I32, DType.I64);
        return Tensor.where(idx.lt(0.0), idx.add((double) n), idx);
    }

    private static List<Tensor> scatter(Ctx c) {
        Tensor x = c.in(0), idx = c.in(1), upd = c.in(2);
        int axis = c.axis(c.attrs.i("axis", 0), x.rank(), "axis");
        idx = normalise(c, idx, x.dim(axis));
        String red = c.attrs.s("reduction", "none");
        Tensor zeros = c.g.fill(0.0, x.dtype(), x.shape().dims());
        switch (red) {
            case "add" -> { return List.of(x.scatterAdd(idx, upd, axis)); }
            case "none" -> {
                // Replace (ONNX leaves repeated indices undefined): the hit mask from scattering ones.
                Tensor ones = c.g.fill(1.0, x.dtype(), upd.shape().dims());
                Tensor hit = zeros.scatterAdd(idx, ones, axis).gt(0.0);
                return List.of(Tensor.where(hit, zeros.scatterAdd(idx, upd, axis), x));
            }
            default -> throw c.attrs.badValue("reduction", red);
        }
    }

    private static List<Tensor> arg(Ctx c, boolean max) {
        Tensor x = c.in(0);
        int axis = c.axis(c.attrs.i("axis", 0), x.rank(), "axis");
        boolean keep = c.attrs.i("keepdims", 1) == 1;
        if (c.attrs.i("select_last_index", 0) == 1) {
            // The last extremum is the first one of the reversed axis.
            Tensor rx = x.rev(axis);
            Tensor i = max ? rx.argmax(axis, keep) : rx.argmin(axis, keep);
            return List.of(c.g.constant(x.dim(axis) - 1, DType.I64).sub(i));
        }
        return List.of(max ? x.argmax(axis, keep) : x.argmin(axis, keep));
    }

    private static void put(Map<String, OpSpec> m, String op, Set<String> attrs, OpMapper f) {
        m.put(op, new OpSpec(op, attrs, Importer.MIN_OPSET, Importer.MAX_OPSET, f));
    }
}
