package dev.adjoint.cpu;

import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Input;
import dev.adjoint.kernels.WorkSplitter;
import java.util.List;
import java.util.Map;

/**
 * A compiled graph: a fixed schedule of kernel calls over preallocated buffers. {@link #run}
 * binds the inputs and runs the steps; it allocates nothing and looks nothing up beyond binding
 * the inputs. Outputs are read from the plan's own arrays ({@link #output}), which the next run
 * overwrites. A plan is not safe for concurrent runs; a run that fails leaves it usable.
 */
public final class Plan {
    private final Step[] steps;
    private final Node[] owners;
    private final int[] stepSizes;
    private final float[][] buffers;
    private final int[] inputBuffers;
    private final List<Tensor> inputs;
    private final int[] inputSizes;
    private final int[] outputBuffers;
    private final List<Tensor> outputs;
    private final long peakBytes;
    private final WorkSplitter splitter;
    private final boolean checkNaN;

    Plan(Lowering.Result lowered, List<Tensor> inputs, List<Tensor> outputs, CompileOptions options) {
        this.steps = lowered.steps();
        this.owners = lowered.owners();
        this.stepSizes = lowered.outputSizes();
        this.buffers = lowered.buffers();
        this.inputBuffers = lowered.inputBuffers();
        this.inputs = List.copyOf(inputs);
        this.inputSizes = new int[inputs.size()];
        for (int i = 0; i < inputSizes.length; i++) inputSizes[i] = inputs.get(i).shape().size();
        this.outputBuffers = lowered.outputBuffers();
        this.outputs = List.copyOf(outputs);
        this.peakBytes = lowered.peakBytes();
        this.splitter = options.splitter();
        this.checkNaN = options.checkNaN();
    }

    /** The inputs the plan reads, in the order {@link #run(float[]...)} takes them. */
    public List<Tensor> inputs() { return inputs; }

    /** The outputs, in the order given to {@link Cpu#compile}. */
    public List<Tensor> outputs() { return outputs; }

    /**
     * Runs the plan. Every input the plan reads must be fed a row-major array of its size;
     * other entries are ignored.
     *
     * @throws IllegalArgumentException naming the input if one is missing or has the wrong size
     */
    public void run(Map<Tensor, float[]> feeds) {
        float[][] bound = new float[inputs.size()][];
        for (int i = 0; i < bound.length; i++) bound[i] = feeds.get(inputs.get(i));
        run(bound);
    }

    /** Runs the plan with the inputs in the order of {@link #inputs()}; see {@link #run(Map)}. */
    public void run(float[]... feeds) {
        if (feeds.length != inputs.size()) {
            throw new IllegalArgumentException("plan reads " + inputs.size() + " inputs " + labels() + ", got " + feeds.length + " arrays");
        }
        for (int i = 0; i < feeds.length; i++) {
            if (feeds[i] == null) throw new IllegalArgumentException(describeInput(i) + " has no value; feed it");
            if (feeds[i].length != inputSizes[i]) {
                throw new IllegalArgumentException(describeInput(i) + " was fed " + feeds[i].length + " values; it has "
                        + inputSizes[i]);
            }
        }
        for (int i = 0; i < feeds.length; i++) buffers[inputBuffers[i]] = feeds[i];
        for (int s = 0; s < steps.length; s++) {
            try {
                steps[s].run(buffers, splitter);
            } catch (RuntimeException e) {
                throw new IllegalStateException("kernel \"" + steps[s].kernel() + "\" for " + describe(owners[s]) + " failed: " + e, e);
            }
            if (checkNaN) checkNaN(s);
        }
    }

    private void checkNaN(int s) {
        float[] out = buffers[steps[s].output()];
        for (int i = 0; i < stepSizes[s]; i++) {
            if (Float.isNaN(out[i])) {
                throw new ArithmeticException("NaN at element " + i + " of " + describe(owners[s]) + " (kernel \"" + steps[s].kernel() + "\")");
            }
        }
    }

    /** Output {@code i} of the last run, row-major; the plan's own array, overwritten by the next run. */
    public float[] output(int i) { return buffers[outputBuffers[i]]; }

    /** Bytes of every array the plan allocated (scratch after reuse, outputs and constants; not inputs). */
    public long plannedPeakBytes() { return peakBytes; }

    /** Number of kernel calls per run. */
    public int stepCount() { return steps.length; }

    /** The schedule, one line per step: node, op, kernel, elements written. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < steps.length; s++) {
            sb.append(s).append(": ").append(describe(owners[s])).append(" -> ").append(steps[s].kernel())
                    .append(", ").append(stepSizes[s]).append(" elements\n");
        }
        sb.append("planned bytes: ").append(peakBytes).append('\n');
        return sb.toString();
    }

    private static String describe(Node n) {
        return "node %" + n.id() + " " + n.op().name() + n.shape() + " (built at " + n.where() + ")";
    }

    private String describeInput(int i) {
        Tensor t = inputs.get(i);
        return "input \"" + ((Input) t.op()).label() + "\" " + t.shape() + " (built at " + t.node().where() + ")";
    }

    private String labels() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < inputs.size(); i++) sb.append(i == 0 ? "" : ", ").append(((Input) inputs.get(i).op()).label());
        return sb.append(']').toString();
    }
}
