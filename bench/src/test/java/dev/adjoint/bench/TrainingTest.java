package dev.adjoint.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.bench.data.Dataset;
import dev.adjoint.bench.data.FashionMnist;
import dev.adjoint.bench.train.MlpTraining;
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
        var result = MlpTraining.train(blobs(1, 2048), blobs(2, 1000),
                new MlpTraining.Config(new int[] {16}, 32, 0.05f, 0.9f, 3, 7, WorkSplitter.SERIAL), new PrintStream(out));
        assertTrue(result.testAccuracy() > 0.97, "accuracy " + result.testAccuracy() + "\n" + out);
        assertTrue(out.toString().contains("epoch 3: loss"), out.toString());
    }

    @Test void fashionMnistOneEpochReachesEightyPercent() throws IOException {
        // .ci/run installs Debian's dataset-fashion-mnist, so CI always runs this.
        assumeTrue(FashionMnist.available(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed");
        var result = MlpTraining.train(FashionMnist.train(FashionMnist.DEFAULT_DIR), FashionMnist.test(FashionMnist.DEFAULT_DIR),
                new MlpTraining.Config(new int[] {128}, 128, 0.05f, 0.9f, 1, 1, Cpu.defaultPool()), System.out);
        assertTrue(result.testAccuracy() > 0.80, "test accuracy after one epoch: " + result.testAccuracy());
    }
}
