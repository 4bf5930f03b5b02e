package dev.adjoint.bench.conformance;

/**
 * numpy's {@code allclose} rule: {@code |actual - expected| <= atol + rtol * |expected|}.
 *
 * @param rtol relative tolerance
 * @param atol absolute tolerance
 */
public record Tolerance(double rtol, double atol) {
    /** Exact equality (integer outputs: argmax, argmin). */
    public static final Tolerance EXACT = new Tolerance(0, 0);

    /** Whether {@code actual} is close enough to {@code expected} (NaN never is). */
    public boolean accepts(double expected, double actual) {
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
    }
}
