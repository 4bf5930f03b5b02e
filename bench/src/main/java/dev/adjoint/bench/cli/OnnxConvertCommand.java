package dev.adjoint.bench.cli;

import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.pass.Optimizer;
import dev.adjoint.graph.pass.Rewritten;
import dev.adjoint.onnx.LoadOptions;
import dev.adjoint.onnx.Onnx;
import dev.adjoint.onnx.OnnxExporter;
import dev.adjoint.onnx.OnnxModel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code adjoint onnx convert IN.onnx OUT.onnx}: import, optimize with graph-core's
 * {@link Optimizer}, export at opset 17 ({@link OnnxExporter}). The inputs and outputs keep their
 * ONNX names; symbolic sizes become the static ones given.
 */
@Command(name = "convert", mixinStandardHelpOptions = true, versionProvider = dev.adjoint.bench.Main.Version.class, sortOptions = false,
        description = {"Import an ONNX model, optimize it (constant folding, algebraic identities, CSE, dead code) and export it"
                + " at opset 17 with static shapes.",
                "Example: adjoint onnx convert resnet18.onnx resnet18-b8.onnx --batch 8"})
public final class OnnxConvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "The .onnx file to read.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The .onnx file to write (replaced if it exists).")
    Path out;

    @Option(names = "--batch", paramLabel = "B", description = "Size of symbolic first (batch) axes. Default: ${DEFAULT-VALUE}.")
    int batch = 1;

    @Option(names = "--no-optimize", description = "Export the imported graph as it is.")
    boolean noOptimize;

    @Override public Integer call() throws Exception {
        if (!Files.isRegularFile(in)) throw Flags.error(spec, "IN " + in + ": no such file");
        Flags.atLeast(spec, "--batch", batch, 1);
        if (!out.getFileName().toString().endsWith(".onnx")) throw Flags.error(spec, "OUT " + out + " must end in .onnx");
        PrintWriter pw = spec.commandLine().getOut();
        OnnxModel m = Onnx.load(in, LoadOptions.defaults().withBatch(batch));
        List<String> names = new ArrayList<>(m.outputs().keySet());
        List<Tensor> outputs = new ArrayList<>(m.outputs().values());
        int imported = m.graph().size();
        int optimized = imported;
        if (!noOptimize) {
            Rewritten r = Optimizer.optimize(outputs);
            outputs = r.outputs();
            optimized = r.graph().size();
        }
        Map<String, Tensor> named = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) named.put(names.get(i), outputs.get(i));
        OnnxExporter.save(named, out);
        pw.printf("%s: %d Adjoint nodes imported%s -> %s (opset %d, %d bytes)%n", in, imported,
                noOptimize ? "" : ", " + optimized + " after optimizing", out, OnnxExporter.OPSET, Files.size(out));
        pw.flush();
        return 0;
    }
}
