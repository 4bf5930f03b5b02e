package dev.adjoint.onnx.internal;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GatherND and ScatterND as one gather / scatter_add on a flattened view (the index tuples become
 * linear indices in the graph, negatives normalised), and TopK with a static k as k rounds of
 * arg-extremum and masking (first index on ties, as ONNX's sorted output).
 */
final class NdIndexOps {
    private NdIndexOps() {}

    static void register(Map<String, OpSpec> m) {
        m.put("GatherND", new OpSpec("GatherND", Set.of("batch_dims"), 11, Importer.MAX_OPSET, NdIndexOps::gatherNd));
        m.put("ScatterND", new OpSpec("ScatterND", Set.of("reduction"), 11, Importer.MAX_OPSET, NdIndexOps::scatterNd));
        m.put("TopK", new OpSpec("TopK", Set.of("axis", "largest", "sorted"), 10, Importer.MAX_OPSET, NdIndexOps::topK));
    }

    /** Linear indices [..] (i64) into the first {@code k} axes after {@code b} of {@code data} from tuples {@code idx [.., k]}. */
    private static Tensor linear(Ctx c, Tensor idx, int[] dataDims, int b, int k) {
        c.requireType(idx, "the indices", DType.I32, DType.I64);
        Tensor i = idx.convert(DType.I64);
        double[] sizes = new double[k], strides = new double[k];
        long st = 1;
        for (int j = k - 1; j >= 0; j--) {
            sizes[j] = dataDims[b + j];
            strides[j] = st;
            st *= dataDims[b + j];
        }
        Tensor n = c.g.constant(DType.I64, Shape.of(k), sizes);
        i = Tensor.where(i.lt(0.0), i.add(n), i);
        Tensor lin = i.mul(c.g.constant(DType.I64, Shape.of(k), strides)).sum(idx.rank() - 1);
        if (b == 0) return lin;
        // Batch axes: each index tuple reads within its own batch entry.
        Shape s = lin.shape();
        Tensor batch = null;
        long bs = 1;
        for (int a = b - 1; a >= 0; a--) {
            Tensor t = c.g.iota(s, a, DType.I64).mul((double) bs);
            batch = batch == null ? t : batch.add(t);
            bs *= dataDims[a];
        }
        return batch.mul((double) st).add(lin);
    }

    private static List<Tensor> gatherNd(Ctx c) {
        Tensor x = c.in(0), idx = c.in(1);
        int b = (int) c.attrs.i("batch_dims", 0);
        int k = idx.dim(idx.rank() - 1);
        int[] d = x.shape().dims();
        Tensor lin = linear(c, idx, d, b, k);
        long outer = 1;
        for (int a = 0; a < b + k; a++) outer *= d[a];
        int[] flat = new int[1 + d.length - b - k];
        flat[0] = (int) outer;
        for (int a = b + k; a < d.length; a++) flat[1 + a - b - k] = d[a];
        return List.of(x.reshape(flat).gather(lin, 0));
    }

    private static List<Tensor> scatterNd(Ctx c) {
        Tensor x = c.in(0), idx = c.in(1), upd = c.in(2);
        String red = c.attrs.s("reduction", "none");
        if (!red.equals("none") && !red.equals("add")) throw c.attrs.badValue("reduction", red);
        int k = idx.dim(idx.rank() - 1);
        int[] d = x.shape().dims();
        Tensor lin = linear(c, idx, d, 0, k);
        long outer = 1;
        for (int a = 0; a < k; a++) outer *= d[a];
        int m = lin.shape().size();
        List<Integer> flat = new ArrayList<>(List.of((int) outer)), uflat = new ArrayList<>(List.of(m));
        for (int a = k; a < d.length; a++) {
            flat.add(d[a]);
            uflat.add(d[a]);
        }
        int[] fd = flat.stream().mapToInt(Integer::intValue).toArray(), ud = uflat.stream().mapToInt(Integer::intValue).toArray();
        Tensor xf = x.reshape(fd), uf = upd.reshape(ud);
        int[] ones = new int[ud.length];
        Arrays.fill(ones, 1);
        ones[0] = m;
        Tensor li = lin.reshape(ones).broadcastTo(ud);
        if (red.equals("add")) return List.of(xf.scatterAdd(li, uf, 0).reshape(d));
        Tensor zeros = c.g.fill(0.0, x.dtype(), fd);
        Tensor hit = zeros.scatterAdd(li, c.g.fill(1.0, x.dtype(), ud), 0).gt(0.0);
        return List.of(Tensor.where(hit, zeros.scatterAdd(li, uf, 0), xf).reshape(d));
    }

    private static List<Tensor> topK(Ctx c) {
        Tensor x = ElementwiseOps.floatIn(c, 0);
        int axis = c.axis(c.attrs.i("axis", -1), x.rank(), "axis");
        int k = (int) c.longs(1, "k")[0];
        if (k > 64) throw c.unsupported("k = " + k + " (the unrolled selection stops at 64)", "TopK with k > 64");
        if (c.attrs.i("sorted", 1) != 1) throw c.attrs.badValue("sorted", 0);
        boolean largest = c.attrs.i("largest", 1) == 1;
        Tensor iota = c.g.iota(x.shape(), axis, DType.I64);
        Tensor fill = c.g.constant(largest ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY, x.dtype());
        Tensor cur = x;
        List<Tensor> vals = new ArrayList<>(), idxs = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            Tensor i = largest ? cur.argmax(axis, true) : cur.argmin(axis, true);
            vals.add(x.takeAlongAxis(i, axis));
            idxs.add(i);
            cur = Tensor.where(iota.eq(i), fill, cur);
        }
        Tensor v = vals.size() == 1 ? vals.get(0) : Tensor.concatenate(axis, vals.toArray(new Tensor[0]));
        Tensor ix = idxs.size() == 1 ? idxs.get(0) : Tensor.concatenate(axis, idxs.toArray(new Tensor[0]));
        return List.of(v, ix);
    }
}
