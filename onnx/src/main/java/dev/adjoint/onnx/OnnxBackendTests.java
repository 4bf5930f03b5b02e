package dev.adjoint.onnx;

import ai.onnx.proto.OnnxMl;
import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Tensor;
import dev.adjoint.onnx.internal.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * ONNX's backend-test layout run on Adjoint: every directory holding {@code model.onnx} and
 * {@code test_data_set_N/} ({@code input_K.pb}, {@code output_K.pb}, serialized TensorProtos),
 * compared like ONNX's runner: floats within {@code |got - want| <= atol + rtol * |want|} (NaN
 * matching NaN), integers and bools exactly, shapes and element types equal.
 */
public final class OnnxBackendTests {
    private OnnxBackendTests() {}

    /** The outcome of one test. */
    public enum Status { PASSED, FAILED, UNSUPPORTED }

    /** One test's outcome: its directory, status and, unless passed, why. */
    public record Result(Path dir, Status status, String detail) {
        /** The report line: {@code PASS name}, {@code FAIL name: detail}, {@code UNSUPPORTED name: what is missing}. */
        public String line() {
            String name = dir.getFileName().toString();
            return switch (status) {
                case PASSED -> "pass        " + name;
                case FAILED -> "FAIL        " + name + ": " + detail;
                case UNSUPPORTED -> "unsupported " + name + ": " + detail;
            };
        }
    }

    /**
     * Options: tolerances, and whether to check input gradients where a data set holds
     * {@code output_0_cotangent.pb} and {@code input_K_grad.pb}.
     */
    public record Options(double rtol, double atol, boolean grad) {
        /** ONNX's node-test tolerances, no gradients. */
        public static Options defaults() { return new Options(1e-3, 1e-7, false); }

        /** These options with gradient checks on or off. */
        public Options withGrad(boolean g) { return new Options(rtol, atol, g); }

        /** These options with the absolute tolerance {@code a}. */
        public Options withAtol(double a) { return new Options(rtol, a, grad); }
    }

    /** The test directories under {@code roots} (each holding model.onnx), sorted by path. */
    public static List<Path> find(List<Path> roots) {
        List<Path> out = new ArrayList<>();
        for (Path r : roots) {
            try (Stream<Path> s = Files.walk(r)) {
                s.filter(p -> p.getFileName().toString().equals("model.onnx")).map(Path::getParent).forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException("onnx test: cannot list " + r + ": " + e.getMessage(), e);
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Runs every test under {@code roots}. */
    public static List<Result> run(List<Path> roots, Executor executor, Options options) {
        List<Result> results = new ArrayList<>();
        for (Path d : find(roots)) results.add(runOne(d, executor, options));
        return results;
    }

    /** The summary line {@code onnx: N passed, M failed, K unsupported}. */
    public static String summary(List<Result> results) {
        long p = results.stream().filter(r -> r.status() == Status.PASSED).count();
        long f = results.stream().filter(r -> r.status() == Status.FAILED).count();
        long u = results.stream().filter(r -> r.status() == Status.UNSUPPORTED).count();
        return "onnx: " + p + " passed, " + f + " failed, " + u + " unsupported";
    }

    /** Runs the test in directory {@code dir}. */
    public static Result runOne(Path dir, Executor executor, Options options) {
        List<Path> sets;
        try (Stream<Path> s = Files.list(dir)) {
            sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_") && Files.isDirectory(p)).sorted().toList();
        } catch (IOException e) {
            return new Result(dir, Status.FAILED, "cannot list: " + e.getMessage());
        }
        // Symbolic input sizes come from the first data set's inputs. An integer or bool input that
        // determines a shape (Reshape's shape, Slice's starts, ...) cannot stay a run-time input of a
        // static-shape graph: then each data set is loaded with those inputs fixed to its values.
        OnnxMl.ModelProto proto;
        try {
            proto = dev.adjoint.onnx.internal.ModelReader.parse(readBytes(dir.resolve("model.onnx")), dir.toString());
        } catch (OnnxException e) {
            return new Result(dir, Status.UNSUPPORTED, e.missing() + " [" + e.getMessage() + "]");
        }
        List<String> init = proto.getGraph().getInitializerList().stream().map(OnnxMl.TensorProto::getName).toList();
        List<OnnxMl.ValueInfoProto> fed = proto.getGraph().getInputList().stream().filter(v -> !init.contains(v.getName())).toList();
        OnnxModel model = null;
        boolean freeze = false;
        try {
            model = load(proto, dir, sets.isEmpty() ? null : sets.get(0), fed, null);
        } catch (OnnxException e) {
            if (!e.missing().contains("run-time") || sets.isEmpty()) {
                return new Result(dir, Status.UNSUPPORTED, e.missing() + " [" + e.getMessage() + "]");
            }
            freeze = true;
        } catch (RuntimeException e) {
            return new Result(dir, Status.FAILED, "load: " + e);
        }
        for (Path set : sets) {
            try {
                if (freeze) model = loadFixing(proto, dir, set, fed);
                Map<Tensor, NdArray> feeds = new LinkedHashMap<>();
                List<Tensor> inputs = new ArrayList<>();
                for (int k = 0; k < fed.size(); k++) {
                    Tensor t = model.inputs().get(fed.get(k).getName());
                    inputs.add(t);
                    if (t == null) continue; // fixed at load
                    Path f = set.resolve("input_" + k + ".pb");
                    if (!Files.exists(f)) return new Result(dir, Status.FAILED, set.getFileName() + " lacks input_" + k + ".pb");
                    feeds.put(t, readTensor(f));
                }
                List<String> outNames = new ArrayList<>(model.outputs().keySet());
                List<Tensor> outputs = new ArrayList<>(model.outputs().values());
                List<NdArray> got;
                try {
                    got = executor.run(outputs, feeds);
                } catch (UnsupportedOperationException e) {
                    return new Result(dir, Status.UNSUPPORTED, "executor: " + e.getMessage());
                }
                for (int k = 0; k < outputs.size(); k++) {
                    NdArray want = readTensor(set.resolve("output_" + k + ".pb"));
                    String why = compare(want, got.get(k), options);
                    if (why != null) return new Result(dir, Status.FAILED, set.getFileName() + " output " + outNames.get(k) + ": " + why);
                }
                if (options.grad() && Files.exists(set.resolve("output_0_cotangent.pb"))) {
                    String why = checkGrad(set, model, inputs, feeds, executor, options);
                    if (why != null) return new Result(dir, Status.FAILED, set.getFileName() + " gradient: " + why);
                }
            } catch (OnnxException e) {
                return new Result(dir, Status.UNSUPPORTED, e.missing() + " [" + e.getMessage() + "]");
            } catch (RuntimeException | StackOverflowError e) {
                return new Result(dir, Status.FAILED, set.getFileName() + ": " + e);
            }
        }
        return new Result(dir, Status.PASSED, "");
    }

    /**
     * Loads with the inputs the import needs as constants fixed to {@code set}'s values: first every
     * integer and bool input, then each further input an error names, one at a time.
     */
    private static OnnxModel loadFixing(OnnxMl.ModelProto proto, Path dir, Path set, List<OnnxMl.ValueInfoProto> fed) {
        java.util.Set<String> fixed = new java.util.HashSet<>();
        for (OnnxMl.ValueInfoProto vi : fed) {
            int et = vi.getType().getTensorType().getElemType();
            if (et == 6 || et == 7 || et == 9) fixed.add(vi.getName());
        }
        while (true) {
            try {
                return load(proto, dir, set, fed, fixed);
            } catch (OnnxException e) {
                String v = e.value();
                boolean isInput = fed.stream().anyMatch(vi -> vi.getName().equals(v));
                if (v == null || !isInput || !fixed.add(v)) throw e;
            }
        }
    }

    /** Loads with symbolic sizes from {@code set}'s inputs and the inputs named in {@code fixed} (may be null) fixed to its values. */
    private static OnnxModel load(OnnxMl.ModelProto proto, Path dir, Path set, List<OnnxMl.ValueInfoProto> fed, java.util.Set<String> fixed) {
        LoadOptions opts = LoadOptions.defaults();
        for (int k = 0; k < fed.size(); k++) {
            OnnxMl.ValueInfoProto vi = fed.get(k);
            Path f = set == null ? null : set.resolve("input_" + k + ".pb");
            if (f == null || !Files.exists(f) || !vi.getType().hasTensorType()) continue;
            OnnxMl.TensorProto t = parseTensor(f);
            var shape = vi.getType().getTensorType().getShape();
            for (int a = 0; a < shape.getDimCount() && a < t.getDimsCount(); a++) {
                if (!shape.getDim(a).hasDimValue()) {
                    String p = shape.getDim(a).getDimParam();
                    if (p.isEmpty()) {
                        throw new OnnxException("onnx: input " + vi.getName() + " axis " + a + " has an unnamed unknown size", "unnamed dim");
                    }
                    opts = opts.withDim(p, (int) t.getDims(a));
                }
            }
            if (fixed != null && fixed.contains(vi.getName())) opts = opts.withInputValue(vi.getName(), TensorData.read(t, f.toString()));
        }
        return dev.adjoint.onnx.internal.Importer.importModel(proto, dir.toString(), opts);
    }

    private static String checkGrad(Path set, OnnxModel model, List<Tensor> inputs, Map<Tensor, NdArray> feeds,
            Executor executor, Options options) {
        Tensor out0 = model.outputs().values().iterator().next();
        NdArray cot = readTensor(set.resolve("output_0_cotangent.pb"));
        Tensor cotT = model.graph().constant(cot.dtype(), cot.shape(), cot.data());
        Tensor loss = out0.mul(cotT).sum();
        List<Tensor> wrt = new ArrayList<>();
        List<Integer> which = new ArrayList<>();
        for (int k = 0; k < inputs.size(); k++) {
            if (inputs.get(k) != null && inputs.get(k).dtype().isFloat() && Files.exists(set.resolve("input_" + k + "_grad.pb"))) {
                wrt.add(inputs.get(k));
                which.add(k);
            }
        }
        if (wrt.isEmpty()) return null;
        List<Tensor> grads = Autodiff.grad(loss, wrt);
        List<NdArray> got = executor.run(grads, feeds);
        for (int i = 0; i < wrt.size(); i++) {
            NdArray want = readTensor(set.resolve("input_" + which.get(i) + "_grad.pb"));
            String why = compare(want, got.get(i), options);
            if (why != null) return "input " + which.get(i) + ": " + why;
        }
        return null;
    }

    /** Null when {@code got} matches {@code want}, else what differs. */
    public static String compare(NdArray want, NdArray got, Options o) {
        if (!want.shape().equals(got.shape())) return "shape " + got.shape() + ", expected " + want.shape();
        if (want.dtype() != got.dtype()) return "element type " + got.dtype() + ", expected " + want.dtype();
        double[] w = want.data(), g = got.data();
        boolean exact = !want.dtype().isFloat();
        int bad = -1, nbad = 0;
        for (int i = 0; i < w.length; i++) {
            boolean ok;
            if (exact) ok = w[i] == g[i];
            else if (Double.isNaN(w[i])) ok = Double.isNaN(g[i]);
            else if (Double.isInfinite(w[i])) ok = w[i] == g[i];
            else ok = Math.abs(g[i] - w[i]) <= o.atol() + o.rtol() * Math.abs(w[i]);
            if (!ok) {
                if (bad < 0) bad = i;
                nbad++;
            }
        }
        if (bad < 0) return null;
        return nbad + " of " + w.length + " elements differ; first at flat index " + bad + ": got " + g[bad] + ", expected " + w[bad];
    }

    /** Reads a serialized TensorProto file. */
    public static NdArray readTensor(Path f) { return TensorData.read(parseTensor(f), f.toString()); }

    private static OnnxMl.TensorProto parseTensor(Path f) {
        try {
            return OnnxMl.TensorProto.parseFrom(readBytes(f));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new OnnxException("onnx: " + f + " is not a TensorProto: " + e.getMessage(), "a valid tensor file", e);
        }
    }

    private static byte[] readBytes(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException("onnx test: cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
