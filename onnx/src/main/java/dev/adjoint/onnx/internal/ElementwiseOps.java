package dev.adjoint.onnx.internal;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;
import java.util.function.Function;

/** Element-wise ONNX ops: arithmetic, activations, comparisons, logic, casts (numpy broadcasting throughout). */
final class ElementwiseOps {
    private ElementwiseOps() {}

    private static final DType[] FLOATS = {DType.F32, DType.F64};
    private static final DType[] NUMBERS = {DType.F32, DType.F64, DType.I32, DType.I64};

    static void register(Map<String, OpSpec> m) {
        binary(m, "Add", Tensor::add, NUMBERS);
        binary(m, "Sub", Tensor::sub, NUMBERS);
        binary(m, "Mul", Tensor::mul, NUMBERS);
        binary(m, "Div", Tensor::div, NUMBERS);
        binary(m, "And", Tensor::and, DType.BOOL);
        binary(m, "Or", Tensor::or, DType.BOOL);
        binary(m, "Xor", Tensor::xor, DType.BOOL);
        binary(m, "Equal", Tensor::eq, DType.F32, DType.F64, DType.I32, DType.I64, DType.BOOL);
        binary(m, "Less", Tensor::lt, NUMBERS);
        binary(m, "Greater", Tensor::gt, NUMBERS);
        binary(m, "LessOrEqual", Tensor::le, NUMBERS);
        binary(m, "GreaterOrEqual", Tensor::ge, NUMBERS);
        put(m, "Pow", Set.of(), c -> {
            Tensor x = c.in(0), y = c.in(1);
            c.requireType(x, "the base", NUMBERS);
            if (x.dtype().isFloat()) return List.of(x.pow(y.convert(x.dtype())));
            // Integer powers: computed in float64 (exact for results below 2^53) and rounded back.
            return List.of(x.convert(DType.F64).pow(y.convert(DType.F64)).round().convert(x.dtype()));
        });
        put(m, "Mod", Set.of("fmod"), c -> {
            Tensor a = c.in(0), b = c.in(1);
            c.requireType(a, "the dividend", NUMBERS);
            sameType(c, a, b);
            Tensor r = a.rem(b);
            if (c.attrs.i("fmod", 0) == 1) return List.of(r);
            if (a.dtype().isFloat()) throw c.attrs.badValue("fmod", "0 on floats");
            // Python's modulo: the remainder takes the divisor's sign.
            Tensor zero = c.scalar(0, a.dtype());
            Tensor fix = r.ne(zero).and(r.lt(zero).xor(b.lt(zero)));
            return List.of(Tensor.where(fix, r.add(b), r));
        });

        unary(m, "Neg", Tensor::neg, NUMBERS);
        unary(m, "Abs", Tensor::abs, NUMBERS);
        unary(m, "Sign", Tensor::sign, NUMBERS);
        unary(m, "Sqrt", Tensor::sqrt, FLOATS);
        unary(m, "Exp", Tensor::exp, FLOATS);
        unary(m, "Log", Tensor::log, FLOATS);
        unary(m, "Sin", Tensor::sin, FLOATS);
        unary(m, "Cos", Tensor::cos, FLOATS);
        unary(m, "Tan", x -> x.sin().div(x.cos()), FLOATS);
        unary(m, "Atan", Tensor::atan, FLOATS);
        // asin(x) = 2 atan(x / (1 + sqrt(1 - x^2))) and acos(x) = 2 atan(sqrt((1 - x) / (1 + x))): no cancellation near +-1.
        unary(m, "Asin", x -> x.div(x.square().neg().add(1.0).sqrt().add(1.0)).atan().mul(2.0), FLOATS);
        unary(m, "Acos", x -> x.neg().add(1.0).div(x.add(1.0)).sqrt().atan().mul(2.0), FLOATS);
        unary(m, "Sinh", x -> x.expm1().sub(x.neg().expm1()).mul(0.5), FLOATS);
        unary(m, "Cosh", x -> x.exp().add(x.neg().exp()).mul(0.5), FLOATS);
        unary(m, "Asinh", x -> {
            Tensor a = x.abs();
            Tensor s = a.square();
            return x.sign().mul(a.add(s.div(s.add(1.0).sqrt().add(1.0))).log1p());
        }, FLOATS);
        unary(m, "Acosh", x -> x.add(x.square().sub(1.0).sqrt()).log(), FLOATS);
        unary(m, "Atanh", x -> x.mul(2.0).div(x.neg().add(1.0)).log1p().mul(0.5), FLOATS);
        unary(m, "Floor", Tensor::floor, FLOATS);
        unary(m, "Ceil", Tensor::ceil, FLOATS);
        unary(m, "Round", Tensor::round, FLOATS);
        unary(m, "Reciprocal", Tensor::reciprocal, FLOATS);
        unary(m, "Erf", Tensor::erf, FLOATS);
        unary(m, "Tanh", Tensor::tanh, FLOATS);
        unary(m, "Sigmoid", Tensor::sigmoid, FLOATS);
        unary(m, "Relu", Tensor::relu, NUMBERS);
        unary(m, "Not", Tensor::not, DType.BOOL);
        unary(m, "Softplus", Nn::softplus, FLOATS);
        unary(m, "Softsign", x -> x.div(x.abs().add(1.0)), FLOATS);
        unary(m, "IsNaN", x -> x.ne(x), FLOATS);
        put(m, "IsInf", Set.of("detect_negative", "detect_positive"), c -> {
            Tensor x = c.in(0);
            c.requireType(x, "the input", FLOATS);
            boolean neg = c.attrs.i("detect_negative", 1) == 1, pos = c.attrs.i("detect_positive", 1) == 1;
            Tensor p = x.eq(Double.POSITIVE_INFINITY), n = x.eq(Double.NEGATIVE_INFINITY);
            if (pos && neg) return List.of(p.or(n));
            if (pos) return List.of(p);
            if (neg) return List.of(n);
            return List.of(x.ne(x).and(x.eq(x)));
        });
        put(m, "Elu", Set.of("alpha"), c -> List.of(Nn.elu(floatIn(c, 0), c.attrs.f("alpha", 1.0))));
        put(m, "Celu", Set.of("alpha"), c -> {
            Tensor x = floatIn(c, 0);
            double a = c.attrs.f("alpha", 1.0);
            return List.of(x.relu().add(x.min(0.0).div(a).expm1().mul(a).min(0.0)));
        });
        put(m, "Selu", Set.of("alpha", "gamma"), c -> {
            Tensor x = floatIn(c, 0);
            double a = c.attrs.f("alpha", 1.67326319217681884765625), gm = c.attrs.f("gamma", 1.05070102214813232421875);
            return List.of(Tensor.where(x.gt(0.0), x, x.min(0.0).expm1().mul(a)).mul(gm));
        });
        put(m, "LeakyRelu", Set.of("alpha"), c -> List.of(Nn.leakyRelu(floatIn(c, 0), c.attrs.f("alpha", 0.01))));
        put(m, "ThresholdedRelu", Set.of("alpha"), c -> {
            Tensor x = floatIn(c, 0);
            return List.of(Tensor.where(x.gt(c.attrs.f("alpha", 1.0)), x, c.scalar(0, x.dtype())));
        });
        put(m, "HardSigmoid", Set.of("alpha", "beta"), c -> {
            Tensor x = floatIn(c, 0);
            return List.of(x.mul(c.attrs.f("alpha", 0.2)).add(c.attrs.f("beta", 0.5)).max(0.0).min(1.0));
        });
        put(m, "HardSwish", Set.of(), c -> {
            Tensor x = floatIn(c, 0);
            return List.of(x.mul(x.mul(1.0 / 6).add(0.5).max(0.0).min(1.0)));
        });
        put(m, "PRelu", Set.of(), c -> {
            Tensor x = floatIn(c, 0), s = c.in(1);
            sameType(c, x, s);
            // Before opset 7 a 1-D slope of size C is per channel (axis 1).
            if (c.opset() < 7 && s.rank() == 1 && x.rank() >= 2 && s.dim(0) == x.dim(1) && s.dim(0) != 1) {
                int[] dims = new int[x.rank() - 1];
                java.util.Arrays.fill(dims, 1);
                dims[0] = s.dim(0);
                s = s.reshape(dims);
            }
            return List.of(Tensor.where(x.lt(0.0), x.mul(s), x));
        });
        put(m, "Clip", Set.of("min", "max"), c -> {
            Tensor x = c.in(0);
            c.requireType(x, "the input", NUMBERS);
            Tensor y = x;
            if (c.opset() < 11) {
                if (c.attrs.has("min")) y = y.max(c.attrs.f("min", 0));
                if (c.attrs.has("max")) y = y.min(c.attrs.f("max", 0));
                return List.of(y);
            }
            if (c.attrs.has("min") || c.attrs.has("max")) throw c.attrs.badValue("min/max", "as attributes at opset " + c.opset());
            if (c.has(1)) y = y.max(c.in(1));
            if (c.has(2)) y = y.min(c.in(2));
            return List.of(y);
        });
        put(m, "Identity", Set.of(), c -> List.of(c.in(0)));
        put(m, "Shrink", Set.of("bias", "lambd"), c -> {
            Tensor x = floatIn(c, 0);
            double b = c.attrs.f("bias", 0), l = c.attrs.f("lambd", 0.5);
            Tensor zero = c.scalar(0, x.dtype());
            return List.of(Tensor.where(x.lt(-l), x.add(b), Tensor.where(x.gt(l), x.sub(b), zero)));
        });
        put(m, "Dropout", Set.of("ratio", "seed", "is_test"), c -> {
            if (c.opset() < 7 && c.attrs.i("is_test", 0) != 1) throw c.attrs.badValue("is_test", "0 (training)");
            // Inference: the identity. training_mode (input 2) must be false when given.
            if (c.has(2) && c.constant(2, "training_mode").data()[0] != 0) {
                throw c.unsupported("training_mode = true is not supported (inference only)", "Dropout training_mode");
            }
            Tensor x = c.in(0);
            List<Tensor> out = new ArrayList<>(List.of(x));
            if (c.outputCount > 1) out.add(c.g.fill(1.0, DType.BOOL, x.shape().dims()));
            return out;
        });
        put(m, "Where", Set.of(), c -> {
            c.requireType(c.in(0), "the condition", DType.BOOL);
            sameType(c, c.in(1), c.in(2));
            return List.of(Tensor.where(c.in(0), c.in(1), c.in(2)));
        });
        put(m, "Cast", Set.of("to"), c -> {
            DType to = TensorData.dtype((int) c.attrs.i("to", 0), "attribute to of " + c.node.describe());
            Tensor x = c.in(0);
            return List.of(x.convert(to));
        });
        put(m, "CastLike", Set.of(), c -> List.of(c.in(0).convert(c.in(1).dtype())));
        variadic(m, "Max", Tensor::max);
        variadic(m, "Min", Tensor::min);
        variadic(m, "Sum", Tensor::add);
        put(m, "Mean", Set.of(), c -> {
            Tensor acc = c.in(0);
            c.requireType(acc, "the input", FLOATS);
            for (int i = 1; i < c.inputCount(); i++) acc = acc.add(c.in(i));
            return List.of(acc.div((double) c.inputCount()));
        });
    }

    /**
     * Before opset 7, binary ops broadcast only with {@code broadcast = 1}, aligning b's axes at
     * {@code axis} of a (default: the trailing axes, as numpy); without it the shapes must agree.
     */
    static Tensor legacyBroadcast(Ctx c, Tensor a, Tensor b) {
        if (c.attrs.has("broadcast") || c.attrs.has("axis")) {
            if (c.opset() >= 7) throw c.unsupported("attributes broadcast/axis after opset 6", c.node.opType() + ".broadcast");
        }
        if (c.opset() >= 7) return b;
        if (c.attrs.i("broadcast", 0) != 1) {
            if (!a.shape().equals(b.shape())) {
                throw c.unsupported("shapes " + a.shape() + " and " + b.shape() + " differ without broadcast = 1", "legacy broadcast");
            }
            return b;
        }
        if (!c.attrs.has("axis")) return b;
        int axis = c.axis(c.attrs.i("axis", 0), a.rank(), "axis");
        int[] dims = new int[a.rank() - axis];
        java.util.Arrays.fill(dims, 1);
        for (int i = 0; i < b.rank(); i++) dims[i] = b.dim(i);
        return b.reshape(dims);
    }

    static Tensor floatIn(Ctx c, int i) {
        Tensor x = c.in(i);
        c.requireType(x, "input " + i, FLOATS);
        return x;
    }

    static void sameType(Ctx c, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw c.unsupported("the inputs have different element types " + a.dtype() + " and " + b.dtype(), "matching input types");
        }
    }

    private static void put(Map<String, OpSpec> m, String op, Set<String> attrs, OpMapper f) {
        m.put(op, new OpSpec(op, attrs, Importer.MIN_OPSET, Importer.MAX_OPSET, f));
    }

    private static void unary(Map<String, OpSpec> m, String op, Function<Tensor, Tensor> f, DType... types) {
        put(m, op, Set.of(), c -> {
            Tensor x = c.in(0);
            c.requireType(x, "the input", types);
            return List.of(f.apply(x));
        });
    }

    private static void binary(Map<String, OpSpec> m, String op, BinaryOperator<Tensor> f, DType... types) {
        put(m, op, Set.of("broadcast", "axis"), c -> {
            Tensor a = c.in(0), b = legacyBroadcast(c, c.in(0), c.in(1));
            c.requireType(a, "input 0", types);
            sameType(c, a, b);
            return List.of(f.apply(a, b));
        });
    }

    private static void variadic(Map<String, OpSpec> m, String op, BinaryOperator<Tensor> f) {
        put(m, op, Set.of(), c -> {
            Tensor acc = c.in(0);
            c.requireType(acc, "input 0", NUMBERS);
            for (int i = 1; i < c.inputCount(); i++) {
                sameType(c, acc, c.in(i));
                acc = f.apply(acc, c.in(i));
            }
            return List.of(acc);
        });
    }
}
