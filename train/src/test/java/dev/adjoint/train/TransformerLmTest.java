package dev.adjoint.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.Nn;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** A small causal transformer language model, trained a few steps on a made-up text. */
class TransformerLmTest {
    static final String TEXT = "the cat sat on the mat. the dog sat on the log. a cat and a dog sat on a mat and a log. ".repeat(4);

    static Layer gpt(int vocab, int context, int width, int heads) {
        Layer attention = new Residual(Sequential.of(LayerNorm.of(width), new MultiHeadAttention(width, heads, true)));
        Layer mlp = new Residual(Sequential.of(LayerNorm.of(width), Linear.of(width, 4 * width), Activation.GELU, Dropout.of(0.1),
                Linear.of(4 * width, width)));
        return Sequential.of(Embedding.of(vocab, width), new PositionalEmbedding(context, width), attention, mlp, LayerNorm.of(width),
                Linear.of(width, vocab));
    }

    @Test
    void aTinyGptLearnsTheText() {
        TreeSet<Character> chars = new TreeSet<>();
        for (char c : TEXT.toCharArray()) chars.add(c);
        String vocab = chars.stream().map(String::valueOf).reduce("", String::concat);
        int v = vocab.length(), t = 16, b = 8;
        Layer model = gpt(v, t, 32, 4);
        TrainStep step = TrainStep.of(model, Adam.adamW(3e-3).schedule(Schedule.cosine(3e-3, 60, 3e-4).withWarmup(5)).withClipNorm(1.0),
                (logits, y) -> Nn.crossEntropy(logits.reshape(-1, v), y.reshape(-1)));
        TrainState s = step.init(0);
        SplittableRandom rnd = new SplittableRandom(3);
        double first = 0, last = 0;
        Metrics lastMetrics = null;
        for (int i = 0; i < 60; i++) {
            int[] x = new int[b * t], y = new int[b * t];
            for (int r = 0; r < b; r++) {
                int start = rnd.nextInt(TEXT.length() - t - 1);
                for (int j = 0; j < t; j++) {
                    x[r * t + j] = vocab.indexOf(TEXT.charAt(start + j));
                    y[r * t + j] = vocab.indexOf(TEXT.charAt(start + j + 1));
                }
            }
            TrainStep.Result res = step.run(s, new Batch(HostArray.i32(x, b, t), HostArray.i32(y, b, t)));
            if (i == 0) first = res.metrics().loss();
            last = res.metrics().loss();
            lastMetrics = res.metrics();
            s = res.state();
        }
        assertEquals(Math.log(v), first, 0.5, "starts near uniform over " + v + " characters");
        assertTrue(last < first * 0.6, "loss " + first + " -> " + last);
        assertTrue(lastMetrics.correct() > 0);
        assertEquals(1, step.cacheSize());
        assertTrue(model.summary(dev.adjoint.graph.DType.I32, 2, t).contains("MultiHeadAttention"));
    }
}
