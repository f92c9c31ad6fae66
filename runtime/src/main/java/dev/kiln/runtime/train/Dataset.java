package dev.kiln.runtime.train;

import dev.kiln.runtime.LabeledImages;
import java.util.Objects;

/**
 * Training or test samples stored one after another: inputs and either class labels (targets
 * are then one-hot vectors of {@code targetSize} classes) or explicit target vectors.
 */
public final class Dataset {
  private final float[] inputs;
  private final int inputSize;
  private final int[] labels;
  private final float[] targets;
  private final int targetSize;
  private final int size;

  private Dataset(float[] inputs, int inputSize, int[] labels, float[] targets, int targetSize, int size) {
    this.inputs = inputs;
    this.inputSize = inputSize;
    this.labels = labels;
    this.targets = targets;
    this.targetSize = targetSize;
    this.size = size;
  }

  /**
   * Labeled images: targets are one-hot over the images' classes.
   *
   * @throws IllegalArgumentException if an image value is NaN or infinite (training on it could
   *     only diverge), naming the sample
   */
  public static Dataset of(LabeledImages images) {
    Objects.requireNonNull(images, "images");
    finite(images.images(), images.shape().size(), "image");
    return new Dataset(
        images.images(), images.shape().size(), images.labels(), null, images.classes(),
        images.size());
  }

  /** Samples with explicit target vectors, e.g. the XOR truth table. */
  public static Dataset of(float[] inputs, int inputSize, float[] targets, int targetSize) {
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(targets, "targets");
    if (inputSize < 1 || targetSize < 1) {
      throw new IllegalArgumentException("input and target sizes must be positive");
    }
    if (inputs.length % inputSize != 0 || targets.length % targetSize != 0
        || inputs.length / inputSize != targets.length / targetSize) {
      throw new IllegalArgumentException(
          inputs.length + " input floats of " + inputSize + " per sample and " + targets.length
              + " target floats of " + targetSize + " per sample do not make the same number of"
              + " samples");
    }
    finite(inputs, inputSize, "input");
    finite(targets, targetSize, "target");
    return new Dataset(inputs, inputSize, null, targets, targetSize, inputs.length / inputSize);
  }

  /** Refuses NaN and infinite values, saying where the first one is. */
  private static void finite(float[] values, int perSample, String what) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw new IllegalArgumentException(
            what + " " + i / perSample + " holds " + values[i] + " at index " + i % perSample
                + "; every " + what + " value must be finite");
      }
    }
  }

  public int size() {
    return size;
  }

  public int inputSize() {
    return inputSize;
  }

  public int targetSize() {
    return targetSize;
  }

  public float[] inputs() {
    return inputs;
  }

  public boolean labeled() {
    return labels != null;
  }

  /** The class label of sample {@code i} (labeled data only). */
  public int label(int i) {
    return labels[i];
  }

  /** Writes sample {@code i}'s target vector into {@code into[at..]}. */
  public void target(int i, float[] into, int at) {
    if (labels != null) {
      java.util.Arrays.fill(into, at, at + targetSize, 0f);
      into[at + labels[i]] = 1f;
    } else {
      System.arraycopy(targets, i * targetSize, into, at, targetSize);
    }
  }

  /** Whether every target is 0 or 1 (then outputs rounded at 0.5 can be scored). */
  boolean binaryTargets() {
    if (targets == null) {
      return false;
    }
    for (float t : targets) {
      if (t != 0f && t != 1f) {
        return false;
      }
    }
    return true;
  }
}
