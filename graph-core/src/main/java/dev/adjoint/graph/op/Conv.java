package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.List;

/**
 * An N-d convolution (a correlation: the kernel is not flipped), channels last:
 * {@code x[N, S.., Cin]}, {@code k[K.., Cin/groups, Cout]}, {@code y[N, O.., Cout]}.
 *
 * <p>Per spatial axis: the input is dilated by {@code lhsDilation} (zeros between elements, the
 * transposed-convolution case), padded by {@code padLo}/{@code padHi} (negative crops), and the
 * kernel, dilated by {@code rhsDilation}, slides with {@code strides}:
 * {@code y[n, o, c_y] = sum_{t, c_x} xd[n, o*stride + t*rhsDilation - padLo, c_x] k[t, c_x, c_y]}.
 * With {@code La = (L-1)*lhsDilation + 1} and {@code Kd = (K-1)*rhsDilation + 1}, the output size
 * is {@code floor((La + padLo + padHi - Kd) / stride) + 1}, or 0 when the window does not fit.
 */
public record Conv(Ints strides, Ints padLo, Ints padHi, Ints lhsDilation, Ints rhsDilation, int groups)
        implements BilinearOp {
    /** Validates attribute lengths and ranges. */
    public Conv {
        int r = strides.size();
        if (padLo.size() != r || padHi.size() != r || lhsDilation.size() != r || rhsDilation.size() != r) {
            throw Rules.error("conv: attributes strides " + strides + ", padLo " + padLo + ", padHi " + padHi
                    + ", lhsDilation " + lhsDilation + ", rhsDilation " + rhsDilation
                    + " must have one entry per spatial axis each");
        }
        Rules.requireAtLeast("conv", "strides", strides, 1);
        Rules.requireAtLeast("conv", "lhsDilation", lhsDilation, 1);
        Rules.requireAtLeast("conv", "rhsDilation", rhsDilation, 1);
        if (groups < 1) throw Rules.error("conv: attribute groups " + groups + " must be >= 1");
    }

    /** A plain convolution: stride 1, no padding, no dilation, one group, over {@code r} spatial axes. */
    public static Conv simple(int r) {
        return new Conv(Ints.filled(r, 1), Ints.filled(r, 0), Ints.filled(r, 0), Ints.filled(r, 1), Ints.filled(r, 1), 1);
    }

    /** Number of spatial axes. */
    public int spatialRank() { return strides.size(); }

    /**
     * Output length along one spatial axis for input length {@code l} and kernel length {@code k}
     * (0 when the dilated kernel does not fit in the dilated, padded input).
     */
    public int outputLength(int axis, int l, int k) {
        long la = l == 0 ? 0 : (long) (l - 1) * lhsDilation.get(axis) + 1;
        long kd = k == 0 ? 0 : (long) (k - 1) * rhsDilation.get(axis) + 1;
        long span = la + padLo.get(axis) + padHi.get(axis) - kd;
        if (span < 0 || k == 0) return 0;
        long out = span / strides.get(axis) + 1;
        if (out > Integer.MAX_VALUE) {
            throw Rules.error("conv: spatial axis " + axis + " would have output size " + out + ", too large for one axis");
        }
        return (int) out;
    }

    @Override public String name() { return "conv"; }
    @Override public int arity() { return 2; }
    @Override public Shape infer(List<Shape> inputs) {
        Shape x = inputs.get(0), k = inputs.get(1);
        int r = spatialRank();
        if (x.rank() != r + 2) {
            throw Rules.error("conv: x has rank " + x.rank() + " but must have rank " + (r + 2) + ", [N, " + r
                    + " spatial axes, Cin], for " + r + " spatial axes (the length of strides)");
        }
        if (k.rank() != r + 2) {
            throw Rules.error("conv: kernel y has rank " + k.rank() + " but must have rank " + (r + 2) + ", [" + r
                    + " spatial axes, Cin/groups, Cout], for " + r + " spatial axes (the length of strides)");
        }
        int cin = x.dim(r + 1), cout = k.dim(r + 1);
        if (cin % groups != 0) {
            throw Rules.error("conv: groups " + groups + " does not divide the input channels Cin = " + cin
                    + " (the last axis of x)");
        }
        if (cout % groups != 0) {
            throw Rules.error("conv: groups " + groups + " does not divide the output channels Cout = " + cout
                    + " (the last axis of kernel y)");
        }
        if (k.dim(r) != cin / groups) {
            throw Rules.error("conv: axis " + r + " of kernel y (size " + k.dim(r) + ") must be Cin/groups = " + cin + "/"
                    + groups + " = " + (cin / groups) + ", where Cin is the last axis of x");
        }
        int[] out = new int[r + 2];
        out[0] = x.dim(0);
        for (int a = 0; a < r; a++) out[a + 1] = outputLength(a, x.dim(a + 1), k.dim(a));
        out[r + 1] = cout;
        return Shape.of(out);
    }
    @Override public DType type(List<DType> inputs) {
        return Rules.requireFloat(name(), "x", Rules.requireSameTypes(name(), inputs));
    }
    @Override public String attributes() {
        StringBuilder sb = new StringBuilder("strides=").append(strides);
        if (!padLo.all(0) || !padHi.all(0)) sb.append(" pad=").append(padLo).append('/').append(padHi);
        if (!lhsDilation.all(1)) sb.append(" lhsDilation=").append(lhsDilation);
        if (!rhsDilation.all(1)) sb.append(" rhsDilation=").append(rhsDilation);
        if (groups != 1) sb.append(" groups=").append(groups);
        return sb.toString();
    }
}
