package dev.adjoint.train;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An N-d convolution (1, 2 or 3 spatial axes, any rank the primitive takes) with stride, symmetric
 * padding, dilation and groups. In {@link Layout#NCHW} the weight has PyTorch's layout
 * {@code [out, in/groups, K..]}; in {@link Layout#NHWC} it has the executor's channels-last layout
 * {@code [K.., in/groups, out]}, so no transposes run. The bias is {@code [out]}.
 *
 * @param in input channels
 * @param out output channels
 * @param kernel kernel size per spatial axis
 * @param stride stride per spatial axis
 * @param padding zero padding per spatial axis (both sides)
 * @param dilation kernel dilation per spatial axis
 * @param groups channel groups (divides in and out)
 * @param bias whether there is a bias
 * @param layout NCHW or NHWC
 */
public record Conv(int in, int out, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups, boolean bias, Layout layout)
        implements Layer {
    /** Copies and checks the arrays. */
    public Conv {
        kernel = kernel.clone();
        int r = kernel.length;
        stride = stride.clone();
        padding = padding.clone();
        dilation = dilation.clone();
        if (r < 1 || stride.length != r || padding.length != r || dilation.length != r) {
            throw new IllegalArgumentException("Conv needs one kernel size, stride, padding and dilation per spatial axis; kernel "
                    + Arrays.toString(kernel) + ", stride " + Arrays.toString(stride) + ", padding " + Arrays.toString(padding));
        }
        if (in < 1 || out < 1 || groups < 1 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv needs in, out >= 1 divisible by groups " + groups + ", got " + in + ", " + out);
        }
        for (int a = 0; a < r; a++) {
            if (kernel[a] < 1 || stride[a] < 1 || padding[a] < 0 || dilation[a] < 1) {
                throw new IllegalArgumentException("Conv: kernel, stride, dilation >= 1 and padding >= 0 on every axis; kernel "
                        + Arrays.toString(kernel) + ", stride " + Arrays.toString(stride) + ", padding " + Arrays.toString(padding));
            }
        }
    }

    private static int[] filled(int r, int v) {
        int[] a = new int[r];
        Arrays.fill(a, v);
        return a;
    }

    /** A {@code rank}-d convolution, square kernel {@code k}, stride 1, no padding, NCHW. */
    public static Conv of(int rank, int in, int out, int k) {
        return new Conv(in, out, filled(rank, k), filled(rank, 1), filled(rank, 0), filled(rank, 1), 1, true, Layout.NCHW);
    }

    /** {@code Conv1d(in, out, k)} on {@code [N, C, L]}. */
    public static Conv conv1d(int in, int out, int k) { return of(1, in, out, k); }

    /** {@code Conv2d(in, out, k)} on {@code [N, C, H, W]}. */
    public static Conv conv2d(int in, int out, int k) { return of(2, in, out, k); }

    /** {@code Conv3d(in, out, k)} on {@code [N, C, D, H, W]}. */
    public static Conv conv3d(int in, int out, int k) { return of(3, in, out, k); }

    /** The same with padding {@code p} on every axis. */
    public Conv padding(int p) { return new Conv(in, out, kernel, stride, filled(kernel.length, p), dilation, groups, bias, layout); }

    /** The same with stride {@code s} on every axis. */
    public Conv stride(int s) { return new Conv(in, out, kernel, filled(kernel.length, s), padding, dilation, groups, bias, layout); }

    /** The same with {@code g} groups. */
    public Conv groups(int g) { return new Conv(in, out, kernel, stride, padding, dilation, g, bias, layout); }

    /** The same, channels last. */
    public Conv nhwc() { return new Conv(in, out, kernel, stride, padding, dilation, groups, bias, Layout.NHWC); }

    private int kernelSize() {
        int n = 1;
        for (int k : kernel) n *= k;
        return n;
    }

    @Override public List<ParamSpec> variables() {
        int r = kernel.length, ig = in / groups;
        int[] dims = new int[r + 2];
        if (layout == Layout.NCHW) {
            dims[0] = out;
            dims[1] = ig;
            System.arraycopy(kernel, 0, dims, 2, r);
        } else {
            System.arraycopy(kernel, 0, dims, 0, r);
            dims[r] = ig;
            dims[r + 1] = out;
        }
        int fanIn = ig * kernelSize(), fanOut = out / groups * kernelSize();
        List<ParamSpec> p = new ArrayList<>();
        p.add(ParamSpec.param("weight", Shape.of(dims), Init.torchDefault(), fanIn, fanOut));
        if (bias) p.add(ParamSpec.param("bias", Shape.of(out), Init.torchDefault(), fanIn, fanOut));
        return p;
    }

    @Override public Tensor apply(Vars v, Tensor x) {
        int r = kernel.length;
        if (x.rank() != r + 2 || x.dim(layout.channelAxis(x.rank())) != in) {
            throw new IllegalArgumentException(describe() + ": the input must be " + (layout == Layout.NCHW ? "[N, " + in + ", S..]"
                    : "[N, S.., " + in + "]") + " with " + r + " spatial axes; x: " + x.shape());
        }
        Tensor b = bias ? v.get("bias") : null;
        if (layout == Layout.NCHW) return Nn.convChannelsFirst(x, v.get("weight"), b, stride, padding, padding, dilation, groups);
        Tensor y = Nn.conv(x, v.get("weight"), stride, padding, padding, filled(r, 1), dilation, groups);
        return b == null ? y : y.add(b);
    }

    @Override public String describe() {
        return "Conv" + kernel.length + "d(" + in + ", " + out + ", k=" + Arrays.toString(kernel)
                + (padding[0] != 0 ? ", p=" + Arrays.toString(padding) : "") + (stride[0] != 1 ? ", s=" + Arrays.toString(stride) : "")
                + (groups != 1 ? ", groups=" + groups : "") + ", " + layout + ")";
    }

    @Override public boolean equals(Object o) {
        return o instanceof Conv c && c.in == in && c.out == out && Arrays.equals(c.kernel, kernel) && Arrays.equals(c.stride, stride)
                && Arrays.equals(c.padding, padding) && Arrays.equals(c.dilation, dilation) && c.groups == groups && c.bias == bias
                && c.layout == layout;
    }

    @Override public int hashCode() { return Arrays.hashCode(kernel) * 31 + in * 17 + out; }
}
