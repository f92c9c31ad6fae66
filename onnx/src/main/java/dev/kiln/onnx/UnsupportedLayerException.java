package dev.kiln.onnx;

/** A layer that cannot be written as ONNX; the message names it and says why. */
public final class UnsupportedLayerException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String layer;

  public UnsupportedLayerException(String layer, String message) {
    super(message);
    this.layer = layer;
  }

  /** The layer's name. */
  public String layer() {
    return layer;
  }
}
