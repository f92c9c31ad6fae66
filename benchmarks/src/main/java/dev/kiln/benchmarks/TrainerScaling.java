package dev.kiln.benchmarks;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.Dataset;
import dev.kiln.runtime.train.Trainer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * How the trainer scales against the cores: on real MNIST images, plain loops of {@code
 * trainSample} on one thread and on two (the images split between them), and {@code Trainer.fit} (one
 * epoch, batch 64, Adam) on one and two threads, alternating, in one JVM: how much of the cores'
 * scaling the trainer keeps. Wall time throughout; the machine's slow and fast spells (see
 * PERFORMANCE.md) move single rounds, so compare within a round.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     dev.kiln.benchmarks.TrainerScaling LENET data/mnist 30000
 * </pre>
 */
public final class TrainerScaling {
  private TrainerScaling() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: TrainerScaling LENET|SEEDCNN <mnist directory> <images>");
      System.exit(2);
    }
    NetworkCalls calls = NetworkCalls.of(args[0]);
    LabeledImages train = Mnist.load(Path.of(args[1])).train().first(Integer.parseInt(args[2]));
    for (int round = 1; round <= 3; round++) {
      double one = loops(calls, train, 1);
      double two = loops(calls, train, 2);
      double fitOne = fit(calls, train, 1);
      double fitTwo = fit(calls, train, 2);
      System.out.printf(
          Locale.ROOT,
          "round %d: trainSample loops %.0f img/s on 1 thread, %.0f on 2 (%.2fx);"
              + " Trainer.fit %.0f img/s on 1 thread, %.0f on 2 (%.2fx)%n",
          round, one, two, two / one, fitOne, fitTwo, fitTwo / fitOne);
    }
  }

  /**
   * Images per second of plain trainSample loops, the images split between {@code threads}
   * threads, each with its own model; wall time from the first start to the last end.
   */
  private static double loops(NetworkCalls calls, LabeledImages train, int threads) throws InterruptedException {
    Thread[] team = new Thread[threads];
    int n = train.size();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      int from = (int) ((long) n * t / threads);
      int to = (int) ((long) n * (t + 1) / threads);
      team[t] = new Thread(() -> loop(calls.create(1), train, from, to));
      team[t].start();
    }
    for (Thread thread : team) {
      thread.join();
    }
    return n / ((System.nanoTime() - start) / 1e9);
  }

  private static void loop(Model model, LabeledImages train, int from, int to) {
    float[] gradients = new float[model.parameterCount()];
    float[] workspace = new float[model.trainingWorkspaceSize()];
    float[] target = new float[model.outputSize()];
    float[] out = new float[model.outputSize()];
    int size = model.inputSize();
    for (int i = from; i < to; i++) {
      Arrays.fill(target, 0);
      target[train.labels()[i]] = 1;
      model.trainSample(train.images(), i * size, target, 0, out, 0, gradients, workspace, i);
      if ((i - from) % 64 == 63) {
        Arrays.fill(gradients, 0); // a batch's gradients, as the trainer starts each batch
      }
    }
  }

  /** Images per second of one epoch of Trainer.fit. */
  private static double fit(NetworkCalls calls, LabeledImages train, int threads) {
    Trainer trainer =
        Trainer.of(calls.create(1)).optimizer(Adam.lr(1e-3)).batchSize(64).epochs(1).threads(threads).seed(1);
    long start = System.nanoTime();
    trainer.fit(Dataset.of(train), null);
    return train.size() / ((System.nanoTime() - start) / 1e9);
  }
}
