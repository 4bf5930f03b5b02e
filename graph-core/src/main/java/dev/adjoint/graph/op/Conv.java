package dev.adjoint.graph.op;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import java.util.Arrays;
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
 *
 * <p>Bilinear; its transposes are convolutions too, whose attributes and operand layouts this
 * record computes: {@link #inputGradient} and {@link #kernelGradient}.
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

    /**
     * A convolution's transpose with respect to one operand, itself a convolution: for operands
     * {@code a}, {@code b} the result is {@code out(conv(lhs(a), rhs(b)))}, each {@link Relayout}
     * a fixed rearrangement (usually the identity). Builders only apply {@link Relayout#ops()} and
     * add {@code conv}.
     *
     * @param conv the transposed convolution's attributes
     * @param lhs the rearrangement of its first operand
     * @param rhs the rearrangement of its kernel operand
     * @param out the rearrangement of its result into the differentiated operand's layout
     */
    public record Transposed(Conv conv, Relayout lhs, Relayout rhs, Relayout out) {}

    /**
     * The transpose with respect to {@code x} (docs/ARCHITECTURE.md, conv transposes): applied to
     * the cotangent {@code dy} (shape {@code y}) and the kernel {@code k}, it gives {@code dx}.
     * The kernel is reversed along its spatial axes and its channel axes are swapped group by
     * group ({@code [K.., Cin/G, G, Cout/G] -> [K.., Cout/G, G, Cin/G]}); the conv has stride
     * {@code lhsDilation}, lhs dilation {@code stride}, the same rhs dilation and, per axis with
     * {@code La = (L-1)a+1}, {@code Kd = (K-1)d+1}, {@code Os = (O-1)s+1}, padding
     * {@code lo' = Kd-1-lo}, {@code hi' = La+Kd-1-Os-lo'}. Its output has length {@code La} for
     * any {@code O} (a transposed convolution with output padding relies on that).
     *
     * @param x the shape of the forward input (only its spatial lengths are read)
     * @param k the shape of the forward kernel {@code [K.., Cin/G, Cout]}
     * @param y the shape of the cotangent {@code [N, O.., Cout]}
     */
    public Transposed inputGradient(Shape x, Shape k, Shape y) {
        int r = spatialRank();
        int cinG = k.dim(r), coutG = k.dim(r + 1) / groups;
        int[] spatial = Arrays.copyOf(k.dims(), r);
        Relayout swap;
        if (groups == 1) {
            swap = Relayout.transpose(k, Ints.of(append(Ints.range(r).toArray(), r + 1, r)));
        } else {
            // k[K.., ci, g*coutG + co] -> k'[K.., co, g*cinG + ci]
            swap = new Relayout(k, Shape.of(append(spatial, cinG, groups, coutG)),
                    Ints.of(append(Ints.range(r).toArray(), r + 2, r + 1, r)),
                    Shape.of(append(spatial, coutG, groups * cinG)), Ints.of());
        }
        int[] st = new int[r], lo = new int[r], hi = new int[r], lhsDil = new int[r], rhsDil = new int[r];
        for (int a = 0; a < r; a++) {
            int l = x.dim(a + 1), kn = k.dim(a), o = y.dim(a + 1);
            int s = strides.get(a), ad = lhsDilation.get(a), d = rhsDilation.get(a);
            int la = (l - 1) * ad + 1, kd = (kn - 1) * d + 1, os = (o - 1) * s + 1;
            st[a] = ad;
            lhsDil[a] = s;
            rhsDil[a] = d;
            lo[a] = kd - 1 - padLo.get(a);
            hi[a] = la + kd - 1 - os - lo[a];
        }
        Conv t = new Conv(Ints.of(st), Ints.of(lo), Ints.of(hi), Ints.of(lhsDil), Ints.of(rhsDil), groups);
        Shape dx = t.infer(List.of(y, swap.merged()));
        return new Transposed(t, Relayout.identity(y), swap.reversing(Ints.range(r)), Relayout.identity(dx));
    }

    /**
     * The transpose with respect to the kernel: applied to {@code x} and the cotangent {@code dy}
     * (shape {@code y}), it gives {@code dk}. One grouped conv, no per-group slicing: x is laid
     * out as {@code [Cin/G, S.., G*N]} (batch and channel exchanged, channel index {@code g*N + n}),
     * the cotangent as the kernel {@code [O.., N, Cout]}; stride {@code rhsDilation}, lhs dilation
     * {@code lhsDilation}, rhs dilation {@code stride}, {@code lo' = lo},
     * {@code hi' = (Os-La)+(Kd-lo-1)}; the result {@code [Cin/G, K.., Cout]} is transposed to
     * {@code [K.., Cin/G, Cout]}. Group g of this conv sees exactly group g's input channels for
     * every batch element against group g's output channels: group g's kernel gradient.
     *
     * @param x the shape of the forward input {@code [N, S.., Cin]}
     * @param k the shape of the forward kernel (only its spatial lengths are read)
     * @param y the shape of the cotangent {@code [N, O.., Cout]}
     */
    public Transposed kernelGradient(Shape x, Shape k, Shape y) {
        int r = spatialRank();
        int n = x.dim(0), cinG = x.dim(r + 1) / groups;
        int[] xSpatial = Arrays.copyOfRange(x.dims(), 1, r + 1);
        int[] middle = new int[r];
        for (int a = 0; a < r; a++) middle[a] = a + 1;
        Relayout xs;
        if (groups == 1) {
            xs = Relayout.transpose(x, Ints.of(append(append(new int[] {r + 1}, middle), 0))); // [Cin, S.., N]
        } else {
            xs = new Relayout(x, Shape.of(append(append(new int[] {n}, xSpatial), groups, cinG)),
                    Ints.of(append(append(new int[] {r + 2}, middle), r + 1, 0)),
                    Shape.of(append(append(new int[] {cinG}, xSpatial), groups * n)), Ints.of()); // [Cin/G, S.., G*N]
        }
        int[] toKernel = append(middle, 0, r + 1); // [N, O.., Cout] -> [O.., N, Cout]; also [Cin/G, K.., Cout] -> [K.., Cin/G, Cout]
        Relayout dys = Relayout.transpose(y, Ints.of(toKernel));
        int[] st = new int[r], lo = new int[r], hi = new int[r], lhsDil = new int[r], rhsDil = new int[r];
        for (int a = 0; a < r; a++) {
            int l = x.dim(a + 1), kn = k.dim(a), o = y.dim(a + 1);
            int s = strides.get(a), ad = lhsDilation.get(a), d = rhsDilation.get(a);
            int la = (l - 1) * ad + 1, kd = (kn - 1) * d + 1, os = (o - 1) * s + 1;
            st[a] = d;
            lhsDil[a] = ad;
            rhsDil[a] = s;
            lo[a] = padLo.get(a);
            hi[a] = (os - la) + (kd - lo[a] - 1);
        }
        Conv t = new Conv(Ints.of(st), Ints.of(lo), Ints.of(hi), Ints.of(lhsDil), Ints.of(rhsDil), groups);
        Shape res = t.infer(List.of(xs.merged(), dys.merged()));
        return new Transposed(t, xs, dys, Relayout.transpose(res, Ints.of(toKernel)));
    }

    private static int[] append(int[] head, int... tail) {
        int[] out = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, out, head.length, tail.length);
        return out;
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
        // Caught here, when the node is built at the user's line, rather than when a kernel's
        // geometry is made at compile time (issue 11). An empty batch or Cout = 0 is an empty result.
        if (cin == 0) {
            throw Rules.error("conv: x has Cin = 0 input channels (its last axis); a convolution needs at least one; x: " + x
                    + ", kernel y: " + k);
        }
        for (int a = 0; a < r; a++) {
            if (k.dim(a) == 0) {
                throw Rules.error("conv: kernel y has length 0 along spatial axis " + a + "; every kernel axis needs at least one tap; kernel y: " + k);
            }
            long dilated = x.dim(a + 1) == 0 ? 0 : (long) (x.dim(a + 1) - 1) * lhsDilation.get(a) + 1;
            if (dilated + padLo.get(a) + padHi.get(a) > Integer.MAX_VALUE) {
                throw Rules.error("conv: spatial axis " + a + " of x (size " + x.dim(a + 1) + ") dilated by lhsDilation "
                        + lhsDilation.get(a) + " and padded would have " + (dilated + padLo.get(a) + padHi.get(a))
                        + " elements, more than 2^31-1");
            }
        }
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
