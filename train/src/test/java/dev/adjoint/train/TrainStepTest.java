package dev.adjoint.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The compiled step: batch sizes, the cache, evaluation, state as data. */
class TrainStepTest {
    static Batch batch(int n, int features, int classes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * features];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
            // Separable: the class's feature is raised, so the model can learn it.
            for (int f = 0; f < features; f++) x[i * features + f] = (float) r.nextGaussian() * 0.3f + (f % classes == y[i] ? 1 : 0);
        }
        return new Batch(HostArray.f32(x, n, features), HostArray.i32(y, n));
    }

    @Test
    void everyBatchSizeTrainsAndEachSizeCompilesOnce() {
        Layer mlp = Sequential.of(Linear.of(12, 16), Activation.RELU, Linear.of(16, 4));
        TrainStep step = TrainStep.of(mlp, Sgd.of(0.2, 0.9), Nn::crossEntropy);
        TrainState s = step.init(1);
        double first = Double.NaN, last = 0;
        for (int epoch = 0; epoch < 20; epoch++) {
            // 100 examples in batches of 32: three full batches and a last one of 4.
            Batch all = batch(100, 12, 4, 3);
            for (int start = 0; start < 100; start += 32) {
                int n = Math.min(32, 100 - start);
                float[] x = new float[n * 12];
                int[] y = new int[n];
                System.arraycopy(all.x().floats(), start * 12, x, 0, n * 12);
                System.arraycopy((int[]) all.y().data(), start, y, 0, n);
                TrainStep.Result r = step.run(s, new Batch(HostArray.f32(x, n, 12), HostArray.i32(y, n)));
                if (Double.isNaN(first)) first = r.metrics().loss();
                last = r.metrics().loss();
                s = r.state();
            }
        }
        assertEquals(2, step.cacheSize(), "one plan for 32, one for the last batch of 4");
        assertEquals(80, s.step());
        assertTrue(last < first / 4, "the loss fell from " + first + " to " + last);
        // Evaluation at other sizes; the accuracy is the argmax computed in the graph.
        Metrics m = step.evaluate(s.variables(), batch(50, 12, 4, 99)).plus(step.evaluate(s.variables(), batch(7, 12, 4, 98)));
        assertEquals(57, m.count());
        assertTrue(m.accuracy() > 0.9, "accuracy " + m.accuracy());
        assertEquals(1, step.evalCacheSize() - 1);
    }

    @Test
    void theCacheIsBoundedAndReportsItsSize() {
        Layer mlp = Sequential.of(Linear.of(3, 2));
        TrainStep step = TrainStep.of(mlp, Sgd.of(0.1), Nn::crossEntropy).with(2, dev.adjoint.cpu.CompileOptions.defaults());
        TrainState s = step.init(0);
        for (int n = 1; n <= 4; n++) s = step.run(s, batch(n, 3, 2, n)).state();
        assertEquals(2, step.cacheSize());
    }

    @Test
    void aStepIsAPureFunctionOfItsInputs() {
        Layer net = Sequential.of(Linear.of(6, 8), Activation.RELU, Dropout.of(0.5), Linear.of(8, 3));
        TrainStep step = TrainStep.of(net, Adam.adam(1e-2), Nn::crossEntropy);
        TrainState s = step.init(4);
        Batch b = batch(8, 6, 3, 1);
        TrainStep.Result r1 = step.run(s, b), r2 = step.run(s, b);
        assertEquals(r1.metrics().loss(), r2.metrics().loss());
        assertArrayEquals(r1.state().variables().get("3.weight").floats(), r2.state().variables().get("3.weight").floats());
        // The old state is untouched (nothing written into it), and the next step's dropout mask differs.
        assertNotEquals(s.variables().get("3.weight").floats()[0], r1.state().variables().get("3.weight").floats()[0]);
        TrainStep.Result r3 = step.run(r1.state().withSeed(4), b);
        assertNotEquals(r1.metrics().loss(), r3.metrics().loss());
    }

    @Test
    void donationWritesTheNewStateIntoTheOldArraysAndGivesTheSameNumbers() {
        Layer net = Sequential.of(Linear.of(6, 8), BatchNorm.of(8), Activation.RELU, Linear.of(8, 3));
        TrainStep plain = TrainStep.of(net, Adam.adamW(1e-2), Nn::crossEntropy), donating = plain.withDonation();
        TrainState a = plain.init(3), b = donating.init(3);
        for (int i = 0; i < 5; i++) {
            Batch batch = batch(i == 4 ? 3 : 8, 6, 3, i);   // the last batch is partial: a second donating plan
            float[] weight = b.variables().get("0.weight").floats(), slot = b.optimizerState().get("exp_avg.0.weight").floats();
            TrainStep.Result ra = plain.run(a, batch), rb = donating.run(b, batch);
            assertEquals(ra.metrics().loss(), rb.metrics().loss());
            assertSame(weight, rb.state().variables().get("0.weight").floats(), "the new weight is in the old array: nothing copied");
            assertSame(slot, rb.state().optimizerState().get("exp_avg.0.weight").floats());
            for (String n : ra.state().variables().names()) {
                assertArrayEquals(ra.state().variables().get(n).floats(), rb.state().variables().get(n).floats(), n);
            }
            TrainState consumed = b;
            var e = assertThrows(IllegalStateException.class, () -> consumed.variables().get("0.weight"));
            assertTrue(e.getMessage().contains("donated to a training step"), e.getMessage());
            a = ra.state();
            b = rb.state();
        }
        assertEquals(2, donating.cacheSize());
    }

    @Test
    void batchNormTrainsOnBatchStatisticsAndEvaluatesOnRunningOnes() {
        Layer net = Sequential.of(Linear.of(5, 4), BatchNorm.of(4), Activation.RELU, Linear.of(4, 2));
        TrainStep step = TrainStep.of(net, Sgd.of(0.05), Nn::crossEntropy);
        TrainState s = step.init(2);
        float[] rm0 = s.variables().get("1.running_mean").floats().clone();
        s = step.run(s, batch(16, 5, 2, 1)).state();
        assertNotEquals(rm0[0], s.variables().get("1.running_mean").floats()[0]);
        assertEquals(java.util.List.of("0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"),
                s.variables().trainable().names());
        assertEquals(8, s.variables().state().count());
        // Evaluation of one example works (batch statistics of one example would be degenerate).
        assertTrue(Double.isFinite(step.evaluate(s.variables(), batch(1, 5, 2, 3)).loss()));
    }

    @Test
    void channelsLastConvolutionMatchesChannelsFirst() {
        Conv nchw = Conv.conv2d(3, 4, 3).padding(1), nhwc = nchw.nhwc();
        Params p = nchw.init(0);
        float[] w = p.get("weight").floats(); // [4, 3, 3, 3] -> [3, 3, 3, 4]
        float[] wl = new float[w.length];
        for (int o = 0; o < 4; o++) for (int i = 0; i < 3; i++) for (int h = 0; h < 3; h++) for (int v = 0; v < 3; v++) {
            wl[((h * 3 + v) * 3 + i) * 4 + o] = w[((o * 3 + i) * 3 + h) * 3 + v];
        }
        Params pl = Params.of(nhwc.variables(), java.util.Map.of("weight", HostArray.f32(wl, 3, 3, 3, 4), "bias", p.get("bias")));
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[2 * 3 * 5 * 5], xl = new float[x.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int n = 0; n < 2; n++) for (int c = 0; c < 3; c++) for (int s = 0; s < 25; s++) xl[(n * 25 + s) * 3 + c] = x[(n * 3 + c) * 25 + s];
        float[] a = TrainStep.of(nchw, Sgd.of(0.1), Nn::mse).predict(p, HostArray.f32(x, 2, 3, 5, 5)).floats();
        float[] b = TrainStep.of(nhwc, Sgd.of(0.1), Nn::mse).predict(pl, HostArray.f32(xl, 2, 5, 5, 3)).floats();
        for (int n = 0; n < 2; n++) for (int c = 0; c < 4; c++) for (int s = 0; s < 25; s++) {
            assertEquals(a[(n * 4 + c) * 25 + s], b[(n * 25 + s) * 4 + c], 1e-5);
        }
    }

    @Test
    void recurrentLayersTrainThroughTime() {
        for (Recurrent r : new Recurrent[] {Recurrent.lstm(2, 8), Recurrent.gru(2, 8)}) {
            // Predict the running sum of the first input feature: needs memory across steps.
            Layer net = Sequential.of(r, Linear.of(8, 1));
            TrainStep step = TrainStep.of(net, Adam.adam(2e-2), Nn::mse);
            TrainState s = step.init(1);
            SplittableRandom rnd = new SplittableRandom(2);
            double first = 0, last = 0;
            for (int i = 0; i < 60; i++) {
                float[] x = new float[4 * 6 * 2], y = new float[4 * 6];
                for (int b = 0; b < 4; b++) {
                    float sum = 0;
                    for (int t = 0; t < 6; t++) {
                        x[(b * 6 + t) * 2] = (float) rnd.nextGaussian() * 0.5f;
                        sum += x[(b * 6 + t) * 2];
                        y[b * 6 + t] = sum;
                    }
                }
                TrainStep.Result res = step.run(s, new Batch(HostArray.f32(x, 4, 6, 2), HostArray.f32(y, 4, 6, 1)));
                if (i == 0) first = res.metrics().loss();
                last = res.metrics().loss();
                s = res.state();
            }
            assertTrue(last < first / 3, r.describe() + ": loss " + first + " -> " + last);
        }
    }

    @Test
    void conv1dAnd3dHaveTorchShapes() {
        assertEquals(Shape.of(8, 4, 3), Conv.conv1d(4, 8, 3).variables().get(0).shape());
        assertEquals(Shape.of(8, 4, 3, 3, 3), Conv.conv3d(4, 8, 3).variables().get(0).shape());
        Layer c3 = Sequential.of(Conv.conv3d(2, 3, 3), Flatten.of());
        float[] y = TrainStep.of(c3, Sgd.of(0.1), Nn::mse).predict(c3.init(0), HostArray.f32(new float[2 * 5 * 5 * 5], 1, 2, 5, 5, 5)).floats();
        assertEquals(3 * 27, y.length);
    }
}
