package dev.adjoint.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Nn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick starts, as written there, on made-up 28x28 images whose class is where a
 * bright square sits (so the models can learn them in a few epochs).
 */
class QuickStartTest {
    @TempDir Path dir;

    static int n = 320, nTest = 200;
    static float[] images = new float[n * 784], testImages = new float[nTest * 784];
    static int[] labels = new int[n], testLabels = new int[nTest];

    static {
        fill(images, labels, 1);
        fill(testImages, testLabels, 2);
    }

    private static void fill(float[] x, int[] y, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int e = 0; e < y.length; e++) {
            y[e] = r.nextInt(10);
            int row = (y[e] / 5) * 14 + 2, col = (y[e] % 5) * 5 + 1;
            for (int i = 0; i < 784; i++) x[e * 784 + i] = (float) r.nextDouble() * 0.2f;
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) x[e * 784 + (row + i) * 28 + col + j] += 1.5f;
        }
    }

    @Test
    void mlp() throws IOException {
        // --- README: "Training" (MLP) ---
        Layer model = Sequential.of(Linear.of(784, 512), Activation.RELU, Linear.of(512, 512), Activation.RELU, Linear.of(512, 10));
        TrainStep step = TrainStep.of(model, Sgd.of(0.05, 0.9), Nn::crossEntropy);
        TrainState s = step.init(0);                                    // seeded initial weights, zero momentum
        for (int epoch = 0; epoch < 3; epoch++)
            for (int i = 0; i < n; i += 128)                             // the last partial batch just works
                s = step.run(s, Batch.of(images, labels, i, Math.min(128, n - i), 784)).state();
        Metrics test = step.evaluate(s.variables(), Batch.of(testImages, testLabels, 0, nTest, 784));
        System.out.printf("test accuracy %.2f%%%n", 100 * test.accuracy());
        Checkpoint.save(s, dir.resolve("mlp.safetensors"));             // PyTorch names: 0.weight [512, 784], ...
        // --- end of README excerpt ---
        assertTrue(test.accuracy() > 0.8, "accuracy " + test.accuracy());
        assertEquals(2, step.cacheSize(), "batches of 128 and the last of 64");
        assertTrue(Files.size(dir.resolve("mlp.safetensors")) > 4L * 2 * model.parameterCount(), "weights and momentum, f32");
    }

    @Test
    void cnn() {
        // --- README: "Training" (CNN) ---
        Layer model = Sequential.of(Conv.conv2d(1, 6, 5).padding(2), Activation.RELU, Pool.max2d(2),
                Conv.conv2d(6, 16, 5), Activation.RELU, Pool.max2d(2), Flatten.of(),
                Linear.of(400, 120), Activation.RELU, Linear.of(120, 84), Activation.RELU, Linear.of(84, 10));
        TrainStep step = TrainStep.of(model, Adam.adamW(1e-3), Nn::crossEntropy);
        TrainState s = step.init(0);
        System.out.print(model.summary(1, 1, 28, 28));                   // layers, output shapes, 61,706 parameters
        for (int epoch = 0; epoch < 3; epoch++)
            for (int i = 0; i < n; i += 64)
                s = step.run(s, Batch.of(images, labels, i, Math.min(64, n - i), 1, 28, 28)).state();
        // --- end of README excerpt ---
        Metrics test = step.evaluate(s.variables(), Batch.of(testImages, testLabels, 0, nTest, 1, 28, 28));
        assertTrue(test.accuracy() > 0.4, "accuracy " + test.accuracy() + " (chance: 0.1)");
    }
}
