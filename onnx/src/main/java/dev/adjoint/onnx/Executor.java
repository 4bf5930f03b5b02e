package dev.adjoint.onnx;

import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Runs graph outputs on a back end, for {@link OnnxBackendTests}: the onnx module does not depend on
 * the executor, so the caller passes one (the tests and {@code ./adjoint onnx test} pass the CPU
 * executor; {@code Interpreter::run} also fits after adapting the argument order).
 */
@FunctionalInterface
public interface Executor {
    /** The values of {@code outputs} with the graph inputs fed from {@code feeds}. */
    List<NdArray> run(List<Tensor> outputs, Map<Tensor, NdArray> feeds);
}
