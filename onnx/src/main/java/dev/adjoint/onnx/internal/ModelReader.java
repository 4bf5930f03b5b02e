package dev.adjoint.onnx.internal;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.adjoint.onnx.OnnxException;

/** Parses the ModelProto bytes with the generated protobuf classes. */
public final class ModelReader {
    private ModelReader() {}

    /** The parsed model; a malformed file is an {@link OnnxException} naming {@code source}. */
    public static OnnxMl.ModelProto parse(byte[] bytes, String source) {
        try {
            return OnnxMl.ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxException("onnx: " + source + " is not a valid ModelProto: " + e.getMessage(), "a valid model", e);
        }
    }
}
