package p;
import java.util.*;
public final class Jitter {
    static volatile double sink;
    static double work(int n) { double a = 1, b = 1.0000001; for (int i = 0; i < n; i++) { a = a * b + 1e-9; } return a; }
    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]); int iters = Integer.parseInt(args[1]);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int id = t;
            ts[t] = new Thread(() -> {
                for (int w = 0; w < 2000; w++) sink = work(20000);
                long[] x = new long[iters];
                for (int i = 0; i < iters; i++) { long t0 = System.nanoTime(); sink = work(100000); x[i] = System.nanoTime() - t0; }
                Arrays.sort(x); int L = x.length;
                System.out.printf("thread %d: med %.0f us p99 %.0f p99.9 %.0f max %.0f; >2x med: %d of %d%n", id, x[L/2]/1e3, x[L*99/100]/1e3, x[L*999/1000]/1e3, x[L-1]/1e3,
                    Arrays.stream(x).filter(v -> v > 2 * x[L/2]).count(), L);
            });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
    }
}
