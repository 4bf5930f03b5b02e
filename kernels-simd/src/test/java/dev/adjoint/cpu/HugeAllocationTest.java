package dev.adjoint.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.graph.DType;
import dev.adjoint.graph.Graph;
import dev.adjoint.graph.Shape;
import dev.adjoint.graph.Tensor;
import dev.adjoint.graph.io.GraphFile;
import dev.adjoint.graph.io.SavedGraph;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 #10: a small graph file may describe an iota of 2^31 - 9 elements; compiling it must
 * be refused with the memory it would need, not end in an OutOfMemoryError.
 */
class HugeAllocationTest {
    @Test void aTinyGraphFileAskingForSixteenGigabytesIsRefusedWithTheMemoryItNeeds() throws IOException {
        Graph g = new Graph();
        Tensor ramp = g.iota(Shape.of(Integer.MAX_VALUE - 9), 0, DType.F64);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        GraphFile.write(g, Map.of("ramp", ramp.mul(2.0)), file);
        assertTrue(file.size() < 1024, file.size() + " bytes");  // call sites included
        SavedGraph loaded = GraphFile.readSaved(new ByteArrayInputStream(file.toByteArray()));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Cpu.compile(List.of(loaded.output("ramp"))));
        assertTrue(e.getMessage().contains("needs") && e.getMessage().contains("MiB") && e.getMessage().contains("-Xmx"),
                e.getMessage());
        // The JVM is fine afterwards: a small plan still compiles and runs.
        Graph small = new Graph();
        Tensor x = small.input("x", 3);
        Plan p = Cpu.compile(List.of(x.mul(2.0)));
        p.run(Map.of(x, new float[] {1, 2, 3}));
        assertArrayEquals(new float[] {2, 4, 6}, p.output(0));
    }
}
