package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Node;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Input;
import java.util.List;

/**
 * Lowers an (optimized) graph to a plan in three passes, kept apart as XLA keeps fusion and
 * buffer assignment apart:
 * <ol>
 *   <li>{@link FusionRegions}: from the graph alone, which elementwise nodes fold into which chain
 *       root, which nodes are views of their operand's buffer, and which are kernels of their own;
 *   <li>{@link NodeLowering}: builds the steps node by node, giving every materialized value its
 *       own logical buffer ({@link LogicalBuffers}) and recording which buffers each step reads;
 *   <li>{@link BufferPlanner}: maps the logical buffers to physical arrays by liveness over the
 *       schedule, so that dead intermediates' memory is reused. On two or more threads the
 *       schedule's stages (which steps run at the same time, {@link StepSchedule#byValues}) are
 *       decided before, from the values, and liveness covers whole stages.
 * </ol>
 */
final class Lowering {
    private Lowering() {}

    /** The result: everything {@link Plan} needs. */
    record Result(Step[] steps, Node[] owners, int[] outputSizes, Object[] buffers, int[] inputBuffers,
                  Tensor[] inputs, int[] outputBuffers, long peakBytes, boolean[] constant, NaNBlame[] blames, int[][] reads,
                  MemoryReport memory, StepSchedule staged) {}

    /**
     * Checks that output {@code o} may be written into the array of input {@code i} (buffer
     * donation): same type and size, one step writes the output, no step after it reads the input,
     * and if that step reads the input itself it does so elementwise in the output's own dense
     * layout (a fused elementwise pass or a copy reads each element before it writes it).
     *
     * @return null if it may, else why not
     */
    static String donationProblem(Result r, int o, int i) {
        int ob = r.outputBuffers()[o], ib = r.inputBuffers()[i];
        Tensor t = r.inputs()[i];
        String in = "\"" + ((Input) t.op()).label() + "\"";
        // A bool input is copied into an array of the plan's own (see Plan), so its fed array is never written.
        if (t.dtype() == DType.BOOL) return "input " + in + " is bool";
        for (int k = 0; k < r.outputBuffers().length; k++) if (k != o && r.outputBuffers()[k] == ob) return "another output shares its buffer";
        int writer = -1;
        for (int s = 0; s < r.steps().length; s++) {
            if (r.steps()[s].output() == ob) {
                if (writer >= 0) return "more than one step writes it";
                writer = s;
            }
        }
        if (writer < 0) return "no step writes it";
        for (int s = writer + 1; s < r.steps().length; s++) {
            if (contains(r.reads()[s], ib)) return "step " + s + " (" + r.steps()[s].kernel() + ") reads " + in + " after the write";
        }
        Step w = r.steps()[writer];
        if (!contains(r.reads()[writer], ib)) return null;
        int[] shape = r.owners()[writer].shape().dims();
        int[] dense = View.denseStrides(shape);
        if (w instanceof Steps.Fused f) {
            for (int k = 0; k < f.inBuffers().length; k++) {
                if (f.inBuffers()[k] == ib && (f.offsets()[k] != 0 || !java.util.Arrays.equals(f.strides()[k], dense))) {
                    return "the writing step reads " + in + " through a view other than the output's layout";
                }
            }
            return null;
        }
        if (w instanceof Steps.Copy c && c.in().offset() == 0 && java.util.Arrays.equals(c.in().strides(), dense)) return null;
        return "the writing step (" + w.kernel() + ") reads " + in + " and is not an elementwise pass";
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }

    /**
     * Lowers a graph whose every node is needed by {@code outputs} (the optimizer's output).
     *
     * @param inputs the graph's input tensors in the order the plan binds them
     */
    static Result lower(Graph graph, List<Tensor> outputs, List<Tensor> inputs, int threads) {
        return lower(graph, outputs, inputs, threads, null, 0);
    }

    /**
     * Lowers as above; with {@code shared} (the buffers of a plan lowered from the same arguments,
     * so with the same logical buffer numbers) the constants are that plan's arrays, not new ones;
     * with a positive {@code budget} (planned bytes) cheap elementwise steps run again before their
     * late readers until the plan fits it ({@link Recompute}), or the compile fails saying what it reaches.
     */
    static Result lower(Graph graph, List<Tensor> outputs, List<Tensor> inputs, int threads, Object[] shared, long budget) {
        FusionRegions regions = FusionRegions.of(graph, outputs);
        NodeLowering l = new NodeLowering(graph, regions, threads, shared);
        int[] inputBuffers = new int[inputs.size()];
        for (Node node : graph.nodes()) {
            l.lowerNode(node);
            if (node.op() instanceof Input) inputBuffers[inputs.indexOf(graph.tensor(node.id()))] = l.view(node.id()).buffer();
        }
        int[] outputBuffers = new int[outputs.size()];
        for (int i = 0; i < outputs.size(); i++) outputBuffers[i] = l.pinOutput(outputs.get(i));
        // A scatter into zeros whose result is a plan output (an array no other step writes) may
        // clear only the rows it wrote last run; see IndexSteps.ScatterAdd.
        for (IndexSteps.ScatterAdd sa : l.scatters()) sa.sparseReset = l.table().kind(sa.output()) == LogicalBuffers.Kind.OUTPUT;
        // Without a budget, which steps run at the same time is decided first, from the values, and
        // the buffers are planned over those stages (a budget plans one step at a time, tightly).
        // -Dadjoint.stagedPlanning=false (read per compile): planned in plan order and scheduled over arrays, as in wave 4 (for A/B timing).
        boolean stagedPlanning = !"false".equals(System.getProperty("adjoint.stagedPlanning"));
        StepSchedule staged = budget > 0 || !stagedPlanning ? null : StepSchedule.byValues(l.steps(), l.reads(), l.table(), threads);
        if (staged != null && !staged.anyPaired()) staged = null;
        BufferPlanner.Assignment a = BufferPlanner.plan(l.steps(), l.reads(), l.owners(), l.table(), threads, budget, graph, staged);
        // The planner's schedule (a step listed twice is a recomputation of the same step object).
        int[] order = a.order();
        Step[] steps = new Step[order.length];
        Node[] owners = new Node[order.length];
        NaNBlame[] blames = new NaNBlame[order.length];
        int[][] reads = new int[order.length][];
        int[] sizes = new int[order.length];
        for (int p = 0; p < order.length; p++) {
            steps[p] = l.steps().get(order[p]);
            owners[p] = l.owners().get(order[p]);
            blames[p] = l.blames().get(order[p]);
            reads[p] = l.reads().get(order[p]);
            sizes[p] = l.table().size(steps[p].output());
        }
        return new Result(steps, owners, sizes, a.buffers(), inputBuffers, inputs.toArray(new Tensor[0]), outputBuffers, a.peakBytes(),
                a.constant(), blames, reads, a.memory(), a.stagedKept() ? staged : null);
    }
}
