package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.train.Dataset;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Hostile training data is refused when a data set is made, before any training, with a message
 * that says what was expected and where the problem is. (Trainer's own checks against a model are
 * in the processor's HostileInputTest, which has generated models.)
 */
class DatasetTest {
  static int tried;

  static <T extends Throwable> void refused(Class<T> type, String expected, Supplier<?> make) {
    tried++;
    T e = assertThrows(type, make::get);
    assertTrue(e.getMessage() != null && e.getMessage().contains(expected), e.getMessage());
  }

  static final TensorShape PIXEL = TensorShape.of(1, 2, 1);

  @Test
  void refusesNullMismatchedAndNonFiniteData() {
    float[] two = {0.5f, 0.25f};
    refused(NullPointerException.class, "inputs", () -> Dataset.of(null, 2, two, 2));
    refused(NullPointerException.class, "targets", () -> Dataset.of(two, 2, null, 2));
    refused(IllegalArgumentException.class, "sizes must be positive", () -> Dataset.of(two, 0, two, 2));
    refused(
        IllegalArgumentException.class,
        "3 input floats of 2 per sample and 2 target floats of 2 per sample do not make the same"
            + " number of samples",
        () -> Dataset.of(new float[3], 2, two, 2));
    refused(
        IllegalArgumentException.class,
        "input 1 holds NaN at index 0; every input value must be finite",
        () -> Dataset.of(new float[] {1, 2, Float.NaN, 4}, 2, new float[2], 1));
    refused(
        IllegalArgumentException.class,
        "target 0 holds Infinity at index 1; every target value must be finite",
        () -> Dataset.of(two, 2, new float[] {0, Float.POSITIVE_INFINITY}, 2));

    refused(NullPointerException.class, "images", () -> new LabeledImages(null, new int[1], PIXEL, 2));
    refused(NullPointerException.class, "labels", () -> new LabeledImages(two, null, PIXEL, 2));
    refused(NullPointerException.class, "shape", () -> new LabeledImages(two, new int[1], null, 2));
    refused(
        IllegalArgumentException.class,
        "2 labels need 4 image floats of shape 1x2x1, got 2",
        () -> new LabeledImages(two, new int[2], PIXEL, 2));
    refused(
        IllegalArgumentException.class,
        "label 0 is 2, outside [0, 2)",
        () -> new LabeledImages(two, new int[] {2}, PIXEL, 2));
    refused(
        IllegalArgumentException.class,
        "label 0 is -1, outside [0, 2)",
        () -> new LabeledImages(two, new int[] {-1}, PIXEL, 2));
    LabeledImages ok = new LabeledImages(two, new int[] {1}, PIXEL, 2);
    refused(IllegalArgumentException.class, "cannot take 2 of 1 samples", () -> ok.first(2));
    refused(IllegalArgumentException.class, "cannot take -1 of 1 samples", () -> ok.first(-1));
    // Found here: images were not checked for NaN, so training on them ran until the first
    // gradient was NaN and then blamed the learning rate.
    float[] nan = {0.5f, 0.25f, 0.75f, Float.NaN};
    LabeledImages bad = new LabeledImages(nan, new int[] {0, 1}, PIXEL, 2);
    refused(
        IllegalArgumentException.class,
        "image 1 holds NaN at index 1; every image value must be finite",
        () -> Dataset.of(bad));
    refused(NullPointerException.class, "images", () -> Dataset.of((LabeledImages) null));

    assertEquals(1, Dataset.of(ok).size());
    System.out.println("DatasetTest: " + tried + " kinds of bad training data refused up front");
  }
}
