/**
 * Adjoint's training library, in the JAX/Flax/Optax style: state is data and a step is a pure
 * graph. Parameters are named, typed arrays ({@code Params}); layers are records of
 * hyper-parameters that build graph nodes; optimizers are graph transforms over
 * (params, state, grads); a training step is one graph, traced per input signature and cached
 * ({@code Jit}); checkpoints are safetensors files.
 */
module dev.adjoint.train {
    requires transitive dev.adjoint.autodiff;
    requires transitive dev.adjoint.kernels;

    exports dev.adjoint.train;
}
