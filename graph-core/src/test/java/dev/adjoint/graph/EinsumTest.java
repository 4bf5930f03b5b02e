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
        assertMessage(() -> Einsum.einsum("ii->i", a), "letter 'i' has size 2 in one operand but 3 on axis 1 of operand 0");
        assertMessage(() -> Einsum.einsum("ij,jk->ik", a), "names 2 operand(s) but 1 were given");
        assertMessage(() -> Einsum.einsum("ijk->i", a), "names 3 axes but has rank 2");
        assertMessage(() -> Einsum.einsum("...ijk->i", a), "names 3 axes but has rank 2");
        assertMessage(() -> Einsum.einsum("...i...->i", a), "more than one ellipsis");
        assertMessage(() -> Einsum.einsum("....j->j", a), "'.' that is not part of an ellipsis");
        assertMessage(() -> Einsum.einsum("i1->i", a), "only letters a-z, A-Z");
        assertMessage(() -> Einsum.einsum("ij->ii", a), "letter 'i' is repeated in the output");
        assertMessage(() -> Einsum.einsum("ij->i->j", a), "more than one \"->\"");
        assertMessage(() -> Einsum.einsum("...i,...i->", a, g.input("d", 4, 3)), "do not broadcast");
        assertMessage(() -> Einsum.einsum(""), "needs at least one operand");
        ShapeException e = assertThrows(ShapeException.class, () -> Einsum.einsum("ij,jk->ik", a, b));
        assertTrue(e.getMessage().contains("operand shapes: [[2, 3], [4, 5]]") && e.getMessage().contains("(at EinsumTest.java:"),
                e.getMessage());
    }

    /** numpy's implicit output: the letters that occur once, sorted; checked against the explicit equation. */
    @Test void implicitForm() {
        String[][] pairs = {{"ij,jk", "ik"}, {"ba", "ab"}, {"ij,ij", ""}, {"j,i", "ij"}, {"ab,bc,cd", "ad"}, {"ijk,kj,i", ""},
            {"kj,ji", "ik"}, {"bij,bjk", "ik"}};
        for (String[] p : pairs) check(p[0], p[1]);
    }

    @Test void anyNumberOfOperands() {
        for (String eq : new String[] {"ab,bc,cd,de,ef->af", "a,a,a,a,a->a", "ij,jk,kl,li->", "ab,cd,bd,ac,e->e",
            "i,i,i,i,i,i,i->i"}) {
            check(eq);
        }
    }

    /** "..." axes: leading, broadcasting (size 1 stretches), kept, summed, and in the implicit form. */
    @Test void ellipsis() {
        Graph g = new Graph();
        Tensor a = g.input("a", 2, 1, 3, 4), b = g.input("b", 5, 4, 2);
        double[] av = random(rnd, 24, -1, 1), bv = random(rnd, 40, -1, 1);
        double[] want = new double[2 * 5 * 3 * 2];
        for (int p = 0; p < 2; p++) {
            for (int q = 0; q < 5; q++) {
                for (int i = 0; i < 3; i++) {
                    for (int k = 0; k < 2; k++) {
                        double s = 0;
                        for (int j = 0; j < 4; j++) s += av[(p * 3 + i) * 4 + j] * bv[(q * 4 + j) * 2 + k];
                        want[((p * 5 + q) * 3 + i) * 2 + k] = s;
                    }
                }
            }
        }
        Tensor y = Einsum.einsum("...ij,...jk->...ik", a, b);
        assertEquals(Shape.of(2, 5, 3, 2), y.shape());
        assertClose(want, RefUtil.eval(y, a, av, b, bv), 1e-12);
        Tensor implicit = Einsum.einsum("...ij,...jk", a, b);
        assertEquals(Shape.of(2, 5, 3, 2), implicit.shape());
        assertClose(want, RefUtil.eval(implicit, a, av, b, bv), 1e-12);
        // "..." in the middle and at the end; "..." dropped from the output is summed.
        Tensor c = g.input("c", 3, 2, 5, 4);
        double[] cv = random(rnd, 120, -1, 1);
        double[] sumMid = new double[12];
        for (int i = 0; i < 3; i++) for (int p = 0; p < 10; p++) for (int j = 0; j < 4; j++) sumMid[i * 4 + j] += cv[(i * 10 + p) * 4 + j];
        assertClose(sumMid, RefUtil.eval(Einsum.einsum("i...j->ij", c), c, cv), 1e-12);
        assertClose(RefUtil.eval(c.transpose(3, 0, 1, 2), c, cv), RefUtil.eval(Einsum.einsum("...j->j...", c), c, cv), 0);
        assertClose(RefUtil.eval(c.transpose(1, 2, 3, 0), c, cv), RefUtil.eval(Einsum.einsum("i...", c), c, cv), 0);
        // An empty "..." is allowed.
        assertClose(RefUtil.eval(a.sum(), a, av), RefUtil.eval(Einsum.einsum("abcd...->", a), a, av), 1e-12);
    }

    /** A letter repeated within an operand takes the diagonal, as numpy: diag, trace, batched diag, diag times a vector. */
    @Test void diagonalsAndTraces() {
        Graph g = new Graph();
        Tensor m = g.input("m", 3, 3), b = g.input("b", 2, 3, 3), v = g.input("v", 3), c = g.input("c", 3, 2, 3);
        double[] mv = random(rnd, 9, -1, 1), bv = random(rnd, 18, -1, 1), vv = random(rnd, 3, -1, 1), cv = random(rnd, 18, -1, 1);
        double[] diag = {mv[0], mv[4], mv[8]};
        assertClose(diag, RefUtil.eval(Einsum.einsum("ii->i", m), m, mv), 0);
        assertClose(new double[] {mv[0] + mv[4] + mv[8]}, RefUtil.eval(Einsum.einsum("ii", m), m, mv), 1e-15);
        assertClose(new double[] {bv[0] + bv[4] + bv[8], bv[9] + bv[13] + bv[17]}, RefUtil.eval(Einsum.einsum("...ii->...", b), b, bv), 1e-15);
        assertClose(new double[] {diag[0] * vv[0], diag[1] * vv[1], diag[2] * vv[2]}, RefUtil.eval(Einsum.einsum("ii,i->i", m, v), m, mv, v, vv), 1e-15);
        // c[i, j, i] summed over i: a diagonal across non-adjacent axes.
        double[] want = new double[2];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++) want[j] += cv[(i * 2 + j) * 3 + i];
        assertClose(want, RefUtil.eval(Einsum.einsum("iji->j", c), c, cv), 1e-15);
    }

    @Test void upperCaseLetters() {
        Graph g = new Graph();
        Tensor a = g.input("a", 2, 3);
        double[] av = random(rnd, 6, -1, 1);
        assertClose(RefUtil.eval(a.transpose(1, 0), a, av), RefUtil.eval(Einsum.einsum("iJ->Ji", a), a, av), 0);
        // Implicit order: upper case sorts before lower case, as in numpy.
        assertClose(RefUtil.eval(a.transpose(1, 0), a, av), RefUtil.eval(Einsum.einsum("aB", a), a, av), 0);
    }

    private void check(String ins, String out) {
        String[] in = ins.split(",");
        Graph g = new Graph();
        Tensor[] ops = new Tensor[in.length];
        double[][] vals = new double[in.length][];
        Object[] feeds = new Object[2 * in.length];
        for (int k = 0; k < in.length; k++) {
            ops[k] = g.input("t" + k, dimsOf(in[k]));
            vals[k] = random(rnd, ops[k].shape().size(), -1, 1);
            feeds[2 * k] = ops[k];
            feeds[2 * k + 1] = vals[k];
        }
        Tensor y = Einsum.einsum(ins, ops);
        assertEquals(Shape.of(dimsOf(out)), y.shape(), ins);
        assertClose(reference(in, out, vals), RefUtil.eval(y, feeds), 1e-12);
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        ShapeException ex = assertThrows(ShapeException.class, e);
        assertTrue(ex.getMessage().contains(part) && ex.getMessage().startsWith("einsum"), ex.getMessage());
    }
}
