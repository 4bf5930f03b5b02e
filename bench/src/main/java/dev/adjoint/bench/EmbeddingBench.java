package dev.adjoint.bench;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import dev.adjoint.kernels.WorkSplitter;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * An embedding's training step on one core, the case of issue 7: vocabulary 32,000, width 128,
 * 512 i32 token ids. Forward: {@code e = embedding(ids, W)} (a gather of 512 rows). Backward:
 * {@code dW = grad(sum(e * upstream), W)}, which autodiff turns into a scatter_add of the
 * upstream rows into a zero [32000, 128] cotangent. One plan computes both outputs.
 *
 * <p>What is counted: {@link #scratchBytes(Plan)} is everything the plan allocates except its
 * outputs (the 16 MB gradient and the 256 KB forward result): intermediates and constants. The
 * weight is the caller's input and not allocated by the plan at all.
 *
 * <p>{@code step} runs the plan as compiled: the scatter into zeros clears only the rows the
 * previous step wrote. {@code stepWithFullClear} zeroes all 16 MB first, as memset + scatter would.
 * {@code stepAndDenseSgdUpdate} adds a dense SGD update of W from the
 * gradient, the cost a consumer of the dense 16 MB gradient pays (PyTorch's dense embedding
 * gradient writes the full matrix every step).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class EmbeddingBench {
    public static final int VOCAB = 32_000, WIDTH = 128, TOKENS = 512;

    private Plan plan;
    private Object[] feeds;
    private int weightIndex;

    /** The forward and backward outputs of one embedding step: {@code [e, dW]}. */
    public static List<Tensor> step(Graph g) {
        Tensor ids = g.input("ids", DType.I32, TOKENS);
        Tensor w = g.input("W", VOCAB, WIDTH);
        Tensor upstream = g.input("upstream", TOKENS, WIDTH);
        Tensor e = Nn.embedding(ids, w);
        Tensor dW = Autodiff.grad(e.mul(upstream).sum(), w);
        return List.of(e, dW);
    }

    /** The plan, on one thread. */
    public static Plan compile() {
        return Cpu.compile(step(new Graph()), CompileOptions.defaults().withSplitter(WorkSplitter.SERIAL).withReadOnlyOutputs(true));
    }

    /** Feeds in the plan's input order: random ids (with repeats), weights and upstream gradient. */
    public static Object[] feeds(Plan plan, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Object[] f = new Object[plan.inputs().size()];
        for (int i = 0; i < f.length; i++) {
            Tensor t = plan.inputs().get(i);
            int n = t.shape().size();
            if (t.dtype() == DType.I32) {
                int[] ids = new int[n];
                for (int j = 0; j < n; j++) ids[j] = rnd.nextInt(VOCAB);
                f[i] = ids;
            } else {
                float[] v = new float[n];
                for (int j = 0; j < n; j++) v[j] = (float) rnd.nextDouble(-1, 1);
                f[i] = v;
            }
        }
        return f;
    }

    /** Bytes the plan allocates besides its outputs (see the class comment). */
    public static long scratchBytes(Plan plan) {
        long outputs = 0;
        for (Tensor t : plan.outputs()) outputs += 4L * t.shape().size();
        return plan.plannedPeakBytes() - outputs;
    }

    @Setup
    public void setup() {
        plan = compile();
        feeds = feeds(plan, 7);
        for (int i = 0; i < feeds.length; i++) if (((dev.adjoint.graph.op.Input) plan.inputs().get(i).op()).label().equals("W")) weightIndex = i;
    }

    /** One forward + backward step. */
    @Benchmark
    public float[] step() {
        plan.run(feeds);
        return plan.output(1);
    }

    /**
     * What a scatter into zeros costs when it clears the whole 16 MB gradient first (memset +
     * scatter, the naive lowering): the gradient is zeroed by hand before the step. The plan's own
     * reset then finds those rows zero already, so the result is the same.
     */
    @Benchmark
    public float[] stepWithFullClear() {
        java.util.Arrays.fill(plan.output(1), 0f);
        plan.run(feeds);
        return plan.output(1);
    }

    /**
     * A step followed by the dense SGD update {@code W -= 0.001 * dW} over all 4M weights: what a
     * consumer of the dense gradient pays on top of the step (it reads 16 MB of gradient and
     * rewrites 16 MB of weights), the per-step traffic of PyTorch's dense embedding gradient.
     */
    @Benchmark
    public float[] stepAndDenseSgdUpdate() {
        plan.run(feeds);
        float[] g = plan.output(1), w = (float[]) feeds[weightIndex];
        for (int i = 0; i < w.length; i++) w[i] -= 1e-3f * g[i];
        return w;
    }

    /** Prints the plan, its bytes and a quick timing (no JMH): {@code java ... EmbeddingBench}. */
    public static void main(String[] args) {
        Plan p = compile();
        Object[] f = feeds(p, 7);
        System.out.print(p.describe());
        System.out.println("planned bytes " + p.plannedPeakBytes() + ", scratch (all but outputs) " + scratchBytes(p));
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            int runs = 2000;
            for (int i = 0; i < runs; i++) p.run(f);
            System.out.printf("%.1f us per step%n", (System.nanoTime() - t0) / 1e3 / runs);
        }
    }
}
