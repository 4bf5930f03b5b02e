package dev.adjoint.bench.cli;

import dev.adjoint.onnx.OnnxBackendTests;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code adjoint onnx test DIR...}: ONNX's backend-test directories run on the CPU executor ({@link OnnxBackendTests}). */
@Command(name = "test", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class, sortOptions = false,
        description = {"Run ONNX backend tests (model.onnx + test_data_set_N/{input,output}_K.pb) found under DIR...",
                "Imports each model, runs it on the CPU executor and compares like ONNX's runner (floats within"
                        + " atol + rtol * |expected|; integers and bools exactly). Prints one line per test and a last line"
                        + " 'onnx: N passed, M failed, K unsupported'; an unsupported test names what it lacks.",
                "Example: adjoint onnx test /usr/share/libonnx-testdata/data/node",
                "Exit code 0 when none fails (unsupported ones allowed), 1 when any fails, 2 on a usage error."})
public final class OnnxTestCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Directories searched for test directories (those holding model.onnx).")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--rtol", paramLabel = "R", description = "Relative tolerance. Default: ${DEFAULT-VALUE}.")
    double rtol = 1e-3;

    @Option(names = "--atol", paramLabel = "A", description = "Absolute tolerance (a model test may use 1e-4). Default: ${DEFAULT-VALUE}.")
    double atol = 1e-7;

    @Option(names = "--grad", description = "Also check, where a data set holds output_0_cotangent.pb and input_K_grad.pb, the"
            + " gradient of sum(output_0 * cotangent) with respect to each float input, through autodiff.")
    boolean grad;

    @Option(names = "--quiet", description = "Print only failures and the summary line.")
    boolean quiet;

    @Override public Integer call() {
        for (Path d : dirs) if (!Files.isDirectory(d)) throw Flags.error(spec, "DIR " + d + ": no such directory");
        if (!(rtol >= 0) || !(atol >= 0)) throw Flags.error(spec, "--rtol and --atol must be >= 0");
        OnnxBackendTests.Options options = new OnnxBackendTests.Options(rtol, atol, grad);
        PrintWriter out = spec.commandLine().getOut();
        List<OnnxBackendTests.Result> results = new ArrayList<>();
        CpuExecutor cpu = new CpuExecutor();
        for (Path test : OnnxBackendTests.find(dirs)) {
            OnnxBackendTests.Result r = OnnxBackendTests.runOne(test, cpu, options);
            results.add(r);
            if (!quiet || r.status() == OnnxBackendTests.Status.FAILED) {
                out.println(r.line());
                out.flush();
            }
        }
        out.println(OnnxBackendTests.summary(results));
        out.flush();
        return results.stream().anyMatch(r -> r.status() == OnnxBackendTests.Status.FAILED) ? 1 : 0;
    }
}
