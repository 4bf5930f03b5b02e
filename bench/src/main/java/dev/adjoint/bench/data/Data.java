package dev.adjoint.bench.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Chooses the training data: Fashion-MNIST from a directory when it is there; Debian's package
 * installed on the spot when the default directory is empty and we may (root with apt-get);
 * otherwise the small sample bundled in this jar. Says which in one line.
 */
public final class Data {
    private Data() {}

    /** The word for {@code --data} that selects the bundled sample. */
    public static final String SAMPLE = "sample";

    /**
     * Loaded splits.
     *
     * @param train the training split
     * @param test the test split
     * @param description where they came from, e.g. {@code "Fashion-MNIST from /usr/share/datasets/fashion-mnist"}
     */
    public record Loaded(Dataset train, Dataset test, String description) {}

    /**
     * Resolves and loads the data.
     *
     * @param dir {@code --data} (null for the default directory; {@link #SAMPLE} for the sample)
     * @param mayInstall whether to try {@code apt-get install dataset-fashion-mnist} for the default directory
     * @param out where the one line about the data goes
     */
    public static Loaded load(String dir, boolean mayInstall, PrintWriter out) throws IOException {
        if (SAMPLE.equals(dir)) return sample(out, "the bundled sample of Fashion-MNIST");
        Path path = dir == null ? FashionMnist.DEFAULT_DIR : Path.of(dir);
        if (!FashionMnist.available(path) && dir == null && mayInstall && canInstall()) {
            out.println("Fashion-MNIST is not installed; installing Debian's package dataset-fashion-mnist (apt-get) ...");
            install();
        }
        if (FashionMnist.available(path)) {
            Loaded l = new Loaded(FashionMnist.train(path), FashionMnist.test(path), "Fashion-MNIST from " + path);
            out.printf("data: %s (%d training, %d test images)%n", l.description(), l.train().size(), l.test().size());
            return l;
        }
        return sample(out, "no Fashion-MNIST in " + path + ", so the bundled sample");
    }

    private static Loaded sample(PrintWriter out, String why) throws IOException {
        Loaded l = new Loaded(read("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                read("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"), "the bundled Fashion-MNIST sample");
        out.printf("data: %s (%d training, %d test images); for the full set: apt-get install dataset-fashion-mnist,"
                + " or --data DIR%n", why, l.train().size(), l.test().size());
        return l;
    }

    private static Dataset read(String images, String labels) throws IOException {
        return FashionMnist.decode(resource(images), resource(labels), "sample/" + images);
    }

    private static Idx.Bytes resource(String name) throws IOException {
        String path = "sample/" + name;
        try (InputStream in = Data.class.getResourceAsStream(path)) {
            if (in == null) throw new IOException("the bundled sample " + path + " is missing from this build");
            return Idx.read(new java.util.zip.GZIPInputStream(in), path);
        }
    }

    private static boolean canInstall() {
        if (System.getenv("ADJOINT_NO_INSTALL") != null) return false;
        if (!Files.isExecutable(Path.of("/usr/bin/apt-get"))) return false;
        try {
            return "root".equals(System.getProperty("user.name")) || "0".equals(run("id", "-u").trim());
        } catch (IOException e) {
            return false;
        }
    }

    private static void install() {
        try {
            String[] cmd = {"/usr/bin/apt-get", "install", "-y", "-qq", "dataset-fashion-mnist"};
            if (exit(cmd) != 0) {
                exit(new String[] {"/usr/bin/apt-get", "update", "-qq"});
                exit(cmd);
            }
        } catch (IOException e) {
            // Falls through to the sample, which says why.
        }
    }

    private static int exit(String[] cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroy();
                return -1;
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return new String(p.getInputStream().readAllBytes());
    }
}
