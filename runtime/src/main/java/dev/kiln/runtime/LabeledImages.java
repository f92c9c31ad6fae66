package dev.kiln.runtime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Images with integer class labels, as one flat {@code float[]} of NHWC samples scaled to
 * {@code [0, 1]} (raw byte / 255) and one {@code int[]} of labels.
 */
public record LabeledImages(float[] images, int[] labels, TensorShape shape, int classes) {

  public LabeledImages {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(shape, "shape");
    if (images.length != (long) labels.length * shape.size()) {
      throw new IllegalArgumentException(
          labels.length + " labels need " + (long) labels.length * shape.size()
              + " image floats of shape " + shape + ", got " + images.length);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException(
            "label " + i + " is " + labels[i] + ", outside [0, " + classes + ")");
      }
    }
  }

  public int size() {
    return labels.length;
  }

  /** The first {@code count} samples (a smaller data set for quick runs and tests). */
  public LabeledImages first(int count) {
    if (count < 0 || count > size()) {
      throw new IllegalArgumentException("cannot take " + count + " of " + size() + " samples");
    }
    return new LabeledImages(
        Arrays.copyOf(images, count * shape.size()), Arrays.copyOf(labels, count), shape, classes);
  }

  /**
   * Reads an IDX image file ({@code [count, rows, cols]} or {@code [count, rows, cols,
   * channels]}) and its IDX label file ({@code [count]}), checking that they belong together.
   */
  public static LabeledImages readIdx(Path imagesFile, Path labelsFile, int classes)
      throws IOException {
    Idx.Tensor images = Idx.read(imagesFile);
    Idx.Tensor labels = Idx.read(labelsFile);
    int[] d = images.dimensions();
    if (d.length != 3 && d.length != 4) {
      throw new DataFormatException(
          imagesFile,
          "images must be [count, rows, columns] or [count, rows, columns, channels], got "
              + Arrays.toString(d));
    }
    if (labels.dimensions().length != 1) {
      throw new DataFormatException(
          labelsFile, "labels must be [count], got " + Arrays.toString(labels.dimensions()));
    }
    if (labels.count() != images.count()) {
      throw new DataFormatException(
          labelsFile,
          "has " + labels.count() + " labels but " + imagesFile.getFileName() + " has "
              + images.count() + " images");
    }
    TensorShape shape = TensorShape.of(d[1], d[2], d.length == 4 ? d[3] : 1);
    byte[] raw = images.data();
    float[] pixels = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      pixels[i] = (raw[i] & 0xff) / 255f;
    }
    int[] classOf = new int[labels.count()];
    byte[] rawLabels = labels.data();
    for (int i = 0; i < classOf.length; i++) {
      classOf[i] = rawLabels[i] & 0xff;
      if (classOf[i] >= classes) {
        throw new DataFormatException(
            labelsFile, "label " + i + " is " + classOf[i] + ", outside [0, " + classes + ")");
      }
    }
    return new LabeledImages(pixels, classOf, shape, classes);
  }
}
