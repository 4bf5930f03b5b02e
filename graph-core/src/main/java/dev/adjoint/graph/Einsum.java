package dev.adjoint.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * numpy/torch {@code einsum} in explicit form ({@code "ij,jk->ik"}), lowered to {@code dot_general},
 * {@code transpose} and {@code reduce_sum}, so it needs no primitive of its own and inherits
 * their derivatives.
 *
 * <p>Supported: 1 to 3 operands, one lowercase letter {@code a-z} per axis, no {@code ...}, no
 * letter repeated within one operand (diagonals), every output letter present in some operand.
 * Three operands are folded left pairwise, each intermediate keeping the letters still needed
 * by a later operand or by the output.
 */
public final class Einsum {
    private Einsum() {}

    /**
     * Evaluates {@code equation} on {@code operands}: the output element at the output letters'
     * indices is the sum, over all letters absent from the output, of the product of the operands.
     *
     * @throws ShapeException naming the equation and the operand shapes if the equation is
     *     malformed, unsupported, or does not fit the operands
     */
    public static Tensor einsum(String equation, Tensor... operands) {
        String[] ins;
        String out;
        String eq = equation.replace(" ", "");
        int arrow = eq.indexOf("->");
        if (arrow < 0) throw error(equation, operands, "only the explicit form \"in1,in2->out\" is supported; the equation has no \"->\"");
        if (eq.indexOf("->", arrow + 2) >= 0) throw error(equation, operands, "more than one \"->\"");
        out = eq.substring(arrow + 2);
        ins = eq.substring(0, arrow).split(",", -1);
        if (eq.contains("...")) throw error(equation, operands, "ellipsis \"...\" is not supported; name every axis with a letter");
        if (ins.length < 1 || ins.length > 3) {
            throw error(equation, operands, "between 1 and 3 operands are supported, the equation has " + ins.length);
        }
        if (operands.length != ins.length) {
            throw error(equation, operands, "the equation names " + ins.length + " operand(s) but " + operands.length + " were given");
        }
        int[] size = new int[26];
        Arrays.fill(size, -1);
        for (int i = 0; i < ins.length; i++) {
            String s = ins[i];
            checkLetters(equation, operands, s, "operand " + i);
            if (s.length() != operands[i].rank()) {
                throw error(equation, operands, "operand " + i + " \"" + s + "\" names " + s.length() + " axes but has rank "
                        + operands[i].rank() + " (shape " + operands[i].shape() + ")");
            }
            for (int p = 0; p < s.length(); p++) {
                char c = s.charAt(p);
                if (s.indexOf(c) != p) {
                    throw error(equation, operands, "letter '" + c + "' is repeated within operand " + i + " \"" + s
                            + "\"; repeated letters (diagonals, traces) are unsupported");
                }
                int d = operands[i].dim(p);
                if (size[c - 'a'] >= 0 && size[c - 'a'] != d) {
                    throw error(equation, operands, "letter '" + c + "' has size " + size[c - 'a'] + " in one operand but "
                            + d + " on axis " + p + " of operand " + i + "; equal letters need equal sizes");
                }
                size[c - 'a'] = d;
            }
        }
        checkLetters(equation, operands, out, "the output");
        for (int p = 0; p < out.length(); p++) {
            char c = out.charAt(p);
            if (out.indexOf(c) != p) throw error(equation, operands, "letter '" + c + "' is repeated in the output \"" + out + "\"");
            if (size[c - 'a'] < 0) {
                throw error(equation, operands, "output letter '" + c + "' appears in no operand");
            }
        }

        Term acc = new Term(operands[0], ins[0]);
        for (int i = 1; i < ins.length; i++) {
            StringBuilder later = new StringBuilder(out);
            for (int j = i + 1; j < ins.length; j++) later.append(ins[j]);
            acc = pair(acc, new Term(operands[i], ins[i]), later.toString());
        }
        // Sum out what the output drops, then order the axes as the output lists them.
        acc = sumOut(acc, out);
        int[] perm = new int[out.length()];
        for (int p = 0; p < perm.length; p++) perm[p] = acc.letters.indexOf(out.charAt(p));
        return isIdentity(perm) ? acc.t : acc.t.transpose(perm);
    }

    /** A tensor together with the letter naming each of its axes. */
    private record Term(Tensor t, String letters) {}

    /** Sums the axes whose letters are not in {@code keep}. */
    private static Term sumOut(Term a, String keep) {
        List<Integer> axes = new ArrayList<>();
        StringBuilder rest = new StringBuilder();
        for (int p = 0; p < a.letters.length(); p++) {
            if (keep.indexOf(a.letters.charAt(p)) < 0) axes.add(p);
            else rest.append(a.letters.charAt(p));
        }
        if (axes.isEmpty()) return a;
        return new Term(a.t.sum(axes.stream().mapToInt(Integer::intValue).toArray(), false), rest.toString());
    }

    /**
     * Contracts two terms, keeping the letters in {@code keep}: letters only in one side and not
     * kept are summed out first (cheaper than carrying them through the product); letters in both
     * sides are batch axes if kept and contracted otherwise.
     */
    private static Term pair(Term a, Term b, String keep) {
        a = sumOut(a, keep + b.letters);
        b = sumOut(b, keep + a.letters);
        List<Integer> ac = new ArrayList<>(), bc = new ArrayList<>(), ab = new ArrayList<>(), bb = new ArrayList<>();
        StringBuilder batch = new StringBuilder();
        for (int p = 0; p < a.letters.length(); p++) {
            char c = a.letters.charAt(p);
            int q = b.letters.indexOf(c);
            if (q < 0) continue;
            if (keep.indexOf(c) >= 0) {
                ab.add(p);
                bb.add(q);
                batch.append(c);
            } else {
                ac.add(p);
                bc.add(q);
            }
        }
        Tensor t = a.t.dotGeneral(b.t, ints(ac), ints(bc), ints(ab), ints(bb));
        // dot_general's output order: batch axes, then x's free axes, then y's free axes.
        StringBuilder letters = new StringBuilder(batch);
        for (char c : a.letters.toCharArray()) if (b.letters.indexOf(c) < 0) letters.append(c);
        for (char c : b.letters.toCharArray()) if (a.letters.indexOf(c) < 0) letters.append(c);
        return new Term(t, letters.toString());
    }

    private static int[] ints(List<Integer> v) { return v.stream().mapToInt(Integer::intValue).toArray(); }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) if (perm[i] != i) return false;
        return true;
    }

    private static void checkLetters(String equation, Tensor[] operands, String s, String what) {
        for (int p = 0; p < s.length(); p++) {
            char c = s.charAt(p);
            if (c < 'a' || c > 'z') {
                throw error(equation, operands, what + " \"" + s + "\" has '" + c + "'; only lowercase letters a-z name axes");
            }
        }
    }

    private static ShapeException error(String equation, Tensor[] operands, String rule) {
        StringBuilder shapes = new StringBuilder();
        for (int i = 0; i < operands.length; i++) {
            shapes.append(i == 0 ? "" : ", ").append(operands[i] == null ? "null" : operands[i].shape().toString());
        }
        return new ShapeException("einsum \"" + equation + "\": " + rule + "; operand shapes: [" + shapes + "] (at "
                + CallSite.describe(CallSite.capture()) + ")");
    }
}
