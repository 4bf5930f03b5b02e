package dev.adjoint.train;

import dev.adjoint.graph.CallSite;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoints as safetensors files. {@link #save} writes the model's variables under their own
 * names (PyTorch {@code state_dict} keys), the optimizer's slots under {@code optimizer.<slot>.<name>},
 * and the step and seed as metadata; {@link #load} reads them back into a state of the same
 * model and optimizer, checking every name, type and shape first and listing all differences.
 * {@link #loadVariables} reads a model-only file, e.g. one written by PyTorch's safetensors.
 */
public final class Checkpoint {
    private Checkpoint() {}

    static final String OPTIMIZER = "optimizer.";

    /** Writes {@code state} to {@code file}. */
    public static void save(TrainState state, Path file) throws IOException {
        Map<String, HostArray> t = new LinkedHashMap<>(state.variables().values());
        for (var e : state.optimizerState().values().entrySet()) t.put(OPTIMIZER + e.getKey(), e.getValue());
        Safetensors.write(file, t, Map.of("format", "adjoint", "step", Long.toString(state.step()), "seed", Long.toString(state.seed())));
    }

    /** Writes the model's variables only (what {@code torch.nn.Module.load_state_dict} takes). */
    public static void saveVariables(Params variables, Path file) throws IOException {
        Safetensors.write(file, variables.values(), Map.of("format", "pt"));
    }

    /**
     * Reads a checkpoint written by {@link #save} into the shape of {@code like} (same model and optimizer).
     *
     * @throws IllegalArgumentException listing every missing, unexpected or differently shaped tensor, and the caller's line
     */
    public static TrainState load(Path file, TrainState like) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, HostArray> vars = new LinkedHashMap<>(), opt = new LinkedHashMap<>();
        for (var e : c.tensors().entrySet()) {
            if (e.getKey().startsWith(OPTIMIZER)) opt.put(e.getKey().substring(OPTIMIZER.length()), e.getValue());
            else vars.put(e.getKey(), e.getValue());
        }
        List<String> diff = new ArrayList<>();
        compare(like.variables(), vars, "", diff);
        compare(like.optimizerState(), opt, OPTIMIZER, diff);
        if (!diff.isEmpty()) throw mismatch(file, diff);
        long step = Long.parseLong(c.metadata().getOrDefault("step", "0"));
        long seed = Long.parseLong(c.metadata().getOrDefault("seed", Long.toString(like.seed())));
        return new TrainState(Params.of(like.variables().specs(), vars), Params.of(like.optimizerState().specs(), opt), step, seed);
    }

    /**
     * Reads a model-only file (e.g. PyTorch's {@code save_file(model.state_dict(), ...)}) as the variables of
     * {@code model}; tensors named {@code optimizer.*} and extra PyTorch bookkeeping ({@code num_batches_tracked}) are
     * ignored.
     *
     * @throws IllegalArgumentException listing every missing, unexpected or differently shaped tensor
     */
    public static Params loadVariables(Path file, Layer model) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, HostArray> vars = new LinkedHashMap<>();
        for (var e : c.tensors().entrySet()) {
            if (!e.getKey().startsWith(OPTIMIZER) && !e.getKey().endsWith("num_batches_tracked")) vars.put(e.getKey(), e.getValue());
        }
        List<ParamSpec> specs = model.variables();
        List<String> diff = new ArrayList<>();
        Map<String, ParamSpec> byName = new LinkedHashMap<>();
        for (ParamSpec p : specs) byName.put(p.name(), p);
        compareSpecs(byName, vars, "", diff);
        if (!diff.isEmpty()) throw mismatch(file, diff);
        return Params.of(specs, vars);
    }

    private static void compare(Params like, Map<String, HostArray> got, String prefix, List<String> diff) {
        Map<String, ParamSpec> byName = new LinkedHashMap<>();
        for (ParamSpec p : like.specs()) byName.put(p.name(), p);
        compareSpecs(byName, got, prefix, diff);
    }

    private static void compareSpecs(Map<String, ParamSpec> want, Map<String, HostArray> got, String prefix, List<String> diff) {
        for (var e : want.entrySet()) {
            HostArray a = got.get(e.getKey());
            ParamSpec p = e.getValue();
            if (a == null) diff.add("missing " + prefix + e.getKey() + " " + p.dtype().label() + p.shape());
            else if (!a.shape().equals(p.shape()) || a.dtype() != p.dtype()) {
                diff.add(prefix + e.getKey() + " is " + a.signature() + " in the file, the model has " + p.dtype().label() + p.shape());
            }
        }
        for (var e : got.entrySet()) {
            if (!want.containsKey(e.getKey())) diff.add("unexpected " + prefix + e.getKey() + " " + e.getValue().signature());
        }
    }

    private static IllegalArgumentException mismatch(Path file, List<String> diff) {
        return new IllegalArgumentException(file + " does not match the model (" + diff.size() + " difference" + (diff.size() == 1 ? "" : "s")
                + "):\n  " + String.join("\n  ", diff) + "\n(at " + CallSite.describe(CallSite.capture()) + ")");
    }
}
