package dev.adjoint.kernels;

/**
 * The conv kernel gradient without the Vector API: dk[t, ci, co] = sum over (n, o) of
 * x[n, o * s + t * d - lo, ci] * dy[n, o, co], one float accumulator per output, in the fixed order
 * batch, output row, output column. Shared by {@link ConvKernelGradient} and
 * {@link ConvKernelGradientWide}, whose vector kernels cover the same geometries (rank 1 or 2).
 */
final class ConvKernelGradientScalar {
    private ConvKernelGradientScalar() {}

    /**
     * Writes the kernel gradient of {@code g}.
     *
     * @param tapMajor write dk as [taps][Cin][Cout] (the forward kernel's layout) instead of [Cin][taps][Cout]
     */
    static void run(ConvGeometry g, boolean tapMajor, float[] x, int xOff, float[] dy, int dyOff, float[] dk, int dkOff) {
        // Spatial attributes widened to two axes (a unit outer axis for rank 1).
        boolean two = g.rank == 2;
        int ia = g.rank - 1;
        int H = two ? g.inSize(0) : 1, W = g.inSize(ia), Ho = two ? g.outSize(0) : 1, Wo = g.outSize(ia);
        int KH = two ? g.kernelSize(0) : 1, KW = g.kernelSize(ia), sH = two ? g.stride(0) : 1, sW = g.stride(ia);
        int dH = two ? g.rhsDilation(0) : 1, dW = g.rhsDilation(ia), loH = two ? g.padLo(0) : 0, loW = g.padLo(ia);
        int cin = g.cin, cout = g.cout, taps = (int) g.taps();
        for (int ci = 0; ci < cin; ci++)
            for (int kh = 0; kh < KH; kh++)
                for (int kw = 0; kw < KW; kw++)
                    for (int co = 0; co < cout; co++) {
                        float s = 0f;
                        for (int n = 0; n < g.batch; n++)
                            for (int oh = 0; oh < Ho; oh++) {
                                int ih = oh * sH + kh * dH - loH;
                                if (ih < 0 || ih >= H) continue;
                                for (int ow = 0; ow < Wo; ow++) {
                                    int iw = ow * sW + kw * dW - loW;
                                    if (iw < 0 || iw >= W) continue;
                                    s = Math.fma(x[xOff + ((n * H + ih) * W + iw) * cin + ci], dy[dyOff + ((n * Ho + oh) * Wo + ow) * cout + co], s);
                                }
                            }
                        int t = kh * KW + kw;
                        dk[dkOff + (tapMajor ? t * cin + ci : ci * taps + t) * cout + co] = s;
                    }
    }
}
