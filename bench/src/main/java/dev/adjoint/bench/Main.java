package dev.adjoint.bench;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The {@code adjoint} command line. {@code demo} (the default) builds a small graph, evaluates it
 * with the reference interpreter and prints the graph and the result; {@code train} trains an MLP
 * on Fashion-MNIST through autodiff and the CPU executor.
 */
public final class Main {
    private Main() {}

    /** Entry point: {@code adjoint [demo]}. */
    public static void main(String[] args) {
        String command = args.length == 0 ? "demo" : args[0];
        try {
            switch (command) {
                case "demo" -> demo(System.out);
                case "train" -> train(java.util.Arrays.copyOfRange(args, 1, args.length));
                default -> usage("unknown command \"" + command + "\"");
            }
        } catch (IllegalArgumentException | java.io.IOException e) {
            System.err.println("adjoint: " + e.getMessage());
            System.exit(2);
        }
    }

    private static void usage(String problem) {
        System.err.println("adjoint: " + problem + "\n"
                + "usage: adjoint demo\n"
                + "       adjoint train [--epochs N] [--batch B] [--lr R] [--momentum M] [--hidden 256,128] [--threads T] [--seed S] [--data DIR]");
        System.exit(2);
    }

    /** Trains an MLP on Fashion-MNIST; flags as in the usage line. */
    static void train(String[] args) throws java.io.IOException {
        int epochs = 5, batch = 128, threads = Runtime.getRuntime().availableProcessors();
        float lr = 0.05f, momentum = 0.9f;
        long seed = 1;
        int[] hidden = {256, 128};
        java.nio.file.Path data = dev.adjoint.bench.data.FashionMnist.DEFAULT_DIR;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) usage(flag + " needs a value");
            String v = args[++i];
            try {
                switch (flag) {
                    case "--epochs" -> epochs = Integer.parseInt(v);
                    case "--batch" -> batch = Integer.parseInt(v);
                    case "--lr" -> lr = Float.parseFloat(v);
                    case "--momentum" -> momentum = Float.parseFloat(v);
                    case "--threads" -> threads = Integer.parseInt(v);
                    case "--seed" -> seed = Long.parseLong(v);
                    case "--data" -> data = java.nio.file.Path.of(v);
                    case "--hidden" -> hidden = java.util.Arrays.stream(v.split(",")).filter(t -> !t.isBlank()).mapToInt(Integer::parseInt).toArray();
                    default -> usage("unknown flag " + flag);
                }
            } catch (NumberFormatException e) {
                usage(flag + ": \"" + v + "\" is not a number");
            }
        }
        var train = dev.adjoint.bench.data.FashionMnist.train(data);
        var test = dev.adjoint.bench.data.FashionMnist.test(data);
        dev.adjoint.kernels.WorkSplitter splitter = threads <= 1 ? dev.adjoint.kernels.WorkSplitter.SERIAL
                : threads == Runtime.getRuntime().availableProcessors() ? dev.adjoint.cpu.Cpu.defaultPool()
                : new dev.adjoint.kernels.ThreadPool(threads);
        System.out.printf("Fashion-MNIST: %d training, %d test images; MLP 784-%s-10, batch %d, SGD lr %s momentum %s, %d thread(s)%n",
                train.size(), test.size(), java.util.Arrays.toString(hidden).replaceAll("[\\[\\] ]", "").replace(',', '-'),
                batch, lr, momentum, splitter.threads());
        var result = dev.adjoint.bench.train.MlpTraining.train(train, test,
                new dev.adjoint.bench.train.MlpTraining.Config(hidden, batch, lr, momentum, epochs, seed, splitter), System.out);
        System.out.printf("final test accuracy %.2f%%%n", 100 * result.testAccuracy());
    }

    /** The seed's quadratic form z = a x^2 + b x y + c y^2, and a tiny two-layer network, through the interpreter. */
    static void demo(PrintStream out) {
        Graph g = new Graph();
        Tensor a = g.input("a"), b = g.input("b"), c = g.input("c"), x = g.input("x"), y = g.input("y");
        Tensor z = a.mul(x.square()).add(b.mul(x).mul(y)).add(c.mul(y.square()));
        Map<Tensor, NdArray> feeds = Map.of(a, NdArray.scalar(3), b, NdArray.scalar(1), c, NdArray.scalar(-2),
                x, NdArray.scalar(4), y, NdArray.scalar(-1));
        out.println("z = a x^2 + b x y + c y^2 at a=3, b=1, c=-2, x=4, y=-1");
        out.print(g);
        out.println("z = " + Interpreter.run(g, feeds, z).item());

        Graph net = new Graph();
        Tensor in = net.input("x", 2, 3), w1 = net.input("w1", 3, 4), b1 = net.input("b1", 4), w2 = net.input("w2", 4, 1);
        Tensor outT = in.matmul(w1).add(b1).relu().matmul(w2).sigmoid();
        NdArray result = Interpreter.run(net, Map.of(
                in, NdArray.of(Shape.of(2, 3), 1, 2, 3, -1, 0, 1),
                w1, NdArray.of(Shape.of(3, 4), 0.1, -0.2, 0.3, 0.0, 0.5, 0.1, -0.1, 0.2, -0.3, 0.4, 0.2, 0.1),
                b1, NdArray.of(Shape.of(4), 0.0, 0.1, -0.1, 0.2),
                w2, NdArray.of(Shape.of(4, 1), 1, -1, 0.5, 2)), List.of(outT)).get(0);
        out.println();
        out.println("sigmoid(relu(x w1 + b1) w2) for a batch of 2, " + net.size() + " nodes:");
        out.println("shape " + result.shape() + " values " + Arrays.toString(result.data()));
    }
}
