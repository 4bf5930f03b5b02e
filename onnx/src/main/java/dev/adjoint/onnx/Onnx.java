package dev.adjoint.onnx;

import dev.adjoint.onnx.internal.Importer;
import dev.adjoint.onnx.internal.ModelReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ONNX in: {@link #load(Path, LoadOptions)} reads a model file into an Adjoint graph. Export is
 * {@code OnnxExporter} (its own file). Everything the importer cannot map is an
 * {@link OnnxException} at load time, before anything runs.
 */
public final class Onnx {
    private Onnx() {}

    /** Loads {@code file} with default options (initializers as constants, no symbolic sizes). */
    public static OnnxModel load(Path file) { return load(file, LoadOptions.defaults()); }

    /** Loads {@code file}; symbolic input dimensions take the sizes in {@code options}. */
    public static OnnxModel load(Path file, LoadOptions options) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("onnx: cannot read " + file + ": " + e.getMessage(), e);
        }
        return load(bytes, file.toString(), options);
    }

    /** Loads a serialized ModelProto; {@code source} names it in errors. */
    public static OnnxModel load(byte[] model, String source, LoadOptions options) {
        return Importer.importModel(ModelReader.parse(model, source), source, options);
    }
}
