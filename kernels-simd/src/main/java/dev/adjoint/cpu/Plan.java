package dev.adjoint.cpu;

import dev.adjoint.graph.DType;
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
 * overwrites (a caller may edit them; with {@link CompileOptions#withReadOnlyOutputs} the caller
 * promises not to, which lets a scatter into zeros clear only the rows it wrote last run). A run
 * that fails leaves the plan usable.
 *
 * <p><b>Threads.</b> A plan owns its buffers, so one plan runs on one thread at a time: a run
 * started while another is in progress on the same plan throws {@link IllegalStateException}
 * rather than corrupting both. To serve many threads (an inference server), give each thread its
 * own {@link #copy()}: copies share the constants (the weights of a loaded model) and nothing
 * else, so each costs only its scratch and output buffers, and copies run concurrently.
 *
 * <p><b>Steps in parallel.</b> On a splitter of two or more threads, independent steps may run at
 * the same time, one per thread, each unsplit, while the others run alone and split their work
 * ({@link StepSchedule}, decided once when the plan is built); results are bitwise those of one
 * thread, since every kernel's result is independent of how it is split.
 *
 * <p>Feeding a plan one of its own output arrays (say, the last step's updated weights) is
 * allowed: the run first copies such a feed into an array of its own, because the output is
 * overwritten while the run still reads the input.
 *
 * <p>Each value has its graph element type. Feeds and outputs are Java arrays of that type: f32
 * {@code float[]}, f64 {@code double[]}, i32 {@code int[]}, i64 {@code long[]}, bool {@code boolean[]}.
 */
public final class Plan {
    private final Step[] steps;
    private final Node[] owners;
    private final int[] stepSizes;
    private final Object[] buffers;
    private final int[] inputBuffers;
    private final List<Tensor> inputs;
    private final int[] inputSizes;
    private final int[] outputBuffers;
    private final List<Tensor> outputs;
    private final boolean[][] boolOutputs;
    private final long peakBytes;
    private final WorkSplitter splitter;
    private final boolean checkNaN;
    private final Object[] bound;
    /** What the plan was lowered from, for {@link #copy()}. */
    private final Source source;
    private final NaNBlame[] blames;
    private final CompileOptions options;
    private final boolean[] constant;
    /** Per input: the array a feed aliasing an output is copied into (made on first need). */
    private final Object[] aliasCopies;
    private final java.util.concurrent.atomic.AtomicReference<Thread> runner = new java.util.concurrent.atomic.AtomicReference<>();
    private final Lowering.Result lowered;
    /** donatedInput[o]: the input whose fed array output o is written into, or -1. */
    private final int[] donatedInput;
    /** While {@link #profile} runs: per-step totals of its clock, else null. */
    private long[] profiled;
    private java.util.function.LongSupplier profileClock;
    /** The buffers each step reads (logical numbers), for the schedule. */
    private final int[][] reads;
    /** Which steps run at the same time; rebuilt when donations change the arrays outputs are written into. */
    private StepSchedule schedule;
    /** Runs one lane of a paired stage (the splitter's chunk, so running a stage allocates nothing). */
    private final Lanes lanes = new Lanes();

    /** The optimized graph and the arguments of {@link Lowering#lower}. */
    record Source(dev.adjoint.graph.Graph graph, List<Tensor> loweredOutputs, List<Tensor> loweredInputs) {}

    Plan(Lowering.Result lowered, List<Tensor> inputs, List<Tensor> outputs, CompileOptions options, Source source) {
        this.source = source;
        this.blames = lowered.blames();
        this.options = options;
        this.constant = lowered.constant();
        this.aliasCopies = new Object[inputs.size()];
        // Our own copy: the schedule gives the GEMMs of a second lane their own workspace (see reschedule).
        this.steps = lowered.steps().clone();
        this.reads = lowered.reads();
        // Clearing only the rows a scatter wrote last run is right only if nobody else wrote into
        // its output array in between: the caller must have promised so.
        for (Step st : steps) if (st instanceof IndexSteps.ScatterAdd sa) sa.sparseReset &= options.readOnlyOutputs();
        this.owners = lowered.owners();
        this.stepSizes = lowered.outputSizes();
        this.buffers = lowered.buffers();
        this.inputBuffers = lowered.inputBuffers();
        this.inputs = List.copyOf(inputs);
        this.inputSizes = new int[inputs.size()];
        for (int i = 0; i < inputSizes.length; i++) {
            inputSizes[i] = inputs.get(i).shape().size();
            // bool is stored as 0/1 floats (see Storage): a bool input gets its own array, filled from the fed boolean[].
            if (inputs.get(i).dtype() == DType.BOOL) buffers[inputBuffers[i]] = new float[inputSizes[i]];
        }
        this.outputBuffers = lowered.outputBuffers();
        this.outputs = List.copyOf(outputs);
        this.boolOutputs = new boolean[outputs.size()][];
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i).dtype() == DType.BOOL) boolOutputs[i] = new boolean[outputs.get(i).shape().size()];
        }
        this.peakBytes = lowered.peakBytes();
        this.splitter = options.splitter();
        this.checkNaN = options.checkNaN();
        this.bound = new Object[inputs.size()];
        this.lowered = lowered;
        this.donatedInput = new int[outputs.size()];
        java.util.Arrays.fill(donatedInput, -1);
        reschedule();
    }

    /**
     * Builds the schedule from the steps' dependencies over arrays (donations included) and gives
     * the f32 GEMMs of every second lane a workspace of their own (the lowering shares one between
     * all GEMMs, which is right only while they run one at a time).
     */
    private void reschedule() {
        unpairedStages[0] = 0;
        Step[] original = lowered.steps();
        System.arraycopy(original, 0, steps, 0, steps.length);
        int[] arrays = StepSchedule.arrays(buffers, inputBuffers, outputBuffers, donatedInput);
        int[][] deps = StepSchedule.dependencies(steps, reads, arrays);
        double[] cost = new double[steps.length];
        for (int s = 0; s < steps.length; s++) cost[s] = StepSchedule.cost(steps[s], stepSizes[s]);
        // Profiling and NaN checks run the steps one by one in plan order; no schedule is needed.
        // A plan whose buffers were planned over stages decided from the values keeps those stages
        // (checked again over the arrays bound now, donations included); others are scheduled over arrays.
        if (checkNaN) schedule = StepSchedule.sequential(steps.length);
        else if (lowered.staged() != null && splitter.threads() >= 2) schedule = lowered.staged().renumbered(deps, unpairedStages);
        else schedule = StepSchedule.of(deps, cost, splitter.threads());
        dev.adjoint.kernels.GemmWorkspace second = null;
        for (int k = 0; k < schedule.stages(); k++) {
            if (!schedule.paired(k)) continue;
            for (int p = schedule.laneB[k]; p < schedule.stageStart[k + 1]; p++) {
                int s = schedule.order[p];
                if (steps[s] instanceof Steps.MatMul m && m.dWorkspace() == null) {
                    if (second == null) second = new dev.adjoint.kernels.GemmWorkspace();
                    steps[s] = m.withWorkspace(second);
                }
            }
        }
    }

    /** How many stages of the lowering's schedule the array check ran alone (for tests: 0 when planning respected them). */
    private final int[] unpairedStages = new int[1];

    /** The number of the lowering's paired stages that touched one array and run alone instead, for tests. */
    int unpairedStagesForTest() { return unpairedStages[0]; }

    /** The schedule, for tests. */
    StepSchedule scheduleForTest() { return schedule; }

    /** The buffers each step reads, for tests. */
    int[][] readsForTest() { return reads; }

    /** One lane of the paired stage {@link #stage}: lane 0 on the calling thread, lane 1 on a worker (or after lane 0 if none is free). */
    private final class Lanes implements WorkSplitter.Chunk {
        int stage;

        @Override public void run(int lane) {
            StepSchedule sc = schedule;
            int from = lane == 0 ? sc.stageStart[stage] : sc.laneB[stage];
            int to = lane == 0 ? sc.laneB[stage] : sc.stageStart[stage + 1];
            for (int p = from; p < to; p++) runStep(sc.order[p], WorkSplitter.SERIAL);
        }
    }

    /** Sets up buffer donation (see {@link Cpu#compile(List, CompileOptions, Map)}); checked against the schedule. */
    void donate(Map<Integer, Tensor> donations) {
        for (var e : donations.entrySet()) {
            int o = e.getKey();
            if (o < 0 || o >= outputs.size()) throw new IllegalArgumentException("donation to output " + o + ": the plan has " + outputs.size());
            Tensor in = e.getValue(), out = outputs.get(o);
            int i = inputs.indexOf(in);
            if (i < 0) continue;
            String label = "\"" + ((Input) in.op()).label() + "\"";
            if (in.dtype() != out.dtype() || in.shape().size() != out.shape().size()) {
                throw new IllegalArgumentException("cannot write output " + o + " " + out.dtype().label() + out.shape() + " into input "
                        + label + " " + in.dtype().label() + in.shape() + ": types or sizes differ");
            }
            for (int k : donatedInput) if (k == i) throw new IllegalArgumentException("input " + label + " is donated to two outputs");
            String problem = Lowering.donationProblem(lowered, o, i);
            if (problem != null) {
                throw new IllegalArgumentException("cannot write output " + o + " into the buffer of input " + label + ": " + problem
                        + " (input declared at " + in.node().where() + ")");
            }
            donatedInput[o] = i;
        }
        reschedule();
    }

    /** The input whose array output {@code o} is written into, or -1 (no donation). */
    public int donatedInput(int o) { return donatedInput[o]; }

    /** The inputs the plan reads, in the order {@link #run(Object...)} takes them. */
    public List<Tensor> inputs() { return inputs; }

    /** The outputs, in the order given to {@link Cpu#compile}. */
    public List<Tensor> outputs() { return outputs; }

    /**
     * Runs the plan. Every input the plan reads must be fed a row-major array of its size and of its
     * element type (f32 {@code float[]}, f64 {@code double[]}, i32 {@code int[]}, i64 {@code long[]},
     * bool {@code boolean[]}); other entries are ignored.
     *
     * @throws IllegalArgumentException naming the input if one is missing or has the wrong type or size
     */
    public void run(Map<Tensor, ?> feeds) {
        for (int i = 0; i < bound.length; i++) bound[i] = feeds.get(inputs.get(i));
        try {
            runBound(bound);
        } finally {
            java.util.Arrays.fill(bound, null);
        }
    }

    /** Runs the plan with the inputs in the order of {@link #inputs()}; see {@link #run(Map)}. */
    public void run(Object... feeds) { runBound(feeds); }

    /** Runs a plan whose inputs are all f32, in the order of {@link #inputs()}; see {@link #run(Map)}. */
    public void run(float[]... feeds) { runBound(feeds); }

    /**
     * A plan computing the same outputs that shares this plan's constants (weights) and has buffers
     * of its own, so it can run at the same time as this one on another thread. Cheaper than
     * compiling again: the optimizer does not run and no constant is rebuilt.
     */
    public Plan copy() {
        Lowering.Result l = Lowering.lower(source.graph(), source.loweredOutputs(), source.loweredInputs(),
                splitter.threads(), buffers, options.memoryBudget());
        Plan p = new Plan(l, inputs, outputs, options, source);
        // The same lowering gives the same schedule, so the donations checked for this plan hold for the copy.
        System.arraycopy(donatedInput, 0, p.donatedInput, 0, donatedInput.length);
        p.reschedule();
        return p;
    }

    /** Whether {@code array} is one of this plan's constant arrays (shared with its copies). */
    boolean sharesConstant(Object array) {
        for (int b = 0; b < buffers.length; b++) if (constant[b] && buffers[b] == array) return true;
        return false;
    }

    /** The plan's steps, for tests. */
    Step[] stepsForTest() { return steps; }

    /** The plan's buffer table, for tests. */
    Object[] buffersForTest() { return buffers; }

    private void runBound(Object[] feeds) {
        Thread me = Thread.currentThread();
        if (!runner.compareAndSet(null, me)) {
            Thread other = runner.get();
            throw new IllegalStateException("plan is already running" + (other == null ? "" : " on thread \"" + other.getName() + "\"")
                    + "; a plan runs on one thread at a time (its buffers are its own): give each thread its own plan.copy()");
        }
        try {
            runExclusive(feeds);
        } finally {
            runner.set(null);
        }
    }

    /** The feed to bind for input {@code i}: the fed array, or a copy of it if it is one of this plan's output arrays. */
    private Object unaliased(int i, Object feed) {
        for (int o = 0; o < outputBuffers.length; o++) {
            // A donated output's slot is rebound to this run's fed array below: its last array is no hazard.
            if (donatedInput[o] < 0 && buffers[outputBuffers[o]] == feed) {
                Object c = aliasCopies[i];
                if (c == null) aliasCopies[i] = c = Storage.allocate(inputs.get(i).dtype(), inputSizes[i]);
                System.arraycopy(feed, 0, c, 0, inputSizes[i]);
                return c;
            }
        }
        return feed;
    }

    private void runExclusive(Object[] feeds) {
        if (feeds.length != inputs.size()) {
            throw new IllegalArgumentException("plan reads " + inputs.size() + " inputs " + labels() + ", got " + feeds.length + " arrays");
        }
        for (int i = 0; i < feeds.length; i++) check(i, feeds[i]);
        for (int i = 0; i < feeds.length; i++) {
            if (feeds[i] instanceof boolean[] b) {
                float[] f = (float[]) buffers[inputBuffers[i]];
                for (int j = 0; j < b.length; j++) f[j] = b[j] ? 1f : 0f;
            } else buffers[inputBuffers[i]] = unaliased(i, feeds[i]);
        }
        for (int o = 0; o < donatedInput.length; o++) {
            if (donatedInput[o] < 0) continue;
            Object target = feeds[donatedInput[o]];
            for (int i = 0; i < feeds.length; i++) {
                if (i != donatedInput[o] && feeds[i] == target) {
                    throw new IllegalArgumentException(describeInput(donatedInput[o]) + " is donated to output " + o + " but its array is also fed"
                            + " as " + describeInput(i) + "; give each its own array");
                }
            }
            buffers[outputBuffers[o]] = target;
        }
        long[] timed = profiled;
        if (timed == null && !checkNaN) {
            StepSchedule sc = schedule;
            for (int k = 0, stages = sc.stages(); k < stages; k++) {
                if (sc.paired(k)) {
                    lanes.stage = k;
                    splitter.forEach(2, lanes);
                } else {
                    for (int p = sc.stageStart[k]; p < sc.stageStart[k + 1]; p++) runStep(sc.order[p], splitter);
                }
            }
            return;
        }
        // Profiling or checking for NaNs: the steps one by one in plan order, each split as when alone.
        for (int s = 0; s < steps.length; s++) {
            long t0 = timed == null ? 0 : profileClock.getAsLong();
            runStep(s, splitter);
            if (timed != null) timed[s] += profileClock.getAsLong() - t0;
            if (checkNaN) checkNaN(s);
        }
    }

    /** Runs step {@code s} on {@code sp}; a failure names the step's node. */
    private void runStep(int s, WorkSplitter sp) {
        try {
            steps[s].run(buffers, sp);
        } catch (IndexSteps.IndexRangeException | ArithmeticException e) {
            // A bad value in the data (an index out of range, an integer division by zero): the
            // interpreter's error form, naming the node.
            Node n = owners[s];
            throw new IllegalArgumentException(n.op().name() + ": " + e.getMessage() + " (node %" + n.id() + " "
                    + n.op().name() + " " + n.dtype().label() + n.shape() + " built at " + n.where() + ")", e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("kernel \"" + steps[s].kernel() + "\" for " + describe(owners[s]) + " failed: " + e, e);
        }
    }

    private void check(int i, Object feed) {
        DType t = inputs.get(i).dtype();
        if (feed == null) throw new IllegalArgumentException(describeInput(i) + " has no value; feed it");
        if (feed.getClass() != feedClass(t)) {
            throw new IllegalArgumentException(describeInput(i) + " was fed " + Storage.describe(feed) + "; it needs a "
                    + Storage.feedType(t) + " of " + inputSizes[i]);
        }
        int n = Storage.length(feed);
        if (n != inputSizes[i]) {
            throw new IllegalArgumentException(describeInput(i) + " was fed " + n + " values; it has " + inputSizes[i]);
        }
    }

    private static Class<?> feedClass(DType t) {
        return t == DType.BOOL ? boolean[].class : Storage.arrayClass(t);
    }

    private void checkNaN(int s) {
        Object out = buffers[steps[s].output()];
        for (int i = 0; i < stepSizes[s]; i++) {
            boolean nan = out instanceof float[] f ? Float.isNaN(f[i]) : out instanceof double[] d && Double.isNaN(d[i]);
            if (nan) {
                // Inside a fused chain, name the op that made the first NaN, not the chain's root.
                NaNBlame.Found found = blames[s] == null ? null : blames[s].find(buffers);
                if (found != null && found.node() != owners[s]) {
                    throw new ArithmeticException("NaN at element " + found.element() + " of " + describe(found.node())
                            + ", fused into the step of " + describe(owners[s]) + " (kernel \"" + steps[s].kernel() + "\")");
                }
                throw new ArithmeticException("NaN at element " + i + " of " + describe(owners[s]) + " (kernel \"" + steps[s].kernel() + "\")");
            }
        }
    }

    private Object raw(int i, DType want, String method) {
        DType t = outputs.get(i).dtype();
        if (t != want) {
            throw new IllegalArgumentException("output " + i + " " + outputs.get(i) + " is " + t.label() + outputs.get(i).shape()
                    + "; read it with " + reader(t) + " (not " + method + ")");
        }
        return buffers[outputBuffers[i]];
    }

    private static String reader(DType t) {
        return switch (t) {
            case F32 -> "output(i)";
            case F64 -> "outputF64(i)";
            case I32 -> "outputI32(i)";
            case I64 -> "outputI64(i)";
            case BOOL -> "outputBool(i)";
        };
    }

    /**
     * f32 output {@code i} of the last run, row-major; the plan's own array, overwritten by the next run.
     * Read-only for the caller: a scatter into zeros relies on its output holding what the last run
     * wrote, so copy the array before changing it.
     *
     * @throws IllegalArgumentException naming the output's type if it is not f32
     */
    public float[] output(int i) { return (float[]) raw(i, DType.F32, "output"); }

    /** f64 output {@code i}; see {@link #output(int)}. */
    public double[] outputF64(int i) { return (double[]) raw(i, DType.F64, "outputF64"); }

    /** i32 output {@code i}; see {@link #output(int)}. */
    public int[] outputI32(int i) { return (int[]) raw(i, DType.I32, "outputI32"); }

    /** i64 output {@code i}; see {@link #output(int)}. */
    public long[] outputI64(int i) { return (long[]) raw(i, DType.I64, "outputI64"); }

    /** bool output {@code i}: a plan-owned array, refilled by each call (bool is stored as 0/1 floats). */
    public boolean[] outputBool(int i) {
        float[] f = (float[]) raw(i, DType.BOOL, "outputBool");
        boolean[] b = boolOutputs[i];
        for (int j = 0; j < b.length; j++) b[j] = f[j] != 0f;
        return b;
    }

    /** Output {@code i} of any type as a fresh array of doubles (bool as 0/1; i64 beyond 2^53 rounds). */
    public double[] outputAsDoubles(int i) {
        return Storage.toDoubles(buffers[outputBuffers[i]], outputs.get(i).shape().size());
    }

    /** Bytes of every array the plan allocated (scratch after reuse, outputs and constants; not inputs), each at its type's width. */
    public long plannedPeakBytes() { return peakBytes; }

    /**
     * Runs the plan {@code runs} times on {@code feeds} (as {@link #run(Object...)}) and returns, per
     * step, the total of {@code clock} (nanoseconds) spent in it: pass
     * {@code ThreadMXBean::getCurrentThreadCpuTime} for CPU time on a busy machine (one thread), or
     * {@code System::nanoTime} for wall time. For finding where a run's time goes; {@link #describe()}
     * names the steps in the same order. Reading the clock costs time too (about a microsecond per
     * step for thread CPU time), so small steps read high.
     */
    public long[] profile(Object[] feeds, int runs, java.util.function.LongSupplier clock) {
        long[] total = new long[steps.length];
        for (int r = 0; r < runs; r++) {
            // Binding the inputs and donations is what run does; then the steps one by one, timed.
            profiled = total;
            profileClock = clock;
            try {
                runBound(feeds);
            } finally {
                profiled = null;
                profileClock = null;
            }
        }
        return total;
    }

    /** The step's kernel name, for {@link #profile}'s figures. */
    public String stepKernel(int s) { return steps[s].kernel(); }

    /** The op of the node step {@code s} computes, for {@link #profile}'s figures. */
    public String stepOp(int s) { return owners[s].op().name() + " " + owners[s].dtype().label() + owners[s].shape(); }

    /**
     * What the planned bytes are made of, and, under a memory budget ({@link CompileOptions#withMemoryBudget}),
     * the planned peak without recomputation and each value recomputed (which step, how many bytes).
     */
    public MemoryReport memoryReport() { return lowered.memory(); }

    /** The values this plan recomputes to meet its memory budget (empty without one); see {@link #memoryReport()}. */
    public List<MemoryReport.Recomputed> recomputed() { return lowered.memory().recomputed(); }

    /** Number of kernel calls per run. */
    public int stepCount() { return steps.length; }

    /** The schedule, one line per step: node, op, kernel, elements written. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < steps.length; s++) {
            sb.append(s).append(": ").append(describe(owners[s])).append(" -> ").append(steps[s].kernel())
                    .append(", ").append(stepSizes[s]).append(" elements\n");
        }
        for (int k = 0; k < schedule.stages(); k++) {
            if (!schedule.paired(k)) continue;
            sb.append("in parallel: steps");
            for (int p = schedule.stageStart[k]; p < schedule.laneB[k]; p++) sb.append(' ').append(schedule.order[p]);
            sb.append(" beside steps");
            for (int p = schedule.laneB[k]; p < schedule.stageStart[k + 1]; p++) sb.append(' ').append(schedule.order[p]);
            sb.append('\n');
        }
        sb.append("planned bytes: ").append(peakBytes).append('\n');
        return sb.toString();
    }

    private static String describe(Node n) {
        return "node %" + n.id() + " " + n.op().name() + " " + n.dtype().label() + n.shape() + " (built at " + n.where() + ")";
    }

    private String describeInput(int i) {
        Tensor t = inputs.get(i);
        return "input \"" + ((Input) t.op()).label() + "\" " + t.dtype().label() + t.shape() + " (built at " + t.node().where() + ")";
    }

    private String labels() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < inputs.size(); i++) sb.append(i == 0 ? "" : ", ").append(((Input) inputs.get(i).op()).label());
        return sb.append(']').toString();
    }
}
