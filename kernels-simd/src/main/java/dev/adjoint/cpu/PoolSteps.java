package dev.adjoint.cpu;

import dev.adjoint.graph.op.Window;
import dev.adjoint.kernels.MaxPool;
import dev.adjoint.kernels.WindowGeometry;
import dev.adjoint.kernels.WorkSplitter;

/** The plan steps of max pooling: {@code window_max}, {@code window_max_gather} and {@code window_max_scatter} as {@link MaxPool} kernels. */
final class PoolSteps {
    private PoolSteps() {}

    /** Below this many tap visits a step runs on the calling thread (waking a thread costs more). */
    static final long SPLIT_WORK = 1 << 15;

    /** The kernels' geometry of window {@code w} over a dense operand of shape {@code x}. */
    static WindowGeometry geometry(int[] x, Window w) {
        return WindowGeometry.of(x, w.size().toArray(), w.strides().toArray(), w.padLo().toArray(), w.padHi().toArray(),
                w.dilation().toArray());
    }

    /**
     * One windowed max kernel over dense operands: x (read), t (the gather's tangent or the scatter's
     * cotangent; none for the max) and the output. The scatter's zero fill, when it needs one
     * ({@link MaxPool#scatterFills}), runs as a first parallel phase.
     */
    static final class WindowMaxStep implements Step, WorkSplitter.Chunk {
        final MaxPool.Kind kind;
        final boolean f64;
        final WindowGeometry g;
        final int xBuf, xOff, tBuf, tOff, output, tasks;
        final boolean fills, split;
        private Object x, t, out;
        private boolean filling;

        WindowMaxStep(MaxPool.Kind kind, boolean f64, WindowGeometry g, View x, View t, int output) {
            this.kind = kind;
            this.f64 = f64;
            this.g = g;
            this.xBuf = x.buffer();
            this.xOff = x.offset();
            this.tBuf = t == null ? -1 : t.buffer();
            this.tOff = t == null ? 0 : t.offset();
            this.output = output;
            this.tasks = MaxPool.tasks(kind, g);
            this.fills = kind == MaxPool.Kind.SCATTER && MaxPool.scatterFills(g);
            long taps = (long) g.k()[0] * g.k()[1] * g.k()[2];
            this.split = (long) g.ySize() * taps >= SPLIT_WORK;
        }

        @Override public int output() { return output; }

        @Override public void run(Object[] buffers, WorkSplitter splitter) {
            x = buffers[xBuf];
            t = tBuf < 0 ? null : buffers[tBuf];
            out = buffers[output];
            if (fills) {
                filling = true;
                forEach(MaxPool.fillChunks(g), splitter);
                filling = false;
            }
            forEach(tasks, splitter);
            x = t = out = null;
        }

        private void forEach(int chunks, WorkSplitter splitter) {
            if (split && chunks > 1 && splitter.threads() > 1) splitter.forEach(chunks, this);
            else for (int i = 0; i < chunks; i++) run(i);
        }

        @Override public void run(int i) {
            if (filling) {
                if (f64) MaxPool.fill((double[]) out, 0, g, i);
                else MaxPool.fill((float[]) out, 0, g, i);
            } else if (f64) MaxPool.run(kind, g, (double[]) x, xOff, (double[]) t, tOff, (double[]) out, 0, i);
            else MaxPool.run(kind, g, (float[]) x, xOff, (float[]) t, tOff, (float[]) out, 0, i);
        }

        @Override public String kernel() {
            String what = switch (kind) {
                case MAX -> "forward";
                case GATHER -> "tangent gather";
                case SCATTER -> fills ? "backward scatter-add" : "backward scatter";
            };
            return "max_pool " + what + " " + g.k()[0] + "x" + g.k()[1] + "x" + g.k()[2] + " stride " + g.s()[0] + "x" + g.s()[1] + "x"
                    + g.s()[2] + " over " + g.c() + " channels";
        }
    }
}
