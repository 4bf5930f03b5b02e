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
import dev.adjoint.graph.testing.RecipeProperty;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Property tests ({@link RecipeProperty}, our own runner) over graphs built from recipes of small
 * integers ({@link RecipeGraphs}), so a failure shrinks to a minimal graph: optimized graphs compute
 * what the originals do, and mutated graph files give a valid graph or a {@link GraphFormatException},
 * nothing else.
 */
class GraphPropertiesTest {

    /** Entries pick an op and its operands (see {@link RecipeGraphs}); 1 to 12 ops. */
    static final int MAX_ENTRY = 4000;

    static String graphText(int[] recipe) {
        RecipeGraphs.Built b = RecipeGraphs.build(recipe);
        return b.description() + b.graph();
    }

    @Test void optimizedGraphsEqualTheOriginals() {
        new RecipeProperty("optimizedGraphsEqualTheOriginals", 150, 1, 12, MAX_ENTRY)
                .assertHolds(GraphPropertiesTest::graphText, GraphPropertiesTest::optimizedEqualsOriginal);
    }

    static void optimizedEqualsOriginal(int[] recipe) {
        RecipeGraphs.Built b = RecipeGraphs.build(recipe);
        List<NdArray> expected = Interpreter.run(b.graph(), b.feeds(), b.outputs());
        Rewritten r = Optimizer.optimize(b.outputs());
        Map<Tensor, NdArray> feeds = new HashMap<>();
        b.feeds().forEach((t, v) -> { if (r.inputs().containsKey(t)) feeds.put(r.inputs().get(t), v); });
        List<NdArray> actual = Interpreter.run(r.graph(), feeds, r.outputs());
        for (int o = 0; o < expected.size(); o++) {
            double[] e = expected.get(o).data(), a = actual.get(o).data();
            if (e.length != a.length) throw new AssertionError("output " + o + ": " + e.length + " elements became " + a.length);
            for (int i = 0; i < e.length; i++) {
                if (Double.isNaN(e[i]) != Double.isNaN(a[i])
                        || (e[i] != a[i] && Math.abs(e[i] - a[i]) > 1e-9 * (1 + Math.abs(e[i])))) {
                    throw new AssertionError("output " + o + " element " + i + ": " + e[i] + " became " + a[i]);
                }
            }
        }
    }

    /**
     * Recipe layout: mutation kind (0 flip a bit, 1 set a byte, 2 truncate, 3 insert a byte),
     * position (scaled to the file), value, reseal (odd: recompute the checksum), then the graph.
     */
    @Test void mutatedFilesGiveAGraphOrAFormatError() {
        new RecipeProperty("mutatedFilesGiveAGraphOrAFormatError", 300, 5, 16, MAX_ENTRY).assertHolds(
                r -> "mutation " + Arrays.toString(Arrays.copyOf(r, 4)) + " of\n" + graphText(Arrays.copyOfRange(r, 4, r.length)),
                GraphPropertiesTest::mutatedFileReadsOrFails);
    }

    static void mutatedFileReadsOrFails(int[] recipe) throws IOException {
        int kind = recipe[0] % 4, value = recipe[2];
        boolean reseal = recipe[3] % 2 == 1;
        RecipeGraphs.Built b = RecipeGraphs.build(Arrays.copyOfRange(recipe, 4, recipe.length));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GraphFile.write(b.graph(), out);
        byte[] file = out.toByteArray();
        int pos = (int) ((long) recipe[1] * file.length / (MAX_ENTRY + 1));
        byte[] bad = switch (kind) {
            case 0 -> { byte[] f = file.clone(); f[pos] ^= (byte) (1 << (value % 8)); yield f; }
            case 1 -> { byte[] f = file.clone(); f[pos] = (byte) value; yield f; }
            case 2 -> Arrays.copyOf(file, pos);
            default -> {
                byte[] f = new byte[file.length + 1];
                System.arraycopy(file, 0, f, 0, pos);
                f[pos] = (byte) value;
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
            if (g.size() < 0) throw new AssertionError("a graph of negative size");
        } catch (GraphFormatException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) throw new AssertionError("a format error with no message");
        } catch (Throwable other) {
            throw new AssertionError("mutated file (" + bad.length + " bytes) gave " + other, other);
        }
    }
}
