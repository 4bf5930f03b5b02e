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
 * with the reference interpreter and prints the graph and the result.
 */
public final class Main {
    private Main() {}

    /** Entry point: {@code adjoint [demo]}. */
    public static void main(String[] args) {
        String command = args.length == 0 ? "demo" : args[0];
        switch (command) {
            case "demo" -> demo(System.out);
            default -> {
                System.err.println("adjoint: unknown command \"" + command + "\"; commands: demo");
                System.exit(2);
            }
        }
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
