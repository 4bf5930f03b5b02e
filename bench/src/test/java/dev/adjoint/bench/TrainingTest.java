package dev.adjoint.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.bench.data.Dataset;
import dev.adjoint.bench.data.FashionMnist;
import dev.adjoint.bench.cli.ModelChoice;
import dev.adjoint.bench.train.Trainer;
import dev.adjoint.train.Activation;
import dev.adjoint.train.Linear;
import dev.adjoint.train.Sequential;
import dev.adjoint.train.Sgd;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.kernels.WorkSplitter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** End to end: graph, reverse mode, optimizer and executor train a model that learns. */
class TrainingTest {

    /** Four Gaussian blobs in 8 dimensions: separable, so a working trainer gets nearly all right. */
    private static Dataset blobs(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] centers = new float[4][8];
        SplittableRandom c = new SplittableRandom(99);
        for (float[] center : centers) for (int i = 0; i < 8; i++) center[i] = (float) c.nextDouble(-2, 2);
        float[] x = new float[n * 8];
        int[] y = new int[n];
        for (int e = 0; e < n; e++) {
            y[e] = rnd.nextInt(4);
            for (int i = 0; i < 8; i++) x[e * 8 + i] = centers[y[e]][i] + (float) (0.3 * rnd.nextGaussian());
        }
        return new Dataset(x, y, 8, 4);
    }

    @Test void learnsSeparableBlobs() {
        var out = new ByteArrayOutputStream();
        var print = new PrintStream(out);
        // 2000 examples in batches of 32: the last batch of each epoch has 16, and is trained on too.
        var cfg = new Trainer.Config(Sequential.of(Linear.of(8, 16), Activation.RELU, Linear.of(16, 4)), n -> new int[] {n, 8},
                Sgd.of(0.05, 0.9), 32, 3, 7, WorkSplitter.SERIAL);
        var result = Trainer.train(blobs(1, 2000), blobs(2, 1000), cfg, new Trainer.Listener() {
            @Override public void epochDone(Trainer.Epoch e) { print.println(dev.adjoint.bench.train.EpochLine.of(e)); }
        });
        assertTrue(result.last().testAccuracy() > 0.97, "accuracy " + result.last().testAccuracy() + "\n" + out);
        assertTrue(out.toString().contains("epoch 3: loss"), out.toString());
        assertTrue(result.state().step() == 3 * 63, "63 steps per epoch, the partial one included: " + result.state().step());
    }

    @Test void fashionMnistOneEpochReachesEightyPercent() throws IOException {
        // .ci/run installs Debian's dataset-fashion-mnist, so CI always runs this.
        assumeTrue(FashionMnist.available(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed");
        var cfg = new Trainer.Config(ModelChoice.mlp.build(new int[] {128}), ModelChoice.mlp::inputDims, Sgd.of(0.05, 0.9), 128, 1, 1,
                Cpu.defaultPool());
        var result = Trainer.train(FashionMnist.train(FashionMnist.DEFAULT_DIR), FashionMnist.test(FashionMnist.DEFAULT_DIR), cfg,
                new Trainer.Listener() {});
        assertTrue(result.last().testAccuracy() > 0.80, "test accuracy after one epoch: " + result.last().testAccuracy());
    }
}
