package dev.adjoint.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The data-cache sizes of this machine's first CPU, read once from Linux's sysfs
 * ({@code /sys/devices/system/cpu/cpu0/cache/index*&#47;{level,type,size}}), for blocking choices
 * that differ between cores with the same vector width ({@link GemmBlocking#forMachine}).
 * Unknown (another OS, a sandbox without sysfs, an unreadable entry) is 0, and callers then keep
 * the choice they make without it.
 */
final class CacheSizes {
    private CacheSizes() {}

    /** L1 data cache per core, in bytes; 0 when unknown. */
    static final int L1D_BYTES = dataCacheBytes(Path.of("/sys/devices/system/cpu/cpu0/cache"), 1);

    /**
     * The size of the level-{@code level} data (or unified) cache listed under {@code dir}, in
     * bytes, or 0 when there is none or it cannot be read.
     */
    static int dataCacheBytes(Path dir, int level) {
        for (int i = 0; i < 16; i++) {
            Path index = dir.resolve("index" + i);
            try {
                if (!Files.isDirectory(index)) return 0;
                String type = Files.readString(index.resolve("type")).trim();
                if (Integer.parseInt(Files.readString(index.resolve("level")).trim()) == level
                        && (type.equals("Data") || type.equals("Unified"))) {
                    return parseSize(Files.readString(index.resolve("size")).trim());
                }
            } catch (IOException | RuntimeException unreadable) {
                return 0;
            }
        }
        return 0;
    }

    /** "32K", "1024K", "32M" or a plain byte count, as sysfs writes cache sizes; 0 if malformed. */
    static int parseSize(String s) {
        if (s.isEmpty()) return 0;
        char unit = Character.toUpperCase(s.charAt(s.length() - 1));
        long scale = unit == 'K' ? 1L << 10 : unit == 'M' ? 1L << 20 : unit == 'G' ? 1L << 30 : 1;
        String digits = scale == 1 ? s : s.substring(0, s.length() - 1);
        try {
            long bytes = Long.parseLong(digits) * scale;
            return bytes > 0 && bytes <= Integer.MAX_VALUE ? (int) bytes : 0;
        } catch (NumberFormatException malformed) {
            return 0;
        }
    }
}
