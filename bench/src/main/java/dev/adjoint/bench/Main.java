package dev.adjoint.bench;

import dev.adjoint.bench.cli.BenchCommand;
import dev.adjoint.bench.cli.ConformanceCommand;
import dev.adjoint.bench.cli.DemoCommand;
import dev.adjoint.bench.cli.GraphCommand;
import dev.adjoint.bench.cli.OnnxCommand;
import dev.adjoint.bench.cli.OptimizeCommand;
import dev.adjoint.bench.cli.TrainCommand;
import dev.adjoint.graph.ShapeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.util.Arrays;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code adjoint} command line: {@code train}, {@code bench}, {@code graph},
 * {@code conformance} and {@code demo}. A mistake in the command line, a missing file or a bad
 * value ends in one line {@code adjoint: ...} on standard error and exit code 2; {@code --debug}
 * adds the stack trace.
 */
@Command(name = "adjoint", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Adjoint, a computation-graph engine for the JVM: train models, benchmark kernels, draw graphs.",
        subcommands = {TrainCommand.class, BenchCommand.class, GraphCommand.class, OptimizeCommand.class, ConformanceCommand.class,
                DemoCommand.class, OnnxCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'adjoint COMMAND --help' for a command's flags."})
public final class Main implements Runnable {
    /** Exit code of every usage, data or file error. */
    public static final int USAGE = 2;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "On an error, print the Java stack trace too.")
    boolean debug;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Without a command: the usage. */
    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** Entry point. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(run(out, err, args));
    }

    /** Runs the command line {@code args} with the given streams and returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        boolean debug = Arrays.asList(args).contains("--debug");
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            if (debug) ex.printStackTrace(err);
            String where = ex.getCommandLine().getCommandName();
            String help = "adjoint".equals(where) ? "adjoint --help" : "adjoint " + where + " --help";
            String message = oneLine(ex.getMessage());
            if (ex instanceof CommandLine.UnmatchedArgumentException u && "adjoint".equals(where) && !u.getUnmatched().isEmpty()
                    && !u.getUnmatched().get(0).startsWith("-")) {
                message = "unknown command '" + u.getUnmatched().get(0) + "'; the commands are "
                        + String.join(", ", ex.getCommandLine().getSubcommands().keySet());
            }
            err.println("adjoint: " + message + " (see '" + help + "')");
            err.flush();
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (debug) ex.printStackTrace(err);
            err.println("adjoint: " + describe(ex) + (debug || expected(ex) ? "" : " (run with --debug for the stack trace)"));
            err.flush();
            return USAGE;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Whether {@code e} is a user's problem (file, data, value) rather than a bug. */
    private static boolean expected(Throwable e) {
        return e instanceof IOException || e instanceof UncheckedIOException || e instanceof IllegalArgumentException
                || e instanceof IllegalStateException;
    }

    private static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u) e = u.getCause();
        if (e instanceof java.nio.file.NoSuchFileException f) return f.getFile() + ": no such file or directory";
        if (e instanceof java.nio.file.AccessDeniedException f) return f.getFile() + ": permission denied";
        if (e instanceof FileSystemException f) return f.getFile() + ": " + f.getReason();
        if (e instanceof ShapeException || expected(e)) return oneLine(String.valueOf(e.getMessage()));
        return "internal error: " + oneLine(e.toString());
    }

    private static String oneLine(String s) { return s.strip().replace('\n', ' ').replace("\r", ""); }

    /** The project version, from the jar. */
    public static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** {@code --version}. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            return new String[] {"adjoint " + version() + " (Java " + Runtime.version() + ", "
                    + (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "Vector API" : "no Vector API: scalar kernels") + ")"};
        }
    }
}
