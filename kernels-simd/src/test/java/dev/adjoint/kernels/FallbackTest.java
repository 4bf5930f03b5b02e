package dev.adjoint.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Runs a cross-section of the kernel tests in whatever mode this JVM is in. The surefire
 * execution {@code scalar-fallback} starts a JVM without the incubator module and with
 * {@code -Dadjoint.expectScalar=true}, so this also proves the package links and computes
 * correctly with no Vector API at all.
 */
class FallbackTest {
    @Test
    void modeIsAsExpected() {
        assertEquals(!Boolean.getBoolean("adjoint.expectScalar"), Simd.ENABLED);
    }

    @Test
    void crossSection() throws Exception {
        ElementwiseTest e = new ElementwiseTest();
        e.unaryStridedLayouts();
        e.binaryCompareSelectAllLayoutPairs();
        e.largeBroadcastBinaryMatchesSerialOnPool();
        FusedProgramTest f = new FusedProgramTest();
        f.randomProgramsOverLayouts();
        f.chainOnLargeArraysMatchesSerialOnPool();
        ReduceTest r = new ReduceTest();
        r.everyAxisSubsetRanks1to4();
        r.largeSizes();
        MovementTest m = new MovementTest();
        m.revEveryAxisSubset();
        m.padAllCombinationsRank1And2();
        m.transposeEveryPermutationRank1to4();
    }
}
