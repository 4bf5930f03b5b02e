package dev.adjoint.bench.perf;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A register-only loop of fused multiply-adds on {@code FloatVector.SPECIES_PREFERRED}: ten
 * independent accumulators (at least FMA latency times FMA ports on current x86 and ARM cores),
 * no loads or stores, so it runs at the core's floating-point limit. (With twelve, C2 stops
 * inlining the vector operations and the loop runs boxed, a hundred times slower.)
 */
final class PeakFlops {
    private PeakFlops() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Floats per vector. */
    static int lanes() { return S.length(); }

    /** FLOPs done by one thread until {@code deadline} (at least one block of 320 FMAs) (System.nanoTime); {@code sink[0]} receives a result so the loop is not removed. */
    static long run(long deadline, float[] sink) {
        FloatVector b = FloatVector.broadcast(S, 0.9999f), c = FloatVector.broadcast(S, 1e-4f);
        FloatVector a0 = FloatVector.broadcast(S, 1.0f), a1 = FloatVector.broadcast(S, 1.1f), a2 = FloatVector.broadcast(S, 1.2f),
                a3 = FloatVector.broadcast(S, 1.3f), a4 = FloatVector.broadcast(S, 1.4f), a5 = FloatVector.broadcast(S, 1.5f),
                a6 = FloatVector.broadcast(S, 1.6f), a7 = FloatVector.broadcast(S, 1.7f), a8 = FloatVector.broadcast(S, 1.8f),
                a9 = FloatVector.broadcast(S, 1.9f);
        long blocks = 0;
        do {
            for (int i = 0; i < 32; i++) {
                a0 = a0.fma(b, c); a1 = a1.fma(b, c); a2 = a2.fma(b, c); a3 = a3.fma(b, c);
                a4 = a4.fma(b, c); a5 = a5.fma(b, c); a6 = a6.fma(b, c); a7 = a7.fma(b, c);
                a8 = a8.fma(b, c); a9 = a9.fma(b, c);
            }
            blocks++;
        } while (System.nanoTime() < deadline);
        FloatVector sum = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9);
        sink[0] += sum.reduceLanes(VectorOperators.ADD);
        return blocks * 32L * 10 * S.length() * 2;
    }
}
