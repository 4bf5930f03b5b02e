package dev.adjoint.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Checks of flag values, each failing with a message that names the flag. */
final class Flags {
    private Flags() {}

    static CommandLine.ParameterException error(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    static void atLeast(CommandSpec spec, String flag, long value, long min) {
        if (value < min) throw error(spec, flag + " must be >= " + min + ", got " + value);
    }

    static void positiveFinite(CommandSpec spec, String flag, double value) {
        if (!Double.isFinite(value) || value <= 0) throw error(spec, flag + " must be a finite number > 0, got " + value);
    }

    static void unitInterval(CommandSpec spec, String flag, double value) {
        if (!Double.isFinite(value) || value < 0 || value >= 1) throw error(spec, flag + " must be a finite number in [0, 1), got " + value);
    }

    /** An output file: its directory must exist; {@code suffix} (e.g. ".png") if not null. */
    static void outputFile(CommandSpec spec, String flag, Path file, String suffix) {
        if (file == null) return;
        if (suffix != null && !file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(suffix)) {
            throw error(spec, flag + " " + file + ": the file name must end in " + suffix);
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) throw error(spec, flag + " " + file + ": directory " + dir + " does not exist");
        if (Files.isDirectory(file)) throw error(spec, flag + " " + file + ": is a directory");
    }
}
