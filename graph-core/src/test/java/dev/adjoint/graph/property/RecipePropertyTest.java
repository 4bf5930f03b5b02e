package dev.adjoint.graph.property;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Node;
import dev.adjoint.graph.op.Binary;
import dev.adjoint.graph.op.BinaryFn;
import dev.adjoint.graph.testing.RecipeGraphs;
import dev.adjoint.graph.testing.RecipeProperty;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The runner itself: a planted failure is found and shrunk to its minimal recipe; runs repeat. */
class RecipePropertyTest {

    static long adds(int[] recipe) {
        return RecipeGraphs.build(recipe).graph().nodes().stream()
                .map(Node::op).filter(op -> op instanceof Binary(BinaryFn fn) && fn == BinaryFn.ADD).count();
    }

    /** Planted: "no more than 3 add nodes". Each entry adds at most one, and entry 0 is add(x, x). */
    static void atMostThreeAdds(int[] recipe) {
        long n = adds(recipe);
        if (n > 3) throw new AssertionError(n + " add nodes");
    }

    static final RecipeProperty PLANTED = new RecipeProperty("planted", 200, 1, 40, 4000);

    @Test void aPlantedFailureShrinksToTheMinimalRecipe() {
        RecipeProperty.Failure f = PLANTED.run(RecipePropertyTest::atMostThreeAdds).orElseThrow();
        assertTrue(f.original().length > 4, "the first failure should need shrinking: " + f.original().length);
        // Four entries are the fewest that make four adds; 0 is the smallest entry that makes one.
        assertArrayEquals(new int[] {0, 0, 0, 0}, f.minimal());
        assertEquals(4, adds(f.minimal()));
        assertTrue(f.evaluations() <= RecipeProperty.SHRINK_BUDGET);
    }

    @Test void theFailureNamesSeedRecipeAndGraph() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> PLANTED.assertHolds(r -> RecipeGraphs.build(r).graph().toString(), RecipePropertyTest::atMostThreeAdds));
        String m = e.getMessage();
        assertTrue(m.contains("seed " + PLANTED.seed()), m);
        assertTrue(m.contains("minimal recipe [0, 0, 0, 0]"), m);
        assertTrue(m.contains(RecipeGraphs.build(new int[] {0, 0, 0, 0}).graph().toString()), m);
    }

    @Test void runsAreReproducibleAndAHoldingPropertyPasses() {
        RecipeProperty.Failure a = PLANTED.run(RecipePropertyTest::atMostThreeAdds).orElseThrow();
        RecipeProperty.Failure b = PLANTED.run(RecipePropertyTest::atMostThreeAdds).orElseThrow();
        assertEquals(a.attempt(), b.attempt());
        assertArrayEquals(a.original(), b.original());
        AtomicInteger calls = new AtomicInteger();
        new RecipeProperty("holds", 25, 1, 5, 10).assertHolds(r -> "", r -> calls.incrementAndGet());
        assertEquals(25, calls.get());
    }
}
