package dev.adjoint.onnx;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import java.util.Map;

/**
 * An imported ONNX model.
 *
 * @param graph the Adjoint graph
 * @param inputs the graph inputs the caller feeds, by ONNX name, in the model's order
 * @param outputs the model's outputs, by ONNX name, in the model's order
 * @param parameters the initializers imported as inputs ({@link LoadOptions#initializersAsParameters()}),
 *     by ONNX name, each with its initial value from the file; empty when they are constants
 * @param opset the model's default-domain opset
 */
public record OnnxModel(Graph graph, Map<String, Tensor> inputs, Map<String, Tensor> outputs,
        Map<String, Parameter> parameters, long opset) {
    /** A trainable parameter: its graph input and its value in the file. */
    public record Parameter(Tensor tensor, NdArray initial) {}

    /** The output named {@code name}; an error lists the names. */
    public Tensor output(String name) {
        Tensor t = outputs.get(name);
        if (t == null) throw new IllegalArgumentException("OnnxModel: no output '" + name + "'; outputs: " + outputs.keySet());
        return t;
    }

    /** The input named {@code name}; an error lists the names. */
    public Tensor input(String name) {
        Tensor t = inputs.get(name);
        if (t == null) throw new IllegalArgumentException("OnnxModel: no input '" + name + "'; inputs: " + inputs.keySet());
        return t;
    }
}
