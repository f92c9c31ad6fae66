package dev.kiln.samples.commands;

import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.TrainingListener;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress: a progress bar on a terminal, plain lines every few seconds otherwise
 * (CI logs, pipes), and one summary line per epoch either way.
 */
final class TrainingProgress implements TrainingListener {
  private static final long PLAIN_INTERVAL_NANOS = 5_000_000_000L;
  private static final long BAR_INTERVAL_NANOS = 250_000_000L;

  private final PrintStream out;
  private final boolean terminal;
  private ProgressBar bar;
  private long lastLine;

  TrainingProgress(PrintStream out) {
    this.out = out;
    this.terminal = System.console() != null;
  }

  @Override
  public void onBatch(BatchProgress p) {
    if (terminal) {
      if (bar == null) {
        // No ETA, and a short status: on an 80-column terminal the bar kept 3 columns beside the
        // counts, the times and the status; now 12 or more.
        bar =
            new ProgressBarBuilder()
                .setTaskName("epoch " + p.epoch() + "/" + p.epochs())
                .setInitialMax(p.batches())
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .hideEta()
                .continuousUpdate()
                .build();
      }
      bar.stepTo(p.batch());
      // The status is formatted only when the bar may show it (every 250 ms): formatting it for
      // every batch cost C2 half a second compiling java.util.Formatter during a LeNet-5 epoch.
      long now = System.nanoTime();
      if (p.batch() == 1 || p.batch() == p.batches() || now - lastLine >= BAR_INTERVAL_NANOS) {
        lastLine = now;
        bar.setExtraMessage(" " + status(p));
      }
      if (p.batch() == p.batches()) {
        bar.close();
        bar = null;
      }
      return;
    }
    long now = System.nanoTime();
    if (p.batch() == 1) {
      lastLine = now;
    } else if (now - lastLine >= PLAIN_INTERVAL_NANOS) {
      lastLine = now;
      out.printf(
          Locale.ROOT, "  epoch %d/%d batch %d/%d %s%n", p.epoch(), p.epochs(), p.batch(),
          p.batches(), status(p));
    }
  }

  /** What follows the bar, short: {@code loss 0.123 97.1% 12.3k img/s}. */
  static String status(BatchProgress p) {
    double speed = p.imagesPerSecond();
    return String.format(
        Locale.ROOT, "loss %.3f%s %s img/s", p.loss(),
        Double.isNaN(p.accuracy()) ? "" : String.format(Locale.ROOT, " %.1f%%", 100 * p.accuracy()),
        speed >= 10_000 ? String.format(Locale.ROOT, "%.1fk", speed / 1000) : String.format(Locale.ROOT, "%.0f", speed));
  }

  @Override
  public void onEpoch(EpochResult r) {
    out.println(line(r));
  }

  static String line(EpochResult r) {
    return String.format(
        Locale.ROOT,
        "epoch %2d  loss %.4f  train %s  test %s  test loss %.4f  %,.0f img/s  %.1f s  lr %.2g",
        r.epoch(), r.trainLoss(), percent(r.trainAccuracy()), percent(r.testAccuracy()),
        r.testLoss(), r.imagesPerSecond(), r.seconds(), r.learningRate());
  }

  static String percent(double accuracy) {
    return Double.isNaN(accuracy) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * accuracy);
  }
}
