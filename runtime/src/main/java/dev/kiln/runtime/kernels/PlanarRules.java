package dev.kiln.runtime.kernels;

/**
 * The size rules of the planar path, in one place for the kernels that lay buffers out by them
 * and for the annotation processor, which sizes the generated code's scratch and widened weights
 * by them at compile time. Pure arithmetic: no state, nothing loaded with it.
 */
public final class PlanarRules {
  /** Output channels in groups of this many on the planar path (five or six stay six). */
  public static final int PLANAR_GROUP = 4;

  private PlanarRules() {}

  /**
   * The channels a planar layer's weights are widened to: five or six as one block of six over two
   * rows or more, else whole groups of {@link #PLANAR_GROUP}.
   */
  public static int planarWidth(int n, int rows) {
    return (n == 5 || n == 6) && rows >= 2 ? 6 : (n + PLANAR_GROUP - 1) / PLANAR_GROUP * PLANAR_GROUP;
  }

  /** A planar row's length: {@code cols} rounded up to 16. */
  public static int planarColumns(int cols) {
    return (cols + 15) / 16 * 16;
  }

  /**
   * Scratch floats of the planar kernel gradient: the input planar inside its border, the output
   * gradient planar, and 240 floats for sums.
   */
  public static int weightGradientPlanarScratch(int channels, int kh, int kw, int n, int rows, int cols) {
    int cp = planarColumns(cols);
    return channels * (rows + kh - 1) * (cp + kw - 1) + n * rows * cp + 240;
  }
}
