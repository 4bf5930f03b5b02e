package dev.adjoint.bench.train;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.io.GraphFile;
import dev.adjoint.graph.io.SavedGraph;
import dev.adjoint.graph.op.Constant;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained model as a {@link GraphFile}: the inference graph of one example, {@code x [1, features]}
 * to {@code logits [1, classes]}, with the trained parameters as constants. The file's named
 * outputs are {@code "logits"} and one entry per parameter ({@code "w0"}, {@code "b0"}, ...), so a
 * program can either run the model ({@code GraphFile.readSaved(file).output("logits")}) or take
 * the parameter values out of it ({@link #readParameters}).
 */
public final class Checkpoint {
    private Checkpoint() {}

    /** Writes {@code model} with parameter values {@code values} (in {@link Model#parameters} order) to {@code file}. */
    public static void write(Model model, int features, List<float[]> values, Path file) throws IOException {
        Graph g = new Graph();
        List<Model.Parameter> specs = model.parameters();
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        List<Tensor> params = new java.util.ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            float[] v = values.get(i);
            double[] d = new double[v.length];
            for (int j = 0; j < v.length; j++) d[j] = v[j];
            Tensor c = g.constant(specs.get(i).shape(), d);
            params.add(c);
            outputs.put(specs.get(i).name(), c);
        }
        Tensor x = g.input("x", 1, features);
        outputs.put("logits", model.forward(x, params, new Scopes()));
        GraphFile.write(g, outputs, file);
    }

    /** The parameter values saved in {@code file}, by name, in the file's order; {@code "logits"} is left out. */
    public static Map<String, float[]> readParameters(Path file) throws IOException {
        SavedGraph saved = GraphFile.readSaved(file);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : saved.outputs().entrySet()) {
            if (e.getValue().op() instanceof Constant c) {
                float[] v = new float[c.shape().size()];
                for (int i = 0; i < v.length; i++) v[i] = (float) c.value(i);
                out.put(e.getKey(), v);
            }
        }
        return out;
    }
}
