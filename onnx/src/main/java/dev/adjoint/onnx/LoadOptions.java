package dev.adjoint.onnx;

import dev.adjoint.graph.NdArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How {@link Onnx#load} builds the graph.
 *
 * @param dims the size of each symbolic input dimension, by its ONNX {@code dim_param} name
 * @param batch the size of any symbolic dimension not named in {@code dims} that is the first axis
 *     of an input (the batch), or 0 for none (such a dimension is then an error naming it)
 * @param initializersAsParameters true: each initializer becomes a named graph input (a trainable
 *     parameter, its initial value in {@link OnnxModel#parameters()}); false: a constant
 * @param inputValues graph inputs fixed to a value at load time: they become constants, so an input
 *     that determines a shape (Reshape's shape, Slice's starts, a reduction's axes) folds; the model
 *     then no longer takes them as inputs
 */
public record LoadOptions(Map<String, Integer> dims, int batch, boolean initializersAsParameters, Map<String, NdArray> inputValues) {
    /** Copies the map; checks sizes. */
    public LoadOptions {
        dims = Map.copyOf(dims);
        inputValues = Map.copyOf(inputValues);
        for (var e : dims.entrySet()) {
            if (e.getValue() < 0) throw new IllegalArgumentException("LoadOptions: dim " + e.getKey() + " = " + e.getValue() + " must be >= 0");
        }
        if (batch < 0) throw new IllegalArgumentException("LoadOptions: batch " + batch + " must be >= 0");
    }

    /** No symbolic sizes given, initializers as constants. */
    public static LoadOptions defaults() { return new LoadOptions(Map.of(), 0, false, Map.of()); }

    /** These options with the symbolic dimension {@code name} of size {@code size}. */
    public LoadOptions withDim(String name, int size) {
        Map<String, Integer> m = new LinkedHashMap<>(dims);
        m.put(name, size);
        return new LoadOptions(m, batch, initializersAsParameters, inputValues);
    }

    /** These options with unnamed leading symbolic dimensions of size {@code n}. */
    public LoadOptions withBatch(int n) { return new LoadOptions(dims, n, initializersAsParameters, inputValues); }

    /** These options with initializers as named trainable inputs ({@code true}) or constants. */
    public LoadOptions withParameters(boolean asParameters) { return new LoadOptions(dims, batch, asParameters, inputValues); }

    /** These options with graph input {@code name} fixed to {@code value} (a constant of the graph). */
    public LoadOptions withInputValue(String name, NdArray value) {
        Map<String, NdArray> m = new LinkedHashMap<>(inputValues);
        m.put(name, value);
        return new LoadOptions(dims, batch, initializersAsParameters, m);
    }
}
