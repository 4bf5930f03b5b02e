package dev.adjoint.bench.conformance;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A recursive-descent parser for the {@code hvp} expression grammar of SCHEMA.md section 6 that
 * builds graph nodes as it parses (no syntax tree: each rule returns the tensor it built).
 *
 * <pre>
 * expr  := term (('+' | '-') term)*
 * term  := unary (('*' | '/' | '@') unary)*
 * unary := '-' unary | power
 * power := atom ('^' unary)?
 * atom  := number | name | func '(' expr (',' expr)* ')' | '(' expr ')'
 * </pre>
 */
public final class Expr {
    private final String src;
    private final Graph g;
    private final Map<String, Tensor> names;
    /** The type of number literals: that of the float inputs, so that {@code 1+x} type-checks on f64 graphs too. */
    private final DType floatType;
    private int pos;

    private Expr(String src, Graph g, Map<String, Tensor> names, DType floatType) {
        this.src = src;
        this.g = g;
        this.names = names;
        this.floatType = floatType;
    }

    /** Parses {@code src} and builds it in {@code g}, names resolving to the case inputs. */
    public static Tensor parse(String src, Graph g, List<ConformanceCase.Input> inputs, List<Tensor> tensors) {
        Map<String, Tensor> names = new HashMap<>();
        DType floatType = DType.F32;
        for (int i = 0; i < inputs.size(); i++) {
            names.put(inputs.get(i).name(), tensors.get(i));
            if (tensors.get(i).dtype().isFloat()) floatType = tensors.get(i).dtype();
        }
        Expr p = new Expr(src, g, names, floatType);
        Tensor t = p.expr();
        p.skipSpace();
        if (p.pos != src.length()) throw p.error("unexpected '" + src.charAt(p.pos) + "'");
        return t;
    }

    private Tensor expr() {
        Tensor t = term();
        while (true) {
            if (eat('+')) t = t.add(term());
            else if (eat('-')) t = t.sub(term());
            else return t;
        }
    }

    private Tensor term() {
        Tensor t = unary();
        while (true) {
            if (eat('*')) t = t.mul(unary());
            else if (eat('/')) t = t.div(unary());
            else if (eat('@')) t = t.matmul(unary());
            else return t;
        }
    }

    private Tensor unary() {
        if (eat('-')) return unary().neg();
        return power();
    }

    private Tensor power() {
        Tensor base = atom();
        return eat('^') ? base.pow(unary()) : base;
    }

    private Tensor atom() {
        skipSpace();
        if (pos >= src.length()) throw error("unexpected end of expression");
        char c = src.charAt(pos);
        if (eat('(')) {
            Tensor t = expr();
            expect(')');
            return t;
        }
        if (Character.isDigit(c) || c == '.') {
            int start = pos;
            while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '.')) pos++;
            if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
                pos++;
                if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) pos++;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
            }
            return g.constant(Double.parseDouble(src.substring(start, pos)), floatType);
        }
        if (Character.isLetter(c) || c == '_') {
            int start = pos;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
            String name = src.substring(start, pos);
            skipSpace();
            if (pos < src.length() && src.charAt(pos) == '(') {
                pos++;
                List<Tensor> args = new ArrayList<>();
                args.add(expr());
                while (eat(',')) args.add(expr());
                expect(')');
                return call(name, args);
            }
            Tensor t = names.get(name);
            if (t == null) throw error("unknown name \"" + name + "\"");
            return t;
        }
        throw error("unexpected '" + c + "'");
    }

    private Tensor call(String f, List<Tensor> a) {
        int want = switch (f) {
            case "cross_entropy" -> 2;
            case "mlp_loss" -> 6;
            default -> 1;
        };
        if (a.size() != want) throw error(f + " takes " + want + " argument(s), got " + a.size());
        Tensor x = a.get(0);
        return switch (f) {
            case "tanh" -> x.tanh();
            case "exp" -> x.exp();
            case "log" -> x.log();
            case "sqrt" -> x.sqrt();
            case "sigmoid" -> x.sigmoid();
            case "square" -> x.square();
            case "relu" -> x.relu();
            case "abs" -> x.abs();
            case "neg" -> x.neg();
            case "reciprocal" -> x.reciprocal();
            case "sum" -> x.sum();
            case "mean" -> x.mean();
            case "cross_entropy" -> Nn.crossEntropy(x, a.get(1));
            case "mlp_loss" -> CaseGraphs.mlpLoss(x, a.get(1), a.get(2), a.get(3), a.get(4), a.get(5));
            default -> throw error("unknown function \"" + f + "\"");
        };
    }

    private void skipSpace() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) pos++;
    }

    private boolean eat(char c) {
        skipSpace();
        if (pos < src.length() && src.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!eat(c)) throw error("expected '" + c + "'");
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("expr \"" + src + "\" at column " + pos + ": " + what);
    }
}
