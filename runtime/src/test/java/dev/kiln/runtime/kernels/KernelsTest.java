package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The kernels on the path this JVM takes ({@link Kernels#describe()}) against their plain
 * definitions, over shapes that exercise every register block and mask: channel counts below,
 * at and above one and two vectors, pixel counts that do and do not fill blocks of four.
 */
class KernelsTest {
  private static final int[] CHANNELS = {1, 3, 6, 10, 16, 17, 24, 32, 33, 64, 84, 120};

  @Test
  void pathIsTheOneRequested() {
    System.out.println("KernelsTest: " + Kernels.describe());
    if ("vector".equals(System.getProperty("kiln.kernels"))) {
      assertTrue(Kernels.VECTORIZED, Kernels.describe());
    }
    if ("plain".equals(System.getProperty("kiln.kernels"))) {
      assertTrue(!Kernels.VECTORIZED, Kernels.describe());
    }
  }

  @Test
  void convolveMatchesDefinition() {
    SplittableRandom random = new SplittableRandom(1);
    for (int n : CHANNELS) {
      for (int trial = 0; trial < 6; trial++) {
        Shape s = Shape.random(random);
        float[] x = randoms(random, s.inputLength() + 5);
        float[] w = randoms(random, s.taps * s.tapLength * n + 7);
        float[] b = randoms(random, n + 3);
        int bo = trial % 2 == 0 ? 3 : -1;
        float[] expected = randoms(random, s.rows * s.cols * n + 9);
        float[] actual = expected.clone();
        ConvolutionKernels.plainConvolve(x, 5, s.rowStep, s.colStep, s.tapStep, s.taps, s.tapLength, w, 7, b, bo, n, expected, 9, s.rows, s.cols);
        Kernels.convolve(x, 5, s.rowStep, s.colStep, s.tapStep, s.taps, s.tapLength, w, 7, b, bo, n, actual, 9, s.rows, s.cols);
        assertClose(expected, actual, s + " n=" + n);
      }
    }
  }

  /**
   * Dense layers (one pixel, one tap): output counts for the eight- and four-vector blocks, with
   * and without an overlapping last vector, fewer outputs than a vector (the masked block), and
   * odd and even input counts (the blocks take two rows per step).
   */
  @Test
  void denseLayersMatchTheDefinition() {
    SplittableRandom random = new SplittableRandom(11);
    // Fewer outputs than a vector read the weights as periods of whole vectors: one vector (1),
    // three (6, 12), five (10) and fifteen (15); the inputs of the last periods load with a mask.
    for (int n : new int[] {1, 6, 10, 12, 15, 16, 24, 84, 120, 128, 200}) {
      for (int m : new int[] {1, 2, 3, 7, 84, 400, 401}) {
        float[] x = randoms(random, m + 5);
        float[] w = randoms(random, m * n + 7);
        float[] b = randoms(random, n + 3);
        for (int bo : new int[] {3, -1}) {
          float[] expected = randoms(random, n + 9);
          float[] actual = expected.clone();
          ConvolutionKernels.plainConvolve(x, 5, 0, 0, 0, 1, m, w, 7, b, bo, n, expected, 9, 1, 1);
          Kernels.convolve(x, 5, 0, 0, 0, 1, m, w, 7, b, bo, n, actual, 9, 1, 1);
          assertClose(expected, actual, "dense " + m + "x" + n + " bias " + bo);
        }
      }
    }
  }

  /**
   * Shapes chosen so the blocks cross row ends (15 pixels: 8 + 4 + 3) and taps (9 weight rows:
   * 8 + 1), with channel counts for every path: one masked vector, one full vector, two vectors,
   * two vectors and a full or a masked single one.
   */
  @Test
  void blocksAcrossRowsAndTapsMatchTheDefinitions() {
    SplittableRandom random = new SplittableRandom(10);
    Shape[] shapes = {
      new Shape(3, 5, 3, 3, 5 * 2 + 3, 2, 4), new Shape(1, 15, 1, 9, 40, 1, 9),
      new Shape(2, 7, 3, 4, 7 * 3, 3, 5)
    };
    for (int n : new int[] {6, 16, 32, 40, 48, 64}) {
      for (Shape s : shapes) {
        float[] x = randoms(random, s.inputLength() + 5);
        float[] w = randoms(random, s.taps * s.tapLength * n + 7);
        float[] b = randoms(random, n + 3);
        float[] expected = randoms(random, s.rows * s.cols * n + 9);
        float[] actual = expected.clone();
        ConvolutionKernels.plainConvolve(x, 5, s.rowStep, s.colStep, s.tapStep, s.taps, s.tapLength, w, 7, b, 3, n, expected, 9, s.rows, s.cols);
        Kernels.convolve(x, 5, s.rowStep, s.colStep, s.tapStep, s.taps, s.tapLength, w, 7, b, 3, n, actual, 9, s.rows, s.cols);
        assertClose(expected, actual, "convolve " + s + " n=" + n);

        float[] d = randoms(random, s.rows * s.cols * n + 4);
        float[] gExpected = randoms(random, s.taps * s.tapLength * n + 6);
        float[] gActual = gExpected.clone();
        ConvolutionKernels.plainWeightGradient(x, 5, s.rowStep, s.colStep, s.tapStep, s.taps, s.tapLength, d, 4, n, s.rows, s.cols, gExpected, 6);
        Kernels.weightGradient(x, 5, s.rowStep, s.colStep, s.tapStep, s.taps, s.tapLength, d, 4, n, s.rows, s.cols, gActual, 6);
        assertClose(gExpected, gActual, "weightGradient " + s + " n=" + n);
      }
    }
  }

  @Test
  void weightGradientMatchesDefinition() {
    SplittableRandom random = new SplittableRandom(2);
    for (int n : CHANNELS) {
      for (int trial = 0; trial < 6; trial++) {
        Shape s = Shape.random(random);
        float[] x = randoms(random, s.inputLength() + 2);
        float[] d = randoms(random, s.rows * s.cols * n + 4);
        float[] expected = randoms(random, s.taps * s.tapLength * n + 6);
        float[] actual = expected.clone();
        ConvolutionKernels.plainWeightGradient(x, 2, s.rowStep, s.colStep, s.tapStep, s.taps, s.tapLength, d, 4, n, s.rows, s.cols, expected, 6);
        Kernels.weightGradient(x, 2, s.rowStep, s.colStep, s.tapStep, s.taps, s.tapLength, d, 4, n, s.rows, s.cols, actual, 6);
        assertClose(expected, actual, s + " n=" + n);
      }
    }
  }

  /**
   * The planar kernel gradient against the definition over the zero-bordered input: LeNet-5's
   * c1 (one channel, 5x5 SAME, six filters: two full blocks per kernel row), and kernels, filter
   * counts and columns that leave blocks part empty (3x3 and 2x7 kernels, 1, 4 and 8 filters,
   * rows of 9 and 40).
   */
  @Test
  void planarWeightGradientMatchesTheDefinition() {
    SplittableRandom random = new SplittableRandom(14);
    int[][] shapes = { // channels, height, width, kh, kw, top, left, bottom, right, n
      {1, 28, 28, 5, 5, 2, 2, 2, 2, 6}, {2, 11, 9, 3, 3, 1, 1, 1, 1, 4}, {3, 6, 40, 2, 7, 0, 3, 1, 3, 8},
      {1, 7, 12, 3, 3, 0, 0, 0, 0, 1}
    };
    for (int[] shape : shapes) {
      int channels = shape[0], height = shape[1], width = shape[2], kh = shape[3], kw = shape[4];
      int top = shape[5], left = shape[6], n = shape[9];
      int paddedHeight = height + top + shape[7];
      int paddedWidth = width + left + shape[8];
      int rows = paddedHeight - kh + 1;
      int cols = paddedWidth - kw + 1;
      float[] x = randoms(random, height * width * channels + 3);
      float[] d = randoms(random, rows * cols * n + 4);
      float[] padded = new float[paddedHeight * paddedWidth * channels];
      Kernels.pad(x, 3, height, width, channels, padded, 0, top, left, paddedHeight, paddedWidth);
      float[] expected = randoms(random, kh * kw * channels * n + 5);
      float[] actual = expected.clone();
      int row = paddedWidth * channels;
      ConvolutionKernels.plainWeightGradient(padded, 0, row, channels, row, kh, kw * channels, d, 4, n, rows, cols, expected, 5);
      float[] scratch = new float[7 + Kernels.weightGradientPlanarScratch(channels, kh, kw, n, rows, cols)];
      Kernels.weightGradientPlanar(x, 3, height, width, channels, top, left, kh, kw, d, 4, n, rows, cols, actual, 5, scratch, 7);
      assertClose(expected, actual, "planar kernel gradient " + Arrays.toString(shape));
    }
  }

  @Test
  void outerProductMatchesTheWeightGradientOfOnePixel() {
    SplittableRandom random = new SplittableRandom(5);
    for (int n : CHANNELS) {
      for (int m : new int[] {1, 3, 84, 400, 401}) {
        float[] x = randoms(random, m + 1);
        float[] d = randoms(random, n + 2);
        float[] expected = randoms(random, m * n + 3);
        float[] actual = expected.clone();
        ConvolutionKernels.plainWeightGradient(x, 1, 0, 0, 0, 1, m, d, 2, n, 1, 1, expected, 3);
        Kernels.outerProduct(x, 1, m, d, 2, n, actual, 3);
        assertClose(expected, actual, "m=" + m + " n=" + n);
      }
    }
  }

  @Test
  void transposedProductMatchesDefinition() {
    SplittableRandom random = new SplittableRandom(3);
    for (int n : CHANNELS) {
      for (int m : new int[] {1, 3, 4, 7, 400}) {
        float[] w = randoms(random, m * n + 1);
        float[] d = randoms(random, n + 2);
        float[] expected = randoms(random, m + 3);
        float[] actual = expected.clone();
        DenseKernels.plainTransposedProduct(w, 1, m, n, d, 2, expected, 3);
        Kernels.transposedProduct(w, 1, m, n, d, 2, actual, 3);
        assertClose(expected, actual, "m=" + m + " n=" + n);
      }
    }
  }

  /**
   * The vector path's dense input gradient adds in one fixed order, bit for bit, before and after
   * the JIT compiles it: lane-wise FMAs along the row, then the lanes folded in halves (rows
   * narrower than a vector: FMAs over the columns in order, 17 rows for a block of 16 and one
   * more). With
   * {@code reduceLanes(ADD)} C2 summed in another order than the interpreter, and two JVMs
   * training with one seed ended with different weights.
   */
  @Test
  void transposedProductAddsInOneOrderWhereverItRuns() {
    if (!Kernels.VECTORIZED || Vectors.lanes() < 4 || Vectors.lanes() > 16) {
      return; // the plain path is a Java loop, whose order the language fixes
    }
    int lanes = Vectors.lanes();
    SplittableRandom random = new SplittableRandom(11);
    int[][] shapes = {{7, 3}, {9, 10}, {17, 10}, {40, 1}, {5, lanes}, {6, lanes + 1}, {4, 84}, {3, 120}};
    for (int round = 0; round < 2; round++) {
      for (int[] shape : shapes) {
        int m = shape[0];
        int n = shape[1];
        float[] w = randoms(random, m * n + 1);
        float[] d = randoms(random, n + 2);
        float[] actual = new float[m + 3];
        Kernels.transposedProduct(w, 1, m, n, d, 2, actual, 3);
        for (int i = 0; i < m; i++) {
          float expected = foldedDot(w, 1 + i * n, d, 2, n, lanes);
          assertEquals(
              Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual[3 + i]),
              "round " + round + ", " + m + "x" + n + ", row " + i);
        }
      }
      // Round 1 runs what C2 compiled from these calls.
      float[] w = randoms(random, 9 * 120);
      float[] d = randoms(random, 120);
      float[] dx = new float[17];
      for (int call = 0; call < 30_000; call++) {
        Kernels.transposedProduct(w, 0, 9, 120, d, 0, dx, 0);
        Kernels.transposedProduct(w, 0, 9, 10, d, 0, dx, 0);
        Kernels.transposedProduct(w, 0, 17, 10, d, 0, dx, 0);
      }
    }
  }

  /**
   * Lane l accumulates elements l, l + lanes, ... with FMAs; the lanes then fold in halves. Rows
   * narrower than a vector are one chain of FMAs over the columns in order.
   */
  private static float foldedDot(float[] w, int wo, float[] d, int dOff, int n, int lanes) {
    if (n < lanes) {
      float sum = 0f;
      for (int c = 0; c < n; c++) {
        sum = Math.fma(w[wo + c], d[dOff + c], sum);
      }
      return sum;
    }
    float[] acc = new float[lanes];
    for (int f = 0; f < n; f += lanes) {
      for (int l = 0; l < lanes; l++) {
        boolean inside = f + l < n; // masked lanes add 0 x 0
        acc[l] = Math.fma(inside ? w[wo + f + l] : 0f, inside ? d[dOff + f + l] : 0f, acc[l]);
      }
    }
    for (int distance = lanes / 2; distance >= 1; distance /= 2) {
      float[] folded = new float[lanes];
      for (int l = 0; l < lanes; l++) {
        folded[l] = acc[l] + acc[l ^ distance];
      }
      acc = folded;
    }
    return acc[0];
  }

  @Test
  void planarConvolutionMatchesTheDefinition() {
    SplittableRandom random = new SplittableRandom(4);
    for (int n : new int[] {1, 3, 4, 5, 6, 8}) {
      for (int trial = 0; trial < 6; trial++) {
        int channels = 1 + random.nextInt(5);
        int kh = 1 + random.nextInt(4);
        int kw = 1 + random.nextInt(4);
        int height = kh + random.nextInt(6);
        int width = kw + random.nextInt(30);
        assertPlanarMatches(random, n, channels, height, width, kh, kw, "planar forward trial " + trial);
      }
    }
  }

  /**
   * The unmasked planar blocks: LeNet-5's c1 (six channels, 28x28 from a padded 32x32), an odd
   * number of rows and a row that is not a whole number of vectors (both overlap), and eight
   * channels.
   */
  @Test
  void planarBlocksWithoutMasksMatchTheDefinition() {
    SplittableRandom random = new SplittableRandom(12);
    // ... and rows narrower than a vector, whose loads take whole vectors (LeNet-5's c3 input
    // gradient: 16 channels of 18x18 to 6 of 14x14) with an odd row count too.
    int[][] shapes = {
      {6, 1, 32, 32}, {6, 2, 31, 25}, {5, 1, 20, 40}, {8, 3, 9, 37}, {4, 1, 6, 21}, {6, 16, 18, 18}, {3, 2, 7, 9}
    };
    for (int[] shape : shapes) {
      assertPlanarMatches(random, shape[0], shape[1], shape[2], shape[3], 5, 5, "planar");
    }
    assertEquals(6, Kernels.planarWidth(6, 28), "LeNet-5's c1 is one block of six");
    assertEquals(6, Kernels.planarWidth(6, 14), "and its c3 input gradient, over rows of 14");
    assertEquals(8, Kernels.planarWidth(6, 1), "one row takes groups of four");
  }

  /**
   * The planar blocks skip kernel rows that read only the input's zero rows, above and below:
   * the same results as with no rows declared zero. LeNet-5's c1 (2 and 2 of 32), its c3 input
   * gradient (4 and 4 of 18, rows narrower than a vector), an odd row count and zero rows that
   * cover whole blocks.
   */
  @Test
  void planarBlocksSkipTheZeroRows() {
    SplittableRandom random = new SplittableRandom(15);
    int[][] shapes = { // n, channels, height, width, kernel, zero rows above, below
      {6, 1, 32, 32, 5, 2, 2}, {6, 16, 18, 18, 5, 4, 4}, {4, 2, 13, 20, 3, 3, 1}, {8, 1, 12, 9, 3, 6, 5},
      {4, 2, 13, 12, 3, 3, 1}
    };
    for (int[] shape : shapes) {
      int n = shape[0], channels = shape[1], height = shape[2], width = shape[3], k = shape[4];
      int data = height - shape[5] - shape[6];
      float[] x = randoms(random, data * width * channels);
      float[] w = randoms(random, k * k * channels * n);
      float[] b = randoms(random, n);
      Planar p = planar(x, data, shape[5], channels, height, width, w, k, k, n);
      int rows = p.rows(), cols = p.cols(), np = p.np(), wide = p.wide(), out = p.out();
      float[] scratch = p.scratch();
      float[] all = new float[rows * cols * n];
      float[] skipping = new float[rows * cols * n];
      Kernels.convolvePlanar(scratch, 0, channels, height, width, 0, 0, k, k, scratch, wide, np, b, 0, n, all, 0, rows, cols, scratch, out);
      Kernels.convolvePlanar(scratch, 0, channels, height, width, shape[5], shape[6], k, k, scratch, wide, np, b, 0, n, skipping, 0, rows, cols, scratch, out);
      assertArrayEquals(all, skipping, 0f, Arrays.toString(shape));
      // The input alone in an array of its size: whole loads would leave it, so the masked blocks run.
      float[] input = Arrays.copyOf(scratch, wide);
      float[] weights = Arrays.copyOfRange(scratch, wide, out);
      float[] masked = new float[rows * cols * n];
      Kernels.convolvePlanar(input, 0, channels, height, width, shape[5], shape[6], k, k, weights, 0, np, b, 0, n, masked, 0, rows, cols, new float[np * rows * cols], 0);
      assertClose(all, masked, "exactly sized input " + Arrays.toString(shape));
    }
  }

  /** A planar convolution's scratch ({@link #planar}) and where its parts are. */
  private record Planar(float[] scratch, int wide, int out, int np, int rows, int cols) {}

  /**
   * The planar input ({@code data} rows of x, {@code zeroTop} zero rows above them, zeros below
   * down to {@code height}), the widened weights from {@code wide}, then room for the output
   * planes from {@code out}, all in one scratch array with nothing after them.
   */
  private static Planar planar(
      float[] x, int data, int zeroTop, int channels, int height, int width, float[] w, int kh, int kw, int n) {
    int rows = height - kh + 1;
    int cols = width - kw + 1;
    int np = Kernels.planarWidth(n, rows);
    int wide = height * width * channels;
    int out = wide + kh * kw * channels * np;
    float[] scratch = new float[out + np * rows * cols];
    Kernels.toPlanar(x, 0, data, width, channels, channels, scratch, 0, zeroTop, 0, height, width);
    Kernels.widen(w, 0, kh * kw * channels, n, np, scratch, wide);
    return new Planar(scratch, wide, out, np, rows, cols);
  }

  /**
   * The planar path (planar input, widened weights, the output planes, all in one scratch array
   * with nothing after them) against the NHWC definition, for {@code n} outputs of a {@code kh x
   * kw} kernel over {@code height x width x channels}.
   */
  private static void assertPlanarMatches(
      SplittableRandom random, int n, int channels, int height, int width, int kh, int kw, String what) {
    float[] x = randoms(random, height * width * channels);
    float[] w = randoms(random, kh * kw * channels * n);
    float[] b = randoms(random, n);
    Planar p = planar(x, height, 0, channels, height, width, w, kh, kw, n);
    int rows = p.rows(), cols = p.cols(), np = p.np();
    float[] expected = new float[rows * cols * n];
    float[] actual = new float[rows * cols * n];
    ConvolutionKernels.plainConvolve(x, 0, width * channels, channels, width * channels, kh, kw * channels, w, 0, b, 0, n, expected, 0, rows, cols);
    Kernels.convolvePlanar(p.scratch(), 0, channels, height, width, 0, 0, kh, kw, p.scratch(), p.wide(), np, b, 0, n, actual, 0, rows, cols, p.scratch(), p.out());
    assertClose(expected, actual, what + " n=" + n + " (np " + np + ") " + rows + "x" + cols + " from " + channels + " channels");
  }

  /**
   * Inference's planar convolution fused with a 2x2 max pool against the planar convolution, ReLU
   * and the max pool one after the other, to the bit: LeNet-5's c1 (one block of six channels,
   * rows of 28: the pooled rows' last vector overlaps), rows narrower than a vector (pooled by
   * the scalar loop), three vectors' worth of columns and no bias, with and without ReLU. On the
   * plain path it declines, writing nothing.
   */
  @Test
  void planarConvolutionPooledIsTheLayersOneAfterTheOther() {
    SplittableRandom random = new SplittableRandom(13);
    int[][] shapes = { // n, channels, height, width, kernel
      {6, 1, 32, 32, 5}, {4, 2, 16, 16, 3}, {8, 3, 22, 38, 3}, {6, 1, 20, 20, 1}, {3, 2, 8, 12, 3}
    };
    for (int[] shape : shapes) {
      for (boolean relu : new boolean[] {true, false}) {
        int n = shape[0], channels = shape[1], height = shape[2], width = shape[3], k = shape[4];
        float[] x = randoms(random, height * width * channels);
        float[] w = randoms(random, k * k * channels * n);
        float[] b = randoms(random, n);
        int bo = relu ? 0 : -1; // without ReLU, also without a bias
        Planar p = planar(x, height, 0, channels, height, width, w, k, k, n);
        int rows = p.rows(), cols = p.cols(), np = p.np(), wide = p.wide(), out = p.out();
        float[] scratch = p.scratch();
        float[] planes = scratch.clone();
        float[] layer = new float[rows * cols * n];
        Kernels.convolvePlanar(scratch, 0, channels, height, width, 0, 0, k, k, scratch, wide, np, b, bo, n, layer, 0, rows, cols, scratch, out);
        if (relu) {
          Kernels.relu(layer, 0, layer, 0, layer.length);
        }
        float[] expected = new float[rows / 2 * (cols / 2) * n];
        Kernels.maxPool(layer, 0, 2 * cols * n, 2 * n, cols * n, 2, 2, n, expected, 0, rows / 2, cols / 2);
        // Output at 5, with guard values around it that must stay as they are.
        float[] actual = new float[5 + expected.length + 40];
        Arrays.fill(actual, 42f);
        String what = n + " filters of " + rows + "x" + cols + " from " + channels + " channels, relu " + relu;
        boolean fused =
            Kernels.convolvePlanarPooled(planes, 0, channels, height, width, 0, 0, k, k, planes, wide, np, b, bo, n, relu, actual, 5, rows, cols, planes, out);
        assertEquals(Kernels.VECTORIZED, fused, what + ": fused only on the vector path");
        for (int i = 0; i < actual.length; i++) {
          boolean inside = fused && i >= 5 && i < 5 + expected.length;
          assertEquals(inside ? expected[i - 5] : 42f, actual[i], 0f, what + " at " + i);
        }
      }
    }
  }

  @Test
  void reluItsDerivativeAndBiasGradientsMatchTheirDefinitionsToTheBit() {
    SplittableRandom random = new SplittableRandom(8);
    for (int n : new int[] {1, 5, 16, 17, 31, 32, 100, 12544}) {
      float[] x = randoms(random, n + 3);
      // NaN and -0 where the kernels read them: first element, and the last (in a masked tail).
      x[3] = Float.NaN;
      x[3 + n - 1] = n > 1 ? -0f : Float.NaN;
      if (n > 2) {
        x[3 + n - 2] = Float.NaN;
      }
      float[] expected = randoms(random, n + 2);
      float[] actual = expected.clone();
      for (int i = 0; i < n; i++) {
        expected[2 + i] = Math.max(0f, x[3 + i]);
      }
      Kernels.relu(x, 3, actual, 2, n);
      assertArrayEquals(expected, actual, 0f, "relu n=" + n);

      float[] d = randoms(random, n + 4);
      float[] dExpected = d.clone();
      for (int i = 0; i < n; i++) {
        dExpected[4 + i] = x[3 + i] > 0f ? d[4 + i] : 0f;
      }
      Kernels.reluDerivative(x, 3, d, 4, n);
      assertArrayEquals(dExpected, d, 0f, "reluDerivative n=" + n);
    }
    for (int channels : CHANNELS) {
      int pixels = 1 + random.nextInt(50);
      float[] d = randoms(random, pixels * channels + 3);
      float[] expected = randoms(random, channels + 5);
      float[] actual = expected.clone();
      for (int f = 0; f < channels; f++) {
        float sum = 0f;
        for (int p = 0; p < pixels; p++) {
          sum += d[3 + p * channels + f];
        }
        expected[5 + f] += sum;
      }
      Kernels.biasGradient(d, 3, pixels, channels, actual, 5);
      assertArrayEquals(expected, actual, 0f, "biasGradient channels=" + channels);
    }
  }

  @Test
  void maxPoolBackwardRoutesToTheFirstMaximum() {
    SplittableRandom random = new SplittableRandom(7);
    for (int channels : CHANNELS) {
      for (int trial = 0; trial < 6; trial++) {
        int kh = 1 + random.nextInt(3);
        int kw = trial == 0 ? 3 : trial == 1 ? 1 : 1 + random.nextInt(3); // rectangular windows
        int strideH = 1 + random.nextInt(3); // below the window: overlapping windows add up
        int strideW = 1 + random.nextInt(3);
        int rows = 1 + random.nextInt(5);
        int cols = 1 + random.nextInt(5);
        int height = (rows - 1) * strideH + kh;
        int width = (cols - 1) * strideW + kw;
        int xo = 5;
        float[] x = randoms(random, xo + height * width * channels);
        for (int i = xo; i < x.length; i += 3) {
          // Ties: the first cell holding the maximum takes the gradient, among positive, negative
          // and signed-zero values alike.
          x[i] = x[i] > 0.3f ? 1f : x[i] < -0.3f ? -0.5f : (i % 2 == 0 ? 0f : -0f);
        }
        // A NaN in a window's first cell keeps the gradient there; one later never takes it.
        x[xo] = Float.NaN;
        x[xo + (height * width - 1) * channels + channels - 1] = Float.NaN;
        float[] d = randoms(random, rows * cols * channels + 2);
        int dxo = 4;
        float[] expected = new float[dxo + height * width * channels];
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            for (int ch = 0; ch < channels; ch++) {
              int best = -1;
              float m = 0;
              for (int a = 0; a < kh; a++) {
                for (int b = 0; b < kw; b++) {
                  int xi = xo + ((r * strideH + a) * width + c * strideW + b) * channels + ch;
                  if (best < 0 || x[xi] > m) {
                    best = xi;
                    m = x[xi];
                  }
                }
              }
              expected[best - xo + dxo] += d[2 + (r * cols + c) * channels + ch];
            }
          }
        }
        float[] actual = new float[expected.length];
        Kernels.maxPoolBackward(
            x, xo, strideH * width * channels, strideW * channels, width * channels, kh, kw,
            channels, d, 2, actual, dxo, rows, cols);
        // Same additions in the same order: equal to the last bit.
        assertArrayEquals(
            expected, actual, 0f,
            "channels=" + channels + " " + kh + "x" + kw + " stride " + strideH + "x" + strideW);
      }
    }
  }

  @Test
  void maxPoolTakesTheLargestOfEachWindowAndKeepsNaN() {
    SplittableRandom random = new SplittableRandom(6);
    for (int channels : CHANNELS) {
      int k = 1 + random.nextInt(3);
      int stride = 1 + random.nextInt(3);
      int rows = 1 + random.nextInt(5);
      int cols = 1 + random.nextInt(5);
      int height = (rows - 1) * stride + k;
      int width = (cols - 1) * stride + k;
      float[] x = randoms(random, height * width * channels);
      x[random.nextInt(x.length)] = Float.NaN;
      float[] expected = new float[rows * cols * channels];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          for (int ch = 0; ch < channels; ch++) {
            float v = Float.NEGATIVE_INFINITY;
            for (int a = 0; a < k; a++) {
              for (int b = 0; b < k; b++) {
                v = Math.max(v, x[((r * stride + a) * width + c * stride + b) * channels + ch]);
              }
            }
            expected[(r * cols + c) * channels + ch] = v;
          }
        }
      }
      // Output at 3, with 40 guard values after it that must stay as they are.
      float[] actual = new float[3 + expected.length + 40];
      Arrays.fill(actual, 42f);
      Kernels.maxPool(x, 0, stride * width * channels, stride * channels, width * channels, k, k, channels, actual, 3, rows, cols);
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[3 + i], 0f, "channels=" + channels + " index " + i);
      }
      for (int i = 3 + expected.length; i < actual.length; i++) {
        assertEquals(42f, actual[i], 0f, "channels=" + channels + ": written past the output at " + i);
      }
    }
  }

  @Test
  void rotateSwapsChannelsAndTurnsTheKernel() {
    // [kh=2, kw=3, in=2, out=1]: value = 100*a + 10*b + i.
    float[] w = new float[12];
    for (int a = 0; a < 2; a++) {
      for (int b = 0; b < 3; b++) {
        for (int i = 0; i < 2; i++) {
          w[(a * 3 + b) * 2 + i] = 100 * a + 10 * b + i;
        }
      }
    }
    float[] r = new float[12];
    Kernels.rotate(w, 0, 2, 3, 2, 1, 2, r, 0);
    // r[a, b, o=0, i] = w[1 - a, 2 - b, i, 0]
    assertEquals(121f, r[1]); // a=0, b=0, i=1
    assertEquals(0f, r[(1 * 3 + 2) * 2]); // a=1, b=2, i=0
  }

  /**
   * A padded max pool is each window's maximum over the inputs inside it: 3x3 of stride 2 with
   * the padding after (TensorFlow's SAME on even sizes, ResNet's stem pool) and on both sides,
   * whole vectors of channels and fewer.
   */
  @Test
  void clippedMaxPoolTakesOnlyTheInputsInsideEachWindow() {
    SplittableRandom random = new SplittableRandom(41);
    int lanes = Kernels.VECTORIZED ? Vectors.lanes() : 8;
    int[][] cases = {{8, 8, 2 * lanes, 0, 0, 4, 4}, {7, 6, lanes, 1, 1, 4, 3}, {6, 5, 6, 1, 0, 3, 3}};
    for (int[] k : cases) {
      int height = k[0];
      int width = k[1];
      int channels = k[2];
      int padTop = k[3];
      int padLeft = k[4];
      int rows = k[5];
      int cols = k[6];
      float[] x = randoms(random, 2 + height * width * channels);
      float[] y = new float[1 + rows * cols * channels];
      Kernels.maxPoolClipped(x, 2, height, width, channels, 3, 3, 2, 2, padTop, padLeft, y, 1, rows, cols);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          for (int ch = 0; ch < channels; ch++) {
            float expected = Float.NEGATIVE_INFINITY;
            for (int a = 0; a < 3; a++) {
              for (int b = 0; b < 3; b++) {
                int ih = 2 * r - padTop + a;
                int iw = 2 * c - padLeft + b;
                if (ih >= 0 && ih < height && iw >= 0 && iw < width) {
                  expected = Math.max(expected, x[2 + (ih * width + iw) * channels + ch]);
                }
              }
            }
            assertEquals(expected, y[1 + (r * cols + c) * channels + ch], java.util.Arrays.toString(k) + " at " + r + "," + c + "," + ch);
          }
        }
      }
    }
  }

  /** A residual sum and its ReLU in one pass: {@code max(0, a + b)}, in place too, with a tail. */
  @Test
  void addReluIsTheSumsPositivePart() {
    SplittableRandom random = new SplittableRandom(43);
    int n = 3 * 8 + 5;
    float[] a = randoms(random, 1 + n);
    float[] b = randoms(random, 2 + n);
    float[] y = new float[3 + n];
    Kernels.addRelu(a, 1, b, 2, y, 3, n);
    float[] inPlace = a.clone();
    Kernels.addRelu(inPlace, 1, b, 2, inPlace, 1, n);
    for (int i = 0; i < n; i++) {
      float expected = Math.max(0f, a[1 + i] + b[2 + i]);
      assertEquals(expected, y[3 + i], "at " + i);
      assertEquals(expected, inPlace[1 + i], "in place at " + i);
    }
  }

  /** A BatchNorm's scale and shift at inference, with its ReLU and without, in place too. */
  @Test
  void scaleShiftIsAMultiplyAnAddAndTheRelu() {
    SplittableRandom random = new SplittableRandom(37);
    for (int channels : new int[] {16, 6}) {
      int pixels = 5;
      float[] affine = randoms(random, 2 * channels);
      float[] x = randoms(random, 3 + pixels * channels);
      for (boolean relu : new boolean[] {false, true}) {
        float[] y = new float[1 + pixels * channels];
        Kernels.scaleShift(x, 3, affine, channels, pixels, relu, y, 1);
        float[] inPlace = x.clone();
        Kernels.scaleShift(inPlace, 3, affine, channels, pixels, relu, inPlace, 3);
        for (int px = 0; px < pixels; px++) {
          for (int c = 0; c < channels; c++) {
            int i = px * channels + c;
            float v = x[3 + i] * affine[c] + affine[channels + c];
            float expected = relu ? Math.max(0f, v) : v;
            assertEquals(expected, y[1 + i], channels + " channels, relu " + relu + " at " + i);
            assertEquals(expected, inPlace[3 + i], "in place, " + channels + " channels at " + i);
          }
        }
      }
    }
  }

  @Test
  void padAndSpreadPlacePixels() {
    float[] x = {1, 2, 3, 4}; // 2x2x1
    float[] p = new float[16];
    java.util.Arrays.fill(p, 9f);
    Kernels.pad(x, 0, 2, 2, 1, p, 0, 1, 1, 4, 4);
    assertEquals(0f, p[0]);
    assertEquals(1f, p[5]);
    assertEquals(4f, p[10]);
    assertEquals(0f, p[15]);
    // Uneven padding over garbage (2 channels, 3x2 into 6x5 at row 1, column 2): every value is
    // the input's or zero, the buffer's ends untouched.
    float[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    float[] out = new float[2 + 6 * 5 * 2 + 2];
    java.util.Arrays.fill(out, 9f);
    Kernels.pad(in, 0, 3, 2, 2, out, 2, 1, 2, 6, 5);
    for (int r = 0; r < 6; r++) {
      for (int c = 0; c < 5; c++) {
        for (int ch = 0; ch < 2; ch++) {
          boolean inside = r >= 1 && r < 4 && c >= 2 && c < 4;
          float expected = inside ? in[((r - 1) * 2 + c - 2) * 2 + ch] : 0f;
          assertEquals(expected, out[2 + (r * 5 + c) * 2 + ch], "row " + r + ", column " + c);
        }
      }
    }
    assertEquals(9f, out[1]);
    assertEquals(9f, out[2 + 60]);
    float[] s = new float[9];
    Kernels.spread(x, 0, 2, 2, 1, 2, 2, s, 0, 0, 0, 3, 3);
    assertEquals(1f, s[0]);
    assertEquals(2f, s[2]);
    assertEquals(3f, s[6]);
    assertEquals(4f, s[8]);
    assertEquals(0f, s[4]);
  }

  /** A convolution geometry: output rows x cols, taps of tapLength floats, strides in floats. */
  private record Shape(int rows, int cols, int taps, int tapLength, int rowStep, int colStep, int tapStep) {
    static Shape random(SplittableRandom random) {
      int rows = 1 + random.nextInt(4);
      int cols = 1 + random.nextInt(9);
      int taps = 1 + random.nextInt(3);
      int tapLength = 1 + random.nextInt(13);
      int colStep = 1 + random.nextInt(4);
      int tapStep = tapLength + random.nextInt(3);
      int rowStep = cols * colStep + random.nextInt(5);
      return new Shape(rows, cols, taps, tapLength, rowStep, colStep, tapStep);
    }

    int inputLength() {
      return (rows - 1) * rowStep + (cols - 1) * colStep + (taps - 1) * tapStep + tapLength;
    }
  }

  /**
   * The dense kernels over a tile of samples (forward, input gradient, weight gradient) against
   * the per-sample definitions: tiles shorter than a register block and longer, strides wider
   * than a sample (samples in their own workspaces), outputs narrower than a vector and wider.
   */
  @Test
  void denseTilesAreTheirSamplesOneByOne() {
    SplittableRandom random = new SplittableRandom(17);
    for (int count : new int[] {1, 5, 6, 13, 24}) {
      for (int[] shape : new int[][] {{400, 120}, {120, 84}, {84, 10}, {7, 3}, {3136, 10}, {33, 40}}) {
        int m = shape[0];
        int n = shape[1];
        int xStride = m + 5;
        int yStride = n + 3;
        float[] x = randoms(random, 2 + count * xStride);
        float[] w = randoms(random, 1 + m * n);
        float[] b = randoms(random, n + 4);
        String what = count + " samples, " + m + "x" + n;

        float[] expected = randoms(random, 3 + count * yStride);
        float[] actual = expected.clone();
        for (int s = 0; s < count; s++) {
          ConvolutionKernels.plainConvolve(x, 2 + s * xStride, 0, 0, 0, 1, m, w, 1, b, 4, n, expected, 3 + s * yStride, 1, 1);
        }
        Kernels.denseTile(x, 2, xStride, m, w, 1, b, 4, n, actual, 3, yStride, count);
        assertClose(expected, actual, "denseTile, " + what);

        float[] d = randoms(random, 1 + count * yStride);
        float[] dxExpected = randoms(random, 2 + count * xStride);
        float[] dxActual = dxExpected.clone();
        for (int s = 0; s < count; s++) {
          DenseKernels.plainTransposedProduct(w, 1, m, n, d, 1 + s * yStride, dxExpected, 2 + s * xStride);
        }
        Kernels.transposedProductTile(w, 1, m, n, d, 1, yStride, dxActual, 2, xStride, count);
        assertClose(dxExpected, dxActual, "transposedProductTile, " + what);

        float[] gExpected = randoms(random, 5 + m * n);
        float[] gActual = gExpected.clone();
        for (int s = 0; s < count; s++) {
          DenseKernels.plainOuterProduct(x, 2 + s * xStride, m, d, 1 + s * yStride, n, gExpected, 5);
        }
        Kernels.outerProductTile(x, 2, xStride, m, d, 1, yStride, n, gActual, 5, count);
        assertClose(gExpected, gActual, "outerProductTile, " + what);
      }
    }
  }

  /**
   * Winograd's F(4x4, 3x3) and F(2x2, 3x3) against the convolution in double precision: output
   * sizes that fill the last blocks and ones that end inside them (blocks that run past the
   * input), with and without a bias, channel counts that take the transforms and ones that fall
   * back. Its error is a few times the direct sum's, which is what the bound (a relative 2e-5 of
   * the sum of the products' magnitudes) allows.
   */
  @Test
  void winogradIsTheConvolutionWithinItsErrorBound() {
    SplittableRandom random = new SplittableRandom(23);
    int lanes = Kernels.VECTORIZED ? Vectors.lanes() : 8;
    // F(4x4, 3x3) for the first, fifth and sixth (the last blocks partly outside), F(2x2, 3x3)
    // for the second, third and the last two.
    int[][] shapes = {
      {14, 14, 32, 64}, {7, 9, lanes, 2 * lanes}, {5, 4, 2 * lanes, lanes}, {4, 4, 3, 40},
      {28, 28, lanes, 4 * lanes}, {13, 15, 2 * lanes, lanes}, {6, 6, lanes, 2 * lanes},
      {2, 3, 2 * lanes, lanes}
    };
    for (int[] shape : shapes) {
      int rows = shape[0];
      int cols = shape[1];
      int c = shape[2];
      int n = shape[3];
      int inCols = cols + 2;
      float[] x = randoms(random, 1 + (rows + 2) * inCols * c);
      float[] w = randoms(random, 9 * c * n + 2);
      float[] b = randoms(random, n + 1);
      for (int bo : new int[] {1, -1}) {
        float[] y = new float[rows * cols * n + 3];
        Kernels.winograd3x3(x, 1, inCols * c, c, w, 2, b, bo, n, y, 3, rows, cols);
        for (int r = 0; r < rows; r++) {
          for (int q = 0; q < cols; q++) {
            for (int f = 0; f < n; f++) {
              double sum = bo >= 0 ? b[bo + f] : 0;
              double magnitude = Math.abs(sum);
              for (int kh = 0; kh < 3; kh++) {
                for (int kw = 0; kw < 3; kw++) {
                  for (int ci = 0; ci < c; ci++) {
                    double product = (double) x[1 + ((r + kh) * inCols + q + kw) * c + ci] * w[2 + ((kh * 3 + kw) * c + ci) * n + f];
                    sum += product;
                    magnitude += Math.abs(product);
                  }
                }
              }
              float actual = y[3 + (r * cols + q) * n + f];
              assertTrue(
                  Math.abs(actual - sum) <= 2e-5 * magnitude + 1e-6,
                  java.util.Arrays.toString(shape) + " at " + r + "," + q + "," + f + ": " + actual + " vs " + sum);
            }
          }
        }
      }
    }
  }

  /**
   * Winograd over a tile of samples gives each sample the bits it gets alone, with its kernel
   * kept or not, in both forms and where the channels fall back.
   */
  @Test
  void winogradOverATileIsEachSampleAlone() {
    SplittableRandom random = new SplittableRandom(31);
    int lanes = Kernels.VECTORIZED ? Vectors.lanes() : 8;
    int[][] shapes = {{14, 14, 2 * lanes, 4 * lanes}, {7, 5, lanes, 2 * lanes}, {4, 4, 3, 40}};
    for (int[] shape : shapes) {
      int rows = shape[0];
      int cols = shape[1];
      int c = shape[2];
      int n = shape[3];
      int count = 3;
      int xStride = (rows + 2) * (cols + 2) * c + 5;
      int yStride = rows * cols * n + 7;
      float[] x = randoms(random, 1 + count * xStride);
      float[] w = randoms(random, 9 * c * n + 2);
      float[] b = randoms(random, n + 1);
      for (int key : new int[] {-1, 11}) {
        float[] tile = new float[2 + count * yStride];
        Kernels.winograd3x3Tile(x, 1, xStride, (cols + 2) * c, c, w, 2, b, 1, n, tile, 2, yStride, rows, cols, count, key);
        for (int sample = 0; sample < count; sample++) {
          float[] alone = new float[rows * cols * n];
          Kernels.winograd3x3(x, 1 + sample * xStride, (cols + 2) * c, c, w, 2, b, 1, n, alone, 0, rows, cols, key);
          assertArrayEquals(
              alone, java.util.Arrays.copyOfRange(tile, 2 + sample * yStride, 2 + sample * yStride + alone.length),
              java.util.Arrays.toString(shape) + " sample " + sample + " key " + key);
        }
      }
    }
  }

  /**
   * Winograd's larger block where it saves a quarter of the multiply-adds or more and each
   * product has two register blocks of rows.
   */
  @Test
  void winogradTakesTheLargerBlockWhereItSavesMultiplies() {
    assertEquals(4, ConvolutionRules.winogradBlock(14, 14)); // 16 blocks of 36 against 49 of 16
    assertEquals(4, ConvolutionRules.winogradBlock(56, 56));
    assertEquals(2, ConvolutionRules.winogradBlock(7, 7)); // 4 of 36 against 16 of 16: too few rows
    assertEquals(4, ConvolutionRules.winogradBlock(13, 15)); // 16 blocks: the last ones partly outside
    assertEquals(2, ConvolutionRules.winogradBlock(6, 6)); // 4 of 36 against 9 of 16: equal
    assertEquals(2, ConvolutionRules.winogradBlock(2, 2));
  }

  /**
   * Winograd's kernel gradient against the direct one in double precision, added to what g held:
   * even and odd output sizes (the last blocks' missing outputs have no gradient), channel counts
   * that take the transforms and ones that fall back, within the forward pass's bound.
   */
  @Test
  void winogradKernelGradientIsTheDirectOneWithinItsErrorBound() {
    SplittableRandom random = new SplittableRandom(29);
    int lanes = Kernels.VECTORIZED ? Vectors.lanes() : 8;
    int[][] shapes = {{14, 14, 32, 64}, {7, 9, lanes, 2 * lanes}, {5, 4, 2 * lanes, lanes}, {4, 4, 3, 40}, {1, 3, lanes, lanes}};
    for (int[] shape : shapes) {
      int rows = shape[0];
      int cols = shape[1];
      int c = shape[2];
      int n = shape[3];
      int inCols = cols + 2;
      float[] x = randoms(random, 1 + (rows + 2) * inCols * c);
      float[] d = randoms(random, 2 + rows * cols * n);
      float[] g = randoms(random, 3 + 9 * c * n);
      float[] before = g.clone();
      Kernels.winogradWeightGradient3x3(x, 1, inCols * c, c, d, 2, n, rows, cols, g, 3);
      for (int kh = 0; kh < 3; kh++) {
        for (int kw = 0; kw < 3; kw++) {
          for (int ci = 0; ci < c; ci++) {
            for (int f = 0; f < n; f++) {
              int at = 3 + ((kh * 3 + kw) * c + ci) * n + f;
              double sum = before[at];
              double magnitude = Math.abs(sum);
              for (int r = 0; r < rows; r++) {
                for (int q = 0; q < cols; q++) {
                  double product = (double) x[1 + ((r + kh) * inCols + q + kw) * c + ci] * d[2 + (r * cols + q) * n + f];
                  sum += product;
                  magnitude += Math.abs(product);
                }
              }
              assertTrue(
                  Math.abs(g[at] - sum) <= 2e-5 * magnitude + 1e-6,
                  java.util.Arrays.toString(shape) + " at tap " + kh + "," + kw + ", channel " + ci + ", filter " + f + ": " + g[at] + " vs " + sum);
            }
          }
        }
      }
      assertEquals(before[0], g[0]);
      assertEquals(before[1], g[1]);
      assertEquals(before[2], g[2]);
    }
  }

  private static float[] randoms(SplittableRandom random, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return a;
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    for (int i = 0; i < expected.length; i++) {
      float tolerance = 1e-4f * Math.max(1f, Math.abs(expected[i]));
      if (Math.abs(expected[i] - actual[i]) > tolerance) {
        throw new AssertionError(what + ": index " + i + " expected " + expected[i] + " but was " + actual[i]);
      }
    }
  }
}
