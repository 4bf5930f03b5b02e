package dev.adjoint.onnx.internal;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Shape and layout ops: Reshape, Transpose, Concat, Split, Slice, Pad, Expand, Tile, Shape, Constant, Range, ... */
final class ShapeOps {
    private ShapeOps() {}

    static void register(Map<String, OpSpec> m) {
        put(m, "Constant", Set.of("value", "value_float", "value_floats", "value_int", "value_ints"), c -> {
            if (c.attrs.has("value")) {
                NdArray v = TensorData.read(c.attrs.tensor("value"), "attribute value of " + c.node.describe());
                return List.of(c.g.constant(v.dtype(), v.shape(), v.data()));
            }
            if (c.attrs.has("value_float")) return List.of(c.g.constant(c.attrs.f("value_float", 0), DType.F32));
            if (c.attrs.has("value_int")) return List.of(c.g.constant(TensorData.clamp(c.attrs.i("value_int", 0)), DType.I64));
            if (c.attrs.has("value_floats")) {
                float[] f = c.attrs.floats("value_floats");
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) d[i] = f[i];
                return List.of(c.g.constant(DType.F32, Shape.of(f.length), d));
            }
            if (c.attrs.has("value_ints")) {
                long[] v = c.attrs.ints("value_ints");
                double[] d = new double[v.length];
                for (int i = 0; i < v.length; i++) d[i] = TensorData.clamp(v[i]);
                return List.of(c.g.constant(DType.I64, Shape.of(v.length), d));
            }
            throw c.unsupported("has none of the value attributes the importer reads", "Constant value");
        });
        put(m, "Shape", Set.of("start", "end"), c -> {
            int[] d = c.in(0).shape().dims();
            int r = d.length;
            int s = (int) clampAxis(c.attrs.i("start", 0), r), e = (int) clampAxis(c.attrs.i("end", r), r);
            double[] v = new double[Math.max(e - s, 0)];
            for (int i = 0; i < v.length; i++) v[i] = d[s + i];
            return List.of(c.g.constant(DType.I64, Shape.of(v.length), v));
        });
        put(m, "Size", Set.of(), c -> List.of(c.g.constant(c.in(0).shape().size(), DType.I64)));
        put(m, "ConstantOfShape", Set.of("value"), c -> {
            long[] dims = c.longs(0, "shape");
            DType t = DType.F32;
            double v = 0;
            if (c.attrs.has("value")) {
                NdArray a = TensorData.read(c.attrs.tensor("value"), "attribute value of " + c.node.describe());
                t = a.dtype();
                v = a.data()[0];
            }
            return List.of(c.g.fill(v, t, toInts(dims)));
        });
        put(m, "Range", Set.of(), c -> {
            NdArray s = c.constant(0, "start"), l = c.constant(1, "limit"), d = c.constant(2, "delta");
            double start = s.data()[0], limit = l.data()[0], delta = d.data()[0];
            int n = (int) Math.max(Math.ceil((limit - start) / delta), 0);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = start + i * delta;
            if (s.dtype() == DType.F32) for (int i = 0; i < n; i++) v[i] = (float) ((float) start + i * (float) delta);
            return List.of(c.g.constant(s.dtype(), Shape.of(n), v));
        });
        put(m, "Reshape", Set.of("allowzero"), c -> {
            Tensor x = c.in(0);
            long[] s = c.longs(1, "shape");
            boolean allowZero = c.attrs.i("allowzero", 0) == 1;
            int[] dims = new int[s.length];
            for (int i = 0; i < s.length; i++) dims[i] = s[i] == 0 && !allowZero ? x.dim(i) : (int) s[i];
            return List.of(x.reshape(dims));
        });
        put(m, "Flatten", Set.of("axis"), c -> {
            Tensor x = c.in(0);
            int r = x.rank();
            long a = c.attrs.i("axis", 1);
            int axis = (int) (a < 0 ? a + r : a);
            if (axis < 0 || axis > r) throw c.attrs.badValue("axis", a);
            int outer = 1;
            for (int i = 0; i < axis; i++) outer *= x.dim(i);
            int inner = x.shape().size() / Math.max(outer, 1);
            if (outer == 0) inner = 1;
            return List.of(x.reshape(outer, inner));
        });
        put(m, "Transpose", Set.of("perm"), c -> {
            Tensor x = c.in(0);
            long[] p = c.attrs.ints("perm");
            int r = x.rank();
            int[] perm = new int[r];
            for (int i = 0; i < r; i++) perm[i] = p == null ? r - 1 - i : c.axis(p[i], r, "perm");
            return List.of(x.transpose(perm));
        });
        put(m, "Squeeze", Set.of("axes"), c -> {
            Tensor x = c.in(0);
            long[] axes = c.opset() >= 13 ? (c.has(1) ? c.longs(1, "axes") : null) : c.attrs.ints("axes");
            if (axes == null) return List.of(x.squeeze());
            int[] a = new int[axes.length];
            for (int i = 0; i < a.length; i++) a[i] = c.axis(axes[i], x.rank(), "axes");
            return List.of(x.squeeze(a));
        });
        put(m, "Unsqueeze", Set.of("axes"), c -> {
            Tensor x = c.in(0);
            long[] axes = c.opset() >= 13 ? c.longs(1, "axes") : c.attrs.ints("axes");
            int r = x.rank() + axes.length;
            int[] a = new int[axes.length];
            for (int i = 0; i < a.length; i++) a[i] = c.axis(axes[i], r, "axes");
            Arrays.sort(a);
            int[] dims = new int[r];
            int k = 0, j = 0;
            for (int i = 0; i < r; i++) {
                if (j < a.length && a[j] == i) {
                    dims[i] = 1;
                    j++;
                } else {
                    dims[i] = x.dim(k++);
                }
            }
            return List.of(x.reshape(dims));
        });
        put(m, "Concat", Set.of("axis"), c -> {
            Tensor[] xs = new Tensor[c.inputCount()];
            for (int i = 0; i < xs.length; i++) xs[i] = c.in(i);
            if (!c.attrs.has("axis") && c.opset() >= 4) throw c.unsupported("attribute axis is required", "Concat axis");
            int axis = c.axis(c.attrs.i("axis", 1), xs[0].rank(), "axis");
            List<Tensor> nonEmpty = new ArrayList<>();
            for (Tensor t : xs) if (t.dim(axis) > 0) nonEmpty.add(t);
            if (nonEmpty.isEmpty()) nonEmpty.add(xs[0]);
            return List.of(nonEmpty.size() == 1 ? nonEmpty.get(0) : Tensor.concatenate(axis, nonEmpty.toArray(new Tensor[0])));
        });
        put(m, "Split", Set.of("axis", "split"), c -> {
            Tensor x = c.in(0);
            int axis = c.axis(c.attrs.i("axis", 0), x.rank(), "axis");
            if (c.opset() < 13 && c.has(1)) throw c.unsupported("split as an input before opset 13", "Split split input");
            long[] split = c.opset() >= 13 ? (c.has(1) ? c.longs(1, "split") : null) : c.attrs.ints("split");
            int n = c.outputCount;
            int[] sizes = new int[n];
            if (split == null) {
                int len = x.dim(axis);
                if (len % n != 0) throw c.unsupported("axis size " + len + " does not split evenly into " + n, "even Split");
                Arrays.fill(sizes, len / n);
            } else {
                sizes = toInts(split);
            }
            List<Tensor> out = new ArrayList<>();
            int start = 0;
            for (int s : sizes) {
                int[] lo = new int[x.rank()], hi = x.shape().dims();
                lo[axis] = start;
                hi[axis] = start + s;
                out.add(x.slice(lo, hi));
                start += s;
            }
            return out;
        });
        put(m, "Slice", Set.of("starts", "ends", "axes"), c -> {
            Tensor x = c.in(0);
            long[] starts, ends, axes, steps;
            if (c.opset() < 10) {
                starts = c.attrs.ints("starts");
                ends = c.attrs.ints("ends");
                axes = c.attrs.ints("axes");
                steps = null;
            } else {
                starts = c.longs(1, "starts");
                ends = c.longs(2, "ends");
                axes = c.has(3) ? c.longs(3, "axes") : null;
                steps = c.has(4) ? c.longs(4, "steps") : null;
            }
            return List.of(slice(c, x, starts, ends, axes, steps));
        });
        put(m, "Pad", Set.of("mode", "pads", "value"), c -> {
            Tensor x = c.in(0);
            String mode = c.attrs.s("mode", "constant");
            long[] pads;
            double value = 0;
            int r = x.rank();
            if (c.opset() < 11) {
                pads = c.attrs.ints("pads");
                value = c.attrs.f("value", 0);
            } else {
                pads = c.longs(1, "pads");
                if (c.has(2)) value = c.constant(2, "constant_value").data()[0];
                if (c.has(3)) {
                    long[] axes = c.longs(3, "axes");
                    long[] full = new long[2 * r];
                    for (int i = 0; i < axes.length; i++) {
                        int a = c.axis(axes[i], r, "axes");
                        full[a] = pads[i];
                        full[a + r] = pads[i + axes.length];
                    }
                    pads = full;
                }
            }
            int[] lo = new int[r], hi = new int[r];
            for (int a = 0; a < r; a++) {
                lo[a] = (int) pads[a];
                hi[a] = (int) pads[a + r];
            }
            return List.of(switch (mode) {
                case "constant" -> x.pad(lo, hi, new int[r], value);
                case "edge", "reflect" -> padCopying(x, lo, hi, mode.equals("reflect"));
                default -> throw c.attrs.badValue("mode", mode);
            });
        });
        put(m, "Expand", Set.of(), c -> {
            Tensor x = c.in(0);
            int[] s = toInts(c.longs(1, "shape"));
            Shape target = Tensor.broadcastShapes("Expand", x.shape(), Shape.of(s));
            return List.of(x.broadcastTo(target));
        });
        put(m, "Tile", Set.of(), c -> List.of(c.in(0).tile(toInts(c.longs(1, "repeats")))));
        put(m, "ReverseSequence", Set.of("batch_axis", "time_axis"), c -> {
            // Per batch entry b, the first lens[b] steps reversed: a take_along_axis with constant indices.
            Tensor x = c.in(0);
            long[] lens = c.longs(1, "sequence_lens");
            int ba = c.axis(c.attrs.i("batch_axis", 1), x.rank(), "batch_axis"), ta = c.axis(c.attrs.i("time_axis", 0), x.rank(), "time_axis");
            int nb = x.dim(ba), nt = x.dim(ta);
            double[] idx = new double[nb * nt];
            for (int b = 0; b < nb; b++) {
                for (int t = 0; t < nt; t++) idx[ta < ba ? t * nb + b : b * nt + t] = t < lens[b] ? lens[b] - 1 - t : t;
            }
            int[] dims = new int[x.rank()];
            Arrays.fill(dims, 1);
            dims[ba] = nb;
            dims[ta] = nt;
            Tensor i = c.g.constant(DType.I64, Shape.of(dims), idx).broadcastTo(x.shape());
            return List.of(x.takeAlongAxis(i, ta));
        });
        put(m, "EyeLike", Set.of("dtype", "k"), c -> {
            Tensor x = c.in(0);
            DType t = c.attrs.has("dtype") ? TensorData.dtype((int) c.attrs.i("dtype", 1), "attribute dtype of " + c.node.describe()) : x.dtype();
            Shape s = x.shape();
            Tensor d = c.g.iota(s, 1, DType.I64).sub(c.g.iota(s, 0, DType.I64));
            return List.of(d.eq((double) c.attrs.i("k", 0)).convert(t));
        });
        put(m, "DepthToSpace", Set.of("blocksize", "mode"), c -> {
            Tensor x = c.in(0);
            int b = (int) c.attrs.i("blocksize", 1), n = x.dim(0), ch = x.dim(1), h = x.dim(2), w = x.dim(3);
            boolean crd = c.attrs.s("mode", "DCR").equals("CRD");
            Tensor y = crd ? x.reshape(n, ch / (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
                    : x.reshape(n, b, b, ch / (b * b), h, w).transpose(0, 3, 4, 1, 5, 2);
            return List.of(y.reshape(n, ch / (b * b), h * b, w * b));
        });
        put(m, "SpaceToDepth", Set.of("blocksize"), c -> {
            Tensor x = c.in(0);
            int b = (int) c.attrs.i("blocksize", 1), n = x.dim(0), ch = x.dim(1), h = x.dim(2), w = x.dim(3);
            return List.of(x.reshape(n, ch, h / b, b, w / b, b).transpose(0, 3, 5, 1, 2, 4).reshape(n, ch * b * b, h / b, w / b));
        });
    }

    /** ONNX Slice: per listed axis, clamped starts/ends; negative steps reverse the axis first. */
    static Tensor slice(Ctx c, Tensor x, long[] starts, long[] ends, long[] axes, long[] steps) {
        int r = x.rank();
        int[] lo = new int[r], hi = x.shape().dims(), st = new int[r];
        Arrays.fill(st, 1);
        List<Integer> reversed = new ArrayList<>();
        for (int i = 0; i < starts.length; i++) {
            int a = axes == null ? i : c.axis(axes[i], r, "axes");
            long step = steps == null ? 1 : steps[i];
            if (step == 0) throw c.unsupported("step 0 on axis " + a, "nonzero Slice step");
            long n = x.dim(a);
            long s = starts[i], e = ends[i];
            if (s < 0) s += n;
            if (e < 0) e += n;
            if (step > 0) {
                s = Math.max(0, Math.min(n, s));
                e = Math.max(0, Math.min(n, e));
                lo[a] = (int) s;
                hi[a] = (int) Math.max(s, e);
                st[a] = (int) step;
            } else {
                // x[s:e:-k] on the reversed axis is x'[n-1-s : n-1-e : k].
                s = Math.max(-1, Math.min(n - 1, s));
                e = Math.max(-1, Math.min(n - 1, e));
                long rs = n - 1 - s, re = n - 1 - e;
                lo[a] = (int) rs;
                hi[a] = (int) Math.max(rs, re);
                st[a] = (int) -step;
                reversed.add(a);
            }
        }
        Tensor y = x;
        if (!reversed.isEmpty()) y = y.rev(reversed.stream().mapToInt(Integer::intValue).toArray());
        return y.slice(lo, hi, st);
    }

    /** Edge or reflect padding by concatenating slices (negative pads crop first). */
    static Tensor padCopying(Tensor x, int[] lo, int[] hi, boolean reflect) {
        Tensor y = x;
        int r = x.rank();
        for (int a = 0; a < r; a++) {
            if (lo[a] < 0 || hi[a] < 0) {
                int[] s = new int[r], e = y.shape().dims();
                s[a] = Math.max(-lo[a], 0);
                e[a] = y.dim(a) - Math.max(-hi[a], 0);
                y = y.slice(s, e);
            }
            int l = Math.max(lo[a], 0), h = Math.max(hi[a], 0);
            if (l == 0 && h == 0) continue;
            int n = y.dim(a);
            List<Tensor> parts = new ArrayList<>();
            for (int i = l; i >= 1; i--) parts.add(take(y, a, reflect ? reflectIndex(-i, n) : 0));
            parts.add(y);
            for (int i = 1; i <= h; i++) parts.add(take(y, a, reflect ? reflectIndex(n - 1 + i, n) : n - 1));
            y = Tensor.concatenate(a, parts.toArray(new Tensor[0]));
        }
        return y;
    }

    private static int reflectIndex(int i, int n) {
        if (n == 1) return 0;
        int p = 2 * (n - 1);
        int k = Math.floorMod(i, p);
        return k < n ? k : p - k;
    }

    private static Tensor take(Tensor y, int axis, int i) {
        int[] s = new int[y.rank()], e = y.shape().dims();
        s[axis] = i;
        e[axis] = i + 1;
        return y.slice(s, e);
    }

    static long clampAxis(long a, int r) {
        if (a < 0) a += r;
        return Math.max(0, Math.min(r, a));
    }

    static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }

    private static void put(Map<String, OpSpec> m, String op, Set<String> attrs, OpMapper f) {
        m.put(op, new OpSpec(op, attrs, Importer.MIN_OPSET, Importer.MAX_OPSET, f));
    }
}
