package dev.adjoint.cpu;

import dev.adjoint.graph.testing.RecipeGraphs;
import dev.adjoint.graph.testing.RecipeProperty;
import dev.adjoint.kernels.WorkSplitter;
import org.junit.jupiter.api.Test;

/**
 * Property test ({@link RecipeProperty}, our own runner): random graphs through the executor equal
 * the interpreter. Graphs come from recipes of small integers ({@link RecipeGraphs}), so a failing
 * graph shrinks to a minimal one; the failure prints the seed, the minimal recipe and its graph.
 */
class ExecutorPropertiesTest {

    /**
     * Recipe layout: entry 0 picks the splitter (odd: the default pool, even: serial), the rest
     * build the graph (1 to 12 ops).
     */
    @Test void executorEqualsTheInterpreter() {
        new RecipeProperty("executorEqualsTheInterpreter", 120, 2, 13, 4000).assertHolds(r -> {
            RecipeGraphs.Built b = RecipeGraphs.build(java.util.Arrays.copyOfRange(r, 1, r.length));
            return (r[0] % 2 == 1 ? "pooled\n" : "serial\n") + b.description() + b.graph();
        }, r -> {
            RecipeGraphs.Built b = RecipeGraphs.build(java.util.Arrays.copyOfRange(r, 1, r.length));
            Oracle.check(b.outputs(), b.feeds(), 2e-5, r[0] % 2 == 1 ? Cpu.defaultPool() : WorkSplitter.SERIAL);
        });
    }
}
