package dev.adjoint.train;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Shape;
import java.util.Objects;

/**
 * One variable of a model: its name (PyTorch's {@code state_dict} key, e.g. {@code "0.weight"}),
 * shape, type, initialiser, and whether the optimizer trains it (a batch norm's running statistics
 * are state, not trained).
 *
 * @param name dotted name
 * @param shape shape
 * @param dtype element type (f32 for everything the layers make)
 * @param init how it starts
 * @param fanIn inputs feeding each output unit (for Glorot and Kaiming)
 * @param fanOut outputs each input unit feeds
 * @param trainable whether gradients update it
 */
public record ParamSpec(String name, Shape shape, DType dtype, Init init, int fanIn, int fanOut, boolean trainable) {
    /** Checks the fields. */
    public ParamSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(init, "init");
        if (fanIn < 0 || fanOut < 0) throw new IllegalArgumentException(name + ": fans must be >= 0, got " + fanIn + ", " + fanOut);
    }

    /** A trainable f32 parameter. */
    public static ParamSpec param(String name, Shape shape, Init init, int fanIn, int fanOut) {
        return new ParamSpec(name, shape, DType.F32, init, fanIn, fanOut, true);
    }

    /** A non-trainable f32 state variable starting at {@code init}. */
    public static ParamSpec state(String name, Shape shape, Init init) {
        return new ParamSpec(name, shape, DType.F32, init, 0, 0, false);
    }

    /** This spec under {@code prefix + "." + name}. */
    public ParamSpec prefixed(String prefix) {
        return new ParamSpec(prefix + "." + name, shape, dtype, init, fanIn, fanOut, trainable);
    }

    /** The same variable with another initialiser. */
    public ParamSpec withInit(Init i) { return new ParamSpec(name, shape, dtype, i, fanIn, fanOut, trainable); }
}
