package dev.adjoint.graph;

import static dev.adjoint.graph.RefUtil.assertClose;
import static dev.adjoint.graph.RefUtil.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Einsum} against a brute-force reference that loops over every assignment of the letters. */
class EinsumTest {
    private final Random rnd = new Random(7);

    /** Letter sizes shared by all equations: distinct sizes catch axis mix-ups. */
    private static int sizeOf(char c) { return 2 + (c - 'a') % 4; }

    private static int[] dimsOf(String letters) {
        int[] d = new int[letters.length()];
        for (int i = 0; i < d.length; i++) d[i] = sizeOf(letters.charAt(i));
        return d;
    }

    /** out[out letters] = sum over all other letters of the product of the operands. */
    private static double[] reference(String[] ins, String out, double[][] vals) {
        StringBuilder all = new StringBuilder();
        for (String s : ins) for (char c : s.toCharArray()) if (all.indexOf(String.valueOf(c)) < 0) all.append(c);
        int[] allDims = dimsOf(all.toString());
        int total = RefUtil.size(allDims);
        double[] res = new double[RefUtil.size(dimsOf(out))];
        Map<Character, Integer> val = new HashMap<>();
        for (int f = 0; f < total; f++) {
            int[] idx = RefUtil.unflat(allDims, f);
            for (int i = 0; i < idx.length; i++) val.put(all.charAt(i), idx[i]);
            double p = 1;
            for (int k = 0; k < ins.length; k++) p *= vals[k][flat(ins[k], val)];
            res[flat(out, val)] += p;
        }
        return res;
    }

    private static int flat(String letters, Map<Character, Integer> val) {
        int f = 0;
        for (char c : letters.toCharArray()) f = f * sizeOf(c) + val.get(c);
        return f;
    }

    private void check(String equation) {
        String[] sides = equation.split("->", -1);
        String[] ins = sides[0].split(",");
        Graph g = new Graph();
        Tensor[] ops = new Tensor[ins.length];
        double[][] vals = new double[ins.length][];
        Object[] feeds = new Object[2 * ins.length];
        for (int k = 0; k < ins.length; k++) {
            ops[k] = g.input("t" + k, dimsOf(ins[k]));
            vals[k] = random(rnd, ops[k].shape().size(), -1, 1);
            feeds[2 * k] = ops[k];
            feeds[2 * k + 1] = vals[k];
        }
        Tensor y = Einsum.einsum(equation, ops);
        assertEquals(Shape.of(dimsOf(sides[1])), y.shape(), equation);
        assertClose(reference(ins, sides[1], vals), RefUtil.eval(y, feeds), 1e-12);
    }

    @Test void everySchemaEquation() {
        String[] eqs = {"ij,jk->ik", "bij,bjk->bik", "ij,bjk->bik", "bhij,bhjk->bhik", "ijk,jk->i", "i,i->", "i,j->ij",
            "ij,ij->ij", "ij,ij->", "bij,bkj->bik", "ijk,ikl->jl", "ij->ji", "ij->j", "ijk->", "ij,jk,kl->il",
            "abc,cd,de->abe", "bi,bj->bij", "ik,jk->ij", "bqd,bkd->bqk", "ij,j->i"};
        for (String eq : eqs) check(eq);
    }

    @Test void moreShapes() {
        for (String eq : new String[] {"ij->ij", "ijk->kij", "ij,k->kji", "i,i,i->", "ab,bc,ca->", "ijk,kj,i->k", "i,jk->"}) check(eq);
    }

    @Test void errorsAreClear() {
        Graph g = new Graph();
        Tensor a = g.input("a", 2, 3), b = g.input("b", 4, 5);
        assertMessage(() -> Einsum.einsum("ij,jk->ik", a, b), "letter 'j' has size 3");
        assertMessage(() -> Einsum.einsum("ij,jk->iz", a, g.input("c", 3, 2)), "output letter 'z' appears in no operand");
        assertMessage(() -> Einsum.einsum("ii->i", g.input("s", 3, 3)), "unsupported");
        assertMessage(() -> Einsum.einsum("ij,jk->ik", a), "names 2 operand(s) but 1 were given");
        assertMessage(() -> Einsum.einsum("ijk->i", a), "names 3 axes but has rank 2");
        assertMessage(() -> Einsum.einsum("...j->j", a), "ellipsis");
        assertMessage(() -> Einsum.einsum("ij", a), "explicit form");
        assertMessage(() -> Einsum.einsum("iJ->i", a), "lowercase");
        assertMessage(() -> Einsum.einsum("i,i,i,i->", g.input("v", 2), g.input("w", 2), g.input("x", 2), g.input("y", 2)),
                "between 1 and 3");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        ShapeException ex = assertThrows(ShapeException.class, e);
        assertTrue(ex.getMessage().contains(part) && ex.getMessage().startsWith("einsum"), ex.getMessage());
    }
}
