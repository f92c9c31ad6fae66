package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;

/**
 * {@link Kernels#fmaRate}: twelve independent FMA chains on registers only, the most FLOP/s a
 * Java thread gets from this core, the yardstick the benchmarks' peak shares are taken against.
 */
final class VectorPeak {
  private VectorPeak() {}

  /**
   * GFLOP/s of FMA chains on this thread: the best of short runs, until {@code millis}
   * milliseconds pass without a run 5% faster than the best before it (at most ten times that in
   * all), so that the count starts once the JIT has compiled the loop, however late it does.
   */
  static double rate(long millis) {
    float[] seed = new float[2 * L];
    for (int i = 0; i < seed.length; i++) {
      seed[i] = 0.999f;
    }
    long window = millis * 1_000_000L;
    long start = System.nanoTime();
    long deadline = start + window;
    long best = Long.MAX_VALUE;
    double rate = 0;
    float sink = 0;
    // Short runs, called often: the loop is compiled whole after a few hundred calls. With 20,000
    // turns a call and a fixed half second, a JVM that compiles long loops late (./kiln's
    // -XX:Tier4BackEdgeThreshold) left it interpreted throughout and measured 0.7 GFLOP/s.
    long n = 1_000;
    for (long now = start; now < deadline; now = System.nanoTime()) {
      long t = System.nanoTime();
      sink += chains(n, seed);
      long dt = System.nanoTime() - t;
      if (dt < best) {
        if (dt < best * 0.95) {
          deadline = Math.min(start + 10 * window, System.nanoTime() + window);
        }
        best = dt;
        rate = n * 12.0 * L * 2 / dt;
      }
    }
    return sink == 42 ? rate + 1e-9 : rate; // sink keeps the chains from being optimized away
  }

  private static float chains(long n, float[] seed) {
    FloatVector k = FloatVector.fromArray(S, seed, 0);
    FloatVector v = FloatVector.fromArray(S, seed, L);
    FloatVector a0 = k, a1 = k, a2 = k, a3 = k, a4 = k, a5 = k, a6 = k, a7 = k, a8 = k, a9 = k, a10 = k, a11 = k;
    for (long i = 0; i < n; i++) {
      a0 = a0.fma(v, k);
      a1 = a1.fma(v, k);
      a2 = a2.fma(v, k);
      a3 = a3.fma(v, k);
      a4 = a4.fma(v, k);
      a5 = a5.fma(v, k);
      a6 = a6.fma(v, k);
      a7 = a7.fma(v, k);
      a8 = a8.fma(v, k);
      a9 = a9.fma(v, k);
      a10 = a10.fma(v, k);
      a11 = a11.fma(v, k);
    }
    return a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).add(a8.add(a9).add(a10.add(a11))).lane(0);
  }
}
