package dev.adjoint.bench.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fashion-MNIST (Debian package {@code dataset-fashion-mnist}): 60000 training and 10000 test
 * 28x28 grey images of 10 clothing classes, pixels scaled to [0, 1].
 */
public final class FashionMnist {
    private FashionMnist() {}

    /** Where Debian's package installs the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** The training split from {@code dir}. */
    public static Dataset train(Path dir) throws IOException {
        return load(dir, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
    }

    /** The test split from {@code dir}. */
    public static Dataset test(Path dir) throws IOException {
        return load(dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
    }

    /** Whether the files are present in {@code dir}. */
    public static boolean available(Path dir) {
        return Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz")) && Files.isRegularFile(dir.resolve("t10k-labels-idx1-ubyte.gz"));
    }

    private static Dataset load(Path dir, String images, String labels) throws IOException {
        if (!available(dir)) {
            throw new IOException("Fashion-MNIST not found in " + dir + "; install Debian's package dataset-fashion-mnist"
                    + " (apt-get install dataset-fashion-mnist) or pass --data DIR");
        }
        // available() looks at two of the four files; name whichever of this split's is missing.
        for (String f : new String[] {images, labels}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new IOException("Fashion-MNIST in " + dir + " is incomplete: " + dir.resolve(f) + " is missing (expected the"
                        + " four files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,"
                        + " t10k-labels-idx1-ubyte.gz)");
            }
        }
        return decode(Idx.read(dir.resolve(images)), Idx.read(dir.resolve(labels)), dir.toString());
    }

    /** Pairs decoded image and label files into a dataset; {@code name} is used in errors. */
    static Dataset decode(Idx.Bytes img, Idx.Bytes lab, String name) throws IOException {
        String dir = name;
        if (img.dims().length != 3 || lab.dims().length != 1 || img.dims()[0] != lab.dims()[0]) {
            throw new IOException(dir + ": images " + java.util.Arrays.toString(img.dims()) + " and labels "
                    + java.util.Arrays.toString(lab.dims()) + " do not pair up as [N, 28, 28] and [N]");
        }
        float[] x = new float[img.data().length];
        for (int i = 0; i < x.length; i++) x[i] = img.get(i) / 255f;
        int[] y = new int[lab.data().length];
        for (int i = 0; i < y.length; i++) y[i] = lab.get(i);
        return new Dataset(x, y, img.dims()[1] * img.dims()[2], 10);
    }
}
