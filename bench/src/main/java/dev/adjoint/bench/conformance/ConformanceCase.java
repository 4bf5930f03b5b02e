package dev.adjoint.bench.conformance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One case of the conformance suite (SCHEMA.md section 3), with every tensor decoded to an
 * {@link NdArray}. Fields a case does not carry are null (the {@code higher_order} extras on other
 * families, {@code hessian} on large cases); list entries are null for integer inputs.
 *
 * @param id unique id {@code family/name}
 * @param family the family (the file's {@code family}, else the id's prefix)
 * @param op the op name, SCHEMA.md section 5
 * @param attrs the op's attributes as plain JSON
 * @param inputs the positional inputs
 * @param output the expected output
 * @param cotangent the cotangent fed to the vjp
 * @param vjp expected vjp per input (null for integer inputs)
 * @param tangents tangent per input (null for integer inputs)
 * @param jvp expected jvp
 * @param rtol relative tolerance of the allclose rule
 * @param atol absolute tolerance of the allclose rule
 * @param grad expected gradient per input ({@code hvp} cases only)
 * @param hvpVector the direction v per input ({@code hvp} cases only)
 * @param hvp expected Hessian-vector product per input ({@code hvp} cases only)
 * @param hessian expected full Hessian {@code [n, n]} (small {@code hvp} cases only)
 */
public record ConformanceCase(String id, String family, String op, JsonNode attrs, List<Input> inputs, NdArray output,
        NdArray cotangent, List<NdArray> vjp, List<NdArray> tangents, NdArray jvp, double rtol, double atol,
        List<NdArray> grad, List<NdArray> hvpVector, List<NdArray> hvp, NdArray hessian) {

    /**
     * A positional input.
     *
     * @param name the input's name (used by {@code hvp} expressions)
     * @param value its value (integers as doubles)
     * @param integer whether it is an index tensor, not differentiated
     */
    public record Input(String name, NdArray value, boolean integer) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads every {@code *.json} file under {@code dir} (recursively), in path order. */
    public static List<ConformanceCase> loadAll(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("conformance: directory " + dir.toAbsolutePath() + " does not exist");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".json") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<ConformanceCase> out = new ArrayList<>();
        for (Path f : files) out.addAll(load(f));
        return out;
    }

    /**
     * Reads one family file.
     *
     * @throws IllegalArgumentException if it is not valid JSON, naming the file, line and column
     */
    public static List<ConformanceCase> load(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            // Jackson's own message hides the source ("REDACTED"): name the file and the place instead.
            var at = e.getLocation();
            throw new IllegalArgumentException("conformance: " + file + ": not valid JSON"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("conformance: cannot read " + file, e);
        }
        String family = root.path("family").asText(null);
        List<ConformanceCase> out = new ArrayList<>();
        for (JsonNode c : root.path("cases")) out.add(parse(c, family));
        return out;
    }

    private static ConformanceCase parse(JsonNode c, String fileFamily) {
        String id = c.path("id").asText();
        String family = fileFamily != null ? fileFamily : id.contains("/") ? id.substring(0, id.indexOf('/')) : "?";
        List<Input> inputs = new ArrayList<>();
        for (JsonNode in : c.path("inputs")) {
            inputs.add(new Input(in.path("name").asText(), tensor(in), in.path("integer").asBoolean(false)));
        }
        JsonNode tol = c.path("tol");
        return new ConformanceCase(id, family, c.path("op").asText(), c.path("attrs"), List.copyOf(inputs),
                tensor(c.get("output")), tensor(c.get("cotangent")), tensors(c.get("vjp")), tensors(c.get("tangents")),
                tensor(c.get("jvp")), tol.path("rtol").asDouble(0), tol.path("atol").asDouble(0),
                tensors(c.get("grad")), tensors(c.get("hvp_vector")), tensors(c.get("hvp")), tensor(c.get("hessian")));
    }

    /** A {@code {"shape", "data"}} object as an NdArray, or null for a missing or null node. */
    static NdArray tensor(JsonNode t) {
        if (t == null || t.isNull()) return null;
        JsonNode sh = t.path("shape"), data = t.path("data");
        int[] dims = new int[sh.size()];
        for (int i = 0; i < dims.length; i++) dims[i] = sh.get(i).asInt();
        double[] v = new double[data.size()];
        for (int i = 0; i < v.length; i++) v[i] = data.get(i).doubleValue();
        return NdArray.of(Shape.of(dims), v);
    }

    private static List<NdArray> tensors(JsonNode list) {
        if (list == null || list.isNull()) return null;
        List<NdArray> out = new ArrayList<>();
        for (JsonNode t : list) out.add(tensor(t));
        return java.util.Collections.unmodifiableList(out);
    }

    /** Integer list attribute. */
    int[] ints(String attr) {
        JsonNode n = attrs.get(attr);
        if (n == null) throw new IllegalArgumentException(id + ": missing attribute " + attr);
        if (n.isInt()) return new int[] {n.asInt()};
        int[] v = new int[n.size()];
        for (int i = 0; i < v.length; i++) v[i] = n.get(i).asInt();
        return v;
    }
}
