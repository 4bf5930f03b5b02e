package dev.adjoint.onnx.internal;

import ai.onnx.proto.OnnxMl;
import dev.adjoint.onnx.LoadOptions;
import dev.adjoint.onnx.OnnxException;
import dev.adjoint.onnx.OnnxModel;

/** Builds the Adjoint graph of a ModelProto. */
public final class Importer {
    private Importer() {}

    /** Imports {@code model} (read from {@code source}). */
    public static OnnxModel importModel(OnnxMl.ModelProto model, String source, LoadOptions options) {
        throw new OnnxException("onnx: " + source + ": the importer is not written yet", "importer");
    }
}
