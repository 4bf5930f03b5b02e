package dev.adjoint.cpu;

import dev.adjoint.kernels.Conv;
import dev.adjoint.kernels.ConvWorkspace;
import dev.adjoint.kernels.Elementwise;
import dev.adjoint.kernels.FusedProgram;
import dev.adjoint.kernels.Gemm;
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
        @Override public void run(float[][] buffers, WorkSplitter splitter) {
            for (int i = 0; i < inBuffers.length; i++) bound[i] = buffers[inBuffers[i]];
            program.run(shape, bound, offsets, strides, buffers[output], 0, splitter);
        }
        @Override public String kernel() { return ops == 1 ? "elementwise" : "fused " + ops + " elementwise ops"; }
    }

    /** reduce_sum / reduce_max over an axis set, reading a strided view; its loops are worked out at compile time. */
    record Reduction(ReduceKernelOp op, Reduce.Prepared prepared, View in, int output) implements Step {
        Reduction(ReduceKernelOp op, View in, int[] axes, int output) {
            this(op, Reduce.prepare(op, in.shape(), in.strides(), axes), in, output);
        }
        @Override public void run(float[][] buffers, WorkSplitter splitter) {
            prepared.run(buffers[in.buffer()], in.offset(), buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "reduce_" + op.name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** dot_general as a batched GEMM; operand layouts are absorbed into strides. */
    record MatMul(int batch, int m, int n, int k,
                  int a, int aOff, int aRow, int aCol, int aBatch,
                  int b, int bOff, int bRow, int bCol, int bBatch,
                  GemmWorkspace workspace, int output) implements Step {
        @Override public void run(float[][] buffers, WorkSplitter splitter) {
            Gemm.sgemm(batch, m, n, k, 1f, buffers[a], aOff, aRow, aCol, aBatch, buffers[b], bOff, bRow, bCol, bBatch,
                    false, buffers[output], 0, n, m * n, GemmEpilogue.NONE, workspace, splitter);
        }
        @Override public String kernel() { return "gemm " + (batch > 1 ? batch + "x" : "") + m + "x" + n + "x" + k; }
    }

    /** An N-d channels-last convolution. */
    record Convolution(ConvWorkspace workspace, View x, View k, int output) implements Step {
        @Override public void run(float[][] buffers, WorkSplitter splitter) {
            Conv.forward(workspace, buffers[x.buffer()], x.offset(), buffers[k.buffer()], k.offset(), buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "conv (" + Conv.chosenPath(workspace).name().toLowerCase(java.util.Locale.ROOT) + ")"; }
    }

    /** A strided view copied into a dense buffer. */
    record Copy(View in, int output) implements Step {
        @Override public void run(float[][] buffers, WorkSplitter splitter) {
            Elementwise.copy(in.shape(), buffers[in.buffer()], in.offset(), in.strides(), buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "copy"; }
    }

    /** Zero padding with interior padding and cropping. */
    record Padding(View in, int[] lo, int[] hi, int[] interior, int output) implements Step {
        @Override public void run(float[][] buffers, WorkSplitter splitter) {
            Movement.pad(in.shape(), buffers[in.buffer()], in.offset(), lo, hi, interior, buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "pad"; }
    }

    /** Reversal along axes. */
    record Reverse(View in, int[] axes, int output) implements Step {
        @Override public void run(float[][] buffers, WorkSplitter splitter) {
            Movement.rev(in.shape(), buffers[in.buffer()], in.offset(), axes, buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "rev"; }
    }

    /** Concatenation along an axis. */
    record Concat(int axis, int[][] shapes, int[] inBuffers, int[] offsets, float[][] bound, int output) implements Step {
        @Override public void run(float[][] buffers, WorkSplitter splitter) {
            for (int i = 0; i < inBuffers.length; i++) bound[i] = buffers[inBuffers[i]];
            Movement.concatenate(axis, shapes, bound, offsets, buffers[output], 0, splitter);
        }
        @Override public String kernel() { return "concatenate"; }
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
