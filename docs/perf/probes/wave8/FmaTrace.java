package p;
import jdk.incubator.vector.*;
public final class FmaTrace {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static volatile float sink;
    static float burst(long iters) {
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        FloatVector x = FloatVector.broadcast(S, 0.999999f), y = FloatVector.broadcast(S, 1e-7f);
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(x, y); a1 = a1.fma(x, y); a2 = a2.fma(x, y); a3 = a3.fma(x, y); a4 = a4.fma(x, y); a5 = a5.fma(x, y);
            a6 = a6.fma(x, y); a7 = a7.fma(x, y); a8 = a8.fma(x, y); a9 = a9.fma(x, y); a10 = a10.fma(x, y); a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).reduceLanes(VectorOperators.ADD);
    }
    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]); double seconds = Double.parseDouble(args[1]);
        for (int w = 0; w < 50; w++) sink = burst(100000);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        double[][] g = new double[threads][(int) (seconds * 5) + 5];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int id = t;
            ts[t] = new Thread(() -> {
                int win = 0;
                while (System.nanoTime() < end && win < g[id].length) {
                    long t0 = System.nanoTime(), n = 0;
                    while (System.nanoTime() - t0 < 200_000_000L) { sink = burst(100000); n++; }
                    g[id][win++] = n * 100000.0 * 12 * S.length() * 2 / (System.nanoTime() - t0);
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        for (int t = 0; t < threads; t++) { StringBuilder sb = new StringBuilder("t" + t + " GFLOP/s per 200ms:"); for (double v : g[t]) if (v > 0) sb.append(String.format(" %.0f", v)); System.out.println(sb); }
    }
}
