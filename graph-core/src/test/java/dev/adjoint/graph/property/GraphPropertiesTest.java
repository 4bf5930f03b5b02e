package dev.adjoint.graph.property;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.io.GraphFile;
import dev.adjoint.graph.io.GraphFormatException;
import dev.adjoint.graph.pass.Optimizer;
import dev.adjoint.graph.pass.Rewritten;
import dev.adjoint.graph.testing.RecipeGraphs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property tests (jqwik) over graphs built from recipes of small integers ({@link RecipeGraphs}),
 * so a failure shrinks to a minimal graph: optimized graphs compute what the originals do, and
 * mutated graph files give a valid graph or a {@link GraphFormatException}, nothing else.
 */
class GraphPropertiesTest {

    @Provide Arbitrary<List<Integer>> recipes() {
        return Arbitraries.integers().between(0, 4000).list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 150)
    boolean optimizedGraphsEqualTheOriginals(@ForAll("recipes") List<Integer> recipe) {
        RecipeGraphs.Built b = RecipeGraphs.build(recipe);
        List<NdArray> expected = Interpreter.run(b.graph(), b.feeds(), b.outputs());
        Rewritten r = Optimizer.optimize(b.outputs());
        Map<Tensor, NdArray> feeds = new HashMap<>();
        b.feeds().forEach((t, v) -> { if (r.inputs().containsKey(t)) feeds.put(r.inputs().get(t), v); });
        List<NdArray> actual = Interpreter.run(r.graph(), feeds, r.outputs());
        for (int o = 0; o < expected.size(); o++) {
            double[] e = expected.get(o).data(), a = actual.get(o).data();
            if (e.length != a.length) return false;
            for (int i = 0; i < e.length; i++) {
                if (Double.isNaN(e[i]) != Double.isNaN(a[i])) return false;
                if (e[i] != a[i] && Math.abs(e[i] - a[i]) > 1e-9 * (1 + Math.abs(e[i]))) {
                    throw new AssertionError("output " + o + " element " + i + ": " + e[i] + " became " + a[i] + "\n" + b.description());
                }
            }
        }
        return true;
    }

    @Provide Arbitrary<int[]> mutations() {
        // kind (0 flip a byte, 1 set a byte, 2 truncate, 3 insert), position (scaled to the file), value
        return Arbitraries.integers().between(0, 1 << 20).array(int[].class).ofSize(3);
    }

    @Property(tries = 300)
    void mutatedFilesGiveAGraphOrAFormatError(@ForAll("recipes") List<Integer> recipe, @ForAll("mutations") int[] m,
                                             @ForAll boolean reseal) throws IOException {
        RecipeGraphs.Built b = RecipeGraphs.build(recipe);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GraphFile.write(b.graph(), out);
        byte[] file = out.toByteArray();
        int pos = m[1] % file.length;
        byte[] bad = switch (m[0] % 4) {
            case 0 -> { byte[] f = file.clone(); f[pos] ^= (byte) (1 << (m[2] % 8)); yield f; }
            case 1 -> { byte[] f = file.clone(); f[pos] = (byte) m[2]; yield f; }
            case 2 -> java.util.Arrays.copyOf(file, pos);
            default -> {
                byte[] f = new byte[file.length + 1];
                System.arraycopy(file, 0, f, 0, pos);
                f[pos] = (byte) m[2];
                System.arraycopy(file, pos, f, pos + 1, file.length - pos);
                yield f;
            }
        };
        // Recomputing the checksum lets the mutation reach the decoder's own checks.
        if (reseal && bad.length >= 4) {
            CRC32C crc = new CRC32C();
            crc.update(bad, 0, bad.length - 4);
            ByteBuffer.wrap(bad).putInt(bad.length - 4, (int) crc.getValue());
        }
        try {
            Graph g = GraphFile.read(new ByteArrayInputStream(bad));
            if (g.size() < 0) throw new AssertionError();
        } catch (GraphFormatException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) throw new AssertionError("a format error with no message");
        } catch (Throwable other) {
            throw new AssertionError("mutation " + java.util.Arrays.toString(m) + " reseal=" + reseal + " gave " + other + "\n" + b.description(), other);
        }
    }
}
