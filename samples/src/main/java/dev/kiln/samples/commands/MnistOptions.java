package dev.kiln.samples.commands;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every command that trains on MNIST shares (a picocli mixin): where the data is,
 * how much of it to use and on how many threads.
 */
final class MnistOptions {
  @Option(
      names = "--threads",
      description = "Training threads (default: the number of processors).")
  Integer threads;

  @Option(
      names = "--data",
      defaultValue = "${sys:kiln.home:-.}/data/mnist",
      description = "Directory with the four MNIST IDX files, plain or .gz; the default one is fetched if missing (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(
      names = "--limit",
      description = "Train on the first N training images only (default: all 60,000).")
  Integer limit;

  @Option(
      names = "--test-limit",
      description = "Evaluate on the first N test images only (default: all 10,000).")
  Integer testLimit;

  /** The options' own checks, before anything is loaded. */
  void check() {
    OptionChecks.positiveOrAbsent("--threads", threads);
    OptionChecks.positiveOrAbsent("--limit", limit);
    OptionChecks.positiveOrAbsent("--test-limit", testLimit);
  }

  int threads() {
    return threads != null ? threads : Runtime.getRuntime().availableProcessors();
  }

  /** MNIST, fetched into {@code --data} if missing, cut to {@code --limit} and {@code --test-limit}. */
  Mnist.Split load(PrintStream log) throws IOException, InterruptedException {
    Mnist.Split mnist = Mnist.load(MnistFetch.forOption(data, log));
    LabeledImages train = limit == null ? mnist.train() : mnist.train().first(limit);
    LabeledImages test = testLimit == null ? mnist.test() : mnist.test().first(testLimit);
    return new Mnist.Split(train, test);
  }
}
