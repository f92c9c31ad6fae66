package dev.kiln.samples.commands;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * This machine's peak FP32 rate: estimated as cores × clock × 2 FMA units × SIMD lanes × 2 FLOP per
 * FMA, with 16 lanes where {@code /proc/cpuinfo} lists {@code avx512f}, else 8 (AVX2); and, where
 * the bench measured them ({@link #measured}), the rates of FMA chains on one core and on all it
 * uses, which then take the estimate's place.
 *
 * @param ghz clock per core
 * @param clockSource where the clock came from, in words
 * @param lanes FP32 lanes of one vector register
 */
record PeakFlops(double ghz, String clockSource, int lanes, double measuredOne, double measuredAll, int measuredCores) {
  static final Path CPUINFO = Path.of("/proc/cpuinfo");

  /** From {@code /proc/cpuinfo}, or {@code clockGhz} where given (it wins over the file's clock). */
  static PeakFlops estimate(Double clockGhz) {
    List<String> lines;
    try {
      lines = Files.readAllLines(CPUINFO);
    } catch (IOException | RuntimeException e) {
      lines = List.of();
    }
    boolean avx512 = false;
    double mhz = Double.NaN;
    for (String line : lines) {
      if (line.startsWith("flags") && (" " + line + " ").contains(" avx512f ")) {
        avx512 = true;
      }
      if (Double.isNaN(mhz) && line.startsWith("cpu MHz")) {
        try {
          mhz = Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
        } catch (NumberFormatException e) {
          // keep looking
        }
      }
    }
    int lanes = avx512 ? 16 : 8;
    if (clockGhz != null) {
      return new PeakFlops(clockGhz, "--clock-ghz", lanes, Double.NaN, Double.NaN, 0);
    }
    if (!Double.isNaN(mhz)) {
      return new PeakFlops(mhz / 1000, "'cpu MHz' of " + CPUINFO + " (a nominal clock: a turbo clock is higher, pass --clock-ghz)", lanes, Double.NaN, Double.NaN, 0);
    }
    return new PeakFlops(3.0, "a guess (no 'cpu MHz' in " + CPUINFO + "; pass --clock-ghz)", lanes, Double.NaN, Double.NaN, 0);
  }

  /** This estimate with measured rates: one core's, and {@code cores} cores' together. */
  PeakFlops measured(double one, double all, int cores) {
    return new PeakFlops(ghz, clockSource, lanes, one, all, cores);
  }

  /** GFLOP/s of {@code cores} cores: measured where it was, else estimated. */
  double gflops(int cores) {
    if (cores == 1 && !Double.isNaN(measuredOne)) {
      return measuredOne;
    }
    if (cores == measuredCores && !Double.isNaN(measuredAll)) {
      return measuredAll;
    }
    return cores * ghz * 2 * lanes * 2;
  }

  private double estimate(int cores) {
    return cores * ghz * 2 * lanes * 2;
  }

  /** The formula with its numbers, for {@code cores} and for one core, and where the clock came from. */
  String describe(int cores) {
    return String.format(
        Locale.ROOT,
        "cores x %.2f GHz x 2 FMA units x %d FP32 lanes (%s) x 2 FLOP = %.0f GFLOP/s on one core, %.0f on %d;"
            + " clock from %s",
        ghz, lanes, lanes == 16 ? "AVX-512: avx512f in /proc/cpuinfo" : "AVX2: no avx512f in /proc/cpuinfo",
        estimate(1), estimate(cores), cores, clockSource);
  }
}
