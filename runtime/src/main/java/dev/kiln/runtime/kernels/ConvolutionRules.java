package dev.kiln.runtime.kernels;

/**
 * Which kernel a convolution's vector path takes, in one place for the kernels that choose by it
 * and for the annotation processor, which states the choice in the generated code's comments.
 * Pure arithmetic: no state, nothing loaded with it.
 */
public final class ConvolutionRules {
  /** Rows of a register block of the packed matrix product. */
  public static final int BLOCK_ROWS = 6;

  /**
   * Values per window from which a wide convolution is a packed product: below, packing A costs
   * about what the product does and the direct blocks, which read the input where it lies, win
   * (SEEDCNN's c1, 3x3 over one channel: 13.0-16.8 us direct against 15.8-23.2 packed).
   */
  public static final int PACKED_FROM_K = 16;

  private ConvolutionRules() {}

  /**
   * Whether a product of {@code rows} rows by {@code n} columns is wide enough to pack on vectors
   * of {@code lanes} floats: four vectors of columns or more (below, packing is not repaid:
   * LeNet-5's c3, 16 filters, took 16.9 us packed against 13.9 direct) and a register block's
   * rows. Convolutions ({@link #packs}) and kernel gradients decide by it.
   */
  public static boolean wide(int rows, int n, int lanes) {
    return n >= 4 * lanes && rows >= BLOCK_ROWS;
  }

  /**
   * Whether a convolution of {@code pixels} output pixels, {@code n} filters and {@code k} values
   * per window is a packed matrix product on vectors of {@code lanes} floats: {@link #wide}, and
   * {@link #PACKED_FROM_K} values per window.
   */
  public static boolean packs(int pixels, int n, int k, int lanes) {
    return wide(pixels, n, lanes) && k >= PACKED_FROM_K;
  }

  /**
   * The vector path's kernel for such a convolution, in words, for vectors of 8 floats (AVX2)
   * and of 16 (AVX-512) where they differ.
   */
  public static String describe(int pixels, int n, int k) {
    boolean avx2 = packs(pixels, n, k, 8);
    boolean avx512 = packs(pixels, n, k, 16);
    String facts = pixels + " pixel" + (pixels == 1 ? "" : "s") + ", " + n + " filters, " + k + " values per window: ";
    if (avx2 == avx512) {
      return facts + (avx2 ? packed() : direct(pixels, n, k, 8));
    }
    return facts + (avx2 ? packed() : direct(pixels, n, k, 8)) + " with vectors of 8 floats (AVX2), "
        + (avx512 ? packed() : direct(pixels, n, k, 16)) + " with 16 (AVX-512)";
  }

  private static String packed() {
    return "a packed matrix product (pixels by window values, times filters)";
  }

  private static String direct(int pixels, int n, int k, int lanes) {
    String why = k < PACKED_FROM_K
        ? "fewer than " + PACKED_FROM_K + " values per window do not repay packing"
        : pixels < BLOCK_ROWS
            ? "fewer pixels than a register block's " + BLOCK_ROWS
            : "fewer than four vectors of " + lanes + " filters do not repay packing";
    return "direct register blocks (" + why + ")";
  }

  /**
   * The output block of Winograd's form for a 3x3 stride-1 convolution onto {@code rows x cols}:
   * 4, F(4x4, 3x3) (36 products over the 6x6 blocks, 2.25 multiplies per output), where its
   * blocks need at most three quarters of the multiply-adds of F(2x2, 3x3)'s (16 products, 4 per
   * output) with the outputs past the edge both compute, and where each of its products has
   * {@link #WINOGRAD_LARGE_FROM_BLOCKS} rows of blocks or more; else 2. The larger block's error
   * is a few times the smaller one's (its transforms scale by up to 8 and 1/6); both stay within
   * the bound {@code KernelsTest} holds them to against the double-precision convolution.
   */
  public static int winogradBlock(int rows, int cols) {
    long blocks = largeWinogradBlocks(rows, cols);
    return 4 * 36 * blocks <= 3 * smallWinogradMultiplies(rows, cols) && blocks >= WINOGRAD_LARGE_FROM_BLOCKS ? 4 : 2;
  }

  /**
   * {@link #winogradBlock}'s form and why, in words, for a convolution onto {@code rows x cols}:
   * multiply-adds per pair of input and output channels in each form.
   */
  public static String describeWinograd(int rows, int cols) {
    long blocks = largeWinogradBlocks(rows, cols);
    String counts = 36 * blocks + " multiplies per channel pair in F(4x4, 3x3)'s " + blocks
        + " blocks, " + smallWinogradMultiplies(rows, cols) + " in F(2x2, 3x3)'s, " + 9L * rows * cols
        + " direct";
    if (winogradBlock(rows, cols) == 4) {
      return "Winograd F(4x4, 3x3) (" + counts + ")";
    }
    return "Winograd F(2x2, 3x3) (" + counts + (blocks < WINOGRAD_LARGE_FROM_BLOCKS
        ? "; fewer than " + WINOGRAD_LARGE_FROM_BLOCKS + " large blocks)" : ")");
  }

  private static long smallWinogradMultiplies(int rows, int cols) {
    return 16L * ((rows + 1) / 2) * ((cols + 1) / 2);
  }

  private static long largeWinogradBlocks(int rows, int cols) {
    return (long) ((rows + 3) / 4) * ((cols + 3) / 4);
  }

  /**
   * Output blocks from which F(4x4, 3x3) pays, two register blocks of rows per product: with
   * fewer, each of its 36 products reads its transformed kernel for a few rows only (7x7 outputs
   * of 512 channels, 4 blocks: 5.3-5.9 ms against F(2x2, 3x3)'s 4.8-5.1; 14x14 of 256, 16 blocks:
   * 3.1-3.6 against 3.6-3.8).
   */
  public static final int WINOGRAD_LARGE_FROM_BLOCKS = 2 * BLOCK_ROWS;
}
