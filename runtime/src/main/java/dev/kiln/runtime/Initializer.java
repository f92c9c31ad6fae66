package dev.kiln.runtime;

import java.util.SplittableRandom;

/**
 * Weight initialization used by generated {@code create(seed)} methods. Deterministic: the same
 * seed gives the same weights on every JDK ({@link SplittableRandom} is specified exactly).
 */
public final class Initializer {
  private Initializer() {}

  /** Uniform in {@code ±sqrt(6 / (fanIn + fanOut))}. */
  public static void glorotUniform(
      float[] p, int offset, int count, int fanIn, int fanOut, SplittableRandom random) {
    uniform(p, offset, count, Math.sqrt(6.0 / (fanIn + fanOut)), random);
  }

  /** Normal with standard deviation {@code sqrt(2 / (fanIn + fanOut))}. */
  public static void glorotNormal(
      float[] p, int offset, int count, int fanIn, int fanOut, SplittableRandom random) {
    normal(p, offset, count, Math.sqrt(2.0 / (fanIn + fanOut)), random);
  }

  /** Uniform in {@code ±sqrt(6 / fanIn)}. */
  public static void heUniform(
      float[] p, int offset, int count, int fanIn, int fanOut, SplittableRandom random) {
    uniform(p, offset, count, Math.sqrt(6.0 / fanIn), random);
  }

  /** Normal with standard deviation {@code sqrt(2 / fanIn)}. */
  public static void heNormal(
      float[] p, int offset, int count, int fanIn, int fanOut, SplittableRandom random) {
    normal(p, offset, count, Math.sqrt(2.0 / fanIn), random);
  }

  /** Normal with standard deviation 1, whatever the fans. */
  public static void standardNormal(
      float[] p, int offset, int count, int fanIn, int fanOut, SplittableRandom random) {
    normal(p, offset, count, 1.0, random);
  }

  private static void uniform(
      float[] p, int offset, int count, double limit, SplittableRandom random) {
    for (int i = offset; i < offset + count; i++) {
      p[i] = (float) ((random.nextDouble() * 2 - 1) * limit);
    }
  }

  private static void normal(
      float[] p, int offset, int count, double stddev, SplittableRandom random) {
    // Box-Muller, written out so the sequence does not depend on a JDK's Random.nextGaussian.
    for (int i = offset; i < offset + count; i += 2) {
      double u1 = 1.0 - random.nextDouble();
      double u2 = random.nextDouble();
      double r = Math.sqrt(-2.0 * Math.log(u1)) * stddev;
      p[i] = (float) (r * Math.cos(2 * Math.PI * u2));
      if (i + 1 < offset + count) {
        p[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
      }
    }
  }
}
