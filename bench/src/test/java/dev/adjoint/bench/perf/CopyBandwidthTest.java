package dev.adjoint.bench.perf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The copy yardstick's vector loop copies exactly its range (odd offsets, tails) and the yardstick measures a positive rate. */
class CopyBandwidthTest {
    @Test void vectorCopyCopiesExactlyTheRange() {
        Random r = new Random(6);
        for (int[] range : new int[][] {{0, 0}, {0, 1}, {3, 70}, {5, 5 + 64}, {1, 1000}, {17, 4113}}) {
            float[] src = new float[4200], dst = new float[4200];
            for (int i = 0; i < src.length; i++) src[i] = r.nextFloat() + 1f;
            float[] want = dst.clone();
            System.arraycopy(src, range[0], want, range[0], range[1] - range[0]);
            CopyBandwidth.vectorCopy(src, dst, range[0], range[1]);
            assertArrayEquals(want, dst, "range " + range[0] + ".." + range[1]);
        }
    }

    @Test void measuresAPositiveRateOnTwoThreads() throws Exception {
        double gbs = CopyBandwidth.measure(2, 30);
        assertTrue(gbs > 0.1 && gbs < 10_000, "copy bandwidth " + gbs + " GB/s");
    }
}
