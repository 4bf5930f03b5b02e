package dev.adjoint.train;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Random;
import dev.adjoint.graph.Tensor;

/**
 * How a parameter starts: a builder of graph nodes from a random key ({@link Random}), so values
 * are reproducible from a seed on every machine. The fans come from the {@link ParamSpec}.
 */
public sealed interface Init {
    /** Builds the initial value of {@code spec} from {@code key} (an i32 {@code [2]} key). */
    Tensor build(Tensor key, ParamSpec spec);

    /** All zeros. */
    static Init zeros() { return new Constant(0); }

    /** Every element {@code value}. */
    static Init constant(double value) { return new Constant(value); }

    /** Normal with mean {@code mean} and standard deviation {@code std}. */
    static Init normal(double mean, double std) { return new Normal(mean, std); }

    /** Uniform in {@code [lo, hi)}. */
    static Init uniform(double lo, double hi) { return new Uniform(lo, hi); }

    /** Glorot/Xavier uniform: bound {@code gain * sqrt(6 / (fanIn + fanOut))} (PyTorch {@code xavier_uniform_}). */
    static Init glorotUniform() { return new Glorot(false, 1); }

    /** Glorot/Xavier normal: std {@code gain * sqrt(2 / (fanIn + fanOut))}. */
    static Init glorotNormal() { return new Glorot(true, 1); }

    /** Kaiming/He uniform for ReLU: bound {@code sqrt(2) * sqrt(3 / fanIn)} (PyTorch {@code kaiming_uniform_}). */
    static Init kaimingUniform() { return new Kaiming(false, Math.sqrt(2)); }

    /** Kaiming/He normal for ReLU: std {@code sqrt(2 / fanIn)}. */
    static Init kaimingNormal() { return new Kaiming(true, Math.sqrt(2)); }

    /**
     * PyTorch's default for {@code Linear} and {@code ConvNd} weights and biases:
     * uniform in {@code +-1/sqrt(fanIn)} (what {@code kaiming_uniform_(a=sqrt(5))} works out to).
     */
    static Init torchDefault() { return new Kaiming(false, Math.sqrt(1.0 / 3)); }

    /** @param value every element */
    record Constant(double value) implements Init {
        @Override public Tensor build(Tensor key, ParamSpec spec) {
            return key.graph().fill(value, spec.dtype(), spec.shape().dims());
        }
    }

    /** @param mean mean @param std standard deviation, >= 0 */
    record Normal(double mean, double std) implements Init {
        /** Checks the deviation. */
        public Normal {
            if (!(std >= 0) || !Double.isFinite(mean)) throw new IllegalArgumentException("normal init needs a finite mean and std >= 0, got "
                    + mean + ", " + std);
        }

        @Override public Tensor build(Tensor key, ParamSpec spec) {
            return Random.normal(key, spec.dtype(), spec.shape().dims()).mul(std).add(mean);
        }
    }

    /** @param lo lower bound @param hi upper bound (exclusive), > lo */
    record Uniform(double lo, double hi) implements Init {
        /** Checks the bounds. */
        public Uniform {
            if (!(hi > lo) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
                throw new IllegalArgumentException("uniform init needs finite lo < hi, got " + lo + ", " + hi);
            }
        }

        @Override public Tensor build(Tensor key, ParamSpec spec) {
            return Random.uniform(key, spec.dtype(), lo, hi, spec.shape().dims());
        }
    }

    /** @param normal normal rather than uniform @param gain multiplies the deviation */
    record Glorot(boolean normal, double gain) implements Init {
        @Override public Tensor build(Tensor key, ParamSpec spec) {
            double std = gain * Math.sqrt(2.0 / (spec.fanIn() + spec.fanOut()));
            return normal ? new Normal(0, std).build(key, spec) : symmetric(key, spec, std * Math.sqrt(3));
        }
    }

    /** @param normal normal rather than uniform @param gain the nonlinearity's gain (sqrt 2 for ReLU) */
    record Kaiming(boolean normal, double gain) implements Init {
        @Override public Tensor build(Tensor key, ParamSpec spec) {
            double std = gain / Math.sqrt(spec.fanIn());
            return normal ? new Normal(0, std).build(key, spec) : symmetric(key, spec, std * Math.sqrt(3));
        }
    }

    private static Tensor symmetric(Tensor key, ParamSpec spec, double bound) {
        if (spec.dtype() != DType.F32 && spec.dtype() != DType.F64) {
            throw new IllegalArgumentException(spec.name() + ": random init needs a float type, got " + spec.dtype().label());
        }
        return Random.uniform(key, spec.dtype(), -bound, bound, spec.shape().dims());
    }
}
