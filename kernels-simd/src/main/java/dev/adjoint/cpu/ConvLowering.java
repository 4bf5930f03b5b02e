package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.kernels.ConvGeometry;
import dev.adjoint.kernels.ConvKernelGradient;
import dev.adjoint.kernels.ConvKernelGradientWide;
import dev.adjoint.kernels.ConvKernelLayout;
import dev.adjoint.kernels.WorkSplitter;

/**
 * How {@link Lowering} hands a conv's kernel operand to the f32 kernels without copying it: the
 * transpose rules build the gradient convs' kernels as {@code rev(transpose(k))} (input gradient)
 * and {@code transpose(dy)} (kernel gradient). Transposes are views already; a rev read only by
 * such a conv becomes a view too (negative strides), and the conv reads the strided view through a
 * {@link ConvKernelLayout} (the kernel is repacked into panels on every call anyway, so strides
 * cost nothing there). Views whose spatial strides are not one flat tap stride (a rev of some
 * spatial axes only, say) are copied densely as before.
 */
final class ConvLowering {
    private ConvLowering() {}

    /**
     * The layout that reads kernel view {@code k} of conv {@code c} in place, or null when {@code k}
     * is dense (the standard layout) or its spatial axes do not share one flat tap stride.
     */
    static ConvKernelLayout layout(Conv c, View k) {
        if (k.isDense()) return null;
        int r = c.spatialRank();
        int[] shape = k.shape(), st = k.strides();
        // Flat tap t = row-major over the spatial axes: axis a must step by tapStride * prod(K[a+1..]).
        int tapStride = 0;
        boolean found = false;
        long inner = 1;
        for (int a = r - 1; a >= 0; a--) {
            if (shape[a] != 1) {
                if (!found) {
                    if (st[a] % inner != 0) return null;
                    tapStride = (int) (st[a] / inner);
                    found = true;
                } else if (st[a] != tapStride * inner) return null;
            }
            inner *= shape[a];
        }
        int cout = shape[r + 1], coutG = cout / c.groups();
        int inStride = shape[r] == 1 ? 0 : st[r], outStride = cout == 1 ? 0 : st[r + 1];
        return new ConvKernelLayout(0, coutG * outStride, tapStride, inStride, outStride);
    }

    /**
     * The view of rev node {@code node} (of operand view {@code in}, along {@code axes}) when it is
     * read only as the kernel of one f32 conv that can read the reversed view in place; else null
     * (the rev is then lowered to a copy as usual).
     */
    static View foldedRev(Graph graph, Node node, int uses, boolean output, View in, int[] axes) {
        if (uses != 1 || output || node.dtype() != DType.F32) return null;
        Node user = null;
        for (Node n : graph.nodes()) if (n.id() > node.id() && n.inputs().contains(node.id())) { user = n; break; }
        if (user == null || !(user.op() instanceof Conv c) || user.dtype() != DType.F32
                || user.inputs().get(1) != node.id() || user.inputs().get(0) == node.id()) return null;
        View v = reversed(in, axes);
        return v.isDense() || layout(c, v) != null ? v : null;
    }

    /** {@code in} reversed along {@code axes} by negative strides. */
    private static View reversed(View in, int[] axes) {
        int offset = in.offset();
        int[] strides = in.strides().clone();
        for (int a : axes) {
            offset += (in.shape()[a] - 1) * strides[a];
            strides[a] = -strides[a];
        }
        return new View(in.buffer(), offset, in.shape(), strides);
    }

    /**
     * The step that runs conv {@code c} as a {@link ConvKernelGradient} when it has the form the
     * transpose rules give the kernel gradient (graph-core's {@code Conv.kernelGradient}): its
     * input {@code xv} is a dense {@code x[N, S.., Cin]} seen as {@code [Cin, S.., N]} and its kernel
     * {@code kv} a dense {@code dy[N, O.., Cout]} seen as {@code [O.., N, Cout]}, one group, no lhs
     * dilation. Such a conv computes {@code dk[ci, t, co] = sum x[n, o*s + t*d - lo, ci] * dy[n, o, co]}
     * with the forward stride {@code s} = its rhs dilation and the forward dilation {@code d} = its
     * stride, whatever built it. The kernel reads x and dy where they are (no transposed copy of
     * x). {@link ConvKernelGradient} for Cout below the vector width, {@link ConvKernelGradientWide} for Cout a
     * multiple of two vectors; null when the form does not match or neither applies (the general conv then).
     */
    static KernelGradientStep kernelGradient(Conv c, View xv, View kv, int[] outShape, java.util.function.IntSupplier output) {
        int r = c.spatialRank();
        if (c.groups() != 1 || r < 1 || r > 2) return null;
        for (int a = 0; a < r; a++) if (c.lhsDilation().get(a) != 1) return null;
        int[] xs = xv.shape(), xst = xv.strides(), ks = kv.shape(), kst = kv.strides();
        int cin = xs[0], n = xs[r + 1], cout = ks[r + 1];
        if (ks[r] != n) return null;
        int[] fxShape = new int[r + 2], fxStrides = new int[r + 2], fyShape = new int[r + 2], fyStrides = new int[r + 2];
        fxShape[0] = n; fxStrides[0] = xst[r + 1]; fxShape[r + 1] = cin; fxStrides[r + 1] = xst[0];
        fyShape[0] = n; fyStrides[0] = kst[r]; fyShape[r + 1] = cout; fyStrides[r + 1] = kst[r + 1];
        int[] inS = new int[r], outS = new int[r], kS = new int[r], st = new int[r], lo = new int[r], hi = new int[r], d = new int[r], one = new int[r];
        for (int a = 0; a < r; a++) {
            fxShape[a + 1] = xs[a + 1]; fxStrides[a + 1] = xst[a + 1];
            fyShape[a + 1] = ks[a]; fyStrides[a + 1] = kst[a];
            inS[a] = xs[a + 1]; outS[a] = ks[a]; kS[a] = outShape[a + 1];
            st[a] = c.rhsDilation().get(a); d[a] = c.strides().get(a); lo[a] = c.padLo().get(a); one[a] = 1;
            hi[a] = (outS[a] - 1) * st[a] + (kS[a] - 1) * d[a] + 1 - inS[a] - lo[a];
        }
        View fx = new View(xv.buffer(), xv.offset(), fxShape, fxStrides), fy = new View(kv.buffer(), kv.offset(), fyShape, fyStrides);
        if (!fx.isDense() || !fy.isDense()) return null;
        ConvGeometry g = ConvGeometry.of(n, inS, cin, kS, cout, st, lo, hi, one, d, 1, outS);
        if (ConvKernelGradient.applies(g))
            return new KernelGradientStep(new ConvKernelGradient(g)::run, "conv kernel gradient (small Cout, x and dy read in place)", fx, fy, output.getAsInt(), false);
        // Written in the forward kernel's [K.., Cin, Cout] order: the transpose that follows is then dense, not a copy.
        if (ConvKernelGradientWide.applies(g))
            return new KernelGradientStep(new ConvKernelGradientWide(g, true)::run, "conv kernel gradient (wide Cout, x and dy read in place)", fx, fy, output.getAsInt(), true);
        return null;
    }

    /**
     * The conv node's view [Cin, K.., Cout] of a buffer written [K.., Cin, Cout] (a kernel-gradient
     * step that is {@code tapMajor}).
     */
    static View tapMajorView(int buffer, int[] shape) {
        int r = shape.length - 2, cin = shape[0], cout = shape[r + 1];
        int[] st = new int[r + 2];
        st[r + 1] = 1;
        st[0] = cout;
        long inner = (long) cin * cout;
        for (int a = r; a >= 1; a--) { st[a] = (int) inner; inner *= shape[a]; }
        return new View(buffer, 0, shape, st);
    }

    /** A dedicated kernel-gradient kernel's entry point ({@link ConvKernelGradient#run}, {@link ConvKernelGradientWide#run}). */
    @FunctionalInterface
    interface GradientKernel {
        void run(float[] x, int xOff, float[] dy, int dyOff, float[] dk, int dkOff, WorkSplitter split);
    }

    /**
     * A kernel-gradient conv run by a dedicated kernel from the forward x and dy; {@code tapMajor}:
     * its buffer holds dk as [K.., Cin, Cout] (the node's view is then {@link #tapMajorView}).
     */
    record KernelGradientStep(GradientKernel gradient, String kernel, View x, View dy, int output, boolean tapMajor) implements Step {
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            gradient.run((float[]) buffers[x.buffer()], x.offset(), (float[]) buffers[dy.buffer()], dy.offset(), (float[]) buffers[output], 0, splitter);
        }
    }

    /**
     * When view {@code v} is a permutation of a dense array whose contiguous axis is not the
     * view's innermost (the kernel-gradient conv's x, [Cin, S.., N] from [N, S.., Cin]), a step
     * that copies it densely in tiles into a buffer from {@code output} (asked only then); else null. Measured: the generic strided copy took 15-17 ms
     * for that 1.6M-element operand of layers B and C, the tiled copy about 2 (docs/perf/conv.md).
     */
    static TransposeCopy transposeCopy(View v, java.util.function.IntSupplier output) {
        int r = v.shape().length;
        int[] st = v.strides(), sh = v.shape();
        if (r < 2 || sh[r - 1] == 1) return null;
        // A permutation of a dense array: the strides, sorted, are the dense strides of the sorted shape.
        Integer[] ord = new Integer[r];
        for (int i = 0; i < r; i++) ord[i] = i;
        java.util.Arrays.sort(ord, (a, b) -> st[a] != st[b] ? Integer.compare(st[b], st[a]) : Integer.compare(a, b));
        long acc = 1;
        for (int j = r - 1; j >= 0; j--) {
            if (sh[ord[j]] != 1 && st[ord[j]] != acc) return null;
            acc *= sh[ord[j]];
        }
        int unit = -1;
        for (int a = 0; a < r; a++) if (sh[a] != 1 && st[a] == 1) unit = a;
        if (unit < 0 || unit == r - 1) return null;
        return new TransposeCopy(v, unit, View.denseStrides(sh), new int[r], output.getAsInt());
    }

    /**
     * A conv operand made dense from a permuted view, tile by tile over the two axes that matter:
     * the output's innermost axis (contiguous writes) and the source's contiguous axis {@code unit}
     * (contiguous reads), the other axes by an odometer ({@code counter}, made once: a plan runs on
     * one thread at a time, and this step runs serially). Allocates nothing.
     */
    record TransposeCopy(View in, int unit, int[] outStrides, int[] counter, int output) implements Step {
        private static final int TILE = 32;

        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            float[] x = (float[]) buffers[in.buffer()], y = (float[]) buffers[output];
            int[] sh = in.shape(), st = in.strides(), os = outStrides, ctr = counter;
            int r = sh.length, inner = r - 1, ni = sh[inner], nj = sh[unit], si = st[inner], oj = os[unit];
            java.util.Arrays.fill(ctr, 0);
            while (true) {
                int xb = in.offset(), yb = 0;
                for (int a = 0; a < r; a++) { xb += ctr[a] * st[a]; yb += ctr[a] * os[a]; }
                for (int j0 = 0; j0 < nj; j0 += TILE) {
                    int j1 = Math.min(nj, j0 + TILE);
                    for (int i0 = 0; i0 < ni; i0 += TILE) {
                        int i1 = Math.min(ni, i0 + TILE);
                        for (int j = j0; j < j1; j++) {
                            int xo = xb + j, yo = yb + j * oj;
                            for (int i = i0; i < i1; i++) y[yo + i] = x[xo + i * si];
                        }
                    }
                }
                // Next position of the other axes.
                int a = r - 1;
                for (; a >= 0; a--) {
                    if (a == inner || a == unit) continue;
                    if (++ctr[a] < sh[a]) break;
                    ctr[a] = 0;
                }
                if (a < 0) return;
            }
        }
        @Override public String kernel() { return "transpose (conv operand, tiled)"; }
    }
}
