package dev.adjoint.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Max or average pooling over the spatial axes (PyTorch {@code MaxPoolNd}/{@code AvgPoolNd};
 * average excludes padding from the count, PyTorch's {@code count_include_pad=False}... set
 * {@code countIncludePad} to match PyTorch's default true).
 *
 * @param max max rather than average
 * @param window window per spatial axis
 * @param stride stride per spatial axis
 * @param padding padding per spatial axis
 * @param countIncludePad average pooling: whether padded zeros count
 * @param layout NCHW or NHWC
 */
public record Pool(boolean max, int[] window, int[] stride, int[] padding, boolean countIncludePad, Layout layout) implements Layer {
    /** Copies the arrays. */
    public Pool {
        window = window.clone();
        stride = stride.clone();
        padding = padding.clone();
    }

    private static int[] filled(int r, int v) {
        int[] a = new int[r];
        Arrays.fill(a, v);
        return a;
    }

    /** {@code MaxPool2d(k)}: window and stride k, NCHW. */
    public static Pool max2d(int k) { return new Pool(true, filled(2, k), filled(2, k), filled(2, 0), true, Layout.NCHW); }

    /** {@code AvgPool2d(k)}: window and stride k, NCHW. */
    public static Pool avg2d(int k) { return new Pool(false, filled(2, k), filled(2, k), filled(2, 0), true, Layout.NCHW); }

    /** The same, channels last. */
    public Pool nhwc() { return new Pool(max, window, stride, padding, countIncludePad, Layout.NHWC); }

    @Override public List<ParamSpec> variables() { return List.of(); }

    @Override public Tensor apply(Vars v, Tensor x) {
        if (layout == Layout.NCHW) {
            return max ? Nn.maxPoolNchw(x, window, stride, padding) : Nn.avgPoolNchw(x, window, stride, padding, countIncludePad);
        }
        return max ? Nn.maxPool(x, window, stride, padding) : Nn.avgPool(x, window, stride, padding, countIncludePad);
    }

    @Override public String describe() { return (max ? "MaxPool" : "AvgPool") + Arrays.toString(window) + " " + layout; }

    @Override public boolean equals(Object o) {
        return o instanceof Pool p && p.max == max && Arrays.equals(p.window, window) && Arrays.equals(p.stride, stride)
                && Arrays.equals(p.padding, padding) && p.countIncludePad == countIncludePad && p.layout == layout;
    }

    @Override public int hashCode() { return Arrays.hashCode(window) * 31 + (max ? 1 : 0); }
}
