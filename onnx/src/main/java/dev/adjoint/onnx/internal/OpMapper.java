package dev.adjoint.onnx.internal;

import dev.adjoint.graph.Tensor;
import java.util.List;

/** Builds the Adjoint subgraph of one ONNX op: the node's outputs (null for an optional output it does not make). */
@FunctionalInterface
interface OpMapper {
    List<Tensor> map(Ctx c);
}
