package dev.adjoint.cpu;

import dev.adjoint.graph.testing.RecipeGraphs;
import dev.adjoint.kernels.WorkSplitter;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property test (jqwik): random graphs through the executor equal the interpreter. Graphs come
 * from recipes of small integers ({@link RecipeGraphs}), so a failing graph shrinks to a minimal
 * one; the counterexample is printed as the recipe and the ops it built.
 */
class ExecutorPropertiesTest {

    @Provide Arbitrary<List<Integer>> recipes() {
        return Arbitraries.integers().between(0, 4000).list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 120)
    void executorEqualsTheInterpreter(@ForAll("recipes") List<Integer> recipe, @ForAll boolean pooled) {
        RecipeGraphs.Built b = RecipeGraphs.build(recipe);
        try {
            Oracle.check(b.outputs(), b.feeds(), 2e-5, pooled ? Cpu.defaultPool() : WorkSplitter.SERIAL);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + b.description(), e);
        }
    }
}
