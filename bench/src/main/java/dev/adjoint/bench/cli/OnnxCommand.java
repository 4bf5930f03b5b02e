package dev.adjoint.bench.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code adjoint onnx ...}: the ONNX commands: test, bench, convert. */
@Command(name = "onnx", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class,
        description = {"ONNX models: run ONNX's backend tests, time a model against ONNX Runtime, convert (import, optimize, export).", "Run 'adjoint onnx COMMAND --help' for a command's flags."},
        subcommands = {OnnxTestCommand.class, OnnxBenchCommand.class, OnnxConvertCommand.class})
public final class OnnxCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }
}
