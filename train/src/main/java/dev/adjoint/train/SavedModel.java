package dev.adjoint.train;

import dev.adjoint.graph.CallSite;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.io.GraphFile;
import dev.adjoint.graph.io.GraphTemplate;
import dev.adjoint.graph.io.SavedGraph;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A saved model: the inference graph plus its weights, with the batch size free, loadable and
 * runnable at any batch size without the Java code that built it (as a TensorFlow SavedModel or
 * a jax2tf function with a polymorphic batch).
 *
 * <p>A saved model is a directory of two files. {@value #GRAPH} is the forward graph in evaluation
 * mode (dropout off, batch norm on its running statistics) in {@link GraphFile}'s format version 3,
 * written by {@link GraphFile#writeSymbolic}: traced at several batch sizes, every dimension and
 * integer attribute that depends on the batch recorded as {@code a*batch + c}, anything that is
 * not polymorphic in the batch refused at save time naming its node and line. {@value #WEIGHTS}
 * holds the variables in safetensors (f32 stays f32, under their PyTorch names, so PyTorch reads
 * it too).
 *
 * <p>The weights are graph <em>inputs</em>, fed from the safetensors file, not constants: graph
 * constants are stored as float64 (twice the size of f32 weights), the weights stay readable and
 * replaceable by any safetensors tool, and the loaded graph is a function of them, so it can be
 * fine-tuned ({@link #layer()} is a {@link Layer} whose variables are the weights, usable with
 * {@link TrainStep}) or re-fed other weights of the same shapes ({@link #apply(Params, HostArray)}).
 */
public final class SavedModel {
    /** The graph's file name in the directory. */
    public static final String GRAPH = "model.adjg";
    /** The weights' file name in the directory. */
    public static final String WEIGHTS = "weights.safetensors";
    /** The name of the free size. */
    public static final String BATCH = "batch";
    /** The data input's label and the output's name in the graph. */
    public static final String INPUT = "x", OUTPUT = "output";

    /** The function saved: an output from the variables (by name) and a batch {@code x} whose first axis is the batch. */
    @FunctionalInterface
    public interface Forward {
        /** The output for {@code x}, built from {@code variables}. */
        Tensor apply(Map<String, Tensor> variables, Tensor x);
    }

    private final Path dir;
    private final GraphTemplate graph;
    private final Params weights;
    private final GraphTemplate.InputSpec input;
    private final Jit jit;

    private SavedModel(Path dir, GraphTemplate graph, Params weights) {
        this.dir = dir;
        this.graph = graph;
        this.weights = weights;
        this.input = graph.input(INPUT);
        List<String> names = new ArrayList<>(weights.names());
        names.add(INPUT);
        this.jit = Jit.of(this::trace).named(names);
    }

    /** Saves {@code model} in evaluation mode with {@code variables}; see {@link #save(Path, Forward, Params, HostArray)}. */
    public static void save(Path dir, Layer model, Params variables, HostArray example) throws IOException {
        save(dir, (vars, x) -> model.apply(Vars.root(vars, false, null), x), variables, example);
    }

    /**
     * Writes {@code fn} with {@code variables} to directory {@code dir} (created if needed): the graph
     * with the batch free and the weights. {@code example} gives the type and the per-example shape
     * of the input (its first axis is the batch; its values are not used).
     *
     * @throws IllegalArgumentException naming the node, its line and the attribute if the graph is not
     *     polymorphic in the batch, or if a variable's shape depends on the batch
     */
    public static void save(Path dir, Forward fn, Params variables, HostArray example) throws IOException {
        if (example.shape().rank() < 1) {
            throw new IllegalArgumentException("the example input must have a batch axis first, got " + example.signature());
        }
        int[] dims = example.shape().toInts().toArray();
        Files.createDirectories(dir);
        GraphFile.writeSymbolic(BATCH, b -> {
            Graph g = new Graph();
            Map<String, Tensor> vars = new LinkedHashMap<>();
            for (ParamSpec p : variables.specs()) vars.put(p.name(), g.input(p.name(), p.dtype(), p.shape()));
            int[] d = dims.clone();
            d[0] = b;
            Tensor out = fn.apply(vars, g.input(INPUT, example.dtype(), Shape.of(d)));
            return new SavedGraph(g, Map.of(OUTPUT, out));
        }, dir.resolve(GRAPH));
        List<String> state = new ArrayList<>();
        for (ParamSpec p : variables.specs()) if (!p.trainable()) state.add(p.name());
        Safetensors.write(dir.resolve(WEIGHTS), variables.values(),
                Map.of("format", "adjoint-saved-model", "graph", GRAPH, "state", String.join(",", state)));
    }

    /**
     * Reads the saved model in {@code dir}, checking the graph file whole and the weights against the
     * graph's inputs (every difference listed, naming the files and tensors).
     */
    public static SavedModel load(Path dir) throws IOException {
        Path g = dir.resolve(GRAPH), w = dir.resolve(WEIGHTS);
        for (Path f : List.of(g, w)) {
            if (!Files.isRegularFile(f)) {
                throw new IOException(dir + " is not a saved model: it has no " + f.getFileName() + " (a saved model is a directory with "
                        + GRAPH + " and " + WEIGHTS + ", written by SavedModel.save)");
            }
        }
        GraphTemplate t = GraphFile.readTemplate(g);
        Safetensors.Contents c = Safetensors.read(w);
        List<String> diff = new ArrayList<>();
        GraphTemplate.InputSpec x = null;
        Set<String> state = new LinkedHashSet<>(List.of(c.metadata().getOrDefault("state", "").split(",")));
        List<ParamSpec> specs = new ArrayList<>();
        for (GraphTemplate.InputSpec in : t.inputs()) {
            if (in.label().equals(INPUT)) {
                x = in;
                continue;
            }
            HostArray a = c.tensors().get(in.label());
            String want = in.dtype().label() + in.dims();
            if (a == null) diff.add("missing " + in.label() + " " + want + " (an input of " + g.getFileName() + ")");
            else if (in.symbolic()) diff.add(in.label() + " is " + in + " in " + g.getFileName() + ": a weight cannot depend on the batch");
            else if (a.dtype() != in.dtype() || !a.shape().equals(in.shape(Map.of()))) {
                diff.add(in.label() + " is " + a.signature() + " in " + w.getFileName() + ", " + want + " in " + g.getFileName());
            } else {
                specs.add(state.contains(in.label()) ? ParamSpec.state(in.label(), a.shape(), Init.zeros())
                        : new ParamSpec(in.label(), a.shape(), a.dtype(), Init.zeros(), 0, 0, true));
            }
        }
        for (String name : c.tensors().keySet()) {
            if (t.inputs().stream().noneMatch(in -> in.label().equals(name))) {
                diff.add("unexpected " + name + " " + c.tensors().get(name).signature() + " in " + w.getFileName() + " (no input of "
                        + g.getFileName() + " has that name)");
            }
        }
        if (x == null) diff.add(g.getFileName() + " has no input \"" + INPUT + "\"; its inputs are " + t.inputs());
        if (!t.outputs().contains(OUTPUT)) diff.add(g.getFileName() + " has no output \"" + OUTPUT + "\"; its outputs are " + t.outputs());
        if (!diff.isEmpty()) {
            throw new IllegalArgumentException(dir + ": the weights do not match the graph (" + diff.size() + " difference"
                    + (diff.size() == 1 ? "" : "s") + "):\n  " + String.join("\n  ", diff) + "\n(at " + CallSite.describe(CallSite.capture()) + ")");
        }
        Map<String, HostArray> values = new LinkedHashMap<>();
        for (ParamSpec p : specs) values.put(p.name(), c.tensors().get(p.name()));
        return new SavedModel(dir, t, Params.of(specs, values));
    }

    /** The directory it was loaded from. */
    public Path dir() { return dir; }

    /** The data input, with its batch axis symbolic, e.g. {@code x: f32[batch, 1, 28, 28]}. */
    public GraphTemplate.InputSpec input() { return input; }

    /** Every input of the graph: the weights, then {@code x} (as saved). */
    public List<GraphTemplate.InputSpec> inputs() { return graph.inputs(); }

    /** The graph file as a template (instantiate with {@code at}, or {@code inline} into another graph). */
    public GraphTemplate graph() { return graph; }

    /** The weights, as read from {@value #WEIGHTS}. */
    public Params weights() { return weights; }

    /** The inference graph at batch size {@code batch}: inputs the weights and {@code x}, output {@value #OUTPUT}. */
    public SavedGraph at(int batch) { return graph.at(BATCH, batch); }

    /** The output for the batch {@code x} (any batch size), with the saved weights; one plan per shape, cached. */
    public HostArray apply(HostArray x) { return apply(weights, x); }

    /** The output for {@code x} with other {@code weights} of the same names, shapes and types (e.g. fine-tuned ones). */
    public HostArray apply(Params weights, HostArray x) {
        List<HostArray> args = new ArrayList<>();
        for (ParamSpec p : this.weights.specs()) args.add(weights.get(p.name()));
        args.add(x);
        checkInput(x);
        return jit.call(args).get(0);
    }

    /** Plans cached by {@link #apply} (one per input shape). */
    public int cacheSize() { return jit.cacheSize(); }

    private void checkInput(HostArray x) {
        List<GraphTemplate.Dim> d = input.dims();
        boolean ok = x.dtype() == input.dtype() && x.shape().rank() == d.size();
        for (int i = 1; ok && i < d.size(); i++) ok = d.get(i).fixed() && d.get(i).constant() == x.shape().dim(i);
        if (!ok || x.shape().dim(0) < 1) {
            throw new IllegalArgumentException("the saved model in " + dir + " takes " + input + ", got " + x.signature()
                    + " (at " + CallSite.describe(CallSite.capture()) + ")");
        }
    }

    private List<Tensor> trace(List<Tensor> args) {
        Map<String, Tensor> bound = new LinkedHashMap<>();
        List<ParamSpec> specs = weights.specs();
        for (int i = 0; i < specs.size(); i++) bound.put(specs.get(i).name(), args.get(i));
        bound.put(INPUT, args.get(specs.size()));
        return List.of(graph.inline(args.get(0).graph(), bound).get(OUTPUT));
    }

    /**
     * The saved model as a layer: its variables are the weights (trainable, batch norm statistics as
     * state), {@code init} returns copies of the saved values whatever the seed, and {@code apply}
     * builds the saved graph into the trace. With {@link TrainStep} it fine-tunes the saved
     * inference graph (in evaluation mode: dropout off, batch norm on its running statistics).
     */
    public Layer layer() {
        SavedModel m = this;
        return new Layer() {
            @Override public List<ParamSpec> variables() { return weights.specs(); }

            @Override public Tensor apply(Vars v, Tensor x) {
                Map<String, Tensor> bound = new LinkedHashMap<>();
                for (ParamSpec p : weights.specs()) bound.put(p.name(), v.get(p.name()));
                bound.put(INPUT, x);
                return graph.inline(x.graph(), bound).get(OUTPUT);
            }

            @Override public Params init(long seed) { return weights.copy(); }

            @Override public String describe() { return "SavedModel(" + m.dir + ")"; }
        };
    }

    @Override public String toString() {
        return "SavedModel(" + dir + ": " + input + " -> " + OUTPUT + ", " + weights.names().size() + " weights, " + weights.count() + " values)";
    }

    /** The type of {@link #input()}'s elements. */
    public DType inputType() { return input.dtype(); }
}
