package dev.adjoint.graph.pass;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.op.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An ordered list of {@link Rule}s and the engine that runs them to a fixed point.
 *
 * <p>One round rebuilds the graph in topological order; at each node the first rule that matches
 * replaces it (operands are already rewritten, so rewrites compose bottom-up), and equal nodes are
 * shared (CSE). Rounds repeat until a round fires no rule (the fixed point). Termination: each
 * rule is expected to shrink a documented measure; since a user rule may not, the engine stops
 * after {@link #maxRounds()} rounds regardless and reports a warning naming the rules still firing.
 *
 * @param name the pass name this set runs under
 * @param description what the set does, for reports
 * @param rules the rules, tried in order
 * @param maxRounds the bound on rounds (at least 1)
 */
public record RuleSet(String name, String description, List<Rule<?>> rules, int maxRounds) {
    /** Default bound on rounds. */
    public static final int DEFAULT_MAX_ROUNDS = 16;

    /** Copies the rules and checks the bound. */
    public RuleSet {
        rules = List.copyOf(rules);
        if (maxRounds < 1) throw new IllegalArgumentException("rule set " + name + ": maxRounds " + maxRounds + " must be >= 1");
    }

    /** A rule set with the default bound on rounds. */
    public static RuleSet of(String name, String description, List<Rule<?>> rules) {
        return new RuleSet(name, description, rules, DEFAULT_MAX_ROUNDS);
    }

    /** This set with {@code more} rules appended. */
    public RuleSet with(Rule<?>... more) {
        List<Rule<?>> all = new ArrayList<>(rules);
        all.addAll(List.of(more));
        return new RuleSet(name, description, all, maxRounds);
    }

    /** This set without the rule named {@code ruleName}. */
    public RuleSet without(String ruleName) {
        List<Rule<?>> all = new ArrayList<>(rules);
        if (!all.removeIf(r -> r.name().equals(ruleName))) {
            throw new IllegalArgumentException("rule set " + name + " has no rule named " + ruleName);
        }
        return new RuleSet(name, description, all, maxRounds);
    }

    /** This set with another bound on rounds. */
    public RuleSet withMaxRounds(int rounds) { return new RuleSet(name, description, rules, rounds); }

    /** The first rule's replacement for {@code op(in)} about to be built in {@code g}, or null. */
    public Tensor rewrite(Graph g, Op op, Tensor[] in) { return rewrite(g, op, in, null, t -> 1); }

    private Tensor rewrite(Graph g, Op op, Tensor[] in, Map<String, Integer> fired, java.util.function.ToIntFunction<Tensor> uses) {
        for (Rule<?> r : rules) {
            Tensor t = r.apply(g, op, in, uses);
            if (t != null) {
                if (fired != null) fired.merge(r.name(), 1, Integer::sum);
                return t;
            }
        }
        return null;
    }

    /** This set as a pipeline pass. */
    public Pass asPass() {
        return new Pass() {
            @Override public String name() { return RuleSet.this.name; }
            @Override public String description() { return RuleSet.this.description; }
            @Override public Rewritten apply(List<Tensor> outputs, Consumer<String> warnings) { return run(outputs, warnings); }
        };
    }

    /** Readers of each node the outputs need (an output counts as a reader). */
    static int[] uses(List<Tensor> outputs) {
        dev.adjoint.graph.Graph g = outputs.get(0).graph();
        boolean[] needed = Rebuild.needed(g, outputs);
        int[] uses = new int[g.size()];
        for (dev.adjoint.graph.Node n : g.nodes()) {
            if (!needed[n.id()]) continue;
            for (int k = 0; k < n.inputs().size(); k++) uses[n.inputs().get(k)]++;
        }
        for (Tensor t : outputs) uses[t.id()]++;
        return uses;
    }

    /** Runs the rules to a fixed point (or the bound on rounds, with a warning) over the graph {@code outputs} need. */
    public Rewritten run(List<Tensor> outputs, Consumer<String> warnings) {
        Rewritten total = null;
        List<Tensor> current = outputs;
        Map<String, Integer> fired = new LinkedHashMap<>();
        for (int round = 0; round < maxRounds; round++) {
            fired.clear();
            Rebuild.Cse cse = new Rebuild.Cse();
            int[] srcUses = uses(current);
            Map<Integer, Integer> dstUses = new java.util.HashMap<>();
            java.util.function.ToIntFunction<Tensor> counts = t -> dstUses.getOrDefault(t.id(), 1);
            Rewritten r = Rebuild.run(current, (dst, src, in) -> {
                Tensor t = rewrite(dst, src.op(), in, fired, counts);
                Tensor out = t != null ? t : cse.unique(dst, src.op(), in);
                dstUses.merge(out.id(), srcUses[src.id()], Integer::sum);
                return out;
            });
            r = Rebuild.clean(r);
            total = total == null ? r : Rebuild.compose(total, r);
            current = r.outputs();
            if (fired.isEmpty()) return total;
        }
        warnings.accept(name + ": no fixed point after " + maxRounds + " rounds; rules still firing: " + fired);
        return total;
    }
}
