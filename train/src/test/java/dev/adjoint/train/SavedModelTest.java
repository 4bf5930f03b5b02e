package dev.adjoint.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.io.GraphFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saved models (graph + weights, batch free): loaded without the layer code, run at any batch, refused when broken. */
class SavedModelTest {
    @TempDir Path dir;

    static final int[] BATCHES = {1, 7, 64, 257};

    static HostArray images(int n, int... dims) {
        int per = 1;
        for (int d : dims) per *= d;
        SplittableRandom r = new SplittableRandom(n * 31L + per);
        float[] x = new float[n * per];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int[] shape = new int[dims.length + 1];
        shape[0] = n;
        System.arraycopy(dims, 0, shape, 1, dims.length);
        return HostArray.f32(x, shape);
    }

    /** Saves, loads back without {@code model}, and compares at every batch size: bitwise, through the same executor. */
    private SavedModel roundTrip(Layer model, Params vars, Path where, int... dims) throws IOException {
        return roundTrip(model, vars, where, BATCHES, dims);
    }

    private SavedModel roundTrip(Layer model, Params vars, Path where, int[] batches, int... dims) throws IOException {
        SavedModel.save(where, model, vars, images(3, dims));
        SavedModel loaded = SavedModel.load(where);
        TrainStep original = TrainStep.of(model, Sgd.of(0.1, 0), Nn::crossEntropy);
        for (int b : batches) {
            HostArray x = images(b, dims);
            HostArray want = original.predict(vars, x), got = loaded.apply(x);
            assertEquals(want.shape(), got.shape(), "batch " + b);
            assertArrayEquals(want.floats(), got.floats(), "batch " + b);  // float[] equality is bitwise (floatToIntBits)
        }
        assertEquals(batches.length, loaded.cacheSize());
        // f32 weights are stored as f32: the file is its header plus 4 bytes per value, and the graph holds none of them.
        Path w = where.resolve(SavedModel.WEIGHTS);
        long header = ByteBuffer.wrap(Files.readAllBytes(w), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(8 + header + 4 * vars.count(), Files.size(w));
        assertTrue(Files.size(where.resolve(SavedModel.GRAPH)) < vars.count(), Files.size(where.resolve(SavedModel.GRAPH)) + " bytes");
        for (String n : vars.names()) assertArrayEquals(vars.get(n).floats(), loaded.weights().get(n).floats(), n);
        return loaded;
    }

    @Test void anMlpLoadsWithoutItsCodeAndRunsAtAnyBatch() throws IOException {
        Layer mlp = Sequential.of(Linear.of(784, 64), Activation.RELU, Linear.of(64, 64), Activation.RELU, Linear.of(64, 10));
        SavedModel m = roundTrip(mlp, mlp.init(3), dir.resolve("mlp"), 784);
        assertEquals("x: f32[batch, 784]", m.input().toString());
        assertEquals(Shape.of(5, 10), m.at(5).output(SavedModel.OUTPUT).shape());
    }

    @Test void aLenetWithBatchNormLoadsWithoutItsCodeAndRunsAtAnyBatch() throws IOException {
        Layer lenet = Models.lenet();
        SavedModel m = roundTrip(lenet, lenet.init(5), dir.resolve("lenet"), 1, 28, 28);
        assertEquals("x: f32[batch, 1, 28, 28]", m.input().toString());
        // With batch norm (state variables, evaluation mode: running statistics) and dropout (off in evaluation).
        Layer bn = Sequential.of(Conv.conv2d(1, 4, 3).padding(1), BatchNorm.of(4), Activation.RELU, Pool.max2d(2), Flatten.of(),
                Dropout.of(0.5), Linear.of(4 * 14 * 14, 10));
        TrainStep step = TrainStep.of(bn, Sgd.of(0.05, 0.9), Nn::crossEntropy);
        TrainState s = step.init(2);
        for (int i = 0; i < 3; i++) s = step.run(s, new Batch(images(8, 1, 28, 28), HostArray.i32(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 8))).state();
        SavedModel mb = roundTrip(bn, s.variables(), dir.resolve("bn"), new int[] {1, 33}, 1, 28, 28);
        assertEquals(false, mb.weights().spec("1.running_mean").trainable());
    }

    @Test void aLoadedModelFineTunesLikeTheOriginal() throws IOException {
        Layer mlp = Sequential.of(Linear.of(6, 8), Activation.RELU, Linear.of(8, 3));
        Params vars = mlp.init(4);
        SavedModel.save(dir.resolve("m"), mlp, vars, images(2, 6));
        Layer loaded = SavedModel.load(dir.resolve("m")).layer();
        TrainStep a = TrainStep.of(mlp, Sgd.of(0.1, 0.9), Nn::crossEntropy), b = TrainStep.of(loaded, Sgd.of(0.1, 0.9), Nn::crossEntropy);
        TrainState sa = TrainState.of(vars, a.optimizer()), sb = b.init(99);  // the saved weights, whatever the seed
        for (int i = 0; i < 5; i++) {
            Batch batch = TrainStepTest.batch(5 + i, 6, 3, i);  // a new batch size each step
            TrainStep.Result ra = a.run(sa, batch), rb = b.run(sb, batch);
            assertEquals(ra.metrics().loss(), rb.metrics().loss(), "step " + i);
            sa = ra.state();
            sb = rb.state();
        }
        for (String n : vars.names()) assertArrayEquals(sa.variables().get(n).floats(), sb.variables().get(n).floats(), n);
    }

    @Test void aModelThatIsNotBatchPolymorphicIsRefusedNamingTheNode() {
        Params none = Params.of(java.util.List.of(), Map.of());
        // A mean over the batch with 1/B baked in as a constant.
        var e = assertThrows(IllegalArgumentException.class, () -> SavedModel.save(dir.resolve("bad"),
                (v, x) -> x.sum(0).mul(x.graph().constant(1.0 / x.shape().dim(0))), none, images(4, 3)));
        assertTrue(e.getMessage().contains("free batch") && e.getMessage().contains("(constant, built at SavedModelTest.java:")
                && e.getMessage().contains("values or size depend on batch"), e.getMessage());
        // A slice to min(B*B, 3B): not affine in B.
        e = assertThrows(IllegalArgumentException.class, () -> SavedModel.save(dir.resolve("bad2"), (v, x) -> {
            int b = x.shape().dim(0);
            return x.reshape(b * 3).slice(new int[] {0}, new int[] {Math.min(b * b, 3 * b)});
        }, none, images(4, 3)));
        assertTrue(e.getMessage().contains("(slice, built at SavedModelTest.java:") && e.getMessage().contains("stop[0] is 4 at batch = 2, 9 at batch = 3"),
                e.getMessage());
        assertTrue(Files.notExists(dir.resolve("bad").resolve(SavedModel.GRAPH)));
    }

    @Test void brokenOrMismatchedFilesAreRefusedNamingTheFileAndTheTensor() throws IOException {
        Layer mlp = Sequential.of(Linear.of(6, 8), Activation.RELU, Linear.of(8, 3));
        Path m = dir.resolve("m");
        SavedModel.save(m, mlp, mlp.init(1), images(2, 6));
        Path w = m.resolve(SavedModel.WEIGHTS), g = m.resolve(SavedModel.GRAPH);
        byte[] good = Files.readAllBytes(w), goodGraph = Files.readAllBytes(g);

        // Weights of another architecture: every difference, naming the tensors and files.
        Layer other = Sequential.of(Linear.of(6, 5), Activation.RELU, Linear.of(5, 3), Linear.of(3, 3));
        Checkpoint.saveVariables(other.init(0), w);
        String msg = assertThrows(IllegalArgumentException.class, () -> SavedModel.load(m)).getMessage();
        assertTrue(msg.contains("0.weight is f32[5, 6] in weights.safetensors, f32[8, 6] in model.adjg"), msg);
        assertTrue(msg.contains("unexpected 3.weight f32[3, 3] in weights.safetensors"), msg);

        // A truncated weights file.
        Files.write(w, Arrays.copyOf(good, good.length - 10));
        msg = assertThrows(IOException.class, () -> SavedModel.load(m)).getMessage();
        assertTrue(msg.contains(w.toString()) && msg.contains("is not a valid safetensors file") && msg.contains("truncated"), msg);

        // A corrupted graph file.
        Files.write(w, good);
        byte[] bad = goodGraph.clone();
        bad[bad.length / 2] ^= 0x10;
        Files.write(g, bad);
        msg = assertThrows(GraphFormatException.class, () -> SavedModel.load(m)).getMessage();
        assertTrue(msg.contains(g.toString()) && msg.contains("checksum mismatch"), msg);

        // A missing file, and an input of the wrong shape.
        Files.delete(g);
        msg = assertThrows(IOException.class, () -> SavedModel.load(m)).getMessage();
        assertTrue(msg.contains("has no model.adjg"), msg);
        Files.write(g, goodGraph);
        SavedModel ok = SavedModel.load(m);
        msg = assertThrows(IllegalArgumentException.class, () -> ok.apply(images(4, 7))).getMessage();
        assertTrue(msg.contains("takes x: f32[batch, 6], got f32[4, 7]"), msg);
    }
}
