package dev.adjoint.train;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.cpu.CompileOptions;
import dev.adjoint.graph.DType;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compiled training step: one graph from (variables, optimizer state, step counter, key,
 * batch) to (new variables, new optimizer state, loss, correct count). The forward pass, the
 * reverse-mode gradient ({@link Autodiff#grad}), the update and the accuracy (an argmax) are all
 * nodes of it; the host only feeds arrays and reads results. Each batch signature compiles once
 * (see {@link Jit}); evaluation and prediction are two more cached functions in evaluation mode.
 */
public final class TrainStep {
    /**
     * A step's outcome.
     *
     * @param state the state after the update
     * @param metrics the loss and accuracy of the batch, computed before the update
     */
    public record Result(TrainState state, Metrics metrics) {}

    private final Layer model;
    private final Optimizer optimizer;
    private final Loss loss;
    private final List<ParamSpec> vars;
    private final List<ParamSpec> trained;
    private final List<ParamSpec> slotSpecs;
    private final Jit step, eval, predict;

    private final boolean donate;
    private final int capacity;
    private final CompileOptions options;

    private TrainStep(Layer model, Optimizer optimizer, Loss loss, int capacity, CompileOptions options, boolean donate) {
        this.donate = donate;
        this.capacity = capacity;
        this.options = options;
        this.model = model;
        this.optimizer = optimizer;
        this.loss = loss;
        this.vars = model.variables();
        this.trained = vars.stream().filter(ParamSpec::trainable).toList();
        List<ParamSpec> slots = new ArrayList<>();
        for (String s : optimizer.slots()) for (ParamSpec p : trained) slots.add(ParamSpec.state(s + "." + p.name(), p.shape(), Init.zeros()));
        this.slotSpecs = slots;
        List<String> names = new ArrayList<>();
        for (ParamSpec p : vars) names.add(p.name());
        List<String> evalNames = new ArrayList<>(names);
        evalNames.add("x");
        evalNames.add("y");
        for (ParamSpec p : slotSpecs) names.add(p.name());
        names.addAll(List.of("step", "key", "x", "y"));
        // Outputs are laid out as the inputs: variables then slots, so output k replaces argument k.
        Map<Integer, Integer> donations = new java.util.HashMap<>();
        if (donate) for (int k = 0; k < vars.size() + slotSpecs.size(); k++) donations.put(k, k);
        this.step = Jit.of(this::traceStep).named(names).capacity(capacity).options(options).donating(donations);
        this.eval = Jit.of(this::traceEval).named(evalNames).capacity(capacity).options(options);
        this.predict = Jit.of(this::tracePredict).named(evalNames.subList(0, evalNames.size() - 1)).capacity(capacity).options(options);
    }

    /** The step of {@code model} trained by {@code optimizer} on {@code loss}; 8 signatures cached, default compile options. */
    public static TrainStep of(Layer model, Optimizer optimizer, Loss loss) {
        return new TrainStep(model, optimizer, loss, 8, CompileOptions.defaults(), false);
    }

    /**
     * The same step with buffer donation: each new variable and slot is written into the array of
     * the one it replaces, so nothing is copied. The state passed to {@link #run} is consumed:
     * its arrays hold the returned state's values, and reading it afterwards is an error.
     */
    public TrainStep withDonation() { return new TrainStep(model, optimizer, loss, capacity, options, true); }

    /** The same step with a cache of {@code n} signatures per function and compile options {@code o}. */
    public TrainStep with(int n, CompileOptions o) { return new TrainStep(model, optimizer, loss, n, o, donate); }

    /** A fresh state for this step: the model's variables from {@code seed}, zero optimizer slots. */
    public TrainState init(long seed) { return TrainState.of(model.init(seed), optimizer).withSeed(seed); }

    /** Plans cached by the step function (one per batch signature). */
    public int cacheSize() { return step.cacheSize(); }

    /** Plans cached by the evaluation function. */
    public int evalCacheSize() { return eval.cacheSize(); }

    /** The model. */
    public Layer model() { return model; }

    /** The optimizer. */
    public Optimizer optimizer() { return optimizer; }

    private Map<String, Tensor> varMap(List<Tensor> args) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < vars.size(); i++) m.put(vars.get(i).name(), args.get(i));
        return m;
    }

    /** The correct count: argmax over the last axis equals the class id (0 if y is not a class id tensor). */
    private static Tensor correct(Tensor out, Tensor y) {
        if (y.dtype() == DType.F32 || y.dtype() == DType.F64 || y.rank() != out.rank() - 1) return out.graph().constant(0.0);
        return out.argmax(out.rank() - 1).eq(y.convert(DType.I64)).convert(DType.F32).sum();
    }

    /**
     * A named range of node ids of a traced step (a layer, the loss, the gradient, the update), for drawing.
     *
     * @param name what built the nodes
     * @param from first id
     * @param to one past the last id
     */
    public record Scope(String name, int from, int to) {}

    /**
     * The step's graph for {@code example}'s signature, uncompiled, for drawing or benchmarking.
     *
     * @param graph the graph
     * @param inputs its inputs: variables, optimizer slots, {@code step}, {@code key}, {@code x}, {@code y}
     * @param outputs new variables, new slots, loss, correct count
     * @param scopes node ranges of the top-level layers, then the loss, the gradient and the update
     */
    public record Trace(dev.adjoint.graph.Graph graph, List<Tensor> inputs, List<Tensor> outputs, List<Scope> scopes) {}

    /** Traces the step for the signature of {@code example} without compiling it. */
    public Trace trace(Batch example) {
        dev.adjoint.graph.Graph g = new dev.adjoint.graph.Graph();
        List<Tensor> in = new ArrayList<>();
        for (ParamSpec p : vars) in.add(g.input(p.name(), p.dtype(), p.shape()));
        for (ParamSpec p : slotSpecs) in.add(g.input(p.name(), p.dtype(), p.shape()));
        in.add(g.input("step", DType.F32));
        in.add(g.input("key", DType.I32, 2));
        in.add(g.input("x", example.x().dtype(), example.x().shape()));
        in.add(g.input("y", example.y().dtype(), example.y().shape()));
        List<Scope> scopes = new ArrayList<>();
        List<Tensor> out = traceStep(in, scopes);
        return new Trace(g, in, out, scopes);
    }

    /** Traces the model's forward pass (evaluation mode) for {@code x}'s signature: outputs {@code [output]}. */
    public Trace traceForward(HostArray x) {
        dev.adjoint.graph.Graph g = new dev.adjoint.graph.Graph();
        Map<String, Tensor> vm = new LinkedHashMap<>();
        List<Tensor> in = new ArrayList<>();
        for (ParamSpec p : vars) {
            Tensor t = g.input(p.name(), p.dtype(), p.shape());
            in.add(t);
            vm.put(p.name(), t);
        }
        Tensor xi = g.input("x", x.dtype(), x.shape());
        in.add(xi);
        Vars root = Vars.root(vm, false, null);
        Tensor out = model.apply(root, xi);
        List<Scope> scopes = new ArrayList<>();
        for (Vars.Traced t : root.traced()) if (t.name().indexOf('.') < 0) scopes.add(new Scope(t.name() + " " + t.layer().describe(), t.from(), t.to()));
        return new Trace(g, in, List.of(out), scopes);
    }

    private List<Tensor> traceStep(List<Tensor> args) { return traceStep(args, new ArrayList<>()); }

    private List<Tensor> traceStep(List<Tensor> args, List<Scope> scopes) {
        int nv = vars.size(), ns = slotSpecs.size();
        Map<String, Tensor> vm = varMap(args);
        Tensor done = args.get(nv + ns), key = args.get(nv + ns + 1), x = args.get(nv + ns + 2), y = args.get(nv + ns + 3);
        Vars root = Vars.root(vm, true, key);
        var g = x.graph();
        int from = g.size();
        Tensor out = model.apply(root, x);
        for (Vars.Traced t : root.traced()) if (t.name().indexOf('.') < 0) scopes.add(new Scope(t.name() + " " + t.layer().describe(), t.from(), t.to()));
        if (root.traced().isEmpty()) scopes.add(new Scope(model.describe(), from, g.size()));
        from = g.size();
        Tensor l = loss.apply(out, y);
        scopes.add(new Scope("loss", from, g.size()));
        if (l.rank() != 0) throw new IllegalArgumentException("the loss must be a scalar, got " + l.dtype().label() + l.shape());
        List<Tensor> params = new ArrayList<>();
        for (ParamSpec p : trained) params.add(vm.get(p.name()));
        from = g.size();
        List<Tensor> grads = Autodiff.grad(l, params);
        scopes.add(new Scope("gradient (Autodiff.grad, reverse mode)", from, g.size()));
        List<List<Tensor>> slots = new ArrayList<>();
        for (int s = 0; s < optimizer.slots().size(); s++) slots.add(args.subList(nv + s * trained.size(), nv + (s + 1) * trained.size()));
        from = g.size();
        Optimizer.Update u = optimizer.update(params, grads, slots, done);
        scopes.add(new Scope("update: " + optimizer.describe(), from, g.size()));
        List<Tensor> outs = new ArrayList<>();
        Map<String, Tensor> updates = root.updates();
        int t = 0;
        for (ParamSpec p : vars) {
            if (p.trainable()) outs.add(u.params().get(t++).convert(p.dtype()));
            else outs.add(updates.getOrDefault(p.name(), vm.get(p.name())));
        }
        for (List<Tensor> s : u.slots()) outs.addAll(s);
        outs.add(l.convert(DType.F32));
        outs.add(correct(out, y));
        return outs;
    }

    private List<Tensor> traceEval(List<Tensor> args) {
        int nv = vars.size();
        Tensor out = model.apply(Vars.root(varMap(args), false, null), args.get(nv));
        Tensor y = args.get(nv + 1);
        return List.of(loss.apply(out, y).convert(DType.F32), correct(out, y));
    }

    private List<Tensor> tracePredict(List<Tensor> args) {
        return List.of(model.apply(Vars.root(varMap(args), false, null), args.get(vars.size())));
    }

    private List<HostArray> varArgs(Params variables) {
        List<HostArray> a = new ArrayList<>();
        for (ParamSpec p : vars) a.add(variables.get(p.name()));
        return a;
    }

    /** One update on {@code batch}. */
    public Result run(TrainState s, Batch batch) {
        List<HostArray> args = varArgs(s.variables());
        for (ParamSpec p : slotSpecs) args.add(s.optimizerState().get(p.name()));
        args.add(HostArray.f32(new float[] {s.step()}));
        args.add(HostArray.i32(new int[] {(int) (s.seed() ^ (s.seed() >>> 32)), (int) s.step()}, 2));
        args.add(batch.x());
        args.add(batch.y());
        Jit.Compiled c = step.compiled(args);
        if (donate) {
            // Two arguments sharing one array would both be written: refuse rather than corrupt.
            java.util.Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (int k = 0; k < vars.size() + slotSpecs.size(); k++) {
                if (!seen.add(args.get(k).data())) {
                    throw new IllegalArgumentException("variable " + (k < vars.size() ? vars.get(k).name() : slotSpecs.get(k - vars.size()).name())
                            + " shares its array with another; a donating step writes into each, so give each its own array");
                }
            }
        }
        step.run(args, c);
        Map<String, HostArray> nv = new LinkedHashMap<>(), ns = new LinkedHashMap<>();
        int o = 0;
        for (ParamSpec p : vars) nv.put(p.name(), Jit.read(c, o++));
        for (ParamSpec p : slotSpecs) ns.put(p.name(), Jit.read(c, o++));
        double l = Jit.read(c, o++).floats()[0];
        long correct = Math.round(Jit.read(c, o).floats()[0]);
        TrainState next = new TrainState(s.variables().with(nv), s.optimizerState().with(ns), s.step() + 1, s.seed());
        if (donate) {
            s.variables().markDonated();
            s.optimizerState().markDonated();
        }
        return new Result(next, new Metrics(l, correct, batch.x().shape().dim(0)));
    }

    /** The loss and accuracy of {@code variables} on {@code batch}, in evaluation mode. */
    public Metrics evaluate(Params variables, Batch batch) {
        List<HostArray> args = varArgs(variables);
        args.add(batch.x());
        args.add(batch.y());
        List<HostArray> r = eval.call(args);
        return new Metrics(r.get(0).floats()[0], Math.round(r.get(1).floats()[0]), batch.x().shape().dim(0));
    }

    /** The model's output for {@code x}, in evaluation mode. */
    public HostArray predict(Params variables, HostArray x) {
        List<HostArray> args = varArgs(variables);
        args.add(x);
        return predict.call(args).get(0);
    }
}
