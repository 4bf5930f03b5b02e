package dev.adjoint.bench.data;

/**
 * A labelled classification dataset in memory.
 *
 * @param features {@code count * featureSize} floats, row-major
 * @param labels class ids in {@code [0, classes)}, one per example
 * @param featureSize floats per example
 * @param classes number of classes
 */
public record Dataset(float[] features, int[] labels, int featureSize, int classes) {
    /** Validates sizes and labels. */
    public Dataset {
        if (features.length != (long) labels.length * featureSize) {
            throw new IllegalArgumentException(labels.length + " labels but " + features.length + " floats for "
                    + featureSize + " features each");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " of example " + i + " is not in [0, " + classes + ")");
            }
        }
    }

    /** Number of examples. */
    public int size() { return labels.length; }

    /** Copies examples {@code order[from..from+n)} into {@code x} (features) and {@code y} (labels as floats). */
    public void batch(int[] order, int from, int n, float[] x, float[] y) {
        for (int i = 0; i < n; i++) {
            int e = order[from + i];
            System.arraycopy(features, e * featureSize, x, i * featureSize, featureSize);
            y[i] = labels[e];
        }
    }
}
