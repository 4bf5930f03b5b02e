package dev.adjoint.graph;

/**
 * Finds the user's line that is building a node: the first stack frame outside the library, so
 * that an error names the line that is wrong rather than a line inside Adjoint.
 *
 * <p>Library frames are those of classes in {@code dev.adjoint.*} other than the examples and CLI
 * in {@code dev.adjoint.bench}, and other than test classes (loaded from a {@code test-classes}
 * directory), which are user code for this purpose.
 */
public final class CallSite {
    private CallSite() {}

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private static final ClassValue<Boolean> LIBRARY = new ClassValue<>() {
        @Override protected Boolean computeValue(Class<?> type) {
            String name = type.getName();
            if (!name.startsWith("dev.adjoint.") || name.startsWith("dev.adjoint.bench.")) return false;
            var source = type.getProtectionDomain().getCodeSource();
            return source == null || source.getLocation() == null || !source.getLocation().getPath().contains("test-classes");
        }
    };

    /** The first frame outside the library on the current thread's stack, or null if there is none. */
    public static StackTraceElement capture() {
        return WALKER.walk(frames -> frames.filter(f -> !LIBRARY.get(f.getDeclaringClass()))
                .findFirst().map(StackWalker.StackFrame::toStackTraceElement).orElse(null));
    }

    /** {@code "File.java:12"} for a frame, {@code "unknown"} for null. */
    public static String describe(StackTraceElement site) {
        if (site == null) return "unknown";
        return (site.getFileName() == null ? site.getClassName() : site.getFileName()) + ":" + site.getLineNumber();
    }
}
