package dev.kiln.runtime;

import dev.kiln.runtime.kernels.Kernels;

/**
 * A promise, on the thread that opens it, that no model's parameters (nor BatchNorm statistics)
 * change until it is closed: meanwhile {@code predict}, {@code predictBatch} and {@code
 * layerOutput} called on this thread reuse what their kernels derived from the weights (packed and
 * Winograd-transformed kernels) without first comparing the weights with those they were derived
 * from, as they otherwise do on every call. For a loop of predictions on fixed weights, a server's
 * say: ResNet-18's {@code predict} compares 11 million weights per call, a fifth of its time on
 * this project's two cores.
 *
 * <pre>{@code
 * try (WeightsHold hold = WeightsHold.open()) {
 *   for (float[] image : images) {
 *     model.predict(image, scores);
 *   }
 * }
 * }</pre>
 *
 * <p>Writing the parameters of a model predicted with on this thread while the hold is open
 * breaks the promise: its predictions may then use the old weights or a mix. Each kernel still
 * checks its weights once per hold, and again when another array of weights (another model) comes
 * to it. Holds nest; only the outermost one's close ends the promise. Other threads are not
 * affected. On the plain Java path it changes nothing.
 */
public final class WeightsHold implements AutoCloseable {
  private final Thread thread = Thread.currentThread();
  private boolean closed;

  private WeightsHold() {
    Kernels.holdWeights(true);
  }

  /** Opens a hold on the calling thread; close it on the same thread. */
  public static WeightsHold open() {
    return new WeightsHold();
  }

  /** Ends the hold (once; closing again does nothing). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (Thread.currentThread() != thread) {
      throw new IllegalStateException(
          "a WeightsHold must be closed on the thread that opened it ('" + thread.getName()
              + "'), not on '" + Thread.currentThread().getName() + "'");
    }
    closed = true;
    Kernels.holdWeights(false);
  }
}
