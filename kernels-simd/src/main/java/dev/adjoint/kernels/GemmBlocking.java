package dev.adjoint.kernels;

/**
 * The register tile and cache blocks of the packed {@link Gemm} path, chosen once per machine
 * from the preferred vector width ({@link #forVectorBits}): a {@code mr} x {@code nv}-vector
 * register tile, and KC x NC panels of B and MC x KC panels of A.
 *
 * <p>Pure numbers, no Vector API, so {@link Gemm} links without the incubator module. The
 * tiles are measured choices (docs/perf/gemm.md): with 16 vector registers (AVX2, 256 bit) C2
 * keeps 8 accumulators in registers (4 x 2) and spills at 10-12; with 32 registers (AVX-512,
 * 512 bit) it keeps 24 (12 x 2) and 16 (8 x 2), both within 3% of the FMA peak in isolation,
 * while 8 x 3 and 6 x 4 (also 24 accumulators, but 3-4 B vectors live) ran 25% slower. Only
 * 4 x 2 and 8 x 2 are kept: 12 x 2 measured the same as 8 x 2, and 8 divides the M of the
 * MLP's GEMMs (128, 512) where 12 leaves a ragged tile.
 *
 * @param tile  which micro-kernel: {@link #TILE_4X2} or {@link #TILE_8X2}
 * @param mr    rows of the register tile (rows of an A sliver)
 * @param lanes floats per vector
 * @param kc    K-block depth
 * @param mc    row-block height of the packed A panel, a multiple of {@code mr}
 * @param nc    column-block width of the packed B panel, a multiple of {@code nr()}
 */
record GemmBlocking(int tile, int mr, int lanes, int kc, int mc, int nc) {
    /** 4 rows x 2 vectors: 8 accumulators, for 16 vector registers. */
    static final int TILE_4X2 = 0;
    /** 8 rows x 2 vectors: 16 accumulators, for 32 vector registers. */
    static final int TILE_8X2 = 1;

    GemmBlocking {
        if (tile < TILE_4X2 || tile > TILE_8X2) throw new IllegalArgumentException("GemmBlocking: unknown tile " + tile);
        if (mr != rowsOf(tile)) throw new IllegalArgumentException("GemmBlocking: tile " + tile + " has " + rowsOf(tile) + " rows, not " + mr);
        if (lanes < 1 || kc < 1 || mc < mr || mc % mr != 0 || nc < 2 * lanes || nc % (2 * lanes) != 0) {
            throw new IllegalArgumentException("GemmBlocking: inconsistent blocks mr=" + mr + " lanes=" + lanes
                    + " kc=" + kc + " mc=" + mc + " nc=" + nc);
        }
    }

    /** Rows of the register tile of micro-kernel {@code tile}. */
    static int rowsOf(int tile) {
        return switch (tile) {
            case TILE_4X2 -> 4;
            default -> 8;
        };
    }

    /** Columns of the register tile: two vectors. */
    int nr() {
        return 2 * lanes;
    }

    /**
     * The blocking for vectors of {@code bits} bits holding {@code lanes} floats. 512-bit vectors
     * mean AVX-512 (or SVE-512) and 32 registers; anything narrower is treated as 16 registers.
     *
     * <p>16 registers (Zen 3, measured): 4 x 2, KC = 512, MC = 72, NC = 2048 (A panel 147 KB in a
     * 512 KB L2; KC = 512 beat 256 by 6-15%). 32 registers: the 8 x 2 tile with KC = 512, MC = 96
     * (A panel 192 KB, an 8-row A sliver 16 KB), measured on both 512-bit cores (docs/perf/gemm.md):
     * on Zen 4 (32 KB L1d, wave 6) it ran 1024^3 and 2048^3 9-11% faster than KC = 256 / MC = 192; on
     * Zen 5 (48 KB L1d, wave 8, with full tiles of a K block that adds no old C stored straight from
     * the registers) 0-6% faster at every shape with K > 256 and level at K <= 256, in three runs.
     * A deeper K block halves the passes that read and write C (old C is added in every K block after
     * the first) and leaves more K blocks whole, while the B sliver (KC x 32 floats, 64 KB) streams
     * from L2 well enough. Zen 5 kept 256 / 192 until wave 8 on a sweep at load 20 that could not tell
     * the choices apart.
     */
    static GemmBlocking forVectorBits(int bits, int lanes) {
        if (bits >= 512) return new GemmBlocking(TILE_8X2, 8, lanes, 512, 96, 2048);
        return new GemmBlocking(TILE_4X2, 4, lanes, 512, 72, 2048);
    }

    /** Same tile, other cache blocks (for tests and sweeps). */
    GemmBlocking withBlocks(int kc, int mc, int nc) {
        return new GemmBlocking(tile, mr, lanes, kc, mc, nc);
    }

    /** Depth of each K block: K split into equal blocks of at most {@code kc}, so no block is a tiny remainder. */
    int blockK(int k) {
        int blocks = (k + kc - 1) / kc;
        return (k + blocks - 1) / blocks;
    }
}
