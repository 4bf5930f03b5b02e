package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Threefry;
import dev.adjoint.kernels.Conv;
import dev.adjoint.kernels.ConvEpilogue;
import dev.adjoint.kernels.ConvKernelLayout;
import dev.adjoint.kernels.DConv;
import dev.adjoint.kernels.DGemm;
import dev.adjoint.kernels.ConvWorkspace;
import dev.adjoint.kernels.Elementwise;
import dev.adjoint.kernels.FusedProgram;
import dev.adjoint.kernels.Gemm;
import dev.adjoint.kernels.GemmActivation;
import dev.adjoint.kernels.GemmBias;
import dev.adjoint.kernels.GemmEpilogue;
import dev.adjoint.kernels.GemmWorkspace;
import dev.adjoint.kernels.Movement;
import dev.adjoint.kernels.Reduce;
import dev.adjoint.kernels.ReduceKernelOp;
import dev.adjoint.kernels.WorkSplitter;

/** The step kinds: each adapts one kernel family to the plan's buffers. */
final class Steps {
    private Steps() {}

    /** A fused chain of elementwise ops: one pass over memory. */
    record Fused(FusedProgram program, int ops, int[] shape, int[] inBuffers, int[] offsets, int[][] strides,
                 float[][] bound, int output) implements Step {
        Fused(FusedProgram program, int ops, int[] shape, View[] in, int output) {
            this(program, ops, shape, Steps.buffers(in), Steps.offsets(in), Steps.strides(in), new float[in.length][], output);
        }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            for (int i = 0; i < inBuffers.length; i++) bound[i] = (float[]) buffers[inBuffers[i]];
            program.run(shape, bound, offsets, strides, (float[]) buffers[output], 0, splitter);
        }
        @Override public String kernel() { return ops == 1 ? "elementwise" : "fused " + ops + " elementwise ops"; }
    }

    /** reduce_sum / reduce_max over an axis set, reading a strided view; its loops are worked out at compile time. */
    record Reduction(ReduceKernelOp op, Reduce.Prepared prepared, View in, int output) implements Step {
        Reduction(ReduceKernelOp op, View in, int[] axes, int output) {
            this(op, Reduce.prepare(op, in.shape(), in.strides(), axes), in, output);
        }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            prepared.run((float[]) buffers[in.buffer()], in.offset(), (float[]) buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "reduce_" + op.name().toLowerCase(java.util.Locale.ROOT); }
    }

    /**
     * dot_general as a batched GEMM; operand layouts are absorbed into strides. With a bias or a
     * relu (see {@link FusionRegions.Epilogue}) the GEMM applies them to each output tile; the
     * bias is buffer {@code biasBuffer} from {@code biasOff}, read at run time (it may be a fed
     * input), and its {@link GemmEpilogue} is rebuilt only when that buffer's array changes, so a
     * warm run allocates nothing.
     */
    record MatMul(int batch, int m, int n, int k,
                  int a, int aOff, int aRow, int aCol, int aBatch,
                  int b, int bOff, int bRow, int bCol, int bBatch,
                  GemmWorkspace workspace, double[] dWorkspace, GemmBias bias, int biasBuffer, int biasOff, GemmActivation activation,
                  GemmEpilogue[] epilogue, int output) implements Step {
        /** A plain product: no bias, no activation. */
        MatMul(int batch, int m, int n, int k, int a, int aOff, int aRow, int aCol, int aBatch,
               int b, int bOff, int bRow, int bCol, int bBatch, GemmWorkspace workspace, double[] dWorkspace, int output) {
            this(batch, m, n, k, a, aOff, aRow, aCol, aBatch, b, bOff, bRow, bCol, bBatch, workspace, dWorkspace,
                    GemmBias.NONE, -1, 0, GemmActivation.NONE, new GemmEpilogue[] {GemmEpilogue.NONE}, output);
        }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            if (buffers[output] instanceof double[] out) {
                DGemm.dgemm(batch, m, n, k, (double[]) buffers[a], aOff, aRow, aCol, aBatch, (double[]) buffers[b], bOff, bRow, bCol, bBatch,
                        out, dWorkspace, splitter);
                return;
            }
            GemmEpilogue e = epilogue[0];
            if (bias != GemmBias.NONE && (e == null || e.biasData() != buffers[biasBuffer])) {
                e = epilogue[0] = GemmEpilogue.of(bias, (float[]) buffers[biasBuffer], biasOff, activation);
            }
            Gemm.sgemm(batch, m, n, k, 1f, (float[]) buffers[a], aOff, aRow, aCol, aBatch, (float[]) buffers[b], bOff, bRow, bCol, bBatch,
                    false, (float[]) buffers[output], 0, n, m * n, e, workspace, splitter);
        }
        /** The same product using workspace {@code ws} (a GEMM run at the same time as another needs its own; see {@link StepSchedule}). */
        MatMul withWorkspace(GemmWorkspace ws) {
            return new MatMul(batch, m, n, k, a, aOff, aRow, aCol, aBatch, b, bOff, bRow, bCol, bBatch, ws, dWorkspace, bias, biasBuffer, biasOff,
                    activation, epilogue.clone(), output);
        }
        @Override public String kernel() {
            String s = "gemm " + (batch > 1 ? batch + "x" : "") + m + "x" + n + "x" + k;
            if (bias != GemmBias.NONE) s += " + bias (" + (bias == GemmBias.PER_ROW ? "rows" : "columns") + ")";
            if (activation != GemmActivation.NONE) s += " + " + activation.name().toLowerCase(java.util.Locale.ROOT);
            return s;
        }
    }

    /**
     * An N-d channels-last convolution. With a fused bias and clamp (see {@link FusionRegions.ConvFusion})
     * the conv applies them to its outputs as it finishes them; the bias is buffer {@code biasBuffer}
     * from {@code biasOff}, read at run time (it may be a fed input), and its {@link ConvEpilogue} is
     * rebuilt only when that buffer's array changes, so a warm run allocates nothing.
     */
    record Convolution(ConvWorkspace workspace, View x, View k, ConvKernelLayout layout, int biasBuffer, int biasOff, float lo, float hi,
                       ConvEpilogue[] epilogue, int output) implements Step {
        /** A plain conv: no bias, no clamp. */
        Convolution(ConvWorkspace workspace, View x, View k, ConvKernelLayout layout, int output) {
            this(workspace, x, k, layout, -1, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, new ConvEpilogue[] {ConvEpilogue.NONE}, output);
        }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            ConvEpilogue e = epilogue[0];
            if (biasBuffer >= 0 && (e == null || e.bias() != buffers[biasBuffer]))
                e = epilogue[0] = new ConvEpilogue((float[]) buffers[biasBuffer], biasOff, lo, hi);
            Conv.forward(workspace, (float[]) buffers[x.buffer()], x.offset(), (float[]) buffers[k.buffer()], k.offset(), layout,
                    (float[]) buffers[output], 0, splitter, Conv.Path.AUTO, e);
        }
        @Override public String kernel() {
            String s = "conv (" + Conv.chosenPath(workspace, layout).name().toLowerCase(java.util.Locale.ROOT)
                    + (layout == workspace.standardLayout() ? "" : ", kernel read in place through strides") + ")";
            if (biasBuffer >= 0) s += " + bias";
            if (lo == 0f && hi == Float.POSITIVE_INFINITY) s += " + relu";
            else if (lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) s += " + clamp [" + lo + ", " + hi + "]";
            return s;
        }
    }

    /** An N-d channels-last convolution in float64. */
    record DConvolution(DConv conv, View x, View k, int output) implements Step {
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            conv.forward((double[]) buffers[x.buffer()], x.offset(), (double[]) buffers[k.buffer()], k.offset(), (double[]) buffers[output], 0);
        }
        @Override public String kernel() { return "conv f64 (direct)"; }
    }

    /** A strided view copied into a dense buffer. */
    record Copy(View in, int output) implements Step {
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            Elementwise.copy(in.shape(), (float[]) buffers[in.buffer()], in.offset(), in.strides(), (float[]) buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "copy"; }
    }

    /** Zero padding with interior padding and cropping. */
    record Padding(View in, int[] lo, int[] hi, int[] interior, int[] outShape, int output) implements Step {
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            Movement.pad(in.shape(), (float[]) buffers[in.buffer()], in.offset(), lo, hi, interior, outShape, (float[]) buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "pad"; }
    }

    /** Reversal along axes. */
    record Reverse(View in, int[] axes, int output) implements Step {
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            Movement.rev(in.shape(), (float[]) buffers[in.buffer()], in.offset(), axes, (float[]) buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "rev"; }
    }

    /** Concatenation along an axis. */
    record Concat(int axis, int[][] shapes, int[] inBuffers, int[] offsets, float[][] bound, int output) implements Step {
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            for (int i = 0; i < inBuffers.length; i++) bound[i] = (float[]) buffers[inBuffers[i]];
            Movement.concatenate(axis, shapes, bound, offsets, (float[]) buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "concatenate"; }
    }

    /** A fused chain over any element types (f64, integers, bool logic, converts). */
    record TypedFused(TypedProgram program, int[] shape, int[] inBuffers, int[] offsets, int[][] strides, Object[] bound, int output)
            implements Step {
        TypedFused(TypedProgram program, int[] shape, View[] in, int output) {
            this(program, shape, Steps.buffers(in), Steps.offsets(in), Steps.strides(in), new Object[in.length], output);
        }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            for (int i = 0; i < inBuffers.length; i++) bound[i] = buffers[inBuffers[i]];
            program.run(shape, bound, offsets, strides, buffers[output]);
        }
        @Override public String kernel() {
            int ops = program.ops();
            return ops <= 1 ? "typed elementwise" : "typed fused " + ops + " elementwise ops";
        }
    }

    /** A strided view of non-float storage copied into a strided window of the output (copy, rev, pad, concat). */
    record TypedCopy(Lines lines, int n, View in, int inLast, int dstOff, int dstLast, boolean zeroFirst, int outSize, String name,
                     int output) implements Step {
        static TypedCopy of(View in, int dstOff, int[] dstStrides, boolean zeroFirst, int outSize, String name, int output) {
            int[] shape = TypedKernels.atLeast1(in.shape());
            int[] ss = TypedKernels.stridesAtLeast1(in.strides()), ds = TypedKernels.stridesAtLeast1(dstStrides);
            int last = shape.length - 1;
            return new TypedCopy(new Lines(shape, last, ss, ds), shape[last], in, ss[last], dstOff, ds[last], zeroFirst, outSize, name, output);
        }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            Object out = buffers[output];
            if (zeroFirst) TypedKernels.zero(out, 0, outSize);
            if (n == 0 || lines.count() == 0) return;
            TypedKernels.copy(lines, n, buffers[in.buffer()], in.offset(), inLast, out, dstOff, dstLast);
        }
        @Override public String kernel() { return name; }
    }

    /** Several typed copies into one output (concatenate of non-float storage). */
    record TypedSequence(Step[] parts, String name, int output) implements Step {
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            for (Step p : parts) p.run(buffers, splitter);
        }
        @Override public String kernel() { return name; }
    }

    /** Reductions without an f32 vector kernel: f64 and integer ones, and f32 min/prod. */
    record TypedReduction(TypedKernels.Fn fn, DType type, Lines lines, int n, View in, int inLast, int outLast,
                          double[] accD, long[] accL, int output) implements Step {
        static TypedReduction of(TypedKernels.Fn fn, DType type, View in, int[] axes, int outSize, int output) {
            int[] shape = TypedKernels.atLeast1(in.shape());
            int[] ss = TypedKernels.stridesAtLeast1(in.strides());
            // The output stride of every input axis: dense over the kept axes, 0 on reduced ones.
            int[] os = new int[shape.length];
            int acc = 1;
            for (int a = in.shape().length - 1; a >= 0; a--) {
                boolean reduced = false;
                for (int r : axes) reduced |= r == a;
                if (!reduced) {
                    os[a] = acc;
                    acc *= shape[a];
                }
            }
            int last = shape.length - 1;
            boolean f = type.isFloat();
            return new TypedReduction(fn, type, new Lines(shape, last, ss, os), shape[last], in, ss[last], os[last],
                    f ? new double[outSize] : null, f ? null : new long[outSize], output);
        }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            TypedKernels.reduce(fn, type, lines, n, buffers[in.buffer()], in.offset(), inLast, outLast, accD, accL, buffers[output]);
        }
        @Override public String kernel() { return "reduce_" + fn.name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** argmax / argmin along one axis. */
    record ArgReduction(boolean max, Lines lines, int n, View in, int step, int output) implements Step {
        static ArgReduction of(boolean max, View in, int axis, int output) {
            int[] os = new int[in.shape().length];
            int acc = 1;
            for (int a = os.length - 1; a >= 0; a--) {
                if (a == axis) continue;
                os[a] = acc;
                acc *= in.shape()[a];
            }
            return new ArgReduction(max, new Lines(in.shape(), axis, in.strides(), os), in.shape()[axis], in, in.strides()[axis], output);
        }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            TypedKernels.argReduce(max, lines, n, buffers[in.buffer()], in.offset(), step, buffers[output]);
        }
        @Override public String kernel() { return max ? "argmax" : "argmin"; }
    }

    /** Inclusive cumulative sum along an axis, either direction. */
    record CumulativeSum(boolean reverse, boolean i32, Lines lines, int n, View in, int step, int outStep, int output) implements Step {
        static CumulativeSum of(boolean reverse, boolean i32, View in, int axis, int output) {
            int[] os = View.denseStrides(in.shape());
            return new CumulativeSum(reverse, i32, new Lines(in.shape(), axis, in.strides(), os), in.shape()[axis], in,
                    in.strides()[axis], os[axis], output);
        }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            TypedKernels.cumsum(reverse, i32, lines, n, buffers[in.buffer()], in.offset(), step, buffers[output], outStep);
        }
        @Override public String kernel() { return reverse ? "cumsum (reverse)" : "cumsum"; }
    }

    /**
     * random_bits: element i is {@link Threefry#randomBits(int, int, long, long)} of the key, the
     * interpreter's one definition; every element depends on its index only, so chunks over
     * threads give the same bits as one thread.
     */
    static final class RandomBitsStep implements Step, WorkSplitter.Chunk {
        static final int CHUNK = 1 << 14;
        final int key, k0Off, k1Off, n, output;
        private int k0, k1;
        private int[] out;

        RandomBitsStep(int key, int k0Off, int k1Off, int n, int output) {
            this.key = key;
            this.k0Off = k0Off;
            this.k1Off = k1Off;
            this.n = n;
            this.output = output;
        }
        @Override public int output() { return output; }
        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            int[] k = (int[]) buffers[key];
            k0 = k[k0Off];
            k1 = k[k1Off];
            out = (int[]) buffers[output];
            int chunks = (n + CHUNK - 1) / CHUNK;
            if (chunks <= 1) run(0);
            else splitter.forEach(chunks, this);
        }
        @Override public void run(int c) {
            int from = c * CHUNK, to = Math.min(n, from + CHUNK);
            Threefry.randomBits(k0, k1, n, out, from, to);
        }
        @Override public String kernel() { return "random_bits (threefry2x32)"; }
    }

    static int[] buffers(View[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = v[i].buffer();
        return b;
    }

    static int[] offsets(View[] v) {
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) o[i] = v[i].offset();
        return o;
    }

    static int[][] strides(View[] v) {
        int[][] s = new int[v.length][];
        for (int i = 0; i < v.length; i++) s[i] = v[i].strides();
        return s;
    }
}
