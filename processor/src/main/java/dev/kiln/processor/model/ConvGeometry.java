package dev.kiln.processor.model;

/**
 * A convolution's geometry as its vector path sees it, and the strategy that follows from it:
 * the zero-bordered input's size (padded layers copy their input into a border, so every window
 * is an interior one), the spread output gradient's size (the input gradient is a convolution of
 * it), and whether the planar kernels apply (few channels fill few lanes of a vector along the
 * channels; with unit stride, a vector along the output row fills them all).
 */
public record ConvGeometry(
    Window w, TensorShape in, TensorShape out, int filters, int paddedHeight, int paddedWidth,
    int spreadHeight, int spreadWidth) {

  /**
   * Buffers above this many floats keep a layer off its scratch copies (a convolution stays on
   * the plain path, a depthwise one clips its windows): they must stay small next to the layer's
   * own arrays.
   */
  public static final long MAX_SCRATCH = 1L << 26;

  /** Layers with at most this many output channels take the planar kernels (unit stride). */
  public static final int PLANAR_MAX = 8;

  /** The geometry, or null when the layer stays on the plain path (its scratch would be huge). */
  public static ConvGeometry of(Op.Conv conv, TensorShape in, TensorShape out) {
    ConvGeometry g = of(conv.window(), conv.filters(), in, out);
    long c = Math.max(in.channels(), out.channels());
    long weights =
        (long) g.w.kernelHeight() * g.w.kernelWidth() * in.channels() * conv.filters();
    if ((long) g.paddedHeight * g.paddedWidth * c > MAX_SCRATCH
        || (long) g.spreadHeight * g.spreadWidth * c > MAX_SCRATCH
        || weights > MAX_SCRATCH) {
      return null;
    }
    return g;
  }

  /**
   * The geometry of any window over {@code in}, whatever its size: padded sizes fit an int (the
   * analyzer's rule), the spread sizes are capped at {@code Integer.MAX_VALUE}, so only a
   * geometry that passed a scratch limit may multiply them.
   */
  public static ConvGeometry of(Window w, int filters, TensorShape in, TensorShape out) {
    long spreadHeight = (long) in.height() + w.kernelHeight() - 1;
    long spreadWidth = (long) in.width() + w.kernelWidth() - 1;
    return new ConvGeometry(
        w, in, out, filters,
        Math.toIntExact((long) in.height() + w.padTop() + w.padBottom()),
        Math.toIntExact((long) in.width() + w.padLeft() + w.padRight()),
        (int) Math.min(spreadHeight, Integer.MAX_VALUE),
        (int) Math.min(spreadWidth, Integer.MAX_VALUE));
  }

  public int paddedSize() {
    return w.padded() ? paddedHeight * paddedWidth * in.channels() : 0;
  }

  public boolean unitStride() {
    return w.strideHeight() == 1 && w.strideWidth() == 1;
  }

  /** Whether the forward pass vectorizes along the output rows (the planar kernels). */
  public boolean planarForward() {
    return unitStride() && out.channels() <= PLANAR_MAX;
  }

  /** Whether the input gradient, a convolution with {@code in.channels()} outputs, is planar. */
  public boolean planarInputGradient() {
    return unitStride() && in.channels() <= PLANAR_MAX
        && w.padTop() < w.kernelHeight() && w.padBottom() < w.kernelHeight()
        && w.padLeft() < w.kernelWidth() && w.padRight() < w.kernelWidth();
  }

  public int planarInputSize() {
    return paddedHeight * paddedWidth * in.channels();
  }

  /** Floats in one row of the input the windows read (the bordered copy's, if padded). */
  public int inputRow() {
    return (w.padded() ? paddedWidth : in.width()) * in.channels();
  }
}
