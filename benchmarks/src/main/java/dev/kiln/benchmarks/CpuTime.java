package dev.kiln.benchmarks;

import dev.kiln.runtime.Model;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * CPU time per call of one generated layer method, or of a whole {@code trainSample} or {@code
 * predict}, in one JVM on one thread. JMH measures wall time; CPU time is what to compare when
 * other work shares the cores (each pair of numbers in PERFORMANCE.md's "what session 4 changed"
 * was taken so, back to back). Not a replacement for JMH on a quiet machine.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     dev.kiln.benchmarks.CpuTime SEEDCNN c2 backward 500
 * java ... dev.kiln.benchmarks.CpuTime LENET model train 3000
 * </pre>
 *
 * Arguments: workload ({@code LENET}, {@code SEEDCNN}), layer name or {@code model}, {@code
 * forward} or {@code backward} ({@code train} for the model's {@code trainSample}), calls per
 * timed run. Prints the best of seven timed runs after as many warm-up calls.
 */
public final class CpuTime {
  private CpuTime() {}

  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: CpuTime LENET|SEEDCNN <layer>|model forward|backward|train <calls>");
      System.exit(2);
    }
    NetworkCalls calls = NetworkCalls.of(args[0]);
    Model model = calls.create(1);
    boolean whole = args[1].equals("model");
    int layer = whole ? -1 : layerIndex(model, args[1]);
    boolean backward = !args[2].equals("forward");
    int count = Integer.parseInt(args[3]);

    SplittableRandom random = new SplittableRandom(1);
    float[] x = new float[1 << 16];
    float[] y = new float[1 << 16];
    float[] d = new float[1 << 16];
    float[] dx = new float[1 << 16];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble();
      y[i] = (float) random.nextDouble();
      d[i] = (float) (random.nextDouble() - 0.5);
    }
    float[] p = model.parameters().clone();
    float[] g = new float[p.length];
    float[] workspace = new float[model.trainingWorkspaceSize()];
    float[] input = new float[model.inputSize()];
    System.arraycopy(x, 0, input, 0, input.length);
    float[] out = new float[model.outputSize()];
    float[] target = new float[model.outputSize()];
    target[0] = 1;
    Runnable call =
        whole
            ? (backward
                ? () -> model.trainSample(input, 0, target, 0, out, 0, g, workspace, 7)
                : () -> model.predict(input, out))
            : (backward
                ? () -> calls.backward(layer, p, x, y, d, dx, g)
                : () -> calls.forward(layer, p, x, y));

    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (int i = 0; i < count; i++) {
      call.run();
    }
    long best = Long.MAX_VALUE;
    for (int run = 0; run < 7; run++) {
      long start = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < count; i++) {
        call.run();
      }
      best = Math.min(best, threads.getCurrentThreadCpuTime() - start);
    }
    System.out.printf(
        Locale.ROOT, "%s %s %s: %.1f us of CPU time per call (best of 7 runs of %d)%n",
        args[0], args[1], args[2], best / 1e3 / count, count);
  }

  private static int layerIndex(Model model, String name) {
    for (int i = 0; i < model.layers().size(); i++) {
      if (model.layers().get(i).name().equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no layer " + name + " in " + model.name());
  }
}
