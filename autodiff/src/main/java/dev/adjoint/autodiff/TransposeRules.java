package dev.adjoint.autodiff;

import dev.adjoint.autodiff.LinearProgram.Lin;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Ints;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BroadcastInDim;
import dev.adjoint.graph.op.Compare;
import dev.adjoint.graph.op.Concatenate;
import dev.adjoint.graph.op.Constant;
import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.DotGeneral;
import dev.adjoint.graph.op.Input;
import dev.adjoint.graph.op.Iota;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Pad;
import dev.adjoint.graph.op.Reduce;
import dev.adjoint.graph.op.ReduceFn;
import dev.adjoint.graph.op.Reshape;
import dev.adjoint.graph.op.Rev;
import dev.adjoint.graph.op.Select;
import dev.adjoint.graph.op.Slice;
import dev.adjoint.graph.op.StopGradient;
import dev.adjoint.graph.op.Transpose;
import dev.adjoint.graph.op.Unary;
import dev.adjoint.graph.op.UnaryFn;
import java.util.Arrays;

/**
 * The transpose rule of every linear primitive, in one exhaustive switch over the sealed
 * {@code Op}: given an equation {@code out = op(args)} of a {@link LinearProgram} and the cotangent
 * of {@code out}, emits the cotangent contribution of each linear argument as ordinary primitives.
 *
 * <p>Arguments that are primal tensors are constants of the linear map (the {@code c} of
 * {@code t * c}); they get no contribution. Each rule is proven by the dot-product identity
 * {@code <L x, y> = <x, L^T y>} in the tests.
 */
final class TransposeRules {
    private TransposeRules() {}

    /**
     * The contributions of {@code op(args)}'s cotangent {@code ct} to each argument, aligned with
     * {@code args}; {@code null} for primal arguments and for zero contributions.
     *
     * @throws IllegalStateException if {@code op} is not linear in its {@link Lin} arguments
     */
    static Tensor[] transpose(Op op, Object[] args, Tensor ct) {
        Tensor[] out = new Tensor[args.length];
        Graph g = ct.graph();
        switch (op) {
            case Unary u when u.fn() == UnaryFn.NEG -> out[0] = ct.neg();
            case Binary b -> {
                switch (b.fn()) {
                    case ADD -> { out[0] = ct; out[1] = ct; }
                    case SUB -> {
                        out[0] = ct;
                        if (args[1] instanceof Lin) out[1] = ct.neg();
                    }
                    case MUL -> {
                        if (args[0] instanceof Lin && args[1] instanceof Lin) throw notLinear(op, args);
                        if (args[0] instanceof Lin) out[0] = ct.mul((Tensor) args[1]);
                        else out[1] = ct.mul((Tensor) args[0]);
                    }
                    case DIV -> {
                        if (args[1] instanceof Lin) throw notLinear(op, args);
                        out[0] = ct.div((Tensor) args[1]);
                    }
                    default -> throw notLinear(op, args);
                }
            }
            case Select s -> {
                Tensor mask = (Tensor) args[0];
                Tensor zeros = JvpRules.zeros(g, ct.shape());
                if (args[1] instanceof Lin) out[1] = g.add(s, mask, ct, zeros);
                if (args[2] instanceof Lin) out[2] = g.add(s, mask, zeros, ct);
            }
            case BroadcastInDim b -> out[0] = unbroadcast(b, ct, LinearProgram.shapeOf(args[0]));
            case Reduce r when r.fn() == ReduceFn.SUM -> {
                Shape in = LinearProgram.shapeOf(args[0]);
                out[0] = ct.broadcastInDim(in, complement(in.rank(), r.axes()));
            }
            case DotGeneral d -> {
                if (args[0] instanceof Lin && args[1] instanceof Lin) throw notLinear(op, args);
                if (args[0] instanceof Lin l) out[0] = dotTranspose(d, ct, (Tensor) args[1], l.shape(), true);
                else out[1] = dotTranspose(d, ct, (Tensor) args[0], ((Lin) args[1]).shape(), false);
            }
            case Transpose t -> out[0] = ct.transpose(t.perm().inversePermutation().toArray());
            case Reshape r -> out[0] = ct.reshape(LinearProgram.shapeOf(args[0]).dims());
            case Pad p -> out[0] = padTranspose(p, ct, LinearProgram.shapeOf(args[0]));
            case Slice s -> out[0] = sliceTranspose(s, ct, LinearProgram.shapeOf(args[0]));
            case Rev r -> out[0] = ct.rev(r.axes().toArray());
            case Concatenate c -> {
                int axis = c.axis(), offset = 0;
                int[] stop = ct.shape().dims();
                for (int i = 0; i < args.length; i++) {
                    int n = LinearProgram.shapeOf(args[i]).dim(axis);
                    if (args[i] instanceof Lin) {
                        int[] start = new int[stop.length];
                        start[axis] = offset;
                        int[] end = stop.clone();
                        end[axis] = offset + n;
                        out[i] = ct.slice(start, end);
                    }
                    offset += n;
                }
            }
            case Conv c -> {
                if (args[0] instanceof Lin && args[1] instanceof Lin) throw notLinear(op, args);
                if (ct.shape().size() == 0) break; // an empty output contributes nothing
                if (args[0] instanceof Lin l) out[0] = convInputTranspose(c, ct, (Tensor) args[1], l.shape());
                else out[1] = convKernelTranspose(c, ct, (Tensor) args[0], ((Lin) args[1]).shape());
            }
            case Unary u -> throw notLinear(u, args);
            case Reduce r -> throw notLinear(r, args);
            case Input i -> throw notLinear(i, args);
            case Constant c -> throw notLinear(c, args);
            case Iota i -> throw notLinear(i, args);
            case StopGradient s -> throw notLinear(s, args);
            case Compare c -> throw notLinear(c, args);
        }
        return out;
    }

    private static IllegalStateException notLinear(Op op, Object[] args) {
        return new IllegalStateException("autodiff: " + op.name() + " with arguments " + Arrays.toString(args)
                + " is not a linear equation; a JVP rule recorded it by mistake");
    }

    /** The axes of {@code 0..rank-1} not in {@code axes}, in order. */
    static int[] complement(int rank, Ints axes) {
        int[] out = new int[rank - axes.size()];
        for (int a = 0, j = 0; a < rank; a++) if (!axes.contains(a)) out[j++] = a;
        return out;
    }

    /**
     * broadcast_in_dim's transpose: sum over the new axes and over the stretched size-1 axes, then
     * reshape the remaining axes (in input order) back to the input shape.
     */
    private static Tensor unbroadcast(BroadcastInDim b, Tensor ct, Shape in) {
        Shape outShape = b.shape();
        boolean[] sum = new boolean[outShape.rank()];
        Arrays.fill(sum, true);
        for (int i = 0; i < in.rank(); i++) {
            int a = b.dims().get(i);
            sum[a] = in.dim(i) == 1 && outShape.dim(a) != 1;
        }
        int n = 0;
        for (boolean s : sum) if (s) n++;
        int[] axes = new int[n];
        for (int a = 0, j = 0; a < sum.length; a++) if (sum[a]) axes[j++] = a;
        Tensor r = n == 0 ? ct : ct.sum(axes);
        return r.reshape(in.dims());
    }

    /**
     * dot_general's transpose with respect to one side: contract the cotangent's axes that belong
     * to the other side's free axes with those, keep the batch axes aligned; the result holds
     * [batch, this side's free axes, this side's contracted axes in the other side's axis order],
     * which a transpose puts back in this side's axis order.
     *
     * @param other the primal (constant) side
     * @param linShape the shape of the linear side
     * @param linIsLhs whether the linear side is the left operand
     */
    private static Tensor dotTranspose(DotGeneral d, Tensor ct, Tensor other, Shape linShape, boolean linIsLhs) {
        Ints linC = linIsLhs ? d.lhsContract() : d.rhsContract();
        Ints linB = linIsLhs ? d.lhsBatch() : d.rhsBatch();
        Ints othC = linIsLhs ? d.rhsContract() : d.lhsContract();
        Ints othB = linIsLhs ? d.rhsBatch() : d.lhsBatch();
        Ints linFree = linIsLhs ? d.lhsFree(linShape.rank()) : d.rhsFree(linShape.rank());
        Ints othFree = linIsLhs ? d.rhsFree(other.rank()) : d.lhsFree(other.rank());
        int nb = linB.size();
        // The cotangent's axes are [batch, lhs free, rhs free].
        int othStart = linIsLhs ? nb + linFree.size() : nb;
        int[] ctContract = new int[othFree.size()];
        for (int i = 0; i < ctContract.length; i++) ctContract[i] = othStart + i;
        int[] ctBatch = Ints.range(nb).toArray();
        Tensor r = ct.dotGeneral(other, ctContract, othFree.toArray(), ctBatch, othB.toArray());
        // Position in r of each axis of the linear side.
        int[] sortedOthC = othC.toArray();
        Arrays.sort(sortedOthC);
        int[] perm = new int[linShape.rank()];
        for (int i = 0; i < nb; i++) perm[linB.get(i)] = i;
        for (int j = 0; j < linFree.size(); j++) perm[linFree.get(j)] = nb + j;
        for (int k = 0; k < linC.size(); k++) {
            perm[linC.get(k)] = nb + linFree.size() + Arrays.binarySearch(sortedOthC, othC.get(k));
        }
        return isIdentity(perm) ? r : r.transpose(perm);
    }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) if (perm[i] != i) return false;
        return true;
    }

    /**
     * pad's transpose: undo the cropping (pad the cotangent with the negated negative lo/hi, so
     * every dilated position exists), then pick the input's positions with a strided slice
     * starting at {@code max(lo, 0)} with step {@code interior + 1}.
     */
    private static Tensor padTranspose(Pad p, Tensor ct, Shape in) {
        int r = in.rank();
        int[] lo = new int[r], hi = new int[r], start = new int[r], stop = new int[r], step = new int[r];
        boolean crop = false, trivial = true;
        for (int a = 0; a < r; a++) {
            lo[a] = Math.max(-p.lo().get(a), 0);
            hi[a] = Math.max(-p.hi().get(a), 0);
            crop |= lo[a] != 0 || hi[a] != 0;
            int n = in.dim(a), interior = p.interior().get(a);
            start[a] = Math.max(p.lo().get(a), 0);
            step[a] = interior + 1;
            stop[a] = start[a] + (n == 0 ? 0 : (n - 1) * step[a] + 1);
            trivial &= start[a] == 0 && step[a] == 1 && stop[a] == ct.shape().dim(a) + lo[a] + hi[a];
        }
        Tensor c = crop ? ct.pad(lo, hi) : ct;
        return trivial ? c : c.slice(start, stop, step);
    }

    /** slice's transpose: pad with {@code lo = start}, {@code interior = step - 1}, and hi to the input's size. */
    private static Tensor sliceTranspose(Slice s, Tensor ct, Shape in) {
        int r = in.rank();
        int[] lo = new int[r], hi = new int[r], interior = new int[r];
        for (int a = 0; a < r; a++) {
            int m = ct.shape().dim(a), step = s.step().get(a);
            lo[a] = s.start().get(a);
            interior[a] = step - 1;
            hi[a] = in.dim(a) - lo[a] - (m == 0 ? 0 : (m - 1) * step + 1);
        }
        return ct.pad(lo, hi, interior);
    }

    /**
     * conv's transpose with respect to x (docs/ARCHITECTURE.md): a conv of the cotangent with the kernel
     * reversed along its spatial axes and its channel axes swapped group by group, with stride
     * {@code lhsDilation}, lhs dilation {@code stride}, the same rhs dilation, and padding
     * {@code lo' = Kd - 1 - lo}, {@code hi' = La + Kd - 1 - Os - lo'}.
     */
    private static Tensor convInputTranspose(Conv c, Tensor ct, Tensor k, Shape xShape) {
        if (xShape.size() == 0) return null;
        int r = c.spatialRank(), groups = c.groups();
        int cinG = k.dim(r), cout = k.dim(r + 1), coutG = cout / groups;
        Tensor kk;
        if (groups == 1) {
            int[] perm = spatialThen(r, r + 1, r);
            kk = k.transpose(perm);
        } else {
            // k[K.., ci, g*coutG + co] -> kk[K.., co, g*cinG + ci]: swap in/out channels within each group.
            int[] split = append(spatial(k.shape(), r), cinG, groups, coutG);
            kk = k.reshape(split).transpose(spatialThen(r, r + 2, r + 1, r))
                    .reshape(append(spatial(k.shape(), r), coutG, groups * cinG));
        }
        kk = kk.rev(Ints.range(r).toArray());
        int[] strides = new int[r], lo = new int[r], hi = new int[r], lhsDil = new int[r], rhsDil = new int[r];
        for (int a = 0; a < r; a++) {
            int l = xShape.dim(a + 1), kn = k.dim(a), o = ct.shape().dim(a + 1);
            int s = c.strides().get(a), ad = c.lhsDilation().get(a), d = c.rhsDilation().get(a);
            int la = (l - 1) * ad + 1, kd = (kn - 1) * d + 1, os = (o - 1) * s + 1;
            strides[a] = ad;
            lhsDil[a] = s;
            rhsDil[a] = d;
            lo[a] = kd - 1 - c.padLo().get(a);
            hi[a] = la + kd - 1 - os - lo[a];
        }
        Conv t = new Conv(Ints.of(strides), Ints.of(lo), Ints.of(hi), Ints.of(lhsDil), Ints.of(rhsDil), groups);
        return ct.graph().add(t, ct, kk);
    }

    /**
     * conv's transpose with respect to the kernel (docs/ARCHITECTURE.md): a conv whose input is x with batch
     * and channel roles exchanged and whose kernel is the cotangent, with stride {@code rhsDilation},
     * lhs dilation {@code lhsDilation}, rhs dilation {@code stride}, padding {@code lo' = lo},
     * {@code hi' = (Os - La) + (Kd - lo - 1)}. Groups need no slicing: x's channels are laid out
     * as {@code [G, N]} so that group g of the transposed conv sees exactly group g's batch-channel
     * products, and one grouped conv yields every group's kernel block.
     */
    private static Tensor convKernelTranspose(Conv c, Tensor ct, Tensor x, Shape kShape) {
        if (x.shape().size() == 0 || kShape.size() == 0) return null;
        int r = c.spatialRank(), groups = c.groups();
        int n = x.dim(0), cin = x.dim(r + 1), cinG = cin / groups;
        Tensor xp;
        int[] xSpatial = new int[r];
        for (int a = 0; a < r; a++) xSpatial[a] = x.dim(a + 1);
        if (groups == 1) {
            int[] perm = new int[r + 2];
            perm[0] = r + 1;
            for (int a = 0; a < r; a++) perm[a + 1] = a + 1;
            perm[r + 1] = 0;
            xp = x.transpose(perm); // [Cin, S.., N]
        } else {
            int[] split = new int[r + 3];
            split[0] = n;
            System.arraycopy(xSpatial, 0, split, 1, r);
            split[r + 1] = groups;
            split[r + 2] = cinG;
            int[] perm = new int[r + 3];
            perm[0] = r + 2;
            for (int a = 0; a < r; a++) perm[a + 1] = a + 1;
            perm[r + 1] = r + 1;
            perm[r + 2] = 0;
            int[] merged = new int[r + 2];
            merged[0] = cinG;
            System.arraycopy(xSpatial, 0, merged, 1, r);
            merged[r + 1] = groups * n;
            xp = x.reshape(split).transpose(perm).reshape(merged); // [Cin/G, S.., G*N]
        }
        int[] dyPerm = new int[r + 2];
        for (int a = 0; a < r; a++) dyPerm[a] = a + 1;
        dyPerm[r] = 0;
        dyPerm[r + 1] = r + 1;
        Tensor dyp = ct.transpose(dyPerm); // [O.., N, Cout]
        int[] strides = new int[r], lo = new int[r], hi = new int[r], lhsDil = new int[r], rhsDil = new int[r];
        for (int a = 0; a < r; a++) {
            int l = x.dim(a + 1), kn = kShape.dim(a), o = ct.shape().dim(a + 1);
            int s = c.strides().get(a), ad = c.lhsDilation().get(a), d = c.rhsDilation().get(a);
            int la = (l - 1) * ad + 1, kd = (kn - 1) * d + 1, os = (o - 1) * s + 1;
            strides[a] = d;
            lhsDil[a] = ad;
            rhsDil[a] = s;
            lo[a] = c.padLo().get(a);
            hi[a] = (os - la) + (kd - lo[a] - 1);
        }
        Conv t = new Conv(Ints.of(strides), Ints.of(lo), Ints.of(hi), Ints.of(lhsDil), Ints.of(rhsDil), groups);
        Tensor res = ct.graph().add(t, xp, dyp); // [Cin/G, K.., Cout]
        return res.transpose(dyPerm);            // [K.., Cin/G, Cout]
    }

    private static int[] spatial(Shape s, int r) { return Arrays.copyOf(s.dims(), r); }

    private static int[] append(int[] head, int... tail) {
        int[] out = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, out, head.length, tail.length);
        return out;
    }

    /** The permutation {@code [0..r-1, tail...]}. */
    private static int[] spatialThen(int r, int... tail) { return append(Ints.range(r).toArray(), tail); }
}
