package dev.adjoint.graph;

/**
 * Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11), the counter-based generator JAX uses, and the bit layout of JAX's {@code random_bits}:
 * the one definition of {@code random_bits} that the interpreter and the executor share, so their
 * bits agree on every run, at every thread count and on every machine.
 */
public final class Threefry {
    private Threefry() {}

    private static final int[] ROTATIONS = {13, 15, 26, 6, 17, 29, 16, 24};

    /**
     * The Threefry-2x32-20 block function: two 32-bit counter words under a two-word key, packed
     * as {@code (hi << 32) | lo} with {@code hi} the first output word.
     */
    public static long hash(int key0, int key1, int count0, int count1) {
        // The key schedule in locals, not an array: an array indexed by s % 3 is not scalar-replaced by C2,
        // so it cost an allocation per block in the executor's random_bits kernel.
        int k2 = key0 ^ key1 ^ 0x1BD11BDA;
        int x0 = count0 + key0, x1 = count1 + key1;
        for (int round = 0; round < 20; round++) {
            x0 += x1;
            x1 = Integer.rotateLeft(x1, ROTATIONS[round % 8]);
            x1 ^= x0;
            if (round % 4 == 3) {
                int s = round / 4 + 1;
                x0 += schedule(s % 3, key0, key1, k2);
                x1 += schedule((s + 1) % 3, key0, key1, k2) + s;
            }
        }
        return ((long) x0 << 32) | (x1 & 0xFFFFFFFFL);
    }

    private static int schedule(int i, int k0, int k1, int k2) {
        return i == 0 ? k0 : i == 1 ? k1 : k2;
    }

    /**
     * Element {@code i} of {@code random_bits(key, shape)} for a shape of {@code n} elements, as
     * JAX computes it: the counters {@code 0 .. n-1} (padded with one 0 when {@code n} is odd)
     * are split into halves that form the hash's word pairs, and the outputs are concatenated.
     */
    public static int randomBits(int key0, int key1, long n, long i) {
        long half = (n + 1) / 2;
        if (i < half) {
            long j = i + half;
            return (int) (hash(key0, key1, (int) i, j < n ? (int) j : 0) >>> 32);
        }
        return (int) hash(key0, key1, (int) (i - half), (int) i);
    }

    /** Fills {@code out[from..to)} with elements {@code from..to} of {@code random_bits(key, n elements)}. */
    public static void randomBits(int key0, int key1, long n, int[] out, int from, int to) {
        for (int i = from; i < to; i++) out[i] = randomBits(key0, key1, n, i);
    }
}
