package dev.adjoint.onnx.internal;

import dev.adjoint.onnx.OnnxException;

/** Which node is being imported, for error messages: its name, op type, the opset and the file. */
record NodeInfo(String name, String opType, long opset, String source) {
    String describe() {
        return "node '" + name + "' (op " + opType + ", " + (opset < 0 ? "no default-domain opset" : "opset " + opset) + ") in " + source;
    }

    OnnxException unsupported(String what, String missing) {
        return new OnnxException("onnx: " + describe() + ": " + what, missing);
    }
}
