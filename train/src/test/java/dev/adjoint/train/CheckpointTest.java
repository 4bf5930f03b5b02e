package dev.adjoint.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Nn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Safetensors checkpoints: round trips, f32 kept as f32, mismatches listed, bad files refused. */
class CheckpointTest {
    @TempDir Path dir;

    private static TrainState trained(TrainStep step) {
        TrainState s = step.init(1);
        for (int i = 0; i < 3; i++) s = step.run(s, TrainStepTest.batch(8, 6, 3, i)).state();
        return s;
    }

    @Test
    void aCheckpointRoundTripsVariablesOptimizerStateAndStep() throws IOException {
        Layer net = Sequential.of(Linear.of(6, 5), BatchNorm.of(5), Activation.RELU, Linear.of(5, 3));
        TrainStep step = TrainStep.of(net, Adam.adamW(1e-2), Nn::crossEntropy);
        TrainState s = trained(step);
        Path f = dir.resolve("ck.safetensors");
        Checkpoint.save(s, f);
        // f32 stored as f32: the file is the header plus 4 bytes per value.
        long values = s.variables().count() + s.optimizerState().count();
        long header = java.nio.ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(8 + header + 4 * values, Files.size(f));
        TrainState back = Checkpoint.load(f, step.init(9));
        assertEquals(3, back.step());
        assertEquals(1, back.seed());
        for (String n : s.variables().names()) assertArrayEquals(s.variables().get(n).floats(), back.variables().get(n).floats(), n);
        for (String n : s.optimizerState().names()) assertArrayEquals(s.optimizerState().get(n).floats(), back.optimizerState().get(n).floats(), n);
        // Training resumes identically.
        Batch b = TrainStepTest.batch(8, 6, 3, 42);
        assertEquals(step.run(s, b).metrics().loss(), step.run(back, b).metrics().loss());
    }

    @Test
    void aCheckpointOfAnotherModelListsEveryDifference() throws IOException {
        TrainStep small = TrainStep.of(Sequential.of(Linear.of(6, 5), Activation.RELU, Linear.of(5, 3)), Sgd.of(0.1, 0.9), Nn::crossEntropy);
        Path f = dir.resolve("small.safetensors");
        Checkpoint.save(trained(small), f);
        TrainStep other = TrainStep.of(Sequential.of(Linear.of(6, 4), Activation.RELU, Linear.of(4, 3).withoutBias(), Activation.RELU,
                Linear.of(3, 3)), Sgd.of(0.1, 0.9), Nn::crossEntropy);
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(f, other.init(0)));
        String m = e.getMessage();
        assertTrue(m.contains("0.weight is f32[5, 6] in the file, the model has f32[4, 6]"), m);
        assertTrue(m.contains("unexpected 2.bias f32[3]"), m);
        assertTrue(m.contains("missing 4.weight f32[3, 3]"), m);
        assertTrue(m.contains("missing optimizer.momentum_buffer.4.bias f32[3]"), m);
        assertTrue(m.contains("CheckpointTest.java:"), m);
    }

    @Test
    void aTruncatedOrCorruptFileIsRefusedWithTheReason() throws IOException {
        TrainStep step = TrainStep.of(Sequential.of(Linear.of(6, 3)), Sgd.of(0.1), Nn::crossEntropy);
        Path f = dir.resolve("ok.safetensors");
        Checkpoint.save(trained(step), f);
        byte[] ok = Files.readAllBytes(f);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(ok, ok.length - 5));
        var e = assertThrows(IOException.class, () -> Checkpoint.load(cut, step.init(0)));
        assertTrue(e.getMessage().contains("cut.safetensors is not a valid safetensors file") && e.getMessage().contains("truncated"),
                e.getMessage());
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, Arrays.copyOf(ok, 5));
        assertTrue(assertThrows(IOException.class, () -> Safetensors.read(tiny)).getMessage().contains("fewer than the 8"));
        Path header = dir.resolve("header.safetensors");
        byte[] bad = ok.clone();
        bad[9] = '!';
        Files.write(header, bad);
        assertTrue(assertThrows(IOException.class, () -> Safetensors.read(header)).getMessage().contains("not valid JSON"));
        Path len = dir.resolve("len.safetensors");
        byte[] badLen = ok.clone();
        badLen[7] = 0x7f;
        Files.write(len, badLen);
        assertTrue(assertThrows(IOException.class, () -> Safetensors.read(len)).getMessage().contains("does not fit"));
        Path type = dir.resolve("type.safetensors");
        Files.write(type, new String(ok, StandardCharsets.ISO_8859_1).replaceFirst("\"F32\"", "\"F16\"").getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(assertThrows(IOException.class, () -> Safetensors.read(type)).getMessage().contains("dtype F16"));
    }

    @Test
    void everyElementTypeRoundTrips() throws IOException {
        Path f = dir.resolve("types.safetensors");
        var t = new java.util.LinkedHashMap<String, HostArray>();
        t.put("f", HostArray.f32(new float[] {1.5f, -2}, 2));
        t.put("d", new HostArray(dev.adjoint.graph.DType.F64, dev.adjoint.graph.Shape.of(1), new double[] {Math.PI}));
        t.put("i", HostArray.i32(new int[] {7, -8, 9}, 3, 1));
        t.put("l", new HostArray(dev.adjoint.graph.DType.I64, dev.adjoint.graph.Shape.of(), new long[] {1L << 40}));
        t.put("b", new HostArray(dev.adjoint.graph.DType.BOOL, dev.adjoint.graph.Shape.of(3), new boolean[] {true, false, true}));
        Safetensors.write(f, t, Map.of("k", "v \"quoted\""));
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals("v \"quoted\"", c.metadata().get("k"));
        assertEquals(t.keySet(), c.tensors().keySet());
        assertArrayEquals((float[]) t.get("f").data(), (float[]) c.tensors().get("f").data());
        assertArrayEquals((double[]) t.get("d").data(), (double[]) c.tensors().get("d").data());
        assertArrayEquals((int[]) t.get("i").data(), (int[]) c.tensors().get("i").data());
        assertEquals(t.get("i").shape(), c.tensors().get("i").shape());
        assertArrayEquals((long[]) t.get("l").data(), (long[]) c.tensors().get("l").data());
        assertArrayEquals((boolean[]) t.get("b").data(), (boolean[]) c.tensors().get("b").data());
    }
}
