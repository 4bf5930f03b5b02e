package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.kernels.ConvKernelLayout;

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
}
