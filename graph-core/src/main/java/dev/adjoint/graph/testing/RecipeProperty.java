package dev.adjoint.graph.testing;

import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A small property runner over "recipes" (arrays of small non-negative integers, see
 * {@link RecipeGraphs}) that shrinks a failure. Each try draws a recipe from a
 * {@link SplittableRandom} seeded deterministically, so a run is reproducible; on the first failure
 * the recipe is shrunk greedily (drop single entries, then chunks, then lower each entry toward 0),
 * keeping any smaller recipe that still fails, until nothing changes or the attempt budget runs out.
 * The error then names the seed, the try, the original and minimal recipes, and the minimal case's
 * description (for graphs, {@code Graph.toString()}).
 *
 * <p>System properties: {@code adjoint.prop.seed} replaces every property's seed (default: derived
 * from the property's name, so runs repeat); {@code adjoint.prop.tries} replaces every try count.
 *
 * @param name names the property in the failure and seeds it by default
 * @param tries how many random recipes to check
 * @param minSize fewest entries in a recipe (shrinking keeps at least this many)
 * @param maxSize most entries in a generated recipe
 * @param maxValue largest entry in a generated recipe (inclusive)
 */
public record RecipeProperty(String name, int tries, int minSize, int maxSize, int maxValue) {

    /** Property evaluations the shrinker may spend on one failure. */
    public static final int SHRINK_BUDGET = 2000;

    /** Largest value the shrinker tries one by one (from 0) before halving toward 0. */
    private static final int SCAN = 40;

    /** Validates the sizes. */
    public RecipeProperty {
        if (tries < 1 || minSize < 0 || maxSize < minSize || maxValue < 0) {
            throw new IllegalArgumentException("property " + name + ": bad tries/sizes " + tries + ", " + minSize + ".." + maxSize + ", max " + maxValue);
        }
    }

    /** The property itself: returns normally when it holds for the recipe, throws when it does not. */
    @FunctionalInterface
    public interface Check {
        /** Checks one recipe; any throwable is a failure. */
        void check(int[] recipe) throws Exception;
    }

    /**
     * A shrunk failure.
     *
     * @param seed the seed of the run
     * @param attempt the try (0-based) that failed first
     * @param original the recipe that failed first
     * @param minimal the shrunk recipe, which still fails
     * @param error what {@code minimal} threw
     * @param evaluations property evaluations the shrinker spent
     */
    public record Failure(long seed, int attempt, int[] original, int[] minimal, Throwable error, int evaluations) {}

    /** The seed in use: {@code adjoint.prop.seed} if set, else one derived from the name. */
    public long seed() {
        String s = System.getProperty("adjoint.prop.seed");
        return s != null ? Long.parseLong(s.trim()) : 0x9E3779B97F4A7C15L ^ name.hashCode();
    }

    /** The try count in use: {@code adjoint.prop.tries} if set, else {@link #tries()}. */
    public int effectiveTries() {
        String s = System.getProperty("adjoint.prop.tries");
        return s != null ? Integer.parseInt(s.trim()) : tries;
    }

    /**
     * Runs the property and throws an {@link AssertionError} describing the shrunk failure if any.
     *
     * @param describe text for the minimal recipe (e.g. its graph's {@code toString()})
     */
    public void assertHolds(Function<int[], String> describe, Check check) {
        Optional<Failure> f = run(check);
        if (f.isEmpty()) return;
        Failure x = f.get();
        String text;
        try {
            text = describe.apply(x.minimal());
        } catch (RuntimeException e) {
            text = "(could not describe: " + e + ")";
        }
        throw new AssertionError("property " + name + " failed on try " + x.attempt() + " of seed " + x.seed()
                + " (rerun with -Dadjoint.prop.seed=" + x.seed() + ")\noriginal recipe " + Arrays.toString(x.original())
                + "\nminimal recipe " + Arrays.toString(x.minimal()) + " after " + x.evaluations() + " shrink evaluations: "
                + x.error() + "\n" + text, x.error());
    }

    /** Runs the property; the shrunk first failure, or empty when every try holds. */
    public Optional<Failure> run(Check check) {
        long seed = seed();
        SplittableRandom random = new SplittableRandom(seed);
        int n = effectiveTries();
        for (int t = 0; t < n; t++) {
            int[] recipe = generate(random);
            Throwable e = failure(check, recipe);
            if (e != null) return Optional.of(shrink(check, seed, t, recipe, e));
        }
        return Optional.empty();
    }

    private int[] generate(SplittableRandom random) {
        int[] r = new int[random.nextInt(minSize, maxSize + 1)];
        for (int i = 0; i < r.length; i++) r[i] = random.nextInt(maxValue + 1);
        return r;
    }

    private static Throwable failure(Check check, int[] recipe) {
        try {
            check.check(recipe.clone());
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    /** Greedy shrinking to a fixed point within {@link #SHRINK_BUDGET} evaluations. */
    private Failure shrink(Check check, long seed, int attempt, int[] original, Throwable firstError) {
        Shrinking s = new Shrinking(check, original, firstError);
        boolean changed = true;
        while (changed && s.budgetLeft()) {
            changed = false;
            // Drop single entries; on success the next entry has moved into slot i.
            for (int i = 0; i < s.best.length && s.best.length > minSize && s.budgetLeft(); ) {
                if (s.tryCandidate(without(s.best, i, 1))) changed = true; else i++;
            }
            // Drop chunks, largest first (entries that only fail together).
            for (int k = s.best.length / 2; k >= 2; k /= 2) {
                for (int i = 0; i + k <= s.best.length && s.best.length - k >= minSize && s.budgetLeft(); ) {
                    if (s.tryCandidate(without(s.best, i, k))) changed = true; else i++;
                }
            }
            // Lower each value: small values one by one from 0, then halving the distance to 0.
            for (int i = 0; i < s.best.length && s.budgetLeft(); i++) {
                if (lower(s, i)) changed = true;
            }
        }
        return new Failure(seed, attempt, original.clone(), s.best.clone(), s.error, s.evaluations);
    }

    private static boolean lower(Shrinking s, int i) {
        int v = s.best[i];
        for (int c = 0; c < Math.min(v, SCAN) && s.budgetLeft(); c++) {
            if (s.tryCandidate(with(s.best, i, c))) return true;
        }
        for (int d = v / 2; d >= 1 && v - d >= SCAN && s.budgetLeft(); d /= 2) {
            if (s.tryCandidate(with(s.best, i, v - d))) return true;
        }
        return false;
    }

    private static int[] without(int[] r, int at, int count) {
        int[] out = new int[r.length - count];
        System.arraycopy(r, 0, out, 0, at);
        System.arraycopy(r, at + count, out, at, r.length - at - count);
        return out;
    }

    private static int[] with(int[] r, int at, int value) {
        int[] out = r.clone();
        out[at] = value;
        return out;
    }

    /** The shrinker's mutable state: the smallest failing recipe so far and the budget spent. */
    private static final class Shrinking {
        final Check check;
        int[] best;
        Throwable error;
        int evaluations;

        Shrinking(Check check, int[] best, Throwable error) {
            this.check = check;
            this.best = best;
            this.error = error;
        }

        boolean budgetLeft() { return evaluations < SHRINK_BUDGET; }

        boolean tryCandidate(int[] candidate) {
            evaluations++;
            Throwable e = failure(check, candidate);
            if (e == null) return false;
            best = candidate;
            error = e;
            return true;
        }
    }
}
