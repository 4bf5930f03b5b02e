package dev.adjoint.train;

/**
 * What a step or an evaluation measured.
 *
 * @param loss the mean loss over the examples
 * @param correct examples whose argmax is the target (0 if the targets are not class ids)
 * @param count examples
 */
public record Metrics(double loss, long correct, long count) {
    /** {@code correct / count}. */
    public double accuracy() { return count == 0 ? Double.NaN : (double) correct / count; }

    /** These and {@code o} pooled, the losses weighted by their counts. */
    public Metrics plus(Metrics o) {
        long n = count + o.count;
        return new Metrics(n == 0 ? 0 : (loss * count + o.loss * o.count) / n, correct + o.correct, n);
    }

    /** Nothing measured yet. */
    public static Metrics empty() { return new Metrics(0, 0, 0); }
}
