package dev.adjoint.graph;

/** numpy {@code matmul} lowered to {@code dot_general}, broadcasts and reshapes. */
final class MatMul {
    private MatMul() {}

    static Tensor of(Tensor a, Tensor b) {
        if (a.rank() == 0 || b.rank() == 0) {
            throw new ShapeException("matmul: operands must have rank >= 1, got " + a.shape() + " and " + b.shape()
                    + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        boolean vecA = a.rank() == 1, vecB = b.rank() == 1;
        Tensor x = vecA ? a.reshape(1, a.dim(0)) : a;
        Tensor y = vecB ? b.reshape(b.dim(0), 1) : b;
        int kx = x.dim(-1), ky = y.dim(-2);
        if (kx != ky) {
            throw new ShapeException("matmul: the last axis of a (size " + kx + ") must match the second-to-last axis of b (size "
                    + ky + "); a: " + a.shape() + ", b: " + b.shape() + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
        Tensor out;
        if (y.rank() == 2) {
            // [..., m, k] x [k, n]: contract directly, no batch axes, no broadcast of y.
            out = x.dotGeneral(y, new int[] {x.rank() - 1}, new int[] {0}, new int[0], new int[0]);
        } else {
            int[] xb = leading(x), yb = leading(y);
            Shape batch = Tensor.broadcastShapes("matmul", Shape.of(xb), Shape.of(yb));
            int nb = batch.rank();
            x = x.broadcastTo(concat(batch.dims(), x.dim(-2), kx));
            y = y.broadcastTo(concat(batch.dims(), ky, y.dim(-1)));
            int[] batchAxes = Ints.range(nb).toArray();
            out = x.dotGeneral(y, new int[] {nb + 1}, new int[] {nb}, batchAxes, batchAxes);
        }
        int[] dims = out.shape().dims();
        if (vecA && vecB) return out.reshape();
        if (vecA) return out.reshape(drop(dims, dims.length - 2));
        if (vecB) return out.reshape(drop(dims, dims.length - 1));
        return out;
    }

    private static int[] leading(Tensor t) {
        int[] d = t.shape().dims();
        return java.util.Arrays.copyOf(d, d.length - 2);
    }

    private static int[] concat(int[] head, int p, int q) {
        int[] out = java.util.Arrays.copyOf(head, head.length + 2);
        out[head.length] = p;
        out[head.length + 1] = q;
        return out;
    }

    private static int[] drop(int[] dims, int axis) {
        int[] out = new int[dims.length - 1];
        for (int i = 0, j = 0; i < dims.length; i++) if (i != axis) out[j++] = dims[i];
        return out;
    }
}
