/**
 * Adjoint's automatic differentiation: forward mode (JVP) and reverse mode (VJP by transposing
 * the linearized graph) as graph-to-graph transformations, higher orders, and gradient checking.
 */
module dev.adjoint.autodiff {
    requires transitive dev.adjoint.graph;

    exports dev.adjoint.autodiff;
}
