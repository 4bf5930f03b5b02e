/**
 * Adjoint's ONNX support: {@link dev.adjoint.onnx.Onnx#load} reads a ModelProto into an Adjoint
 * graph (opsets 1 to 17; 11 to 17 the target), and {@link dev.adjoint.onnx.OnnxBackendTests} runs ONNX's backend-test
 * directories. The protobuf classes come from {@code org.tribuo.util.onnx} (automatic module,
 * {@code ai.onnx.proto.OnnxMl}) over {@code com.google.protobuf} (automatic module); neither is
 * part of this module's API, so they are plain {@code requires}.
 */
module dev.adjoint.onnx {
    requires transitive dev.adjoint.graph;
    requires transitive dev.adjoint.autodiff;
    requires org.tribuo.util.onnx;
    requires com.google.protobuf;

    exports dev.adjoint.onnx;
}
