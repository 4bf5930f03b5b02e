package dev.adjoint.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * numpy/torch {@code einsum}, lowered to {@code dot_general}, {@code transpose}, {@code reshape}
 * and {@code reduce_sum}, so it needs no primitive of its own and inherits their derivatives.
 *
 * <p>Supported: any number of operands; letters {@code a-z} and {@code A-Z} name axes; one
 * {@code ...} per operand stands for the axes not named (right-aligned across operands, which
 * broadcast numpy-style: a size-1 axis under {@code ...} stretches); the explicit form
 * {@code "ij,jk->ik"} and the implicit form {@code "ij,jk"}, whose output is, as in numpy, the
 * {@code ...} axes followed by the letters that occur exactly once, in alphabetical order
 * (upper case before lower case). In the explicit form {@code ...} axes left out of the output
 * are summed. A letter repeated within one operand takes the diagonal ({@code "ii->i"}, the
 * trace {@code "ii->"}), as in numpy.
 *
 * <p>Operands are contracted pairwise from left to right; each intermediate keeps only the
 * letters a later operand or the output still uses, so a letter is summed out as soon as it can be.
 */
public final class Einsum {
    private Einsum() {}

    /** The first of the private labels given to the axes under {@code ...} (outside a-z, A-Z). */
    private static final char ELLIPSIS_BASE = '\u0100';

    /**
     * Evaluates {@code equation} on {@code operands}: the output element at the output letters'
     * indices is the sum, over all letters absent from the output, of the product of the operands.
     *
     * @throws ShapeException naming the equation and the operand shapes if the equation is
     *     malformed, unsupported, or does not fit the operands
     */
    public static Tensor einsum(String equation, Tensor... operands) {
        String eq = equation.replace(" ", "");
        int arrow = eq.indexOf("->");
        if (arrow >= 0 && eq.indexOf("->", arrow + 2) >= 0) throw error(equation, operands, "more than one \"->\"");
        String lhs = arrow < 0 ? eq : eq.substring(0, arrow);
        String[] ins = lhs.split(",", -1);
        if (operands.length == 0) throw error(equation, operands, "needs at least one operand");
        if (operands.length != ins.length) {
            throw error(equation, operands, "the equation names " + ins.length + " operand(s) but " + operands.length + " were given");
        }
        for (int i = 0; i < operands.length; i++) {
            if (operands[i] == null) throw error(equation, operands, "operand " + i + " is null");
        }
        // Pass 1: syntax, and how many axes each operand's "..." covers.
        int[] covered = new int[ins.length];
        int ellRank = 0;
        for (int i = 0; i < ins.length; i++) {
            String s = ins[i];
            int named = checkTerm(equation, operands, s, "operand " + i);
            boolean ell = s.contains("...");
            int rank = operands[i].rank();
            if (ell ? named > rank : named != rank) {
                throw error(equation, operands, "operand " + i + " \"" + s + "\" names " + named + " axes but has rank "
                        + rank + " (shape " + operands[i].shape() + ")");
            }
            covered[i] = ell ? rank - named : 0;
            ellRank = Math.max(ellRank, covered[i]);
        }
        // Pass 2: labels per axis ("..." expanded into private labels, right-aligned), sizes, broadcasting.
        Map<Character, Integer> size = new HashMap<>();
        int[] ellSize = new int[ellRank];
        Arrays.fill(ellSize, 1);
        String[] labels = new String[ins.length];
        for (int i = 0; i < ins.length; i++) {
            String s = ins[i];
            String expanded = s.contains("...") ? s.replace("...", ellipsisLabels(ellRank - covered[i], ellRank)) : s;
            labels[i] = expanded;
            for (int p = 0; p < expanded.length(); p++) {
                char c = expanded.charAt(p);
                int d = operands[i].dim(p);
                if (c >= ELLIPSIS_BASE) {
                    int e = c - ELLIPSIS_BASE;
                    if (d != 1 && ellSize[e] != 1 && ellSize[e] != d) {
                        throw error(equation, operands, "the axes under \"...\" do not broadcast: axis " + p + " of operand " + i
                                + " has size " + d + " where another operand has " + ellSize[e] + "; sizes must be equal or 1");
                    }
                    if (d != 1) ellSize[e] = d;
                    continue;
                }
                Integer known = size.get(c);
                if (known != null && known != d) {
                    throw error(equation, operands, "letter '" + c + "' has size " + known + " in one operand but "
                            + d + " on axis " + p + " of operand " + i + "; equal letters need equal sizes");
                }
                size.put(c, d);
            }
        }
        String out;
        if (arrow >= 0) {
            String rhs = eq.substring(arrow + 2);
            checkTerm(equation, operands, rhs, "the output");
            out = rhs.replace("...", ellipsisLabels(0, ellRank));
            for (int p = 0; p < out.length(); p++) {
                char c = out.charAt(p);
                if (c >= ELLIPSIS_BASE) continue;
                if (out.indexOf(c) != p) throw error(equation, operands, "letter '" + c + "' is repeated in the output \"" + rhs + "\"");
                if (!size.containsKey(c)) throw error(equation, operands, "output letter '" + c + "' appears in no operand");
            }
        } else {
            // numpy's implicit output: the "..." axes, then the letters that occur once, sorted.
            Map<Character, Integer> count = new TreeMap<>();
            for (String l : labels) for (char c : l.toCharArray()) if (c < ELLIPSIS_BASE) count.merge(c, 1, Integer::sum);
            StringBuilder sb = new StringBuilder(ellipsisLabels(0, ellRank));
            count.forEach((c, k) -> { if (k == 1) sb.append(c); });
            out = sb.toString();
        }

        // A size-1 axis under "..." that broadcasts against a larger one is dropped from its operand.
        Term[] terms = new Term[ins.length];
        for (int i = 0; i < ins.length; i++) {
            Tensor t = operands[i];
            StringBuilder keep = new StringBuilder();
            List<Integer> dims = new ArrayList<>();
            for (int p = 0; p < labels[i].length(); p++) {
                char c = labels[i].charAt(p);
                if (c >= ELLIPSIS_BASE && t.dim(p) == 1 && ellSize[c - ELLIPSIS_BASE] != 1) continue;
                keep.append(c);
                dims.add(t.dim(p));
            }
            if (keep.length() != labels[i].length()) t = t.reshape(ints(dims));
            terms[i] = diagonals(new Term(t, keep.toString()));
        }
        Term acc = terms[0];
        for (int i = 1; i < terms.length; i++) {
            StringBuilder later = new StringBuilder(out);
            for (int j = i + 1; j < terms.length; j++) later.append(terms[j].letters);
            acc = pair(acc, terms[i], later.toString());
        }
        // Sum out what the output drops, then order the axes as the output lists them.
        acc = sumOut(acc, out);
        int[] perm = new int[out.length()];
        for (int p = 0; p < perm.length; p++) perm[p] = acc.letters.indexOf(out.charAt(p));
        return isIdentity(perm) ? acc.t : acc.t.transpose(perm);
    }

    /**
     * Takes the diagonal for every letter repeated within a term ({@code "ii->i"}, and the trace
     * {@code "ii->"}): the elements off the diagonal are selected away by an iota comparison and
     * the second axis summed out, so only linear primitives are involved.
     */
    private static Term diagonals(Term a) {
        Tensor t = a.t;
        String l = a.letters;
        for (int q = 1; q < l.length(); q++) {
            int p = l.indexOf(l.charAt(q));
            if (p == q) continue;
            Graph g = t.graph();
            Tensor onDiagonal = g.iota(t.shape(), p).eq(g.iota(t.shape(), q));
            t = Tensor.where(onDiagonal, t, g.constant(0.0, t.dtype())).sum(q);
            l = l.substring(0, q) + l.substring(q + 1);
            q--;
        }
        return new Term(t, l);
    }

    /** The private labels of "..." axes {@code from..to-1} (numbered from the left of the widest "..."). */
    private static String ellipsisLabels(int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int e = from; e < to; e++) sb.append((char) (ELLIPSIS_BASE + e));
        return sb.toString();
    }

    /** Checks a term's characters (letters, at most one "..."); returns how many axes its letters name. */
    private static int checkTerm(String equation, Tensor[] operands, String s, String what) {
        int dots = s.indexOf("...");
        if (dots >= 0 && s.indexOf("...", dots + 3) >= 0) {
            throw error(equation, operands, what + " \"" + s + "\" has more than one ellipsis \"...\"");
        }
        String rest = dots >= 0 ? s.substring(0, dots) + s.substring(dots + 3) : s;
        for (int p = 0; p < rest.length(); p++) {
            char c = rest.charAt(p);
            if (c == '.') throw error(equation, operands, what + " \"" + s + "\" has a '.' that is not part of an ellipsis \"...\"");
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                throw error(equation, operands, what + " \"" + s + "\" has '" + c + "'; only letters a-z, A-Z and \"...\" name axes");
            }
        }
        return rest.length();
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

    private static ShapeException error(String equation, Tensor[] operands, String rule) {
        StringBuilder shapes = new StringBuilder();
        for (int i = 0; i < operands.length; i++) {
            shapes.append(i == 0 ? "" : ", ").append(operands[i] == null ? "null" : operands[i].shape().toString());
        }
        return new ShapeException("einsum \"" + equation + "\": " + rule + "; operand shapes: [" + shapes + "] (at "
                + CallSite.describe(CallSite.capture()) + ")");
    }
}
