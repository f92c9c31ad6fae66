package dev.kiln.processor;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.runtime.train.TrainingListener;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Run by {@link MemoryTest} in a JVM of its own with a small heap: trains a generated model (its
 * class files in the directory {@code args[0]}, class {@code args[1]}) for {@code args[2]}
 * epochs and checks that the heap after a full collection does not grow from the second epoch to
 * the last, and how many bytes the training thread allocates per step. Prints one MEMORY line and
 * exits with 0, or 1 if the heap grew.
 */
public final class LongTrainingMain {
  /** Growth of the live heap over the run that counts as a leak. */
  static final long LEAK = 1 << 20;

  private LongTrainingMain() {}

  public static void main(String[] args) throws Exception {
    Path classes = Path.of(args[0]);
    String className = args[1];
    int epochs = Integer.parseInt(args[2]);
    Model model;
    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {classes.toUri().toURL()}, LongTrainingMain.class.getClassLoader())) {
      model = (Model) loader.loadClass(className).getMethod("create", long.class).invoke(null, 1L);
    }
    LabeledImages data = data(model, 512);
    int batch = 16;
    int stepsPerEpoch = (data.size() + batch - 1) / batch;
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long main = Thread.currentThread().getId();
    long[] heap = new long[epochs + 1];
    long[] allocated = new long[epochs + 1];
    long started = System.nanoTime();
    Trainer.of(model)
        .optimizer(Adam.lr(1e-3))
        .batchSize(batch)
        .threads(2)
        .epochs(epochs)
        .seed(3)
        .listener(new TrainingListener() {
          @Override
          public void onEpoch(dev.kiln.runtime.train.EpochResult result) {
            int e = result.epoch();
            if (e == 2 || e == epochs) {
              System.gc();
              heap[e] = memory.getHeapMemoryUsage().getUsed();
            }
            allocated[e] = threads.getThreadAllocatedBytes(main);
          }
        })
        .fit(data, null);
    double seconds = (System.nanoTime() - started) / 1e9;
    long steps = (long) (epochs - 2) * stepsPerEpoch;
    long growth = heap[epochs] - heap[2];
    double perStep = (double) (allocated[epochs] - allocated[2]) / steps;
    System.out.printf(
        "MEMORY max_heap=%dMB epochs=%d steps=%d batch=%d heap_after_gc_epoch2=%d"
            + " heap_after_gc_last=%d growth=%d bytes allocated_per_step_training_thread=%.1f"
            + " bytes seconds=%.1f%n",
        Runtime.getRuntime().maxMemory() >> 20, epochs, (long) epochs * stepsPerEpoch, batch,
        heap[2], heap[epochs], growth, perStep, seconds);
    System.exit(growth > LEAK ? 1 : 0);
  }

  /** Random images with labels from a simple rule, so that the loss falls. */
  static LabeledImages data(Model model, int count) {
    SplittableRandom random = new SplittableRandom(5);
    int size = model.inputSize();
    float[] pixels = new float[count * size];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      for (int j = 0; j < size; j++) {
        pixels[i * size + j] = (float) random.nextDouble();
      }
      labels[i] = (pixels[i * size] > 0.5f ? 1 : 0) + (pixels[i * size + 1] > 0.5f ? 2 : 0);
    }
    return new LabeledImages(pixels, labels, model.inputShape(), model.outputSize());
  }
}
