package dev.kiln.runtime;

/**
 * The shape of one sample's tensor: {@code height × width × channels} in NHWC order, or a flat
 * vector of {@code channels} values ({@link #flat()}).
 */
public record TensorShape(int height, int width, int channels, boolean flat) {

  public TensorShape {
    if (height <= 0 || width <= 0 || channels <= 0) {
      throw new IllegalArgumentException(
          "shape dimensions must be positive: " + height + "x" + width + "x" + channels);
    }
    if (flat && (height != 1 || width != 1)) {
      throw new IllegalArgumentException("a flat shape has height and width 1");
    }
  }

  public static TensorShape of(int height, int width, int channels) {
    return new TensorShape(height, width, channels, false);
  }

  public static TensorShape vector(int length) {
    return new TensorShape(1, 1, length, true);
  }

  /** Number of floats in one sample. */
  public int size() {
    return height * width * channels;
  }

  @Override
  public String toString() {
    return flat ? "[" + channels + "]" : height + "x" + width + "x" + channels;
  }
}
