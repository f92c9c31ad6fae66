package dev.kiln.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * The benchmarks jar's entry point: JMH's own command line ({@code -f}, {@code -wi}, {@code -i},
 * {@code -p}, a regular expression of benchmarks, ...), then a table of GFLOP/s per benchmark,
 * computed from JMH's score and the FLOPs per operation ({@link Flops}).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    CommandLineOptions options = new CommandLineOptions(args);
    if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
        || options.shouldListProfilers() || options.shouldListResultFormats()) {
      org.openjdk.jmh.Main.main(args);
      return;
    }
    Collection<RunResult> results = new Runner(options).run();
    System.out.println();
    System.out.println("GFLOP/s (FLOPs per operation as ./kiln bench counts them; '-' where none):");
    System.out.printf(Locale.ROOT, "%-31s %-15s %18s %10s %8s%n", "benchmark", "param", "score", "MFLOP/op", "GFLOP/s");
    for (String line : table(results)) {
      System.out.println(line);
    }
  }

  static List<String> table(Collection<RunResult> results) {
    List<String> lines = new ArrayList<>();
    for (RunResult run : results) {
      String full = run.getParams().getBenchmark();
      String method = full.substring(full.lastIndexOf('.') + 1);
      String bench = full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1);
      String param = run.getParams().getParam("layer");
      if (param == null) {
        param = run.getParams().getParam("workload");
      }
      Result<?> primary = run.getPrimaryResult();
      long flops = Flops.perOperation(method, param);
      double opsPerSecond = opsPerSecond(primary.getScore(), primary.getScoreUnit());
      String gflops =
          flops == 0 || Double.isNaN(opsPerSecond) ? "-" : String.format(Locale.ROOT, "%.2f", flops * opsPerSecond / 1e9);
      lines.add(
          String.format(
              Locale.ROOT, "%-31s %-15s %18s %10.3f %8s", bench, param,
              String.format(Locale.ROOT, "%.3f %s", primary.getScore(), primary.getScoreUnit()), flops / 1e6, gflops));
    }
    return lines;
  }

  /** Operations per second from a JMH score in {@code unit} ({@code us/op}, {@code ops/s}, ...). */
  static double opsPerSecond(double score, String unit) {
    String[] parts = unit.split("/");
    if (parts.length != 2) {
      return Double.NaN;
    }
    if (parts[1].equals("op")) {
      return 1 / (score * seconds(parts[0]));
    }
    if (parts[0].equals("ops")) {
      return score / seconds(parts[1]);
    }
    return Double.NaN;
  }

  private static double seconds(String unit) {
    return switch (unit) {
      case "s" -> 1;
      case "ms" -> 1e-3;
      case "us" -> 1e-6;
      case "ns" -> 1e-9;
      case "min" -> 60;
      default -> Double.NaN;
    };
  }
}
