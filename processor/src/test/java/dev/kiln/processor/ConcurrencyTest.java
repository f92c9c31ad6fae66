package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.runtime.train.TrainingListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One generated model used from many threads at once. Predicting from 16 threads gives exactly
 * what one thread gives (each thread has its own workspace and the parameters are only read).
 * Training while other threads predict is allowed (see the javadoc of Model and Trainer): the
 * predictions are well-formed, and training ends with the very same parameters, bit for bit, as
 * without them.
 */
class ConcurrencyTest {
  static final int THREADS = 16;
  static final String[] LAYERS = {
    "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) @ReLU Layer conv;",
    "@MaxPool(size = 2) Layer pool;",
    "@Conv2D(filters = 6, kernel = 2) @Tanh Layer conv2;",
    "@Dropout(rate = 0.2) Layer drop;",
    "@Dense(units = 5) @Softmax Layer out;"
  };

  static Map<String, byte[]> classes;

  @BeforeAll
  static void compile() {
    classes =
        CompiledModels.classFiles(
            Networks.compile(Networks.network("Shared", "height = 8, width = 8, channels = 2", LAYERS)));
  }

  static float[][] inputs(int count, int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[][] x = new float[count][size];
    for (float[] sample : x) {
      for (int i = 0; i < size; i++) {
        sample[i] = (float) random.nextDouble(-1, 1);
      }
    }
    return x;
  }

  /** Starts {@code THREADS} threads together and waits for them; returns what they threw. */
  static List<Throwable> together(int threads, java.util.function.IntConsumer work) throws InterruptedException {
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Thread> team = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread thread = new Thread(() -> {
        try {
          start.await();
          work.accept(id);
        } catch (Throwable e) {
          failures.add(e);
        }
      }, "predictor-" + t);
      thread.start();
      team.add(thread);
    }
    start.countDown();
    for (Thread thread : team) {
      thread.join(60_000);
    }
    return new ArrayList<>(failures);
  }

  @Test
  void sixteenThreadsPredictExactlyWhatOneThreadPredicts() throws InterruptedException {
    Model model = CompiledModels.load(classes, "Shared", 3);
    int n = 64;
    float[][] x = inputs(n, model.inputSize(), 11);
    float[][] expected = new float[n][];
    float[][] pooled = new float[n][];
    Layer pool = model.layer("pool");
    for (int i = 0; i < n; i++) {
      expected[i] = model.predict(x[i]);
      pooled[i] = model.layerOutput(x[i], pool);
    }
    float[] batchInputs = new float[n * model.inputSize()];
    for (int i = 0; i < n; i++) {
      System.arraycopy(x[i], 0, batchInputs, i * model.inputSize(), model.inputSize());
    }
    AtomicLong predictions = new AtomicLong();
    AtomicLong mismatches = new AtomicLong();
    int rounds = 40;
    List<Throwable> failures = together(THREADS, id -> {
      float[] out = new float[model.outputSize()];
      float[] batch = new float[n * model.outputSize()];
      for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < n; k++) {
          int i = (k + id * 7 + round) % n; // threads walk the samples in different orders
          switch ((id + round) % 4) {
            case 0 -> model.predict(x[i], out);
            case 1 -> out = model.predict(x[i]);
            case 2 -> {
              if (!Arrays.equals(pooled[i], model.layerOutput(x[i], pool))) {
                mismatches.incrementAndGet();
              }
              model.predict(x[i], out);
            }
            default -> {
              if (k == 0) {
                model.predictBatch(batchInputs, batch, 3); // batches on threads of their own
                for (int j = 0; j < n; j++) {
                  if (!Arrays.equals(expected[j],
                      Arrays.copyOfRange(batch, j * model.outputSize(), (j + 1) * model.outputSize()))) {
                    mismatches.incrementAndGet();
                  }
                }
                predictions.addAndGet(n);
              }
              model.predict(x[i], out);
            }
          }
          if (!Arrays.equals(expected[i], out)) {
            mismatches.incrementAndGet();
          }
          predictions.incrementAndGet();
        }
      }
    });
    assertEquals(List.of(), failures);
    assertEquals(0, mismatches.get(), "predictions that differ from the single-threaded ones");
    System.out.println("CONCURRENCY threads=" + THREADS + " predictions=" + predictions.get()
        + " mismatches=" + mismatches.get() + " (predict, layerOutput and predictBatch at once)");
  }

  static LabeledImages data(Model model, int count) {
    float[][] x = inputs(count, model.inputSize(), 21);
    float[] pixels = new float[count * model.inputSize()];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      System.arraycopy(x[i], 0, pixels, i * model.inputSize(), model.inputSize());
      labels[i] = (x[i][0] > 0 ? 1 : 0) + (x[i][1] > 0 ? 2 : 0) + (x[i][2] > 0.5f ? 1 : 0);
    }
    return new LabeledImages(pixels, labels, model.inputShape(), model.outputSize());
  }

  static Trainer trainer(Model model) {
    return Trainer.of(model).optimizer(Adam.lr(3e-3)).batchSize(16).threads(2).epochs(3).seed(9);
  }

  @Test
  void trainingWhileOtherThreadsPredictWorksAndChangesNothing() throws InterruptedException {
    Model alone = CompiledModels.load(classes, "Shared", 4);
    LabeledImages train = data(alone, 256);
    trainer(alone).fit(train, train);

    Model busy = CompiledModels.load(classes, "Shared", 4);
    assertArrayEquals(CompiledModels.load(classes, "Shared", 4).parameters(), busy.parameters(), 0f);
    float[][] x = inputs(32, busy.inputSize(), 31);
    AtomicBoolean training = new AtomicBoolean(true);
    AtomicLong predictions = new AtomicLong();
    AtomicLong malformed = new AtomicLong();
    List<Throwable> failures = new ArrayList<>();
    Thread[] predictors = new Thread[4];
    CountDownLatch started = new CountDownLatch(predictors.length);
    for (int t = 0; t < predictors.length; t++) {
      int id = t;
      predictors[t] = new Thread(() -> {
        started.countDown();
        float[] out = new float[busy.outputSize()];
        for (int k = 0; training.get() || k < 100; k++) {
          try {
            busy.predict(x[(k + id) % x.length], out);
          } catch (Throwable e) {
            synchronized (failures) {
              failures.add(e);
            }
            return;
          }
          double sum = 0;
          for (float p : out) {
            sum += p;
            if (!(p >= 0 && p <= 1)) {
              malformed.incrementAndGet();
            }
          }
          if (Math.abs(sum - 1) > 1e-4) {
            malformed.incrementAndGet();
          }
          predictions.incrementAndGet();
        }
      });
      predictors[t].start();
    }
    started.await();
    // A listener runs between optimizer steps: its predictions are consistent ones.
    AtomicLong consistent = new AtomicLong();
    trainer(busy)
        .listener(new TrainingListener() {
          @Override
          public void onBatch(BatchProgress progress) {
            float[] a = busy.predict(x[0]);
            float[] b = busy.predict(x[0]);
            if (Arrays.equals(a, b)) {
              consistent.incrementAndGet();
            }
          }
        })
        .fit(train, train);
    training.set(false);
    for (Thread p : predictors) {
      p.join(60_000);
    }
    assertEquals(List.of(), failures);
    assertEquals(0, malformed.get(), "predictions that are not probability vectors");
    assertEquals(3 * 16, consistent.get());
    assertArrayEquals(alone.parameters(), busy.parameters(), 0f,
        "concurrent predictions changed the training result");
    System.out.println("CONCURRENCY training with " + predictors.length + " threads predicting: "
        + predictions.get() + " predictions during 3 epochs, none malformed, parameters identical"
        + " to training alone");
  }
}
