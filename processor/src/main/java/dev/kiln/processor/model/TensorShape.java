package dev.kiln.processor.model;

/**
 * One sample's tensor shape: {@code height × width × channels} (NHWC), or a flat vector of
 * {@code channels} values.
 */
public record TensorShape(int height, int width, int channels, boolean flat) {

  public static TensorShape of(int height, int width, int channels) {
    return new TensorShape(height, width, channels, false);
  }

  public static TensorShape vector(int length) {
    return new TensorShape(1, 1, length, true);
  }

  /** Floats in one sample; long so that absurd declarations cannot overflow silently. */
  public long size() {
    return (long) height * width * channels;
  }

  @Override
  public String toString() {
    return flat ? "[" + channels + "]" : height + "x" + width + "x" + channels;
  }
}
