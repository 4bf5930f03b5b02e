package dev.adjoint.onnx.internal;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Einsum;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Neural-network ops: convolutions, pooling, normalisations, softmax, Gemm/MatMul/Einsum. ONNX is
 * channels first (NCHW, kernels OIHW); Adjoint's conv and pooling are channels last, so each maps
 * through transposes (the optimizer's layout pass folds neighbouring pairs).
 */
final class NnOps {
    private NnOps() {}

    private static final DType[] FLOATS = {DType.F32, DType.F64};

    static void register(Map<String, OpSpec> m) {
        put(m, "Conv", Set.of("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"), NnOps::conv);
        put(m, "ConvTranspose", Set.of("auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads",
                "strides"), NnOps::convTranspose);
        put(m, "MaxPool", Set.of("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"),
                c -> pool(c, true));
        put(m, "AveragePool", Set.of("auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"),
                c -> pool(c, false));
        put(m, "GlobalAveragePool", Set.of(), c -> List.of(floatIn(c, 0).mean(spatial(c.in(0)), true)));
        put(m, "GlobalMaxPool", Set.of(), c -> List.of(floatIn(c, 0).reduceMax(spatial(c.in(0)), true)));
        put(m, "BatchNormalization", Set.of("epsilon", "momentum", "training_mode", "spatial", "is_test"), c -> {
            if (c.opset() < 7 && c.attrs.i("is_test", 0) != 1) throw c.attrs.badValue("is_test", "0 (training)");
            if (c.attrs.i("training_mode", 0) != 0) throw c.attrs.badValue("training_mode", 1);
            if (c.attrs.i("spatial", 1) != 1) throw c.attrs.badValue("spatial", 0);
            if (c.outputCount > 1) throw c.unsupported("the running-statistics outputs are training mode", "BatchNormalization training outputs");
            Tensor x = floatIn(c, 0);
            return List.of(Nn.batchNormInference(x, c.in(3), c.in(4), c.in(1), c.in(2), c.attrs.f("epsilon", 1e-5), 1));
        });
        put(m, "InstanceNormalization", Set.of("epsilon"), c -> {
            Tensor x = floatIn(c, 0);
            int[] ax = spatial(x);
            Tensor mean = x.mean(ax, true);
            Tensor d = x.sub(mean);
            Tensor var = d.square().mean(ax, true);
            Tensor y = d.mul(var.add(c.attrs.f("epsilon", 1e-5)).rsqrt());
            return List.of(y.mul(channel(c.in(1), x.rank())).add(channel(c.in(2), x.rank())));
        });
        put(m, "LayerNormalization", Set.of("axis", "epsilon", "stash_type"), c -> {
            Tensor x = floatIn(c, 0);
            int r = x.rank();
            int axis = c.axis(c.attrs.i("axis", -1), r, "axis");
            int[] ax = new int[r - axis];
            for (int i = 0; i < ax.length; i++) ax[i] = axis + i;
            Tensor mean = x.mean(ax, true);
            Tensor d = x.sub(mean);
            Tensor inv = d.square().mean(ax, true).add(c.attrs.f("epsilon", 1e-5)).rsqrt();
            Tensor y = d.mul(inv).mul(c.in(1));
            if (c.has(2)) y = y.add(c.in(2));
            return List.of(y, mean, inv);
        });
        put(m, "MeanVarianceNormalization", Set.of("axes"), c -> {
            Tensor x = floatIn(c, 0);
            long[] axes = c.attrs.ints("axes");
            if (axes == null) axes = new long[] {0, 2, 3};
            int[] ax = new int[axes.length];
            for (int i = 0; i < ax.length; i++) ax[i] = c.axis(axes[i], x.rank(), "axes");
            // ONNX's function body: (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9).
            Tensor mean = x.mean(ax, true);
            Tensor var = x.square().mean(ax, true).sub(mean.square());
            return List.of(x.sub(mean).div(var.sqrt().add(1e-9)));
        });
        put(m, "LRN", Set.of("alpha", "beta", "bias", "size"), c -> {
            Tensor x = floatIn(c, 0);
            int size = (int) c.attrs.i("size", 1);
            double alpha = c.attrs.f("alpha", 1e-4), beta = c.attrs.f("beta", 0.75), bias = c.attrs.f("bias", 1.0);
            int r = x.rank();
            int[] lo = new int[r], hi = new int[r];
            lo[1] = (size - 1) / 2;
            hi[1] = size - 1 - lo[1];
            Tensor sq = x.square().pad(lo, hi);
            Tensor acc = null;
            for (int k = 0; k < size; k++) {
                int[] s = new int[r], e = sq.shape().dims();
                s[1] = k;
                e[1] = k + x.dim(1);
                Tensor t = sq.slice(s, e);
                acc = acc == null ? t : acc.add(t);
            }
            return List.of(x.div(acc.mul(alpha / size).add(bias).pow(beta)));
        });
        put(m, "LpNormalization", Set.of("axis", "p"), c -> {
            Tensor x = floatIn(c, 0);
            int axis = c.axis(c.attrs.i("axis", -1), x.rank(), "axis");
            long p = c.attrs.i("p", 2);
            int[] ax = {axis};
            Tensor n = switch ((int) p) {
                case 1 -> x.abs().sum(ax, true);
                case 2 -> x.square().sum(ax, true).sqrt();
                default -> throw c.attrs.badValue("p", p);
            };
            return List.of(x.div(n));
        });
        put(m, "Softmax", Set.of("axis"), c -> softmaxLike(c, 0));
        put(m, "LogSoftmax", Set.of("axis"), c -> softmaxLike(c, 1));
        put(m, "Hardmax", Set.of("axis"), c -> softmaxLike(c, 2));
        put(m, "Gemm", Set.of("alpha", "beta", "transA", "transB", "broadcast"), c -> {
            // broadcast (opset < 7) only permitted C to broadcast, which numpy broadcasting covers.
            if (c.attrs.has("broadcast") && c.opset() >= 7) throw c.attrs.badValue("broadcast", "after opset 6");
            Tensor a = floatIn(c, 0), b = c.in(1);
            if (c.attrs.i("transA", 0) == 1) a = a.transpose(1, 0);
            if (c.attrs.i("transB", 0) == 1) b = b.transpose(1, 0);
            Tensor y = a.matmul(b);
            double alpha = c.attrs.f("alpha", 1.0), beta = c.attrs.f("beta", 1.0);
            if (alpha != 1.0) y = y.mul(alpha);
            if (c.has(2)) y = y.add(beta == 1.0 ? c.in(2) : c.in(2).mul(beta));
            return List.of(y);
        });
        put(m, "MatMul", Set.of(), c -> {
            Tensor a = floatIn(c, 0), b = c.in(1);
            ElementwiseOps.sameType(c, a, b);
            return List.of(a.matmul(b));
        });
        put(m, "Einsum", Set.of("equation"), c -> {
            Tensor[] xs = new Tensor[c.inputCount()];
            for (int i = 0; i < xs.length; i++) xs[i] = c.in(i);
            return List.of(Einsum.einsum(c.attrs.s("equation", "").replace(" ", ""), xs));
        });
    }

    private static List<Tensor> softmaxLike(Ctx c, int kind) {
        Tensor x = floatIn(c, 0);
        int r = x.rank();
        if (c.opset() >= 13) {
            int axis = c.axis(c.attrs.i("axis", -1), r, "axis");
            return List.of(softmaxAlong(x, axis, kind));
        }
        // Before opset 13 the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])].
        int axis = (int) ShapeOps.clampAxis(c.attrs.i("axis", 1), r);
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= x.dim(i);
        int inner = outer == 0 ? 0 : x.shape().size() / outer;
        Tensor y = softmaxAlong(x.reshape(outer, inner), 1, kind);
        return List.of(y.reshape(x.shape().dims()));
    }

    private static Tensor softmaxAlong(Tensor x, int axis, int kind) {
        return switch (kind) {
            case 0 -> Nn.softmax(x, axis);
            case 1 -> Nn.logSoftmax(x, axis);
            default -> {
                int[] dims = x.shape().dims();
                Tensor idx = x.argmax(axis, true);
                Tensor iota = x.graph().iota(x.shape(), axis, DType.I64);
                yield iota.eq(idx).convert(x.dtype());
            }
        };
    }

    /** Per spatial axis: pads (lo, hi) from the pads attribute or auto_pad. */
    private record Padding(int[] lo, int[] hi) {}

    private static Padding padding(Ctx c, int[] in, int[] k, int[] s, int[] d) {
        int r = in.length;
        int[] lo = new int[r], hi = new int[r];
        String auto = c.attrs.s("auto_pad", "NOTSET");
        switch (auto) {
            case "NOTSET" -> {
                long[] p = c.attrs.ints("pads");
                if (p != null) {
                    if (p.length != 2 * r) throw c.attrs.badValue("pads", Arrays.toString(p));
                    for (int a = 0; a < r; a++) {
                        lo[a] = (int) p[a];
                        hi[a] = (int) p[a + r];
                    }
                }
            }
            case "VALID" -> { }
            case "SAME_UPPER", "SAME_LOWER" -> {
                for (int a = 0; a < r; a++) {
                    int out = (in[a] + s[a] - 1) / s[a];
                    int total = Math.max(0, (out - 1) * s[a] + (k[a] - 1) * d[a] + 1 - in[a]);
                    int small = total / 2;
                    lo[a] = auto.equals("SAME_UPPER") ? small : total - small;
                    hi[a] = total - lo[a];
                }
            }
            default -> throw c.attrs.badValue("auto_pad", auto);
        }
        return new Padding(lo, hi);
    }

    private static int[] ints(Ctx c, String name, int r, int def) {
        long[] v = c.attrs.ints(name);
        int[] out = new int[r];
        Arrays.fill(out, def);
        if (v == null) return out;
        if (v.length != r) throw c.attrs.badValue(name, Arrays.toString(v));
        for (int i = 0; i < r; i++) out[i] = (int) v[i];
        return out;
    }

    private static int[] kernel(Ctx c, Tensor w, int r, int from) {
        int[] k = new int[r];
        for (int a = 0; a < r; a++) k[a] = w.dim(a + from);
        long[] ks = c.attrs.ints("kernel_shape");
        if (ks != null && !Arrays.equals(ShapeOps.toInts(ks), k)) throw c.attrs.badValue("kernel_shape", Arrays.toString(ks) + " (the weight has " + Arrays.toString(k) + ")");
        return k;
    }

    private static List<Tensor> conv(Ctx c) {
        Tensor x = floatIn(c, 0), w = c.in(1);
        ElementwiseOps.sameType(c, x, w);
        int r = x.rank() - 2;
        if (r < 1) throw c.unsupported("input rank " + x.rank() + " (needs [N, C, S..])", "Conv rank");
        int[] k = kernel(c, w, r, 2);
        int[] s = ints(c, "strides", r, 1), d = ints(c, "dilations", r, 1);
        Padding p = padding(c, spatialSizes(x), k, s, d);
        int groups = (int) c.attrs.i("group", 1);
        return List.of(Nn.convChannelsFirst(x, w, c.opt(2), s, p.lo(), p.hi(), d, groups));
    }

    private static List<Tensor> convTranspose(Ctx c) {
        Tensor x = floatIn(c, 0), w = c.in(1);
        ElementwiseOps.sameType(c, x, w);
        int r = x.rank() - 2;
        if (r < 1) throw c.unsupported("input rank " + x.rank() + " (needs [N, C, S..])", "ConvTranspose rank");
        int[] k = kernel(c, w, r, 2);
        int[] s = ints(c, "strides", r, 1), d = ints(c, "dilations", r, 1), op = ints(c, "output_padding", r, 0);
        int groups = (int) c.attrs.i("group", 1);
        int[] in = spatialSizes(x);
        int[] lo = new int[r], hi = new int[r];
        String auto = c.attrs.s("auto_pad", "NOTSET");
        long[] outShape = c.attrs.ints("output_shape");
        if (outShape != null || auto.startsWith("SAME")) {
            for (int a = 0; a < r; a++) {
                int target = outShape != null ? (int) outShape[outShape.length - r + a] : in[a] * s[a];
                int total = s[a] * (in[a] - 1) + op[a] + ((k[a] - 1) * d[a] + 1) - target;
                if (auto.equals("SAME_UPPER")) {
                    lo[a] = total / 2;
                    hi[a] = total - total / 2;
                } else {
                    lo[a] = total - total / 2;
                    hi[a] = total / 2;
                }
            }
        } else if (auto.equals("NOTSET")) {
            long[] p = c.attrs.ints("pads");
            if (p != null) {
                for (int a = 0; a < r; a++) {
                    lo[a] = (int) p[a];
                    hi[a] = (int) p[a + r];
                }
            }
        } else if (!auto.equals("VALID")) {
            throw c.attrs.badValue("auto_pad", auto);
        }
        // The full transposed convolution (no padding), then output_padding zeros at the end and the pads cropped.
        int[] perm = new int[r + 2];
        for (int a = 0; a < r; a++) perm[a] = a + 2;
        perm[r] = 0;
        perm[r + 1] = 1;
        Tensor y = Nn.convTranspose(Nn.toChannelsLast(x), w.transpose(perm), s, new int[r], new int[r], d, groups);
        int[] zlo = new int[r + 2], zhi = new int[r + 2];
        boolean any = false;
        for (int a = 0; a < r; a++) {
            zhi[a + 1] = op[a];
            any |= op[a] != 0;
        }
        if (any) y = y.pad(zlo, zhi);
        int[] start = new int[r + 2], stop = y.shape().dims();
        for (int a = 0; a < r; a++) {
            start[a + 1] = lo[a];
            stop[a + 1] = stop[a + 1] - hi[a];
            if (lo[a] < 0 || hi[a] < 0 || stop[a + 1] < start[a + 1]) throw c.attrs.badValue("pads", lo[a] + "/" + hi[a]);
        }
        y = Nn.toChannelsFirst(y.slice(start, stop));
        if (c.has(2)) {
            int[] dims = new int[r + 2];
            Arrays.fill(dims, 1);
            dims[1] = y.dim(1);
            y = y.add(c.in(2).reshape(dims));
        }
        return List.of(y);
    }

    private static List<Tensor> pool(Ctx c, boolean max) {
        Tensor x = floatIn(c, 0);
        int r = x.rank() - 2;
        if (r < 1) throw c.unsupported("input rank " + x.rank() + " (needs [N, C, S..])", "pool rank");
        if (c.outputCount > 1) throw c.unsupported("the Indices output is not supported", "MaxPool Indices");
        long[] ks = c.attrs.ints("kernel_shape");
        if (ks == null || ks.length != r) throw c.attrs.badValue("kernel_shape", ks == null ? "missing" : Arrays.toString(ks));
        int[] k = ShapeOps.toInts(ks);
        int[] s = ints(c, "strides", r, 1), d = ints(c, "dilations", r, 1);
        boolean dilated = false;
        for (int v : d) dilated |= v != 1;
        if (dilated && !max) throw c.attrs.badValue("dilations", Arrays.toString(d));
        int[] in = spatialSizes(x);
        Padding p = padding(c, in, k, s, d);
        int[] lo = p.lo(), hi = p.hi().clone();
        boolean includePad = c.attrs.i("count_include_pad", 0) == 1;
        if (c.attrs.i("ceil_mode", 0) == 1) {
            for (int a = 0; a < r; a++) {
                int ke = (k[a] - 1) * d[a] + 1;
                int span = in[a] + lo[a] + hi[a] - ke;
                int out = (span + s[a] - 1) / s[a] + 1;
                if ((out - 1) * s[a] >= in[a] + lo[a]) out--; // the last window must start inside the input or its left padding
                int extra = (out - 1) * s[a] + ke - (in[a] + lo[a] + hi[a]);
                if (extra > 0) {
                    if (!max && includePad) throw c.attrs.badValue("ceil_mode", "1 with count_include_pad 1");
                    hi[a] += extra;
                }
            }
        }
        // Channels last: the pool's transposes cancel those of the convs around it (conv lowers NHWC).
        Tensor xl = Nn.toChannelsLast(x);
        Tensor y = max ? Nn.maxPool(xl, k, s, lo, hi, d) : Nn.avgPool(xl, k, s, lo, hi, includePad);
        return List.of(Nn.toChannelsFirst(y));
    }

    private static int[] spatialSizes(Tensor x) {
        int[] in = new int[x.rank() - 2];
        for (int a = 0; a < in.length; a++) in[a] = x.dim(a + 2);
        return in;
    }

    private static int[] spatial(Tensor x) {
        int[] ax = new int[x.rank() - 2];
        for (int i = 0; i < ax.length; i++) ax[i] = i + 2;
        return ax;
    }

    /** A per-channel vector [C] shaped to broadcast against [N, C, S..]. */
    private static Tensor channel(Tensor v, int rank) {
        int[] dims = new int[rank];
        Arrays.fill(dims, 1);
        dims[1] = v.dim(0);
        return v.reshape(dims);
    }

    static Tensor floatIn(Ctx c, int i) { return ElementwiseOps.floatIn(c, i); }

    private static void put(Map<String, OpSpec> m, String op, Set<String> attrs, OpMapper f) {
        m.put(op, new OpSpec(op, attrs, Importer.MIN_OPSET, Importer.MAX_OPSET, f));
    }

    @SuppressWarnings("unused")
    private static List<Tensor> list(Tensor... ts) { return new ArrayList<>(Arrays.asList(ts)); }
}
