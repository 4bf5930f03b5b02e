package dev.adjoint.bench.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code adjoint onnx ...}: the ONNX commands (test here; bench and convert join as subcommands). */
@Command(name = "onnx", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class,
        description = {"ONNX models: run ONNX's backend tests.", "Run 'adjoint onnx COMMAND --help' for a command's flags."},
        subcommands = {OnnxTestCommand.class})
public final class OnnxCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }
}
