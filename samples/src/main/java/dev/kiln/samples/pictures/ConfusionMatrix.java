package dev.kiln.samples.pictures;

import dev.kiln.runtime.train.Trainer;

/**
 * A confusion matrix: {@code counts[t][p]} test samples of true class {@code t} predicted as
 * {@code p} (the class of highest probability, the first on a tie).
 */
public record ConfusionMatrix(int[][] counts) {

  /** From {@code labels.length} rows of {@code classes} probabilities (or scores), one per sample. */
  public static ConfusionMatrix of(float[] probabilities, int[] labels, int classes) {
    if (probabilities.length != (long) labels.length * classes) {
      throw new IllegalArgumentException(
          labels.length + " labels need " + (long) labels.length * classes + " probabilities, got "
              + probabilities.length);
    }
    int[][] counts = new int[classes][classes];
    for (int i = 0; i < labels.length; i++) {
      counts[labels[i]][Trainer.predictedClass(probabilities, i * classes, classes)]++;
    }
    return new ConfusionMatrix(counts);
  }

  int classes() {
    return counts.length;
  }

  int total() {
    int n = 0;
    for (int[] row : counts) {
      for (int c : row) {
        n += c;
      }
    }
    return n;
  }

  int correct() {
    int n = 0;
    for (int k = 0; k < counts.length; k++) {
      n += counts[k][k];
    }
    return n;
  }

  public double accuracy() {
    return total() == 0 ? Double.NaN : (double) correct() / total();
  }

  /** Samples of true class {@code t}. */
  int rowTotal(int t) {
    int n = 0;
    for (int c : counts[t]) {
      n += c;
    }
    return n;
  }
}
