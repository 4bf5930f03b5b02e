package dev.adjoint.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading cache sizes the way sysfs lists them, and the GEMM blocking each size selects. */
class CacheSizesTest {
    @Test void parsesSysfsSizes() {
        assertEquals(32 << 10, CacheSizes.parseSize("32K"));
        assertEquals(1 << 20, CacheSizes.parseSize("1024K"));
        assertEquals(32 << 20, CacheSizes.parseSize("32M"));
        assertEquals(49152, CacheSizes.parseSize("49152"));
        assertEquals(0, CacheSizes.parseSize(""));
        assertEquals(0, CacheSizes.parseSize("K"));
        assertEquals(0, CacheSizes.parseSize("lots"));
        assertEquals(0, CacheSizes.parseSize("-4K"));
        assertEquals(0, CacheSizes.parseSize("4096G"));
    }

    private static void index(Path dir, int i, int level, String type, String size) throws IOException {
        Path d = Files.createDirectories(dir.resolve("index" + i));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }

    /** The L1 data cache is found past the instruction cache; L2 is the unified one; a missing level is 0. */
    @Test void findsTheDataCacheOfALevel(@TempDir Path dir) throws IOException {
        index(dir, 0, 1, "Instruction", "32K");
        index(dir, 1, 1, "Data", "48K");
        index(dir, 2, 2, "Unified", "1024K");
        assertEquals(48 << 10, CacheSizes.dataCacheBytes(dir, 1));
        assertEquals(1 << 20, CacheSizes.dataCacheBytes(dir, 2));
        assertEquals(0, CacheSizes.dataCacheBytes(dir, 3));
        assertEquals(0, CacheSizes.dataCacheBytes(dir.resolve("absent"), 1));
    }

    @Test void anUnreadableEntryIsUnknown(@TempDir Path dir) throws IOException {
        index(dir, 0, 1, "Data", "32K");
        Files.writeString(dir.resolve("index0").resolve("level"), "one\n");
        assertEquals(0, CacheSizes.dataCacheBytes(dir, 1));
    }

    /** 32 registers: a 32 KB L1d (Zen 4) takes the deep K block, 48 KB (Zen 5) or unknown the shallow one; 16 registers ignore it. */
    @Test void theL1dSizeSelectsTheGemmBlocks() {
        GemmBlocking zen4 = GemmBlocking.forMachine(512, 16, 32 << 10);
        GemmBlocking zen5 = GemmBlocking.forMachine(512, 16, 48 << 10);
        assertEquals(512, zen4.kc());
        assertEquals(96, zen4.mc());
        assertEquals(256, zen5.kc());
        assertEquals(192, zen5.mc());
        assertEquals(zen5, GemmBlocking.forMachine(512, 16, 0));
        assertEquals((long) zen4.kc() * zen4.mc(), (long) zen5.kc() * zen5.mc(), "same A panel size");
        assertEquals(GemmBlocking.forMachine(256, 8, 32 << 10), GemmBlocking.forMachine(256, 8, 0));
        assertTrue(CacheSizes.L1D_BYTES >= 0);
    }
}
