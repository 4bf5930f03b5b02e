package dev.adjoint.onnx.internal;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resize (opsets 10 to 17) and Upsample: nearest, linear and cubic, separable per axis. The static
 * shapes make every source index and weight a constant computed here, following the ONNX reference
 * (coordinate transform, then neighbours from the edge-padded input, ratio in (0, 1]); each resized
 * axis is a sum over taps of {@code gather(x, index_t) * weight_t}.
 */
final class ResizeOps {
    private ResizeOps() {}

    static void register(Map<String, OpSpec> m) {
        m.put("Resize", new OpSpec("Resize", Set.of("mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
                "exclude_outside", "extrapolation_value"), 10, Importer.MAX_OPSET, ResizeOps::resize));
        m.put("Upsample", new OpSpec("Upsample", Set.of("mode", "scales"), 7, 9, c -> {
            Tensor x = c.in(0);
            double[] scales;
            if (c.attrs.has("scales")) {
                float[] f = c.attrs.floats("scales");
                scales = new double[f.length];
                for (int i = 0; i < f.length; i++) scales[i] = f[i];
            } else {
                scales = c.constant(1, "scales").data();
            }
            String mode = c.attrs.s("mode", "nearest");
            if (!mode.equals("nearest") && !mode.equals("linear")) throw c.attrs.badValue("mode", mode);
            int[] out = new int[x.rank()];
            for (int a = 0; a < out.length; a++) out[a] = (int) Math.floor(x.dim(a) * scales[a]);
            return List.of(apply(c, x, out, scales, mode, "asymmetric", "floor", -0.75, false, 0, null));
        }));
    }

    private static List<Tensor> resize(Ctx c) {
        Tensor x = ElementwiseOps.floatIn(c, 0);
        int r = x.rank();
        String mode = c.attrs.s("mode", "nearest");
        String ctm = c.attrs.s("coordinate_transformation_mode", "half_pixel");
        String nearest = c.attrs.s("nearest_mode", "round_prefer_floor");
        if (!Set.of("nearest", "linear", "cubic").contains(mode)) throw c.attrs.badValue("mode", mode);
        if (!Set.of("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize", "tf_half_pixel_for_nn")
                .contains(ctm)) {
            throw c.attrs.badValue("coordinate_transformation_mode", ctm);
        }
        if (!Set.of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil").contains(nearest)) throw c.attrs.badValue("nearest_mode", nearest);
        double[] scales = null;
        int[] out = new int[r];
        int scalesInput = c.opset() >= 11 ? 2 : 1;
        if (c.opset() >= 11 && c.has(3)) {
            double[] s = c.constant(3, "sizes").data();
            if (s.length != r) throw c.unsupported("sizes has " + s.length + " entries for rank " + r, "Resize sizes of the input's rank");
            scales = new double[r];
            for (int a = 0; a < r; a++) {
                out[a] = (int) s[a];
                scales[a] = (double) out[a] / x.dim(a);
            }
        } else {
            NdArray s = c.constant(scalesInput, "scales");
            if (s.data().length != r) throw c.unsupported("scales has " + s.data().length + " entries for rank " + r, "Resize scales of the input's rank");
            scales = s.data();
            for (int a = 0; a < r; a++) out[a] = (int) Math.floor(x.dim(a) * scales[a]);
        }
        double[] roi = ctm.equals("tf_crop_and_resize") ? c.constant(1, "roi").data() : null;
        return List.of(apply(c, x, out, scales, mode, ctm, nearest, c.attrs.f("cubic_coeff_a", -0.75),
                c.attrs.i("exclude_outside", 0) == 1, c.attrs.f("extrapolation_value", 0), roi));
    }

    private static Tensor apply(Ctx c, Tensor x, int[] out, double[] scales, String mode, String ctm, String nearest,
            double cubicA, boolean excludeOutside, double extrapolation, double[] roi) {
        Tensor y = x;
        int r = x.rank();
        for (int a = 0; a < r; a++) {
            int in = x.dim(a), m = out[a];
            double scale = scales[a];
            if (m == in && scale == 1.0 && roi == null) continue;
            int taps = mode.equals("nearest") ? 1 : mode.equals("linear") ? 2 : 4;
            int[][] idx = new int[taps][m];
            double[][] w = new double[taps][m];
            boolean[] outside = new boolean[m];
            boolean anyOutside = false;
            for (int i = 0; i < m; i++) {
                double xo = original(ctm, i, scale, in, m, roi == null ? 0 : roi[a], roi == null ? 1 : roi[a + r]);
                if (ctm.equals("tf_crop_and_resize") && (xo < 0 || xo > in - 1)) {
                    outside[i] = true;
                    anyOutside = true;
                }
                int base = (int) Math.floor(xo);
                double ratio = xo - base;
                if (ratio == 0) {
                    ratio = 1;
                    base -= 1;
                }
                switch (mode) {
                    case "nearest" -> {
                        boolean up = switch (nearest) {
                            case "round_prefer_floor" -> ratio > 0.5;
                            case "round_prefer_ceil" -> ratio >= 0.5;
                            case "floor" -> ratio == 1;
                            default -> true;
                        };
                        idx[0][i] = clamp(up ? base + 1 : base, in);
                        w[0][i] = 1;
                    }
                    case "linear" -> {
                        idx[0][i] = base;
                        idx[1][i] = base + 1;
                        w[0][i] = 1 - ratio;
                        w[1][i] = ratio;
                    }
                    default -> {
                        double A = cubicA, t = ratio, u = 1 - ratio;
                        double[] cf = {
                            ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A,
                            ((A + 2) * t - (A + 3)) * t * t + 1,
                            ((A + 2) * u - (A + 3)) * u * u + 1,
                            ((A * (u + 1) - 5 * A) * (u + 1) + 8 * A) * (u + 1) - 4 * A};
                        for (int k = 0; k < 4; k++) {
                            idx[k][i] = base - 1 + k;
                            w[k][i] = cf[k];
                        }
                    }
                }
                if (taps > 1) {
                    if (excludeOutside) {
                        double sum = 0;
                        for (int k = 0; k < taps; k++) {
                            if (idx[k][i] < 0 || idx[k][i] >= in) w[k][i] = 0;
                            sum += w[k][i];
                        }
                        for (int k = 0; k < taps; k++) w[k][i] /= sum;
                    }
                    for (int k = 0; k < taps; k++) idx[k][i] = clamp(idx[k][i], in);
                }
            }
            int[] wdims = new int[r];
            Arrays.fill(wdims, 1);
            wdims[a] = m;
            Tensor acc = null;
            for (int k = 0; k < taps; k++) {
                double[] iv = new double[m];
                for (int i = 0; i < m; i++) iv[i] = idx[k][i];
                Tensor g = y.gather(c.g.constant(DType.I64, Shape.of(m), iv), a);
                if (taps > 1) g = g.mul(c.g.constant(x.dtype(), Shape.of(wdims), w[k]));
                acc = acc == null ? g : acc.add(g);
            }
            if (anyOutside) {
                double[] keep = new double[m];
                for (int i = 0; i < m; i++) keep[i] = outside[i] ? 0 : 1;
                Tensor mask = c.g.constant(DType.BOOL, Shape.of(wdims), keep);
                acc = Tensor.where(mask, acc, c.g.constant(extrapolation, x.dtype()));
            }
            y = acc;
        }
        return y;
    }

    /** The source coordinate of output position {@code i} (ONNX's coordinate_transformation_mode). */
    private static double original(String ctm, int i, double scale, int in, int m, double start, double end) {
        double outLen = scale * in;
        return switch (ctm) {
            case "half_pixel" -> (i + 0.5) / scale - 0.5;
            case "pytorch_half_pixel" -> outLen == 1 ? -0.5 : (i + 0.5) / scale - 0.5;
            case "align_corners" -> outLen == 1 ? 0 : i * (in - 1) / (outLen - 1);
            case "asymmetric" -> i / scale;
            case "tf_half_pixel_for_nn" -> (i + 0.5) / scale;
            default -> m > 1 ? start * (in - 1) + i * (end - start) * (in - 1) / (m - 1) : 0.5 * (start + end) * (in - 1);
        };
    }

    private static int clamp(int i, int n) { return Math.max(0, Math.min(n - 1, i)); }
}
