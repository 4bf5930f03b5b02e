/**
 * Adjoint's graph core: shapes, the op set, the graph and its builder API, neural-network
 * composites, the float64 reference interpreter, graph passes, DOT export and the graph file
 * format. Depends on nothing but {@code java.base}.
 */
module dev.adjoint.graph {
    exports dev.adjoint.graph;
    exports dev.adjoint.graph.op;
    exports dev.adjoint.graph.io;
    exports dev.adjoint.graph.pass;
    exports dev.adjoint.graph.testing;
}
