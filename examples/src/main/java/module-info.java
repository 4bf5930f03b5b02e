/** A consumer of Adjoint on the module path. */
module dev.adjoint.example {
    requires dev.adjoint.autodiff;
    requires dev.adjoint.kernels;
}
