package dev.adjoint.bench.cli;

import dev.adjoint.bench.data.Data;
import dev.adjoint.bench.train.EpochLine;
import dev.adjoint.bench.train.Trainer;
import dev.adjoint.train.Adam;
import dev.adjoint.train.Checkpoint;
import dev.adjoint.train.HostArray;
import dev.adjoint.train.SavedModel;
import dev.adjoint.graph.Shape;
import dev.adjoint.train.Layer;
import dev.adjoint.train.Optimizer;
import dev.adjoint.train.Sgd;
import dev.adjoint.train.TrainStep;
import dev.adjoint.bench.train.TrainingPlot;
import dev.adjoint.cpu.Cpu;
import dev.adjoint.kernels.ThreadPool;
import dev.adjoint.kernels.WorkSplitter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code adjoint train}: trains a classifier on Fashion-MNIST through autodiff and the CPU executor. */
@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class, sortOptions = false,
        description = {"Train a classifier (MLP or CNN) on Fashion-MNIST with dev.adjoint.train.", "The whole step (forward, reverse-mode gradient,"
                + " update, accuracy) is one graph, compiled once per batch size and run once per batch.",
                "Data: --data DIR, else $ADJOINT_DATA, else /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist,"
                + " installed on the spot when run as root); without it, a bundled sample of 4000 + 1000 images."})
public final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "mlp|cnn", description = "Architecture: mlp or cnn (LeNet-like). Default: ${DEFAULT-VALUE}.")
    ModelChoice model = ModelChoice.mlp;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set. Default: ${DEFAULT-VALUE}.")
    int epochs = 5;

    @Option(names = "--batch", paramLabel = "B", description = "Examples per step. Default: ${DEFAULT-VALUE}.")
    int batch = 128;

    @Option(names = "--optimizer", paramLabel = "sgd|adam", description = "Update rule. Default: ${DEFAULT-VALUE}.")
    OptimizerChoice optimizer = OptimizerChoice.sgd;

    @Option(names = "--lr", paramLabel = "R", description = "Learning rate. Default: 0.05 for sgd, 0.001 for adam.")
    Double lr;

    @Option(names = "--momentum", paramLabel = "M", description = "SGD's momentum, or Adam's beta1; in [0, 1). Default: ${DEFAULT-VALUE}.")
    double momentum = 0.9;

    @Option(names = "--hidden", paramLabel = "W", split = ",", description = "Hidden dense layer widths. Default: 256,128 (mlp), 120,84 (cnn).")
    int[] hidden;

    @Option(names = "--threads", paramLabel = "T", description = "Kernel threads. Default: the number of processors (${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--seed", paramLabel = "S", description = "Initialization and shuffling seed. Default: ${DEFAULT-VALUE}.")
    long seed = 1;

    @Option(names = "--data", paramLabel = "DIR", description = "Directory with Fashion-MNIST's four IDX .gz files, or 'sample' for the bundled sample.")
    String data = System.getenv("ADJOINT_DATA");

    @Option(names = "--save", paramLabel = "FILE", description = "Write the trained state as safetensors (variables by PyTorch name, optimizer state, step).")
    Path save;

    @Option(names = "--save-model", paramLabel = "DIR", description = "Write the trained model as a directory: the inference graph with a free "
            + "batch size (model.adjg) and its weights (weights.safetensors, f32); SavedModel.load runs it at any batch without this code.")
    Path saveModel;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Write loss and test accuracy per epoch as a PNG chart.")
    Path plot;

    /** {@code --optimizer}. */
    public enum OptimizerChoice {
        /** SGD with heavy-ball momentum. */
        sgd,
        /** Adam with bias correction. */
        adam
    }

    @Override public Integer call() throws Exception {
        // Every flag is checked before any data loads.
        Flags.atLeast(spec, "--epochs", epochs, 1);
        Flags.atLeast(spec, "--batch", batch, 1);
        double rate = lr != null ? lr : optimizer == OptimizerChoice.sgd ? 0.05 : 0.001;
        Flags.positiveFinite(spec, "--lr", rate);
        Flags.unitInterval(spec, "--momentum", momentum);
        Flags.atLeast(spec, "--threads", threads, 1);
        if (threads > 1024) throw Flags.error(spec, "--threads must be <= 1024, got " + threads);
        if (hidden != null) {
            if (hidden.length == 0) throw Flags.error(spec, "--hidden needs at least one width");
            for (int h : hidden) if (h < 1 || h > 1 << 16) throw Flags.error(spec, "--hidden widths must be in 1..65536, got " + h);
        }
        if (data != null && data.isBlank()) throw Flags.error(spec, "--data needs a directory (or 'sample')");
        Flags.outputFile(spec, "--save", save, null);
        Flags.outputFile(spec, "--plot", plot, ".png");
        if (saveModel != null) {
            Path parent = saveModel.toAbsolutePath().getParent();
            if (parent == null || !java.nio.file.Files.isDirectory(parent)) throw Flags.error(spec, "--save-model " + saveModel + ": directory " + parent + " does not exist");
            if (java.nio.file.Files.exists(saveModel) && !java.nio.file.Files.isDirectory(saveModel)) {
                throw Flags.error(spec, "--save-model " + saveModel + ": is a file, not a directory");
            }
        }
        Layer m = model.build(hidden);
        Optimizer opt = optimizer == OptimizerChoice.sgd ? Sgd.of(rate, momentum) : Adam.adam(rate).betas(momentum, 0.999);

        PrintWriter out = spec.commandLine().getOut();
        WorkSplitter splitter = threads == 1 ? WorkSplitter.SERIAL
                : threads == Runtime.getRuntime().availableProcessors() ? Cpu.defaultPool() : new ThreadPool(threads);
        Trainer.Config cfg = new Trainer.Config(m, model::inputDims, opt, batch, epochs, seed, splitter);
        // While the data loads, compile the step and warm its kernels (the JIT compiles a plan's small
        // kernels only after ~100 steps): the first epoch then costs about a steady one, not 4x.
        TrainStep step = Trainer.step(cfg);
        long warmStart = System.nanoTime();
        RuntimeException[] warmFailed = new RuntimeException[1];
        Thread warm = Thread.ofPlatform().name("adjoint-warm-up").daemon().start(() -> {
            try {
                Trainer.warm(step, cfg, Trainer.WARM_RUNS, 10, batch); // the models classify 10 classes
            } catch (RuntimeException e) {
                warmFailed[0] = e;
            }
        });
        Data.Loaded d;
        try {
            d = Data.load(data, true, out);
            // A batch larger than the data is refused below: stop warming a plan that will not run.
            if (batch > d.train().size()) warm.interrupt();
        } catch (Exception | Error e) {
            warm.interrupt();
            throw e;
        } finally {
            warm.join();
        }
        out.flush();
        if (d.test().size() == 0) throw new IllegalArgumentException("the test set of " + d.description() + " is empty");
        if (batch > d.train().size()) {
            throw Flags.error(spec, "--batch " + batch + " is larger than the training set (" + d.train().size() + " images in "
                    + d.description() + ")");
        }
        if (warmFailed[0] != null) throw warmFailed[0];
        out.printf(Locale.ROOT, "%s, batch %d, %s, %d thread(s), %d epoch(s); step compiled and warmed up (%d runs) while the data loaded, %.1f s%n",
                model.describe(hidden), batch, opt.describe(), splitter.threads(), epochs, Trainer.WARM_RUNS, (System.nanoTime() - warmStart) / 1e9);
        out.flush();
        boolean terminal = System.console() != null && System.console().isTerminal();
        Trainer.Result result = Trainer.train(d.train(), d.test(), cfg, terminal ? new BarListener(out) : new LineListener(out), step);
        Trainer.Epoch last = result.last();
        out.printf(Locale.ROOT, "final test accuracy %.2f%%%n", 100 * last.testAccuracy());
        if (save != null) {
            Checkpoint.save(result.state(), save);
            out.println("saved the trained state to " + save + " (safetensors: " + result.state().variables().names().size()
                    + " variables by name, optimizer state, step " + result.state().step() + ")");
        }
        if (saveModel != null) {
            SavedModel.save(saveModel, m, result.state().variables(), HostArray.zeros(Shape.of(model.inputDims(1))));
            SavedModel back = SavedModel.load(saveModel);  // proves the directory loads without the layer code
            out.println("saved the model to " + saveModel + " (" + SavedModel.GRAPH + ": the inference graph, " + back.input() + "; "
                    + SavedModel.WEIGHTS + ": " + back.weights().names().size() + " f32 weights)");
        }
        if (plot != null) {
            TrainingPlot.write(model.describe(hidden) + ", " + opt.describe(), d.description() + ", batch " + batch + ", " + splitter.threads() + " thread(s)",
                    result.epochs(), plot);
            out.println("wrote the training curves to " + plot);
        }
        out.flush();
        return 0;
    }

    /** Stops a run whose loss stopped being a number. */
    static void checkFinite(Trainer.Epoch e) {
        if (!Double.isFinite(e.loss())) {
            throw new IllegalStateException("training diverged: the mean loss of epoch " + e.epoch() + " is " + e.loss()
                    + "; try a smaller --lr");
        }
    }

    /** Off a terminal (CI, a pipe): one plain line per epoch. */
    private record LineListener(PrintWriter out) implements Trainer.Listener {
        @Override public void epochDone(Trainer.Epoch e) {
            out.println(EpochLine.of(e));
            out.flush();
            checkFinite(e);
        }
    }

    /** On a terminal: a progress bar per epoch (ETA, running loss, examples/s), then the epoch's line. */
    private static final class BarListener implements Trainer.Listener {
        private final PrintWriter out;
        private ProgressBar bar;
        private int batch;

        BarListener(PrintWriter out) { this.out = out; }

        @Override public void epochStarted(int epoch, int epochs, int steps, int batch) {
            this.batch = batch;
            bar = new ProgressBarBuilder().setTaskName("epoch " + epoch + "/" + epochs).setInitialMax((long) steps * batch)
                    .setUnit(" ex", 1).showSpeed().setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(250)
                    .continuousUpdate().build();
        }

        @Override public void stepDone(int step, double runningLoss) {
            bar.stepBy(batch);
            if (step % 8 == 0) bar.setExtraMessage(String.format(Locale.ROOT, "  loss %.4f", runningLoss));
        }

        @Override public void epochDone(Trainer.Epoch e) {
            bar.close();
            out.println(EpochLine.of(e));
            out.flush();
            checkFinite(e);
        }
    }
}
