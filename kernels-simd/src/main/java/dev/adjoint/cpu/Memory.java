package dev.adjoint.cpu;

import java.util.Locale;

/**
 * The check {@link Cpu#compile} makes before it allocates: a plan (or a constant) larger than the
 * memory the JVM can still give is refused with an error saying how much it would need. Without
 * it, a small graph file can ask for an iota of 2^31 elements and the allocation ends in an
 * {@link OutOfMemoryError}, which may take down threads that have nothing to do with the plan
 * (issue 11).
 */
final class Memory {
    private Memory() {}

    /**
     * Requires that {@code bytes} more can be allocated: at most {@code Runtime.maxMemory()} minus
     * what is in use now (a collection may free more, so this refuses only what certainly cannot
     * fit after the live data, measured without forcing a collection).
     *
     * @throws IllegalStateException naming {@code what}, the bytes needed and the bytes available
     */
    static void require(long bytes, String what) {
        Runtime rt = Runtime.getRuntime();
        long max = rt.maxMemory();
        if (bytes <= 0 || max == Long.MAX_VALUE) return;
        long available = max - (rt.totalMemory() - rt.freeMemory());
        if (bytes <= available) return;
        // The heap in use may be garbage; count only what survives a collection before refusing.
        System.gc();
        available = max - (rt.totalMemory() - rt.freeMemory());
        if (bytes <= available) return;
        throw new IllegalStateException("Cpu.compile: " + what + " needs " + mib(bytes) + " but the JVM can allocate only "
                + mib(available) + " more (max heap " + mib(max) + "; raise -Xmx or make the graph smaller)");
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
