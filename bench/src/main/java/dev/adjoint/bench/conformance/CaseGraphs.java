package dev.adjoint.bench.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.adjoint.graph.Einsum;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Nn;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.util.List;
import java.util.Locale;

/**
 * Maps a case's op (SCHEMA.md section 5, and SCHEMA2.md for part 2) to Adjoint's builder API:
 * part 2's primitives to the Tensor methods (take is {@code gather}), its composites to the
 * {@code Nn} functions (norms with the channel axis 1 of PyTorch's layouts). PyTorch's channels-first
 * layouts (NCHW activations, OIHW kernels) are converted inside the graph by the {@code Nn}
 * helpers' transpose nodes, so the case tensors are fed and compared as stored.
 */
public final class CaseGraphs {
    private CaseGraphs() {}

    /**
     * Appends the case's op to {@code g}, applied to {@code in} (one tensor per case input, in order).
     *
     * @throws UnsupportedOperationException if the op has no mapping
     */
    public static Tensor build(ConformanceCase c, Graph g, List<Tensor> in) {
        Tensor x = in.get(0);
        return switch (c.op()) {
            case "neg" -> x.neg();
            case "exp" -> x.exp();
            case "log" -> x.log();
            case "tanh" -> x.tanh();
            case "sigmoid" -> x.sigmoid();
            case "relu" -> x.relu();
            case "sqrt" -> x.sqrt();
            case "abs" -> x.abs();
            case "square" -> x.square();
            case "reciprocal" -> x.reciprocal();
            case "add" -> x.add(in.get(1));
            case "sub" -> x.sub(in.get(1));
            case "mul" -> x.mul(in.get(1));
            case "div" -> x.div(in.get(1));
            case "maximum" -> x.max(in.get(1));
            case "minimum" -> x.min(in.get(1));
            case "pow" -> x.pow(in.get(1));
            case "broadcast_to" -> x.broadcastTo(c.ints("shape"));
            case "broadcast_in_dim" -> x.broadcastInDim(Shape.of(c.ints("shape")), c.ints("broadcast_dimensions"));
            case "sum" -> x.sum(c.ints("axes"), keepDims(c));
            case "max" -> x.reduceMax(c.ints("axes"), keepDims(c));
            case "mean" -> x.mean(c.ints("axes"), keepDims(c));
            case "matmul" -> x.matmul(in.get(1));
            case "einsum" -> Einsum.einsum(c.attrs().path("equation").asText(), in.toArray(new Tensor[0]));
            case "transpose" -> x.transpose(c.ints("permutation"));
            case "reshape" -> x.reshape(c.ints("shape"));
            case "pad" -> x.pad(c.ints("lo"), c.ints("hi"), c.ints("interior"), c.attrs().path("value").asDouble(0));
            case "slice" -> x.slice(c.ints("start"), c.ints("stop"), c.ints("step"));
            case "flip" -> c.ints("axes").length == 0 ? x : x.rev(c.ints("axes"));
            case "concatenate" -> Tensor.concatenate(c.attrs().path("axis").asInt(), in.toArray(new Tensor[0]));
            case "dilate" -> x.dilate(c.ints("dilation"));
            case "stride" -> x.stride(c.ints("step"));
            case "conv1d", "conv2d", "conv3d" -> Nn.convChannelsFirst(x, in.get(1), in.size() > 2 ? in.get(2) : null,
                    c.ints("stride"), c.ints("padding_lo"), c.ints("padding_hi"), c.ints("dilation"), c.attrs().path("groups").asInt(1));
            case "conv_transpose2d" -> Nn.convTranspose2dNchw(x, in.get(1), in.size() > 2 ? in.get(2) : null, c.ints("stride"),
                    c.ints("padding"), c.ints("output_padding"), c.ints("dilation"), c.attrs().path("groups").asInt(1));
            case "max_pool2d" -> Nn.maxPoolNchw(x, c.ints("kernel"), c.ints("stride"), c.ints("padding"));
            case "avg_pool2d" -> Nn.avgPoolNchw(x, c.ints("kernel"), c.ints("stride"), c.ints("padding"),
                    c.attrs().path("count_include_pad").asBoolean(true));
            case "softmax" -> Nn.softmax(x, c.attrs().path("axis").asInt());
            case "log_softmax" -> Nn.logSoftmax(x, c.attrs().path("axis").asInt());
            case "cross_entropy" -> Nn.crossEntropy(x, in.get(1), reduction(c.attrs()));
            case "mse_loss" -> Nn.mse(x, in.get(1), reduction(c.attrs()));
            case "mlp_loss" -> mlpLoss(in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), in.get(5));
            case "lenet_loss" -> lenetLoss(in);
            case "hvp" -> Expr.parse(c.attrs().path("expr").asText(), g, c.inputs(), in);
            // ---- part 2 (SCHEMA2.md) ----
            case "erf" -> x.erf();
            case "sin" -> x.sin();
            case "cos" -> x.cos();
            case "atan" -> x.atan();
            case "log1p" -> x.log1p();
            case "expm1" -> x.expm1();
            case "take" -> x.gather(in.get(1), axis(c));
            case "take_along_axis" -> x.takeAlongAxis(in.get(1), axis(c));
            case "scatter_add" -> x.scatterAdd(in.get(1), in.get(2), axis(c));
            case "min" -> x.reduceMin(c.ints("axes"), keepDims(c));
            case "prod" -> x.prod(c.ints("axes"), keepDims(c));
            case "logsumexp" -> Nn.logSumExp(x, c.ints("axes"), keepDims(c));
            case "cumsum" -> x.cumsum(axis(c), c.attrs().path("reverse").asBoolean(false));
            case "argmax" -> x.argmax(axis(c), keepDims(c));
            case "argmin" -> x.argmin(axis(c), keepDims(c));
            case "embedding" -> Nn.embedding(x, in.get(1));
            case "bag_of_embeddings_loss" -> bagOfEmbeddingsLoss(in.get(0), in.get(1), in.get(2), in.get(3));
            case "gelu" -> Nn.gelu(x);
            case "gelu_tanh" -> Nn.geluTanh(x);
            case "silu" -> Nn.silu(x);
            case "softplus" -> Nn.softplus(x);
            case "leaky_relu" -> Nn.leakyRelu(x, number(c, "alpha"));
            case "elu" -> Nn.elu(x, number(c, "alpha"));
            case "layer_norm" -> Nn.layerNorm(x, in.get(1), in.get(2), c.attrs().path("normalized_axes").asInt(), number(c, "eps"));
            case "batch_norm_train" -> Nn.batchNorm(x, in.get(1), in.get(2), number(c, "eps"), 1);
            case "batch_norm_eval" -> Nn.batchNormInference(x, in.get(1), in.get(2), in.get(3), in.get(4), number(c, "eps"), 1);
            case "group_norm" -> Nn.groupNorm(x, c.attrs().path("groups").asInt(), in.get(1), in.get(2), number(c, "eps"), 1);
            case "rms_norm" -> Nn.rmsNorm(x, in.get(1), number(c, "eps"));
            case "sdpa" -> Nn.scaledDotProductAttention(x, in.get(1), in.get(2), c.attrs().path("causal").asBoolean(), number(c, "scale"));
            case "mha" -> Nn.multiHeadAttention(x, in.get(1), in.get(2), in.get(3), in.get(4), c.attrs().path("heads").asInt(),
                    c.attrs().path("causal").asBoolean());
            case "transformer_mlp" -> transformerMlp(in, number(c, "eps"));
            default -> throw new UnsupportedOperationException("op \"" + c.op() + "\" has no mapping to Adjoint");
        };
    }

    private static boolean keepDims(ConformanceCase c) { return c.attrs().path("keepdims").asBoolean(false); }

    /** A number attribute. */
    private static double number(ConformanceCase c, String attr) {
        JsonNode n = c.attrs().get(attr);
        if (n == null || !n.isNumber()) throw new IllegalArgumentException(c.id() + ": missing number attribute " + attr);
        return n.asDouble();
    }

    private static int axis(ConformanceCase c) {
        JsonNode a = c.attrs().get("axis");
        if (a == null || !a.isInt()) throw new IllegalArgumentException(c.id() + ": missing integer attribute axis");
        return a.asInt();
    }

    private static Nn.Reduction reduction(JsonNode attrs) {
        return Nn.Reduction.valueOf(attrs.path("reduction").asText("mean").toUpperCase(Locale.ROOT));
    }

    /** SCHEMA 5.9: {@code cross_entropy(relu(x @ W1 + b1) @ W2 + b2, labels)}, mean. */
    static Tensor mlpLoss(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor labels) {
        Tensor h = Nn.linear(x, w1, b1).relu();
        return Nn.crossEntropy(Nn.linear(h, w2, b2), labels);
    }

    /** SCHEMA2 index: {@code cross_entropy(mean_1(embedding(ids, emb)) @ w, labels)}, mean reduction. */
    private static Tensor bagOfEmbeddingsLoss(Tensor ids, Tensor emb, Tensor w, Tensor labels) {
        return Nn.crossEntropy(Nn.embedding(ids, emb).mean(new int[] {1}, false).matmul(w), labels);
    }

    /** SCHEMA2 attention: {@code x + gelu(layer_norm(x) @ w1 + b1) @ w2 + b2}, exact erf GELU. */
    private static Tensor transformerMlp(List<Tensor> in, double eps) {
        Tensor x = in.get(0);
        Tensor h = Nn.gelu(Nn.linear(Nn.layerNorm(x, in.get(1), in.get(2), 1, eps), in.get(3), in.get(4)));
        return x.add(Nn.linear(h, in.get(5), in.get(6)));
    }

    /** SCHEMA 5.9's small LeNet: two conv-relu-maxpool stages, a linear layer, cross-entropy. */
    private static Tensor lenetLoss(List<Tensor> in) {
        int[] one = {1, 1}, zero = {0, 0}, two = {2, 2};
        Tensor h1 = Nn.maxPoolNchw(Nn.conv2dNchw(in.get(0), in.get(1), in.get(2), one, zero, zero, one, 1).relu(), two, two, zero);
        Tensor h2 = Nn.maxPoolNchw(Nn.conv2dNchw(h1, in.get(3), in.get(4), one, zero, zero, one, 1).relu(), two, two, zero);
        int n = h2.dim(0);
        Tensor f = h2.reshape(n, h2.shape().size() / n);
        return Nn.crossEntropy(Nn.linear(f, in.get(5), in.get(6)), in.get(7));
    }
}
