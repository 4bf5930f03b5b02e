package dev.adjoint.graph;

import dev.adjoint.graph.op.Conv;
import dev.adjoint.graph.op.Op;
import dev.adjoint.graph.op.Window;
import dev.adjoint.graph.op.WindowMax;
import dev.adjoint.graph.op.WindowMaxScatter;
import java.util.Arrays;

/**
 * Neural-network composites: layers, activations over an axis, losses, pooling and convolution
 * front-ends, all built from primitives through the {@link Tensor} API so that their derivatives
 * (of any order) come for free from the primitives' rules. Nothing here is a new op.
 *
 * <p>Convolutions and pooling work channels-last ({@code x[N, S.., C]}, kernels {@code [K.., Cin, Cout]})
 * as the primitives do; the {@code ...Nchw} helpers accept PyTorch's channels-first layouts and
 * insert transpose nodes, which the optimizer may fold away.
 */
public final class Nn {
    private Nn() {}

    /** How a loss over many samples or elements is reduced to its result. */
    public enum Reduction {
        /** The mean over the samples (elements): shape {@code []}. */
        MEAN,
        /** The sum over the samples (elements): shape {@code []}. */
        SUM,
        /** No reduction: one loss per sample (element). */
        NONE
    }

    // ---- layers -------------------------------------------------------------------------------

    /** A fully connected layer {@code x @ w + b} with {@code w} of shape {@code [in, out]} and {@code b [out]}. */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        Tensor y = linear(x, w);
        if (b.rank() != 1 || b.dim(0) != w.dim(-1)) {
            throw error("linear", "the bias must have shape [out] = [" + w.dim(-1) + "]; x: " + x.shape()
                    + ", w: " + w.shape() + ", b: " + b.shape());
        }
        return y.add(b);
    }

    /** A fully connected layer without bias: {@code x @ w}, {@code w} of shape {@code [in, out]}. */
    public static Tensor linear(Tensor x, Tensor w) {
        if (w.rank() != 2) throw error("linear", "the weight must have rank 2 [in, out]; w: " + w.shape());
        if (x.rank() < 1 || x.dim(-1) != w.dim(0)) {
            throw error("linear", "the last axis of x must match the weight's in-size " + w.dim(0)
                    + "; x: " + x.shape() + ", w: " + w.shape());
        }
        return x.matmul(w);
    }

    // ---- activations --------------------------------------------------------------------------

    /** GELU, the exact (erf) form: {@code x/2 * (1 + erf(x / sqrt 2))} (PyTorch's default). */
    public static Tensor gelu(Tensor x) {
        return x.mul(0.5).mul(x.mul(Math.sqrt(0.5)).erf().add(1.0));
    }

    /**
     * GELU, the tanh form: {@code x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))} (PyTorch's
     * {@code approximate="tanh"}), computed as the identical {@code x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))}:
     * {@code 1 + tanh(z)} cancels to 0 in f32 for z below about -9, where the sigmoid keeps its relative precision.
     */
    public static Tensor geluTanh(Tensor x) {
        Tensor inner = x.add(x.square().mul(x).mul(0.044715)).mul(2 * Math.sqrt(2 / Math.PI));
        return x.mul(inner.sigmoid());
    }

    /** SiLU (swish): {@code x * sigmoid(x)}. */
    public static Tensor silu(Tensor x) { return x.mul(x.sigmoid()); }

    /**
     * Softplus {@code log(1 + e^x)}, computed stably as {@code max(x, 0) + log1p(exp(-|x|))}: the
     * exponential never overflows and small results keep their precision.
     */
    public static Tensor softplus(Tensor x) { return x.relu().add(x.abs().neg().exp().log1p()); }

    /** Leaky ReLU: {@code x} where {@code x > 0}, else {@code alpha * x}. */
    public static Tensor leakyRelu(Tensor x, double alpha) { return Tensor.where(x.gt(0.0), x, x.mul(alpha)); }

    /**
     * ELU: {@code x} where {@code x > 0}, else {@code alpha * (e^x - 1)}. The exponential sees
     * {@code min(x, 0)}, so the branch not taken never overflows: an infinity there would turn
     * the select's zero cotangent into NaN ({@code 0 * inf}) on the way back.
     */
    public static Tensor elu(Tensor x, double alpha) {
        return Tensor.where(x.gt(0.0), x, x.min(0.0).expm1().mul(alpha));
    }

    /**
     * Inverted dropout: in training, each element is kept with probability {@code 1 - rate} (a
     * {@link Random#bernoulli} mask from {@code key}) and scaled by {@code 1 / (1 - rate)}, so the
     * expectation is unchanged; dropped elements are 0. The identity in evaluation or at rate 0;
     * zeros at rate 1.
     */
    public static Tensor dropout(Tensor x, Tensor key, double rate, boolean training) {
        if (!(rate >= 0 && rate <= 1)) throw error("dropout", "the rate must be in [0, 1], got " + rate + "; x: " + x.shape());
        if (!training || rate == 0) return x;
        Graph g = x.graph();
        Tensor zero = g.constant(0.0, x.dtype());
        if (rate == 1) return zero.broadcastTo(x.shape());
        Tensor keep = Random.bernoulli(key, 1 - rate, x.shape().dims());
        return keep.select(x.mul(1 / (1 - rate)), zero);
    }

    // ---- softmax family -----------------------------------------------------------------------

    /**
     * The shift that makes {@code exp} safe: the maximum over {@code ax} (kept), with infinite
     * maxima replaced by 0 so that a row of all {@code -inf} (a fully masked row) does not compute
     * {@code -inf - -inf}; under {@code stop_gradient}, since the results are invariant to it.
     */
    private static Tensor shift(Tensor x, int[] ax) {
        Tensor m = x.reduceMax(ax, true).stopGradient();
        return Tensor.where(m.abs().lt(Double.POSITIVE_INFINITY), m, x.graph().constant(0.0, x.dtype()));
    }

    /**
     * {@code exp(x) / sum_axis exp(x)}, the shape kept. The row maximum is subtracted first (under
     * {@code stop_gradient}: softmax is invariant to the shift, so the value and every derivative
     * stay exact while {@code exp} cannot overflow). {@code -inf} entries get probability 0.
     */
    public static Tensor softmax(Tensor x, int axis) {
        int[] ax = {x.axis(axis)};
        Tensor e = x.sub(shift(x, ax)).exp();
        return e.div(e.sum(ax, true));
    }

    /** {@code x - log(sum_axis exp(x))}, the shape kept; stable for large inputs as {@link #softmax} is. */
    public static Tensor logSoftmax(Tensor x, int axis) {
        int[] ax = {x.axis(axis)};
        Tensor z = x.sub(shift(x, ax));
        return z.sub(z.exp().sum(ax, true).log());
    }

    /** {@code log(sum_axes exp(x))} over the given axes (all if none), which disappear; stable. */
    public static Tensor logSumExp(Tensor x, int... axes) { return logSumExp(x, axes, false); }

    /**
     * {@code log(sum_axes exp(x))} over the given axes (all if none), kept with size 1 if
     * {@code keepDims}. All {@code -inf} gives {@code -inf} (not NaN): the shift is then 0 and
     * {@code log(0) = -inf}.
     */
    public static Tensor logSumExp(Tensor x, int[] axes, boolean keepDims) {
        // The shift m is exact algebraically (log sum exp(x - m) + m); stop_gradient keeps the
        // derivative of the max (a subgradient at ties) out of the graph: it cancels anyway.
        int[] all = axes.length == 0 ? Ints.range(x.rank()).toArray() : axes;
        int[] ax = new int[all.length];
        for (int i = 0; i < ax.length; i++) ax[i] = x.axis(all[i]);
        Tensor m = shift(x, ax);
        Tensor r = x.sub(m).exp().sum(ax, true).log().add(m);
        if (keepDims) return r;
        boolean[] drop = new boolean[x.rank()];
        for (int a : ax) drop[a] = true;
        int[] dims = new int[x.rank()];
        int n = 0;
        for (int a = 0; a < x.rank(); a++) if (!drop[a]) dims[n++] = x.dim(a);
        return r.reshape(Arrays.copyOf(dims, n));
    }

    // ---- normalisation ------------------------------------------------------------------------

    /** A mean and a (biased) variance. */
    public record Moments(Tensor mean, Tensor variance) {}

    /**
     * Layer normalisation over the last {@code normalizedAxes} axes: {@code (x - mean) / sqrt(var + eps)}
     * with the biased variance, then {@code * weight + bias} (each of shape {@code x.shape[-normalizedAxes:]},
     * or null to skip), as PyTorch's {@code layer_norm}.
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, int normalizedAxes, double eps) {
        if (normalizedAxes < 1 || normalizedAxes > x.rank()) {
            throw error("layer_norm", "normalizedAxes must be in [1, rank " + x.rank() + "], got " + normalizedAxes + "; x: " + x.shape());
        }
        int[] ax = new int[normalizedAxes];
        for (int i = 0; i < ax.length; i++) ax[i] = x.rank() - normalizedAxes + i;
        Shape tail = Shape.of(Arrays.copyOfRange(x.shape().dims(), x.rank() - normalizedAxes, x.rank()));
        checkAffine("layer_norm", x, weight, tail, "weight");
        checkAffine("layer_norm", x, bias, tail, "bias");
        return affine(normalize(x, ax, eps), weight, bias);
    }

    /**
     * Batch normalisation in training mode: each channel (axis {@code channelAxis}) is normalised
     * with the mean and biased variance over every other axis of this batch, then scaled by
     * {@code weight [C]} and shifted by {@code bias [C]} (either may be null). The running averages
     * PyTorch keeps are the caller's: {@link #batchNormStats} gives this batch's statistics.
     */
    public static Tensor batchNorm(Tensor x, Tensor weight, Tensor bias, double eps, int channelAxis) {
        int c = channel("batch_norm", x, channelAxis);
        Tensor y = normalize(x, otherAxes(x, c), eps);
        return affine(y, channelVector("batch_norm", x, weight, c, "weight"), channelVector("batch_norm", x, bias, c, "bias"));
    }

    /** The per-channel mean and biased variance ({@code [C]} each) over every axis but {@code channelAxis}. */
    public static Moments batchNormStats(Tensor x, int channelAxis) {
        int c = channel("batch_norm", x, channelAxis);
        int[] ax = otherAxes(x, c);
        Tensor mean = x.mean(ax, true);
        Tensor var = x.sub(mean).square().mean(ax, false);
        return new Moments(mean.reshape(x.dim(c)), var);
    }

    /**
     * Batch normalisation in inference mode: {@code (x - mean) / sqrt(var + eps) * weight + bias} with
     * given per-channel statistics {@code mean [C]} and {@code var [C]} (weight, bias may be null).
     */
    public static Tensor batchNormInference(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, double eps,
            int channelAxis) {
        int c = channel("batch_norm", x, channelAxis);
        Tensor m = channelVector("batch_norm", x, mean, c, "mean"), v = channelVector("batch_norm", x, var, c, "var");
        Tensor y = x.sub(m).mul(v.add(eps).rsqrt());
        return affine(y, channelVector("batch_norm", x, weight, c, "weight"), channelVector("batch_norm", x, bias, c, "bias"));
    }

    /**
     * Group normalisation (PyTorch {@code group_norm}): the channels (axis {@code channelAxis}, not
     * the batch axis 0) are cut into {@code groups} consecutive groups, and each sample's group is
     * normalised over its channels and every axis but the batch axis; then per-channel
     * {@code weight [C]} and {@code bias [C]} (either may be null).
     */
    public static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps, int channelAxis) {
        int c = channel("group_norm", x, channelAxis);
        if (c == 0) throw error("group_norm", "the channel axis cannot be the batch axis 0; x: " + x.shape());
        int ch = x.dim(c);
        if (groups < 1 || ch % groups != 0) {
            throw error("group_norm", "groups " + groups + " must be >= 1 and divide the " + ch + " channels; x: " + x.shape());
        }
        // Move the channels next to the batch axis, split them into [G, C/G], normalise over all but N and G.
        int r = x.rank();
        int[] perm = new int[r];
        perm[0] = 0;
        perm[1] = c;
        for (int a = 1, j = 2; a < r; a++) if (a != c) perm[j++] = a;
        Tensor xt = x.transpose(perm);
        int[] dims = xt.shape().dims();
        int[] grouped = new int[r + 1];
        grouped[0] = dims[0];
        grouped[1] = groups;
        grouped[2] = ch / groups;
        System.arraycopy(dims, 2, grouped, 3, r - 2);
        int[] ax = new int[r - 1];
        for (int i = 0; i < ax.length; i++) ax[i] = i + 2;
        Tensor y = normalize(xt.reshape(grouped), ax, eps).reshape(dims);
        int[] inverse = new int[r];
        for (int i = 0; i < r; i++) inverse[perm[i]] = i;
        y = y.transpose(inverse);
        return affine(y, channelVector("group_norm", x, weight, c, "weight"), channelVector("group_norm", x, bias, c, "bias"));
    }

    /** RMS normalisation over the last axis: {@code x / sqrt(mean(x^2) + eps) * weight} ({@code weight [D]} or null). */
    public static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        if (x.rank() < 1) throw error("rms_norm", "x must have rank >= 1; x: " + x.shape());
        checkAffine("rms_norm", x, weight, Shape.of(x.dim(-1)), "weight");
        Tensor y = x.mul(x.square().mean(new int[] {x.rank() - 1}, true).add(eps).rsqrt());
        return affine(y, weight, null);
    }

    /** {@code (x - mean) * rsqrt(var + eps)} over {@code ax}, biased variance. */
    private static Tensor normalize(Tensor x, int[] ax, double eps) {
        Tensor d = x.sub(x.mean(ax, true));
        return d.mul(d.square().mean(ax, true).add(eps).rsqrt());
    }

    private static Tensor affine(Tensor y, Tensor weight, Tensor bias) {
        if (weight != null) y = y.mul(weight);
        if (bias != null) y = y.add(bias);
        return y;
    }

    private static void checkAffine(String op, Tensor x, Tensor p, Shape want, String what) {
        if (p != null && !p.shape().equals(want)) {
            throw error(op, "the " + what + " must have shape " + want + "; x: " + x.shape() + ", " + what + ": " + p.shape());
        }
    }

    private static int channel(String op, Tensor x, int channelAxis) {
        if (x.rank() < 2) throw error(op, "x must have rank >= 2 (a batch axis and a channel axis); x: " + x.shape());
        if (channelAxis < -x.rank() || channelAxis >= x.rank()) {
            throw error(op, "channel axis " + channelAxis + " is out of range for x: " + x.shape());
        }
        return x.axis(channelAxis);
    }

    private static int[] otherAxes(Tensor x, int c) {
        int[] ax = new int[x.rank() - 1];
        for (int a = 0, j = 0; a < x.rank(); a++) if (a != c) ax[j++] = a;
        return ax;
    }

    /** A {@code [C]} vector reshaped to broadcast along channel axis {@code c} of x; null stays null. */
    private static Tensor channelVector(String op, Tensor x, Tensor v, int c, String what) {
        if (v == null) return null;
        checkAffine(op, x, v, Shape.of(x.dim(c)), what);
        int[] dims = new int[x.rank()];
        Arrays.fill(dims, 1);
        dims[c] = x.dim(c);
        return v.reshape(dims);
    }

    // ---- attention ----------------------------------------------------------------------------

    /**
     * Scaled dot-product attention: {@code softmax(q k^T * scale) v} for {@code q [..., T, D]},
     * {@code k [..., S, D]}, {@code v [..., S, Dv]} (leading axes broadcast as in matmul); a NaN
     * {@code scale} means {@code 1/sqrt(D)}. If {@code causal}, query {@code i} sees keys
     * {@code j <= i} only (PyTorch's {@code is_causal}, top-left aligned): the others' scores are
     * set to {@code -inf} by a select on an iota comparison, which the softmax turns into exact
     * zeros (its shift keeps a fully masked row from computing {@code -inf - -inf}).
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean causal, double scale) {
        if (q.rank() < 2 || k.rank() < 2 || v.rank() < 2 || q.dim(-1) != k.dim(-1) || k.dim(-2) != v.dim(-2)) {
            throw error("scaled_dot_product_attention", "needs q [..., T, D], k [..., S, D], v [..., S, Dv]; q: " + q.shape()
                    + ", k: " + k.shape() + ", v: " + v.shape());
        }
        double sc = Double.isNaN(scale) ? 1 / Math.sqrt(q.dim(-1)) : scale;
        Tensor s = q.matmul(k.mT()).mul(sc);
        if (causal) {
            Graph g = q.graph();
            Shape ts = Shape.of(q.dim(-2), k.dim(-2));
            Tensor visible = g.iota(ts, 1).le(g.iota(ts, 0));
            s = Tensor.where(visible, s, g.constant(Double.NEGATIVE_INFINITY, s.dtype()));
        }
        return softmax(s, -1).matmul(v);
    }

    /**
     * Multi-head self-attention without biases: {@code x [B, T, D]}, projections {@code w [D, D]}
     * applied as {@code x @ w}; the projected q, k, v are split into {@code heads} heads of
     * {@code D / heads}, attended per head with {@link #scaledDotProductAttention} (scale
     * {@code 1/sqrt(D/heads)}), merged back and projected by {@code wo}.
     */
    public static Tensor multiHeadAttention(Tensor x, Tensor wq, Tensor wk, Tensor wv, Tensor wo, int heads, boolean causal) {
        if (x.rank() != 3) throw error("multi_head_attention", "x must have rank 3 [B, T, D]; x: " + x.shape());
        int b = x.dim(0), t = x.dim(1), d = x.dim(2);
        Shape dd = Shape.of(d, d);
        for (Tensor w : new Tensor[] {wq, wk, wv, wo}) {
            if (!w.shape().equals(dd)) {
                throw error("multi_head_attention", "every projection must have shape " + dd + "; x: " + x.shape() + ", w: " + w.shape());
            }
        }
        if (heads < 1 || d % heads != 0) {
            throw error("multi_head_attention", "heads " + heads + " must be >= 1 and divide the width " + d + "; x: " + x.shape());
        }
        int dh = d / heads;
        Tensor q = headsFirst(x.matmul(wq), b, t, heads, dh);
        Tensor k = headsFirst(x.matmul(wk), b, t, heads, dh);
        Tensor v = headsFirst(x.matmul(wv), b, t, heads, dh);
        Tensor o = scaledDotProductAttention(q, k, v, causal, Double.NaN);
        return o.transpose(0, 2, 1, 3).reshape(b, t, d).matmul(wo);
    }

    private static Tensor headsFirst(Tensor y, int b, int t, int heads, int dh) {
        return y.reshape(b, t, heads, dh).transpose(0, 2, 1, 3);
    }

    // ---- indexing -----------------------------------------------------------------------------

    /** An embedding lookup: row {@code ids[...]} of {@code weight [V, D]}, result {@code ids.shape + [D]}; a gather. */
    public static Tensor embedding(Tensor ids, Tensor weight) {
        if (weight.rank() != 2) throw error("embedding", "the weight must have rank 2 [V, D]; weight: " + weight.shape());
        if (!ids.dtype().isInteger()) {
            throw error("embedding", "ids must be i32 or i64, got " + ids.dtype().label() + "; ids: " + ids.shape());
        }
        return weight.gather(ids, 0);
    }

    /**
     * One-hot encoding: {@code labels.shape + [classes]} of type {@code t}, 1 where the last index
     * equals the label (ids outside {@code [0, classes)} give a row of zeros). An iota comparison.
     */
    public static Tensor oneHot(Tensor labels, int classes, DType t) {
        if (classes < 1) throw error("one_hot", "needs classes >= 1, got " + classes + "; labels: " + labels.shape());
        if (labels.dtype() == DType.BOOL) throw error("one_hot", "labels must be numeric class ids, got bool");
        int[] dims = Arrays.copyOf(labels.shape().dims(), labels.rank() + 1);
        dims[labels.rank()] = classes;
        Tensor ids = labels.stopGradient().unsqueeze(-1);
        return ids.eq(labels.graph().iota(Shape.of(dims), labels.rank(), labels.dtype())).convert(t);
    }

    // ---- losses -------------------------------------------------------------------------------

    /** PyTorch's default {@code ignore_index}. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    /**
     * Cross-entropy of {@code logits [N, C]} against {@code labels [N]} of class ids in {@code [0, C)}
     * (i32 or i64; float ids still work), as PyTorch's {@code cross_entropy}:
     * <ul>
     *   <li>rows whose label is {@code ignoreIndex} contribute 0 and are left out of the mean's
     *       denominator (all rows ignored: the mean is NaN, 0/0, as in PyTorch);
     *   <li>{@code labelSmoothing} {@code e} in {@code [0, 1]} mixes the target with the uniform
     *       distribution: {@code (1 - e) * -log p[label] + e/C * sum_c -log p[c]};
     *   <li>a {@code -inf} logit off the label contributes 0 and its gradient is finite: the label's
     *       log-probability is picked by a select, never by multiplying a one-hot mask with
     *       {@code -inf}. (With smoothing the sum over classes then is {@code +inf}, as in PyTorch.)
     * </ul>
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, Reduction reduction, int ignoreIndex, double labelSmoothing) {
        if (logits.rank() != 2) {
            throw error("cross_entropy", "logits must have rank 2 [N, C]; logits: " + logits.shape() + ", labels: " + labels.shape());
        }
        int n = logits.dim(0), c = logits.dim(1);
        if (labels.rank() != 1 || labels.dim(0) != n) {
            throw error("cross_entropy", "labels must have shape [N] = [" + n + "] (one class id per row of the logits); logits: "
                    + logits.shape() + ", labels: " + labels.shape());
        }
        if (labels.dtype() == DType.BOOL) throw error("cross_entropy", "labels must be class ids (i32, i64 or float), got bool");
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw error("cross_entropy", "label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        Graph g = logits.graph();
        Tensor ids = labels.stopGradient();
        Tensor lsm = logSoftmax(logits, 1);
        Tensor zero = g.constant(0.0, logits.dtype());
        // eq rather than ne, and the count of valid rows as N minus the ignored ones: only the
        // comparisons and the bool-to-float convert that every backend had before op set v2.
        Tensor ignored = ids.eq((double) ignoreIndex);
        // Each row's log-probability is picked with take_along_axis, whose index check (in the
        // interpreter and the executor) makes a label out of [0, C) a run-time error naming the
        // node, the label and the row, as PyTorch raises; a one-hot mask would silently give loss 0
        // (issue 11). Ignored rows pick class 0 and are zeroed below. A float label must be a whole
        // number: any other (0.5, NaN) is sent to index -1, so it too fails the check.
        Tensor index;
        if (labels.dtype().isFloat()) {
            Tensor whole = ids.eq(ids.floor());
            index = Tensor.where(whole, ids, g.constant(-1.0, labels.dtype())).convert(DType.I64);
        } else index = ids;
        index = Tensor.where(ignored, g.constant(0.0, index.dtype()), index);
        Tensor perSample = lsm.takeAlongAxis(index.reshape(n, 1), 1).reshape(n).neg();
        if (labelSmoothing > 0) {
            perSample = perSample.mul(1 - labelSmoothing).add(lsm.sum(1).neg().mul(labelSmoothing / c));
        }
        perSample = Tensor.where(ignored, zero, perSample);
        return switch (reduction) {
            case MEAN -> perSample.sum().div(ignored.convert(logits.dtype()).sum().neg().add((double) n));
            case SUM -> perSample.sum();
            case NONE -> perSample;
        };
    }

    /**
     * Cross-entropy of {@code logits [N, C]} against {@code labels [N]} holding class ids, reduced as
     * asked, with PyTorch's defaults (ignore index -100, no smoothing); see
     * {@link #crossEntropy(Tensor, Tensor, Reduction, int, double)}.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, Reduction reduction) {
        return crossEntropy(logits, labels, reduction, DEFAULT_IGNORE_INDEX, 0.0);
    }

    /** Cross-entropy averaged over the batch; see {@link #crossEntropy(Tensor, Tensor, Reduction)}. */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) { return crossEntropy(logits, labels, Reduction.MEAN); }

    /** Mean-squared error: {@code (input - target)^2} reduced over all elements; shapes must be equal. */
    public static Tensor mse(Tensor input, Tensor target, Reduction reduction) {
        if (!input.shape().equals(target.shape())) {
            throw error("mse", "input and target must have equal shapes (no broadcasting, which would hide a bug); input: "
                    + input.shape() + ", target: " + target.shape());
        }
        return reduce(input.sub(target).square(), reduction);
    }

    /** Mean-squared error averaged over all elements. */
    public static Tensor mse(Tensor input, Tensor target) { return mse(input, target, Reduction.MEAN); }

    private static Tensor reduce(Tensor t, Reduction reduction) {
        return switch (reduction) {
            case MEAN -> t.mean();
            case SUM -> t.sum();
            case NONE -> t;
        };
    }

    // ---- pooling ------------------------------------------------------------------------------

    /**
     * Max pooling over the spatial axes of {@code x [N, S.., C]} (channels last): one
     * {@link WindowMax} primitive with window 1 on the batch and channel axes. Padding is negative
     * infinity (it never wins); ties go to the first maximum in the window's row-major scan order and
     * a NaN in a window makes it NaN, as in PyTorch. The gradient is one {@link WindowMaxScatter}.
     *
     * @param window window size per spatial axis
     * @param strides step per spatial axis
     * @param padLo padding before each spatial axis ({@code >= 0})
     * @param padHi padding after each spatial axis ({@code >= 0})
     */
    public static Tensor maxPool(Tensor x, int[] window, int[] strides, int[] padLo, int[] padHi) {
        int[] ones = new int[window.length];
        Arrays.fill(ones, 1);
        return maxPool(x, window, strides, padLo, padHi, ones);
    }

    /**
     * Max pooling over the spatial axes of {@code x [N, S.., C]} with dilated windows (ONNX's
     * {@code dilations}: tap {@code t} of window {@code o} reads {@code o * stride - padLo + t * dilation});
     * see {@link #maxPool(Tensor, int[], int[], int[], int[])}.
     */
    public static Tensor maxPool(Tensor x, int[] window, int[] strides, int[] padLo, int[] padHi, int[] dilation) {
        poolCheck("max_pool", x, window, strides, padLo, padHi);
        if (dilation.length != window.length) {
            throw error("max_pool", "dilation " + Arrays.toString(dilation) + " needs one entry per spatial axis (window "
                    + Arrays.toString(window) + ")");
        }
        return maxPool(x, new Window(Ints.of(spatialAttr(window, 1)), Ints.of(spatialAttr(strides, 1)),
                Ints.of(spatialAttr(padLo, 0)), Ints.of(spatialAttr(padHi, 0)), Ints.of(spatialAttr(dilation, 1))));
    }

    /**
     * The windowed maximum of {@code x} over a window given for <em>every</em> axis (window 1, stride
     * 1, no padding on batch and channel axes): channels-first and channels-last layouts, any number of
     * spatial axes, dilations. One {@link WindowMax} node; errors name the axis and attribute at fault.
     */
    public static Tensor maxPool(Tensor x, Window window) {
        return x.graph().add(() -> new WindowMax(window), x);
    }

    /** A spatial attribute extended with {@code fill} for the batch and channel axes. */
    private static int[] spatialAttr(int[] spatial, int fill) {
        int[] v = new int[spatial.length + 2];
        Arrays.fill(v, fill);
        System.arraycopy(spatial, 0, v, 1, spatial.length);
        return v;
    }

    /** Max pooling with symmetric padding; see {@link #maxPool(Tensor, int[], int[], int[], int[])}. */
    public static Tensor maxPool(Tensor x, int[] window, int[] strides, int[] padding) {
        return maxPool(x, window, strides, padding, padding);
    }

    /**
     * Average pooling over the spatial axes of {@code x [N, S.., C]}: the sum of the window's strided
     * slices of the zero-padded input, divided by the window volume if {@code countIncludePad},
     * else by the number of window positions inside the unpadded input (a constant computed
     * here, one per output position).
     */
    public static Tensor avgPool(Tensor x, int[] window, int[] strides, int[] padLo, int[] padHi, boolean countIncludePad) {
        int[] out = poolCheck("avg_pool", x, window, strides, padLo, padHi);
        Tensor xp = any(padLo) || any(padHi) ? x.pad(full(padLo), full(padHi)) : x;
        Tensor acc = null;
        for (int[] t : offsets(window)) {
            Tensor s = windowSlice(xp, t, strides, out);
            acc = acc == null ? s : acc.add(s);
        }
        int r = window.length;
        if (countIncludePad || !(any(padLo) || any(padHi))) {
            long vol = 1;
            for (int k : window) vol *= k;
            return acc.div((double) vol);
        }
        // counts[o..] = prod over axes of #{t in [0, k) : 0 <= o*s + t - lo < L}: separable per axis.
        int[] cdims = new int[r + 2];
        cdims[0] = 1;
        cdims[r + 1] = 1;
        for (int a = 0; a < r; a++) cdims[a + 1] = out[a];
        Shape cs = Shape.of(cdims);
        double[] counts = new double[cs.size()];
        int[] idx = new int[r];
        for (int i = 0; i < counts.length; i++) {
            int rem = i;
            for (int a = r - 1; a >= 0; a--) {
                idx[a] = rem % out[a];
                rem /= out[a];
            }
            double c = 1;
            for (int a = 0; a < r; a++) {
                int begin = idx[a] * strides[a] - padLo[a], len = x.dim(a + 1);
                int lo = Math.max(begin, 0), hi = Math.min(begin + window[a], len);
                c *= Math.max(hi - lo, 0);
            }
            counts[i] = c;
        }
        return acc.div(x.graph().constant(x.dtype(), cs, counts));
    }

    /** Average pooling with symmetric padding; see {@link #avgPool(Tensor, int[], int[], int[], int[], boolean)}. */
    public static Tensor avgPool(Tensor x, int[] window, int[] strides, int[] padding, boolean countIncludePad) {
        return avgPool(x, window, strides, padding, padding, countIncludePad);
    }

    /** {@link #maxPool(Tensor, int[], int[], int[], int[])} on channels-first {@code x [N, C, S..]}. */
    public static Tensor maxPoolNchw(Tensor x, int[] window, int[] strides, int[] padding) {
        requireRankAtLeast("max_pool", x, 3, "[N, C, S..]");
        return toChannelsFirst(maxPool(toChannelsLast(x), window, strides, padding, padding));
    }

    /** {@link #avgPool(Tensor, int[], int[], int[], int[], boolean)} on channels-first {@code x [N, C, S..]}. */
    public static Tensor avgPoolNchw(Tensor x, int[] window, int[] strides, int[] padding, boolean countIncludePad) {
        requireRankAtLeast("avg_pool", x, 3, "[N, C, S..]");
        return toChannelsFirst(avgPool(toChannelsLast(x), window, strides, padding, padding, countIncludePad));
    }

    private static int[] poolCheck(String op, Tensor x, int[] window, int[] strides, int[] padLo, int[] padHi) {
        int r = window.length;
        if (r == 0) throw error(op, "the window must have at least one spatial axis");
        if (x.rank() != r + 2) {
            throw error(op, "x must have rank " + (r + 2) + " [N, " + r + " spatial axes, C] for a window of " + r
                    + " axes; x: " + x.shape() + ", window: " + Arrays.toString(window));
        }
        if (strides.length != r || padLo.length != r || padHi.length != r) {
            throw error(op, "window " + Arrays.toString(window) + ", strides " + Arrays.toString(strides) + ", padLo "
                    + Arrays.toString(padLo) + " and padHi " + Arrays.toString(padHi) + " need one entry per spatial axis each");
        }
        int[] out = new int[r];
        for (int a = 0; a < r; a++) {
            if (window[a] < 1 || strides[a] < 1 || padLo[a] < 0 || padHi[a] < 0) {
                throw error(op, "on spatial axis " + a + " need window >= 1, stride >= 1 and padding >= 0; window "
                        + Arrays.toString(window) + ", strides " + Arrays.toString(strides) + ", padLo " + Arrays.toString(padLo)
                        + ", padHi " + Arrays.toString(padHi));
            }
            int padded = x.dim(a + 1) + padLo[a] + padHi[a];
            if (window[a] > padded) {
                throw error(op, "window " + window[a] + " on spatial axis " + a + " is larger than the padded input ("
                        + x.dim(a + 1) + " + " + padLo[a] + " + " + padHi[a] + " = " + padded + "); x: " + x.shape()
                        + ", window: " + Arrays.toString(window));
            }
            out[a] = (padded - window[a]) / strides[a] + 1;
        }
        return out;
    }

    /** The slice of {@code xp [N, S.., C]} that window offset {@code t} sees at every output position. */
    private static Tensor windowSlice(Tensor xp, int[] t, int[] strides, int[] out) {
        int r = t.length;
        int[] start = new int[r + 2], stop = xp.shape().dims(), step = new int[r + 2];
        Arrays.fill(step, 1);
        for (int a = 0; a < r; a++) {
            start[a + 1] = t[a];
            stop[a + 1] = t[a] + (out[a] - 1) * strides[a] + 1;
            step[a + 1] = strides[a];
        }
        return xp.slice(start, stop, step);
    }

    /** All window offsets, row-major. */
    private static int[][] offsets(int[] window) {
        int n = 1;
        for (int k : window) n *= k;
        int[][] out = new int[n][window.length];
        for (int i = 0; i < n; i++) {
            int rem = i;
            for (int a = window.length - 1; a >= 0; a--) {
                out[i][a] = rem % window[a];
                rem /= window[a];
            }
        }
        return out;
    }

    /** Spatial padding extended with zeros for the batch and channel axes. */
    private static int[] full(int[] spatial) {
        int[] v = new int[spatial.length + 2];
        System.arraycopy(spatial, 0, v, 1, spatial.length);
        return v;
    }

    private static boolean any(int[] v) {
        for (int x : v) if (x != 0) return true;
        return false;
    }

    // ---- convolution --------------------------------------------------------------------------

    /**
     * The convolution primitive (a correlation), channels last: {@code x [N, S.., Cin]},
     * {@code k [K.., Cin/groups, Cout]}, result {@code [N, O.., Cout]}; see {@link Conv} for the
     * attributes (padding may be negative, which crops).
     */
    public static Tensor conv(Tensor x, Tensor k, int[] strides, int[] padLo, int[] padHi, int[] lhsDilation,
            int[] rhsDilation, int groups) {
        return x.graph().add(() -> new Conv(Ints.of(strides), Ints.of(padLo), Ints.of(padHi), Ints.of(lhsDilation),
                Ints.of(rhsDilation), groups), x, k);
    }

    /** A convolution with the given strides and symmetric padding per spatial axis, no dilation, one group. */
    public static Tensor conv(Tensor x, Tensor k, int[] strides, int[] padding) {
        int r = strides.length;
        return conv(x, k, strides, padding, padding, ones(r), ones(r), 1);
    }

    /** A convolution with stride 1 and no padding ("valid"). */
    public static Tensor conv(Tensor x, Tensor k) {
        int r = Math.max(k.rank() - 2, 0);
        return conv(x, k, ones(r), new int[r], new int[r], ones(r), ones(r), 1);
    }

    /**
     * PyTorch-layout convolution over any number of spatial axes: {@code x [N, Cin, S..]},
     * {@code w [Cout, Cin/groups, K..]} (OIHW), optional {@code bias [Cout]} (may be null),
     * result {@code [N, Cout, O..]}. Transposes to channels last, convolves, transposes back.
     *
     * @param dilation kernel (rhs) dilation per spatial axis
     */
    public static Tensor convChannelsFirst(Tensor x, Tensor w, Tensor bias, int[] strides, int[] padLo, int[] padHi,
            int[] dilation, int groups) {
        requireRankAtLeast("conv", x, 3, "[N, Cin, S..]");
        int r = x.rank() - 2;
        if (w.rank() != r + 2) {
            throw error("conv", "the weight must have rank " + (r + 2) + " [Cout, Cin/groups, K..] like x " + x.shape()
                    + "; w: " + w.shape());
        }
        int[] kperm = new int[r + 2];
        for (int a = 0; a < r; a++) kperm[a] = a + 2;
        kperm[r] = 1;
        kperm[r + 1] = 0;
        Tensor y = conv(toChannelsLast(x), w.transpose(kperm), strides, padLo, padHi, ones(r), dilation, groups);
        return addChannelBias(toChannelsFirst(y), bias, "conv");
    }

    /** {@link #convChannelsFirst} for 2 spatial axes: {@code x [N, C, H, W]}, {@code w [O, I/groups, kh, kw]}. */
    public static Tensor conv2dNchw(Tensor x, Tensor w, Tensor bias, int[] strides, int[] padLo, int[] padHi,
            int[] dilation, int groups) {
        if (x.rank() != 4) throw error("conv2d", "x must have rank 4 [N, C, H, W]; x: " + x.shape());
        return convChannelsFirst(x, w, bias, strides, padLo, padHi, dilation, groups);
    }

    /** {@link #conv2dNchw} with symmetric padding, no dilation, one group and no bias. */
    public static Tensor conv2dNchw(Tensor x, Tensor w, int[] strides, int[] padding) {
        return conv2dNchw(x, w, null, strides, padding, padding, ones(2), 1);
    }

    /**
     * Transposed convolution (deconvolution), channels last, with PyTorch {@code conv_transpose}
     * semantics: {@code x [N, S.., Cin]}, {@code w [K.., Cin, Cout/groups]} (PyTorch's
     * {@code [Cin, Cout/groups, K..]} moved channels last), result {@code [N, O.., Cout]} with
     * {@code O = (I-1)*stride - 2*padding + dilation*(K-1) + outputPadding + 1}.
     *
     * <p>It is a plain convolution of the stride-dilated input (lhs dilation = stride) with the
     * kernel reversed spatially, in/out channels swapped and regrouped per group, padding
     * {@code dilation*(K-1) - padding} before and that plus {@code outputPadding} after (negative
     * padding crops): the closure of the op set under transposition, used directly.
     */
    public static Tensor convTranspose(Tensor x, Tensor w, int[] strides, int[] padding, int[] outputPadding,
            int[] dilation, int groups) {
        requireRankAtLeast("conv_transpose", x, 3, "[N, S.., Cin]");
        int r = x.rank() - 2;
        if (w.rank() != r + 2) {
            throw error("conv_transpose", "the weight must have rank " + (r + 2) + " [K.., Cin, Cout/groups]; x: " + x.shape()
                    + ", w: " + w.shape());
        }
        if (strides.length != r || padding.length != r || outputPadding.length != r || dilation.length != r) {
            throw error("conv_transpose", "strides, padding, outputPadding and dilation need one entry per spatial axis ("
                    + r + ") each");
        }
        int cin = x.dim(r + 1);
        if (groups < 1 || cin % groups != 0) {
            throw error("conv_transpose", "groups " + groups + " must be >= 1 and divide the input channels " + cin);
        }
        if (w.dim(r) != cin) {
            throw error("conv_transpose", "weight axis " + r + " (size " + w.dim(r) + ") must equal the input channels " + cin
                    + "; x: " + x.shape() + ", w: " + w.shape());
        }
        int cgOut = w.dim(r + 1);
        int[] out = new int[r + 2];
        out[0] = x.dim(0);
        out[r + 1] = groups * cgOut;
        for (int a = 0; a < r; a++) {
            if (strides[a] < 1 || dilation[a] < 1 || padding[a] < 0 || outputPadding[a] < 0) {
                throw error("conv_transpose", "need stride >= 1, dilation >= 1, padding >= 0 and outputPadding >= 0 on spatial axis " + a);
            }
            if (outputPadding[a] >= Math.max(strides[a], dilation[a])) {
                throw error("conv_transpose", "outputPadding " + outputPadding[a] + " on spatial axis " + a
                        + " must be smaller than max(stride, dilation) = " + Math.max(strides[a], dilation[a]));
            }
            out[a + 1] = (x.dim(a + 1) - 1) * strides[a] - 2 * padding[a] + dilation[a] * (w.dim(a) - 1) + outputPadding[a] + 1;
        }
        // A transposed convolution is the input gradient of the forward conv y[N, out.., Cout] -> x,
        // whose kernel is w with its channel axes swapped, [K.., Cout/G, Cin]; the Conv record
        // computes that gradient's attributes and kernel relayout (one algebra with autodiff's).
        int[] swap = new int[r + 2];
        for (int a = 0; a < r; a++) swap[a] = a;
        swap[r] = r + 1;
        swap[r + 1] = r;
        Tensor kf = w.transpose(swap);
        Conv forward = new Conv(Ints.of(strides), Ints.of(padding), Ints.of(padding), Ints.filled(r, 1), Ints.of(dilation), groups);
        Conv.Transposed t = forward.inputGradient(Shape.of(out), kf.shape(), x.shape());
        Tensor k = kf;
        for (Op op : t.rhs().ops()) k = x.graph().add(op, k);
        Conv c = t.conv();
        return conv(x, k, c.strides().toArray(), c.padLo().toArray(), c.padHi().toArray(), c.lhsDilation().toArray(),
                c.rhsDilation().toArray(), groups);
    }

    /**
     * PyTorch {@code conv_transpose2d}: {@code x [N, Cin, H, W]}, {@code w [Cin, Cout/groups, kh, kw]},
     * optional {@code bias [Cout]} (may be null); see {@link #convTranspose}.
     */
    public static Tensor convTranspose2dNchw(Tensor x, Tensor w, Tensor bias, int[] strides, int[] padding,
            int[] outputPadding, int[] dilation, int groups) {
        if (x.rank() != 4) throw error("conv_transpose2d", "x must have rank 4 [N, C, H, W]; x: " + x.shape());
        if (w.rank() != 4) throw error("conv_transpose2d", "w must have rank 4 [Cin, Cout/groups, kh, kw]; w: " + w.shape());
        Tensor y = convTranspose(toChannelsLast(x), w.transpose(2, 3, 0, 1), strides, padding, outputPadding, dilation, groups);
        return addChannelBias(toChannelsFirst(y), bias, "conv_transpose2d");
    }

    private static Tensor addChannelBias(Tensor y, Tensor bias, String op) {
        if (bias == null) return y;
        if (bias.rank() != 1 || bias.dim(0) != y.dim(1)) {
            throw error(op, "the bias must have shape [Cout] = [" + y.dim(1) + "]; bias: " + bias.shape());
        }
        int[] dims = new int[y.rank()];
        Arrays.fill(dims, 1);
        dims[1] = y.dim(1);
        return y.add(bias.reshape(dims));
    }

    /** {@code [N, C, S..] -> [N, S.., C]}. */
    public static Tensor toChannelsLast(Tensor x) {
        int r = x.rank();
        int[] perm = new int[r];
        for (int a = 1; a < r - 1; a++) perm[a] = a + 1;
        perm[r - 1] = 1;
        return x.transpose(perm);
    }

    /** {@code [N, S.., C] -> [N, C, S..]}. */
    public static Tensor toChannelsFirst(Tensor x) {
        int r = x.rank();
        int[] perm = new int[r];
        perm[1] = r - 1;
        for (int a = 2; a < r; a++) perm[a] = a - 1;
        return x.transpose(perm);
    }

    private static int[] ones(int r) {
        int[] v = new int[r];
        Arrays.fill(v, 1);
        return v;
    }

    private static void requireRankAtLeast(String op, Tensor x, int rank, String layout) {
        if (x.rank() < rank) throw error(op, "x must have rank >= " + rank + " " + layout + "; x: " + x.shape());
    }

    private static ShapeException error(String op, String rule) {
        return new ShapeException(op + ": " + rule + " (at " + CallSite.describe(CallSite.capture()) + ")");
    }
}
