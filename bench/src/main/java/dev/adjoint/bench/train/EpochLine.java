package dev.adjoint.bench.train;

import java.util.Locale;

/** The plain one-line report of an epoch, as printed off a terminal. */
public final class EpochLine {
    private EpochLine() {}

    /**
     * E.g. {@code "epoch 1: loss 0.5123, test accuracy 82.10%, 3.2 s, 18500 examples/s (2.9 s CPU)"}; the CPU
     * time is the training thread's (on one thread, the figure a busy machine does not inflate).
     */
    public static String of(Trainer.Epoch e) {
        return String.format(Locale.ROOT, "epoch %d: loss %.4f, test accuracy %.2f%%, %.1f s, %.0f examples/s (%.2f s CPU)",
                e.epoch(), e.loss(), 100 * e.testAccuracy(), e.seconds(), e.examplesPerSecond(), e.cpuSeconds());
    }
}
