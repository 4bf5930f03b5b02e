package dev.adjoint.kernels;

import java.util.Arrays;

/**
 * The validated shape and attributes of one convolution, with its output sizes and the
 * row-major strides of its three operands.
 *
 * <p>Layout is channels-last: {@code x[N, S_1..S_r, Cin]}, {@code k[K_1..K_r, Cin/groups, Cout]},
 * {@code y[N, O_1..O_r, Cout]}. Per spatial axis the input is first dilated by {@code lhsDilation}
 * (zeros between elements), then padded by {@code padLo}/{@code padHi} (negative crops); the kernel
 * is dilated by {@code rhsDilation} and slid with {@code stride}:
 * {@code O = floor((La + lo + hi - Kd) / s) + 1}, clamped at zero.
 *
 * <p>The graph layer validates earlier with errors that point at the user's code; this class is
 * the kernels' own guard, so that bad arguments fail with a clear message instead of an
 * out-of-bounds access or a silently wrong answer. Instances are immutable.
 */
public final class ConvGeometry {
    /** Batch size N. */
    public final int batch;
    /** Number of spatial axes r (0 is allowed: then the conv is a grouped matrix product). */
    public final int rank;
    /** Input spatial sizes S_1..S_r. */
    private final int[] inSize;
    /** Kernel spatial sizes K_1..K_r. */
    private final int[] kSize;
    /** Output spatial sizes O_1..O_r. */
    private final int[] outSize;
    private final int[] stride, padLo, padHi, lhsDil, rhsDil;
    /** Input channels Cin. */
    public final int cin;
    /** Output channels Cout. */
    public final int cout;
    /** Number of channel groups; divides both Cin and Cout. */
    public final int groups;
    /** Input channels per group (Cin / groups). */
    public final int cinPerGroup;
    /** Output channels per group (Cout / groups). */
    public final int coutPerGroup;

    private ConvGeometry(int batch, int[] inSize, int cin, int[] kSize, int cout, int[] stride,
                         int[] padLo, int[] padHi, int[] lhsDil, int[] rhsDil, int groups, int[] outSize) {
        this.batch = batch;
        this.rank = inSize.length;
        this.inSize = inSize;
        this.kSize = kSize;
        this.cin = cin;
        this.cout = cout;
        this.stride = stride;
        this.padLo = padLo;
        this.padHi = padHi;
        this.lhsDil = lhsDil;
        this.rhsDil = rhsDil;
        this.groups = groups;
        this.cinPerGroup = cin / groups;
        this.coutPerGroup = cout / groups;
        this.outSize = outSize;
    }

    /**
     * Validates the arguments and computes the output sizes.
     *
     * @param batch       N, at least 0
     * @param inSize      input spatial sizes S_1..S_r, each at least 0 (0: an empty input, O = 0 unless padding makes room)
     * @param cin         input channels, at least 1
     * @param kSize       kernel spatial sizes K_1..K_r, each at least 1
     * @param cout        output channels, at least 1
     * @param stride      per-axis stride, each at least 1
     * @param padLo       per-axis padding before the (dilated) input; negative crops
     * @param padHi       per-axis padding after the (dilated) input; negative crops
     * @param lhsDilation per-axis input dilation, each at least 1
     * @param rhsDilation per-axis kernel dilation, each at least 1
     * @param groups      channel groups, at least 1, dividing cin and cout
     * @return the geometry
     * @throws IllegalArgumentException naming the attribute and the rule it breaks
     */
    public static ConvGeometry of(int batch, int[] inSize, int cin, int[] kSize, int cout, int[] stride,
                                  int[] padLo, int[] padHi, int[] lhsDilation, int[] rhsDilation, int groups) {
        return of(batch, inSize, cin, kSize, cout, stride, padLo, padHi, lhsDilation, rhsDilation, groups, null);
    }

    /**
     * As {@link #of(int, int[], int, int[], int, int[], int[], int[], int[], int[], int)} with the output sizes
     * given: the executor passes the conv node's inferred shape, so the output-length rule lives once, in
     * {@link dev.adjoint.graph.op.Conv#outputLength}. {@code outSize} null: computed by that same rule.
     *
     * @param outSize output spatial sizes, or null
     * @return the geometry
     */
    public static ConvGeometry of(int batch, int[] inSize, int cin, int[] kSize, int cout, int[] stride,
                                  int[] padLo, int[] padHi, int[] lhsDilation, int[] rhsDilation, int groups, int[] outSize) {
        int r = inSize.length;
        checkLen("kernel size", kSize, r);
        checkLen("stride", stride, r);
        checkLen("padLo", padLo, r);
        checkLen("padHi", padHi, r);
        checkLen("lhsDilation", lhsDilation, r);
        checkLen("rhsDilation", rhsDilation, r);
        if (batch < 0) throw new IllegalArgumentException("conv: batch size " + batch + " is negative");
        if (cin < 1) throw new IllegalArgumentException("conv: input channels " + cin + " must be at least 1");
        if (cout < 1) throw new IllegalArgumentException("conv: output channels " + cout + " must be at least 1");
        if (groups < 1) throw new IllegalArgumentException("conv: groups " + groups + " must be at least 1");
        if (cin % groups != 0 || cout % groups != 0)
            throw new IllegalArgumentException("conv: groups " + groups + " must divide input channels " + cin
                    + " and output channels " + cout);
        if (outSize != null) checkLen("output size", outSize, r);
        int[] out = new int[r];
        dev.adjoint.graph.op.Conv rule = outSize != null ? null : rule(stride, padLo, padHi, lhsDilation, rhsDilation, groups);
        long total = (long) batch * cin;
        for (int i = 0; i < r; i++) {
            if (inSize[i] < 0) throw bad("input size", inSize, i, "must be at least 0");
            if (kSize[i] < 1) throw bad("kernel size", kSize, i, "must be at least 1");
            if (stride[i] < 1) throw bad("stride", stride, i, "must be at least 1");
            if (lhsDilation[i] < 1) throw bad("lhsDilation", lhsDilation, i, "must be at least 1");
            if (rhsDilation[i] < 1) throw bad("rhsDilation", rhsDilation, i, "must be at least 1");
            long la = inSize[i] == 0 ? 0 : (long) (inSize[i] - 1) * lhsDilation[i] + 1;
            if (la > Integer.MAX_VALUE) throw bad("input size", inSize, i, "gives an output that does not fit an int");
            if (outSize != null) out[i] = outSize[i];
            else if (rule != null) {
                try {
                    out[i] = rule.outputLength(i, inSize[i], kSize[i]);
                } catch (RuntimeException e) {
                    throw bad("input size", inSize, i, "gives an output that does not fit an int");
                }
            }
            total *= Math.max(1, inSize[i]);
        }
        if (total > Integer.MAX_VALUE)
            throw new IllegalArgumentException("conv: input has more than 2^31-1 elements; shape " + Arrays.toString(inSize));
        ConvGeometry g = new ConvGeometry(batch, inSize.clone(), cin, kSize.clone(), cout, stride.clone(),
                padLo.clone(), padHi.clone(), lhsDilation.clone(), rhsDilation.clone(), groups, out);
        if ((double) g.outputLength() > Integer.MAX_VALUE || (double) g.kernelLength() > Integer.MAX_VALUE)
            throw new IllegalArgumentException("conv: output or kernel has more than 2^31-1 elements");
        return g;
    }

    /**
     * The geometry of a graph conv node: operand shapes x[N, S.., Cin] and k[K.., Cin/G, Cout], the
     * op's attributes, and the output sizes its {@code infer} gives. The backward convs come the same
     * way from the op's own {@code inputGradient}/{@code kernelGradient} (the one transpose algebra).
     *
     * @param c the op
     * @param x the input's shape
     * @param k the kernel's shape
     * @return the geometry
     */
    public static ConvGeometry of(dev.adjoint.graph.op.Conv c, dev.adjoint.graph.Shape x, dev.adjoint.graph.Shape k) {
        int r = c.spatialRank();
        int[] xs = x.dims(), ks = k.dims(), ys = c.infer(java.util.List.of(x, k)).dims();
        return of(xs[0], Arrays.copyOfRange(xs, 1, r + 1), xs[r + 1], Arrays.copyOfRange(ks, 0, r), ks[r + 1], c.strides().toArray(),
                c.padLo().toArray(), c.padHi().toArray(), c.lhsDilation().toArray(), c.rhsDilation().toArray(), c.groups(),
                Arrays.copyOfRange(ys, 1, r + 1));
    }

    /** The graph op whose {@code outputLength} is the one output-length rule, or null if its attributes are invalid. */
    private static dev.adjoint.graph.op.Conv rule(int[] stride, int[] padLo, int[] padHi, int[] lhsDil, int[] rhsDil, int groups) {
        try {
            return new dev.adjoint.graph.op.Conv(dev.adjoint.graph.Ints.of(stride), dev.adjoint.graph.Ints.of(padLo),
                    dev.adjoint.graph.Ints.of(padHi), dev.adjoint.graph.Ints.of(lhsDil), dev.adjoint.graph.Ints.of(rhsDil), groups);
        } catch (RuntimeException e) {
            return null;  // the checks below name the bad attribute
        }
    }

    /**
     * Shorthand for the usual case: same stride and symmetric padding on every axis, no dilation.
     *
     * @param batch N
     * @param inSize input spatial sizes
     * @param cin input channels
     * @param kSize kernel spatial sizes
     * @param cout output channels
     * @param stride stride on every axis
     * @param pad padding on both sides of every axis
     * @param groups channel groups
     * @return the geometry
     */
    public static ConvGeometry simple(int batch, int[] inSize, int cin, int[] kSize, int cout, int stride, int pad, int groups) {
        int r = inSize.length;
        return of(batch, inSize, cin, kSize, cout, fill(r, stride), fill(r, pad), fill(r, pad), fill(r, 1), fill(r, 1), groups);
    }

    private static int[] fill(int r, int v) { int[] a = new int[r]; Arrays.fill(a, v); return a; }

    private static void checkLen(String what, int[] a, int r) {
        if (a.length != r)
            throw new IllegalArgumentException("conv: " + what + " has " + a.length + " entries but the input has "
                    + r + " spatial axes");
    }

    private static IllegalArgumentException bad(String what, int[] a, int i, String rule) {
        return new IllegalArgumentException("conv: " + what + " " + a[i] + " on spatial axis " + i + " " + rule
                + "; " + what + ": " + Arrays.toString(a));
    }

    /**
     * {@return input size S on that axis}
     *
     * @param axis spatial axis
     */
    public int inSize(int axis) { return inSize[axis]; }
    /**
     * {@return kernel size K on that axis}
     *
     * @param axis spatial axis
     */
    public int kernelSize(int axis) { return kSize[axis]; }
    /**
     * {@return output size O on that axis}
     *
     * @param axis spatial axis
     */
    public int outSize(int axis) { return outSize[axis]; }
    /**
     * {@return stride on that axis}
     *
     * @param axis spatial axis
     */
    public int stride(int axis) { return stride[axis]; }
    /**
     * {@return padding before the input on that axis (may be negative)}
     *
     * @param axis spatial axis
     */
    public int padLo(int axis) { return padLo[axis]; }
    /**
     * {@return padding after the input on that axis (may be negative)}
     *
     * @param axis spatial axis
     */
    public int padHi(int axis) { return padHi[axis]; }
    /**
     * {@return input (lhs) dilation on that axis}
     *
     * @param axis spatial axis
     */
    public int lhsDilation(int axis) { return lhsDil[axis]; }
    /**
     * {@return kernel (rhs) dilation on that axis}
     *
     * @param axis spatial axis
     */
    public int rhsDilation(int axis) { return rhsDil[axis]; }
    /**
     * {@return dilated input length La = (S-1)a+1 (0 for an empty axis)}
     *
     * @param axis spatial axis
     */
    public int dilatedInSize(int axis) { return inSize[axis] == 0 ? 0 : (inSize[axis] - 1) * lhsDil[axis] + 1; }
    /**
     * {@return dilated kernel length Kd = (K-1)d+1}
     *
     * @param axis spatial axis
     */
    public int dilatedKernelSize(int axis) { return (kSize[axis] - 1) * rhsDil[axis] + 1; }

    /** {@return product of the input spatial sizes} */
    public long inSpatial() { long p = 1; for (int v : inSize) p *= v; return p; }
    /** {@return product of the output spatial sizes} */
    public long outSpatial() { long p = 1; for (int v : outSize) p *= v; return p; }
    /** {@return product of the kernel spatial sizes (number of taps)} */
    public long taps() { long p = 1; for (int v : kSize) p *= v; return p; }
    /** {@return number of floats in x: N * prod(S) * Cin} */
    public long inputLength() { return batch * inSpatial() * cin; }
    /** {@return number of floats in k: prod(K) * Cin/groups * Cout} */
    public long kernelLength() { return taps() * cinPerGroup * cout; }
    /** {@return number of floats in y: N * prod(O) * Cout} */
    public long outputLength() { return batch * outSpatial() * cout; }
    /** {@return multiply-adds of the dense computation (taps falling into padding or holes counted too), times 2} */
    public double flops() { return 2.0 * batch * outSpatial() * cout * taps() * cinPerGroup; }

    /** {@return the input spatial sizes (a copy)} */
    public int[] inSizes() { return inSize.clone(); }
    /** {@return the output spatial sizes (a copy)} */
    public int[] outSizes() { return outSize.clone(); }
    /** {@return the kernel spatial sizes (a copy)} */
    public int[] kernelSizes() { return kSize.clone(); }

    @Override
    public String toString() {
        return "conv[N=" + batch + " S=" + Arrays.toString(inSize) + " Cin=" + cin + " K=" + Arrays.toString(kSize)
                + " Cout=" + cout + " stride=" + Arrays.toString(stride) + " pad=" + Arrays.toString(padLo) + "/"
                + Arrays.toString(padHi) + " lhsDil=" + Arrays.toString(lhsDil) + " rhsDil=" + Arrays.toString(rhsDil)
                + " groups=" + groups + " -> O=" + Arrays.toString(outSize) + "]";
    }
}
