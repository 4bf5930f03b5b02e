package dev.adjoint.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Random;
import dev.adjoint.graph.Tensor;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.cpu.Plan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agreement with PyTorch: the same LeNet, the same initial weights (Java's, sent to Python as
 * safetensors) and the same batches, 100 steps of SGD with momentum and of AdamW; the losses must
 * match step by step to 1e-4 relative. Also BatchNorm's running statistics, Dropout's kept fraction
 * and scale, and a PyTorch-written safetensors file loaded here. The reference numbers come from
 * torch_reference.py run live with /usr/bin/python3 and python3-torch (which .ci/run installs).
 */
class TorchAgreementTest {
    static final int STEPS = 100, BATCHES = 10, BATCH = 16;
    @TempDir static Path dir;
    static Map<String, Object> ref;
    static List<Batch> batches = new ArrayList<>();
    static Params init;
    static float[] bnX, rnnX;

    @Test
    void lstmAndGruMatchTorch() {
        for (Recurrent r : new Recurrent[] {Recurrent.lstm(3, 4), Recurrent.gru(3, 4)}) {
            float[] got = TrainStep.of(r, Sgd.of(0.1), Nn::mse).predict(r.init(r.gru() ? 12 : 11), HostArray.f32(rnnX, 2, 5, 3)).floats();
            double[] want = doubles(ref.get(r.gru() ? "gru" : "lstm"));
            assertEquals(want.length, got.length);
            for (int i = 0; i < got.length; i++) assertEquals(want[i], got[i], 1e-5, r.describe() + " output " + i);
        }
    }
    static Params mlpInit;
    static Batch mlpBatch;

    static Sequential mlp() { return Sequential.of(Linear.of(20, 32), Activation.RELU, Linear.of(32, 5)); }

    private static void mlpAgrees(String name, Optimizer opt) {
        TrainStep step = TrainStep.of(mlp(), opt, Nn::crossEntropy);
        TrainState s = TrainState.of(mlpInit, opt);
        double[] got = new double[10];
        for (int i = 0; i < got.length; i++) {
            TrainStep.Result r = step.run(s, mlpBatch);
            got[i] = r.metrics().loss();
            s = r.state();
        }
        assertClose(doubles(ref.get(name)), got, 1e-5, name);
    }

    @Test
    void sgdNesterovWithWeightDecayMatchesTorch() { mlpAgrees("sgd_nesterov_wd", Sgd.of(0.1, 0.9).withNesterov().withWeightDecay(1e-3)); }

    @Test
    void rmsPropMatchesTorch() { mlpAgrees("rmsprop", RmsProp.of(1e-2)); }

    @Test
    void adamWithL2MatchesTorch() { mlpAgrees("adam_l2", Adam.adam(1e-2).withWeightDecay(1e-2)); }

    @Test
    void clippingWarmupAndCosineMatchTorch() {
        mlpAgrees("sgd_clip_warmup_cosine", Sgd.of(0.1).schedule(Schedule.cosine(0.1, 10, 0).withWarmup(3)).withClipNorm(0.5));
    }

    @Test
    void stepScheduleMatchesTorch() { mlpAgrees("sgd_step_schedule", Sgd.of(0.1).schedule(Schedule.step(0.1, 3, 0.5))); }

    @BeforeAll
    static void runTorch() throws Exception {
        init = Models.lenet().init(0);
        Checkpoint.saveVariables(init, dir.resolve("init.safetensors"));
        SplittableRandom rnd = new SplittableRandom(7);
        Map<String, HostArray> data = new LinkedHashMap<>();
        for (int b = 0; b < BATCHES; b++) {
            float[] x = new float[BATCH * 28 * 28];
            int[] y = new int[BATCH];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
            for (int i = 0; i < y.length; i++) y[i] = rnd.nextInt(10);
            HostArray hx = HostArray.f32(x, BATCH, 1, 28, 28), hy = HostArray.i32(y, BATCH);
            batches.add(new Batch(hx, hy));
            data.put("x" + b, hx);
            data.put("y" + b, hy);
        }
        mlpInit = mlp().init(5);
        Checkpoint.saveVariables(mlpInit, dir.resolve("mlp_init.safetensors"));
        float[] mx = new float[32 * 20];
        int[] my = new int[32];
        for (int i = 0; i < mx.length; i++) mx[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < my.length; i++) my[i] = rnd.nextInt(5);
        mlpBatch = new Batch(HostArray.f32(mx, 32, 20), HostArray.i32(my, 32));
        data.put("mx", mlpBatch.x());
        data.put("my", mlpBatch.y());
        for (Recurrent r : new Recurrent[] {Recurrent.lstm(3, 4), Recurrent.gru(3, 4)}) {
            Checkpoint.saveVariables(r.init(r.gru() ? 12 : 11), dir.resolve((r.gru() ? "gru" : "lstm") + ".safetensors"));
        }
        rnnX = new float[2 * 5 * 3];
        for (int i = 0; i < rnnX.length; i++) rnnX[i] = (float) rnd.nextGaussian();
        data.put("rnn_x", HostArray.f32(rnnX, 2, 5, 3));
        bnX = new float[8 * 3 * 5 * 5];
        for (int i = 0; i < bnX.length; i++) bnX[i] = (float) rnd.nextGaussian() * 2 + 0.5f;
        data.put("bn_x", HostArray.f32(bnX, 8, 3, 5, 5));
        Safetensors.write(dir.resolve("batches.safetensors"), data, Map.of());
        Path script = Path.of(System.getProperty("user.dir"), "src/test/python/torch_reference.py");
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), dir.toString(), Integer.toString(STEPS))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "torch_reference.py timed out");
        assertEquals(0, p.exitValue(), "torch_reference.py failed (needs /usr/bin/python3 with numpy and torch: apt-get install "
                + "python3-torch); output: " + out);
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) Json.parse(out.trim());
        ref = m;
    }

    private static double[] doubles(Object list) {
        List<?> l = (List<?>) list;
        double[] d = new double[l.size()];
        for (int i = 0; i < d.length; i++) d[i] = ((Number) l.get(i)).doubleValue();
        return d;
    }

    private static double[] train(Optimizer opt) {
        TrainStep step = TrainStep.of(Models.lenet(), opt, Nn::crossEntropy);
        TrainState s = TrainState.of(init, opt);
        double[] losses = new double[STEPS];
        for (int i = 0; i < STEPS; i++) {
            TrainStep.Result r = step.run(s, batches.get(i % BATCHES));
            losses[i] = r.metrics().loss();
            s = r.state();
        }
        assertEquals(1, step.cacheSize());
        return losses;
    }

    private static void assertClose(double[] want, double[] got, double rel, String what) {
        assertEquals(want.length, got.length, what);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            double e = Math.abs(got[i] - want[i]) / Math.max(1e-12, Math.abs(want[i]));
            if (e > worst) {
                worst = e;
                at = i;
            }
        }
        assertTrue(worst <= rel, what + ": worst relative error " + worst + " at step " + at + " (torch " + (at < 0 ? 0 : want[at])
                + ", adjoint " + (at < 0 ? 0 : got[at]) + ")");
    }

    @Test
    void lenetSgdMomentumLossMatchesTorchOver100Steps() {
        double[] got = train(Sgd.of(0.01, 0.9));
        assertClose(doubles(ref.get("sgd")), got, 1e-4, "SGD momentum 0.9");
        assertTrue(got[STEPS - 1] < got[0], "the loss went down: " + got[0] + " -> " + got[STEPS - 1]);
    }

    @Test
    void lenetAdamWLossMatchesTorchOver100Steps() {
        double[] got = train(Adam.adamW(1e-3));
        assertClose(doubles(ref.get("adamw")), got, 1e-4, "AdamW");
    }

    @Test
    void torchWrittenWeightsLoadAndPredictTheSameLogits() throws IOException {
        Params p = Checkpoint.loadVariables(dir.resolve("torch_trained.safetensors"), Models.lenet());
        TrainStep step = TrainStep.of(Models.lenet(), Sgd.of(0.01), Nn::crossEntropy);
        float[] logits = step.predict(p, batches.get(0).x()).floats();
        double[] want = doubles(ref.get("sgd_logits0"));
        double[] got = new double[logits.length];
        for (int i = 0; i < got.length; i++) got[i] = logits[i];
        for (int i = 0; i < got.length; i++) assertEquals(want[i], got[i], 1e-4 * Math.max(1, Math.abs(want[i])), "logit " + i);
    }

    @Test
    void batchNormRunningStatisticsMatchTorch() {
        Layer bn = BatchNorm.of(3);
        Params v = bn.init(0);
        for (int pass = 0; pass < 2; pass++) {
            Graph g = new Graph();
            Map<String, Tensor> vars = new LinkedHashMap<>();
            for (ParamSpec s : v.specs()) vars.put(s.name(), g.input(s.name(), s.shape()));
            Vars root = Vars.root(vars, true, null);
            Tensor x = g.input("x", 8, 3, 5, 5);
            Tensor xin = pass == 0 ? x : x.mul(2).add(1);
            bn.apply(root, xin);
            Tensor rm = root.updates().get("running_mean"), rv = root.updates().get("running_var");
            Plan plan = Cpu.compile(List.of(rm, rv));
            Map<Tensor, Object> feeds = new LinkedHashMap<>();
            feeds.put(x, bnX);
            for (var e : vars.entrySet()) feeds.put(e.getValue(), v.get(e.getKey()).data());
            plan.run(feeds);
            v = v.with(Map.of("running_mean", HostArray.f32(plan.output(0).clone(), 3), "running_var", HostArray.f32(plan.output(1).clone(), 3)));
        }
        double[] m = doubles(ref.get("bn_running_mean")), var = doubles(ref.get("bn_running_var"));
        for (int c = 0; c < 3; c++) {
            assertEquals(m[c], v.get("running_mean").floats()[c], 1e-5, "running_mean " + c);
            assertEquals(var[c], v.get("running_var").floats()[c], 1e-5 * Math.max(1, var[c]), "running_var " + c);
        }
    }

    @Test
    void dropoutKeepsTheSameFractionAndScaleAsTorch() {
        Graph g = new Graph();
        Tensor x = g.fill(1.0, 100000);
        Tensor y = Nn.dropout(x, Random.key(g, 3), 0.3, true);
        Tensor kept = y.ne(g.constant(0.0)).convert(DType.F32).sum();
        Tensor scale = y.sum().div(kept);
        Plan plan = Cpu.compile(List.of(kept, scale));
        plan.run(new Object[0]);
        double fraction = plan.output(0)[0] / 100000.0, torchFraction = ((Number) ref.get("dropout_kept_fraction")).doubleValue();
        // Both are binomial(1e5, 0.7) / 1e5: standard deviation 0.00145 each; 5 sigma of the difference.
        assertEquals(torchFraction, fraction, 5 * Math.sqrt(2 * 0.7 * 0.3 / 100000));
        assertEquals(((Number) ref.get("dropout_scale")).doubleValue(), plan.output(1)[0], 1e-5);
        assertEquals(1 / 0.7, plan.output(1)[0], 1e-5);
    }
}
