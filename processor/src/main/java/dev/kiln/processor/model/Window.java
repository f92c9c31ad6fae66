package dev.kiln.processor.model;

/**
 * The geometry of a convolution or pooling window after padding has been resolved: kernel size,
 * stride and the zero rows/columns added on each side (TensorFlow's SAME puts the extra one at the
 * bottom/right).
 */
public record Window(
    int kernelHeight,
    int kernelWidth,
    int strideHeight,
    int strideWidth,
    int padTop,
    int padBottom,
    int padLeft,
    int padRight,
    String paddingName) {

  public boolean padded() {
    // Not the sum: SAME pads of a window near Integer.MAX_VALUE would overflow it.
    return padTop > 0 || padBottom > 0 || padLeft > 0 || padRight > 0;
  }

  /** E.g. {@code "5x5 stride 1 SAME (pad 2/2/2/2)"}. */
  public String describe() {
    String stride =
        strideHeight == strideWidth
            ? String.valueOf(strideHeight)
            : strideHeight + "x" + strideWidth;
    String pads =
        padded() ? " (pad " + padTop + "/" + padBottom + "/" + padLeft + "/" + padRight + ")" : "";
    return kernelHeight + "x" + kernelWidth + " stride " + stride + " " + paddingName + pads;
  }
}
