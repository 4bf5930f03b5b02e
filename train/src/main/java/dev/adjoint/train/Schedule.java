package dev.adjoint.train;

import dev.adjoint.graph.CallSite;
import dev.adjoint.graph.Tensor;

/**
 * A learning rate computed in the graph from the step counter: {@link #at} gets an f32 scalar,
 * the number of updates done before this one (0 on the first step), and returns the rate as an
 * f32 scalar. A compiled step serves every step of a schedule; nothing is recompiled.
 */
public sealed interface Schedule {
    /** The rate for a step that follows {@code done} updates. */
    Tensor at(Tensor done);

    /** The rate on the first step (for checks and descriptions). */
    double initial();

    /** A constant rate. */
    static Schedule constant(double lr) { return new Constant(checkRate(lr)); }

    /** PyTorch {@code StepLR}: {@code lr * gamma^floor(done / every)}. */
    static Schedule step(double lr, int every, double gamma) { return new Step(checkRate(lr), every, checkRate(gamma)); }

    /** PyTorch {@code CosineAnnealingLR}: {@code min + (lr - min) (1 + cos(pi min(done, total) / total)) / 2}. */
    static Schedule cosine(double lr, int total, double min) { return new Cosine(checkRate(lr), total, checkRate(min)); }

    /** This schedule after a linear warm-up over {@code steps} updates: {@code rate * (done + 1) / steps} while {@code done < steps}. */
    default Schedule withWarmup(int steps) { return new Warmup(this, steps); }

    /**
     * {@code lr} itself if it is a usable rate.
     *
     * @throws IllegalArgumentException naming the caller's line if it is NaN, infinite or negative
     */
    static double checkRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr + " (at "
                    + CallSite.describe(CallSite.capture()) + ")");
        }
        return lr;
    }

    /** @param lr the rate */
    record Constant(double lr) implements Schedule {
        @Override public Tensor at(Tensor done) { return done.graph().constant(lr); }

        @Override public double initial() { return lr; }
    }

    /** @param lr initial rate @param every decay period @param gamma factor per period */
    record Step(double lr, int every, double gamma) implements Schedule {
        /** Checks the period. */
        public Step {
            if (every < 1) throw new IllegalArgumentException("step schedule needs every >= 1, got " + every);
        }

        @Override public Tensor at(Tensor done) {
            return done.graph().constant(gamma).pow(done.div(every).floor()).mul(lr);
        }

        @Override public double initial() { return lr; }
    }

    /** @param lr initial rate @param total steps to reach min @param min final rate */
    record Cosine(double lr, int total, double min) implements Schedule {
        /** Checks the length. */
        public Cosine {
            if (total < 1) throw new IllegalArgumentException("cosine schedule needs total >= 1, got " + total);
        }

        @Override public Tensor at(Tensor done) {
            Tensor c = done.min((double) total).mul(Math.PI / total).cos().add(1).mul(0.5);
            return c.mul(lr - min).add(min);
        }

        @Override public double initial() { return lr; }
    }

    /** @param after the schedule after warm-up @param steps warm-up length */
    record Warmup(Schedule after, int steps) implements Schedule {
        /** Checks the length. */
        public Warmup {
            if (steps < 1) throw new IllegalArgumentException("warm-up needs steps >= 1, got " + steps);
        }

        @Override public Tensor at(Tensor done) {
            Tensor ramp = done.add(1).div(steps).min(1.0);
            return after.at(done).mul(ramp);
        }

        @Override public double initial() { return after.initial() / steps; }
    }
}
