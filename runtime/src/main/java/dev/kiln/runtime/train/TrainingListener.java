package dev.kiln.runtime.train;

/** Hears about training progress: for progress bars, logs and charts. */
public interface TrainingListener {
  /** After each mini-batch. */
  default void onBatch(BatchProgress progress) {}

  /** After each epoch, with the test-set evaluation. */
  default void onEpoch(EpochResult result) {}

  /**
   * Progress within an epoch.
   *
   * @param loss mean training loss of the epoch so far
   * @param accuracy training accuracy of the epoch so far (NaN without class labels)
   */
  record BatchProgress(
      int epoch,
      int epochs,
      int batch,
      int batches,
      long samples,
      double loss,
      double accuracy,
      double imagesPerSecond,
      double learningRate) {}
}
