package dev.adjoint.train;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A layer: a record of hyper-parameters that declares its variables ({@link #variables}) and
 * builds its nodes ({@link #apply}); it holds no values. Names follow PyTorch's
 * {@code state_dict} ({@code weight}, {@code bias}, {@code running_mean}, ...; a {@link Sequential}
 * prefixes its children's with their index), so PyTorch checkpoints line up name by name.
 */
public interface Layer {
    /** This layer's variables, names relative to the layer. */
    List<ParamSpec> variables();

    /** The output for {@code x}, built from the variables in {@code v}. */
    Tensor apply(Vars v, Tensor x);

    /** A short description, e.g. {@code Linear(784, 512)}. */
    default String describe() { return getClass().getSimpleName(); }

    /** Initial values of {@link #variables} from {@code seed} (see {@link Params#init}). */
    default Params init(long seed) { return Params.init(variables(), seed); }

    /** Number of trainable elements. */
    default long parameterCount() {
        long n = 0;
        for (ParamSpec p : variables()) if (p.trainable()) n += p.shape().size();
        return n;
    }

    /**
     * A table like torchinfo's: for each layer of a {@link Sequential} (or this layer), its
     * output shape for an f32 input of {@code inputDims} and its parameter count; then totals.
     */
    default String summary(int... inputDims) { return summary(DType.F32, inputDims); }

    /** {@link #summary(int...)} for an input of type {@code inputType} (i32 ids for an {@link Embedding}). */
    default String summary(DType inputType, int... inputDims) {
        Graph g = new Graph();
        Map<String, Tensor> vars = new LinkedHashMap<>();
        for (ParamSpec p : variables()) vars.put(p.name(), g.input(p.name(), p.dtype(), p.shape()));
        Vars root = Vars.root(vars, false, null);
        Tensor out = apply(root, g.input("x", inputType, Shape.of(inputDims)));
        List<Vars.Traced> rows = root.traced().isEmpty() ? List.of(new Vars.Traced("", this, out, 0, g.size())) : root.traced();
        StringBuilder sb = new StringBuilder();
        String line = "-".repeat(72) + "\n";
        sb.append(String.format(Locale.ROOT, "%-36s %-22s %12s%n", "Layer (type)", "Output shape", "Param #")).append(line);
        for (Vars.Traced r : rows) {
            String name = r.name().isEmpty() ? r.layer().describe() : r.name() + " " + r.layer().describe();
            sb.append(String.format(Locale.ROOT, "%-36s %-22s %,12d%n", name, r.output().shape(), r.layer().parameterCount()));
        }
        long total = 0, state = 0;
        for (ParamSpec p : variables()) {
            if (p.trainable()) total += p.shape().size();
            else state += p.shape().size();
        }
        sb.append(line);
        sb.append(String.format(Locale.ROOT, "Trainable params: %,d%nNon-trainable (state): %,d%nParam size (f32): %.2f MB%n",
                total, state, (total + state) * 4 / 1e6));
        return sb.toString();
    }
}
