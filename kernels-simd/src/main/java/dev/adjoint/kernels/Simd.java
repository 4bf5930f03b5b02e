package dev.adjoint.kernels;

/**
 * Decides once whether kernels may use the Vector API. Vector code lives only in
 * {@link VecBlockOps}, which is never loaded when this says no, so the package still links
 * and runs (scalar) on a JVM started without {@code --add-modules jdk.incubator.vector}.
 */
final class Simd {
    private Simd() {}

    /** True when the Vector API module is present and not disabled by {@code -Dadjoint.vector=false}. */
    static final boolean ENABLED = detect();

    private static boolean detect() {
        String reason = null;
        if ("false".equalsIgnoreCase(System.getProperty("adjoint.vector", "true"))) {
            reason = "disabled by -Dadjoint.vector=false";
        } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            reason = "module jdk.incubator.vector is not resolved (start the JVM with --add-modules jdk.incubator.vector)";
        }
        if (reason != null) {
            System.err.println("WARNING: Adjoint kernels run scalar code: Vector API " + reason + ".");
            return false;
        }
        return true;
    }
}
