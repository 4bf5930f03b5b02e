package dev.adjoint.bench.cli;

import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Interpreter;
import dev.adjoint.graph.NdArray;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code adjoint demo}: a small graph through the reference interpreter. */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class,
        description = {"Evaluate two small graphs with the reference interpreter.", "Builds them, evaluates them with the float64 reference interpreter and prints graphs and results."})
public final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override public Integer call() {
        demo(spec.commandLine().getOut());
        return 0;
    }

    /** The quadratic form z = a x^2 + b x y + c y^2, and a tiny two-layer network, through the interpreter. */
    public static void demo(PrintWriter out) {
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
        out.flush();
    }
}
