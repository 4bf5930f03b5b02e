package dev.adjoint.bench.perf;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A register-only loop of fused multiply-adds on {@code FloatVector.SPECIES_PREFERRED}, no loads
 * or stores, so it runs at the core's floating-point limit.
 *
 * <p>Two things make such a loop reach the limit rather than measure itself: enough independent
 * accumulators, and a clock read rare enough not to matter. The FMA throughput is latency x
 * ports chains: 4 cycles x 2 pipes = 8 on Zen 3/4/5 (256 or 512 bit) and 4 x 2 on Intel cores, so
 * 12 chains keep both pipes busy with margin (one chain per cycle of latency per pipe, plus slack
 * for the loop's own instructions). The clock must not be read inside the FMA loop: the earlier
 * version called System.nanoTime() there after every 320 FMAs, and around a call C2 spills and
 * reloads every live vector (x86 vector registers are caller-saved), so it measured 80-85 GFLOP/s
 * per CPU-second on a Zen 5 whose GEMM reaches 150+ and whose true 512-bit peak is about 205
 * (2 pipes x 16 lanes x 2 flops x ~3.2 GHz; 4 chains measured 102, exactly latency-bound). Now
 * {@link #block} runs a counted loop with no call inside, and {@link #run} reads the clock between
 * blocks (64 x 512 x 12 FMAs, about 0.2 ms): 195-201 GFLOP/s per CPU-second, as a standalone 12-chain
 * loop. Twelve separate locals (not an array) so that C2 gives each a register: 12 of 16 on AVX2, 12 of 32 on AVX-512.
 */
final class PeakFlops {
    private PeakFlops() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Steps of 12 independent FMAs between two reads of the clock. */
    static final int STEPS = 512;

    /** Floats per vector. */
    static int lanes() { return S.length(); }

    /** FLOPs done by one thread until {@code deadline} (System.nanoTime), at least one {@link #block} of {@value #BLOCKS}; {@code sink[0]} receives a result so the loop is not removed. */
    static long run(long deadline, float[] sink) {
        long flops = 0;
        do {
            flops += block(BLOCKS, sink);
        } while (System.nanoTime() < deadline);
        return flops;
    }

    /** Blocks per clock read in {@link #run}. */
    static final int BLOCKS = 64;

    /** Runs {@code blocks} x {@value #STEPS} x 12 FMAs with no call inside the loop (C2 would spill the accumulators around it) and returns their FLOPs. */
    static long block(int blocks, float[] sink) {
        FloatVector b = FloatVector.broadcast(S, 0.9999f), c = FloatVector.broadcast(S, 1e-4f);
        FloatVector a0 = FloatVector.broadcast(S, 1.0f), a1 = FloatVector.broadcast(S, 1.1f), a2 = FloatVector.broadcast(S, 1.2f), a3 = FloatVector.broadcast(S, 1.3f), a4 = FloatVector.broadcast(S, 1.4f), a5 = FloatVector.broadcast(S, 1.5f), a6 = FloatVector.broadcast(S, 1.6f), a7 = FloatVector.broadcast(S, 1.7f), a8 = FloatVector.broadcast(S, 1.8f), a9 = FloatVector.broadcast(S, 1.9f), a10 = FloatVector.broadcast(S, 2.0f), a11 = FloatVector.broadcast(S, 2.1f);
        for (int q = 0; q < blocks; q++) {
            for (int i = 0; i < STEPS; i++) {
                a0 = a0.fma(b, c); a1 = a1.fma(b, c); a2 = a2.fma(b, c); a3 = a3.fma(b, c); a4 = a4.fma(b, c); a5 = a5.fma(b, c); a6 = a6.fma(b, c); a7 = a7.fma(b, c); a8 = a8.fma(b, c); a9 = a9.fma(b, c); a10 = a10.fma(b, c); a11 = a11.fma(b, c);
            }
        }
        FloatVector sum = a0.add(a1.add(a2.add(a3.add(a4.add(a5.add(a6.add(a7.add(a8.add(a9.add(a10.add(a11)))))))))));
        sink[0] += sum.reduceLanes(VectorOperators.ADD);
        return (long) blocks * STEPS * 12L * S.length() * 2;
    }
}
