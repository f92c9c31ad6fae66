package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The packed matrix product against a scalar model of its order of additions, to the bit: each
 * chunk of k summed from zero with FMAs in increasing k, then added to the value so far. Shapes
 * cover short row blocks and column panels (the edge path), several chunks of k, strided B (a
 * transposed matrix) and the three initial values (zero, a bias, C itself); the second round runs
 * what C2 compiled from the first.
 */
class VectorGemmTest {
  @Test
  void addsInOneOrderWhereverItRuns() {
    if (!Kernels.VECTORIZED) {
      return; // a Vector API kernel; the plain path has no packed product
    }
    SplittableRandom random = new SplittableRandom(5);
    int[][] shapes = { // m, n, k
      {6, 16, 1}, {1, 1, 1}, {7, 17, 5}, {12, 32, 96}, {13, 40, 385}, {100, 64, 800}, {5, 8, 3}, {96, 16, 33}, {97, 48, 2}
    };
    for (int round = 0; round < 2; round++) {
      for (int[] shape : shapes) {
        for (int mode = 0; mode < 3; mode++) {
          for (boolean transposed : new boolean[] {false, true}) {
            check(random, shape[0], shape[1], shape[2], mode, transposed, "round " + round);
          }
        }
      }
      for (int call = 0; call < 3_000 && round == 0; call++) {
        check(random, 24, 32, 40, call % 3, call % 2 == 0, "warm-up");
      }
    }
  }

  /**
   * A dense layer over a tile (one packed product) gives each sample the bits the one-sample
   * kernel gives it, so predictBatch is predict, only faster: outputs below, at and above a
   * vector and two, inputs in one chunk of k and in several.
   */
  @Test
  void offsetTablesAreTheDefinitionsQuotientsAndRemainders() {
    // {count, group, groupStep, width, rowStep, colStep}: a convolution's pixels over samples, one
    // sample's pixels, taps of several channels, a strided list.
    int[][] cases = {{3 * 28 * 28, 28 * 28, 5000, 28, 30, 1}, {100, 100, 0, 10, 84, 6}, {150, 150, 0, 30, 84, 1}, {9, 9, 0, 9, 0, 7}, {1, 1, 0, 1, 3, 2}};
    for (int[] c : cases) {
      int[] at = VectorGemm.offsets(new int[c[0]], c[0], c[1], c[2], c[3], c[4], c[5]);
      for (int i = 0; i < c[0]; i++) {
        int expected = (i / c[1]) * c[2] + (i % c[1] / c[3]) * c[4] + (i % c[3]) * c[5];
        assertEquals(expected, at[i], "offset " + i + " of case " + java.util.Arrays.toString(c));
      }
    }
  }

  @Test
  void denseTileIsTheOneSampleDenseToTheBit() {
    if (!Kernels.VECTORIZED) {
      return;
    }
    SplittableRandom random = new SplittableRandom(9);
    for (int[] shape : new int[][] {{400, 120}, {120, 84}, {84, 10}, {3136, 10}, {1536, 16}, {2000, 9}, {9, 3}, {800, 16}, {2, 40}}) {
      int m = shape[0];
      int n = shape[1];
      int count = 13;
      float[] x = randoms(random, count * m);
      float[] w = randoms(random, m * n);
      float[] b = randoms(random, n);
      float[] tile = new float[count * n];
      float[] one = new float[count * n];
      Kernels.denseTile(x, 0, m, m, w, 0, b, 0, n, tile, 0, n, count);
      for (int s = 0; s < count; s++) {
        Kernels.convolve(x, s * m, 0, 0, 0, 1, m, w, 0, b, 0, n, one, s * n, 1, 1);
      }
      for (int i = 0; i < tile.length; i++) {
        assertEquals(Float.floatToRawIntBits(one[i]), Float.floatToRawIntBits(tile[i]), m + "x" + n + " at " + i);
      }
    }
  }

  /**
   * A large product shared with a helper thread has the bits it has alone, also while several
   * threads share at once (each takes a helper if one is idle, else computes alone): split by
   * rows (196 x 288 times 288 x 64), and by column panels where B outweighs A (49 x 64 times 64 x
   * 520, its last panel short) or A has fewer than two blocks of rows.
   */
  @ParameterizedTest
  @CsvSource({"196, 64, 288", "49, 520, 64", "6, 176, 1024"})
  void aSharedProductHasTheBitsOfOneComputedAlone(int m, int n, int k) throws Exception {
    if (!Kernels.VECTORIZED) {
      return;
    }
    assertTrue((long) m * n * k >= VectorGemm.SHARED_MACS, "large enough to share");
    SplittableRandom random = new SplittableRandom(3);
    float[] x = randoms(random, m * k);
    float[] w = randoms(random, k * n);
    float[] b = randoms(random, n);
    float[] alone = new float[m * n];
    Kernels.convolve(x, 0, k, 0, 0, 1, k, w, 0, b, 0, n, alone, 0, m, 1);
    Thread[] threads = new Thread[4];
    Throwable[] failures = new Throwable[threads.length];
    for (int t = 0; t < threads.length; t++) {
      int at = t;
      threads[t] =
          new Thread(
              () -> {
                try {
                  Kernels.shareWithHelpers(true);
                  for (int round = 0; round < 200; round++) {
                    float[] shared = new float[m * n];
                    Kernels.convolve(x, 0, k, 0, 0, 1, k, w, 0, b, 0, n, shared, 0, m, 1);
                    for (int i = 0; i < shared.length; i++) {
                      if (Float.floatToRawIntBits(shared[i]) != Float.floatToRawIntBits(alone[i])) {
                        throw new AssertionError("round " + round + ", element " + i + ": " + shared[i] + " vs " + alone[i]);
                      }
                    }
                  }
                } catch (Throwable e) {
                  failures[at] = e;
                }
              });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    for (Throwable failure : failures) {
      if (failure != null) {
        throw new AssertionError(failure);
      }
    }
  }

  /** Winograd's 16 products shared pairwise with a helper give the bits they give alone. */
  @Test
  void aSharedWinogradHasTheBitsOfOneComputedAlone() {
    if (!Kernels.VECTORIZED) {
      return;
    }
    // A layer too small to share its transforms (9 blocks of F(2x2, 3x3): products shared),
    // SEEDCNN's c2 (transforms shared too), and an odd-sized layer: 10 x 9 blocks over 64 channels.
    assertEquals(2, ConvolutionRules.winogradBlock(6, 6));
    assertTrue(16L * 9 * 64 < VectorWinograd.SHARED_TRANSFORM_FLOATS, "only the products are shared");
    assertTrue(36L * 16 * 64 >= VectorWinograd.SHARED_TRANSFORM_FLOATS, "SEEDCNN's c2 shares its transforms");
    assertEquals(4, ConvolutionRules.winogradBlock(39, 33));
    sharedWinogradMatches(6, 6, 32, 64);
    sharedWinogradMatches(14, 14, 32, 64);
    sharedWinogradMatches(39, 33, 64, 64);
  }

  private static void sharedWinogradMatches(int rows, int cols, int c, int n) {
    SplittableRandom random = new SplittableRandom(4);
    float[] x = randoms(random, (rows + 2) * (cols + 2) * c);
    float[] w = randoms(random, 9 * c * n);
    float[] b = randoms(random, n);
    float[] alone = new float[rows * cols * n];
    Kernels.winograd3x3(x, 0, (cols + 2) * c, c, w, 0, b, 0, n, alone, 0, rows, cols);
    Kernels.shareWithHelpers(true);
    try {
      for (int round = 0; round < 50; round++) {
        float[] shared = new float[rows * cols * n];
        // Every other round with a kept kernel, checked while the helper transforms the input.
        Kernels.winograd3x3(x, 0, (cols + 2) * c, c, w, 0, b, 0, n, shared, 0, rows, cols, round % 2 == 0 ? -1 : 3);
        for (int i = 0; i < shared.length; i++) {
          assertEquals(Float.floatToRawIntBits(alone[i]), Float.floatToRawIntBits(shared[i]), rows + "x" + cols + " round " + round + " at " + i);
        }
      }
    } finally {
      Kernels.shareWithHelpers(false);
    }
  }

  /**
   * A kernel kept under its key while the weights are held gives the bits it gives transformed
   * afresh, for every sample of the hold, and a new hold takes the weights as they are then (the
   * stale kernel is not used). 400 input channels: B packed whole in two chunks of k.
   */
  @Test
  void aHeldWinogradKernelHasTheBitsOfAFreshOneAndANewHoldTakesNewWeights() {
    if (!Kernels.VECTORIZED) {
      return;
    }
    SplittableRandom random = new SplittableRandom(5);
    for (int c : new int[] {32, 400}) {
      int rows = 5;
      int cols = 6;
      int n = 40;
      int row = (cols + 2) * c;
      float[] w = randoms(random, 3 + 9 * c * n);
      float[] b = randoms(random, n);
      for (int hold = 0; hold < 3; hold++) {
        float[][] xs = new float[3][];
        float[][] fresh = new float[3][];
        for (int s = 0; s < 3; s++) {
          xs[s] = randoms(random, (rows + 2) * row);
          fresh[s] = new float[rows * cols * n];
          Kernels.winograd3x3(xs[s], 0, row, c, w, 3, b, 0, n, fresh[s], 0, rows, cols);
        }
        Kernels.holdWeights(true);
        try {
          for (int s = 0; s < 3; s++) {
            float[] kept = new float[rows * cols * n];
            Kernels.winograd3x3(xs[s], 0, row, c, w, 3, b, 0, n, kept, 0, rows, cols, 7);
            assertSameBits(fresh[s], kept, "channels " + c + ", hold " + hold + ", sample " + s);
          }
        } finally {
          Kernels.holdWeights(false);
        }
        // The optimizer's step between two tiles.
        for (int i = 0; i < w.length; i++) {
          w[i] += 0.25f * (float) random.nextGaussian();
        }
      }
    }
  }

  /**
   * Without a hold (predict), a kernel kept under its key is used only while the weights equal
   * those it was made from: after one weight changes (the last one), after none, after all, and
   * for another shape under the same key, each call gives the bits of a kernel transformed afresh.
   */
  @Test
  void aKeptWinogradKernelOutsideAHoldFollowsTheWeights() {
    if (!Kernels.VECTORIZED) {
      return;
    }
    SplittableRandom random = new SplittableRandom(6);
    for (int c : new int[] {32, 400, 16}) {
      int rows = 4;
      int cols = 5;
      int n = c == 16 ? 48 : 40;
      int row = (cols + 2) * c;
      float[] w = randoms(random, 3 + 9 * c * n);
      float[] b = randoms(random, n);
      for (int round = 0; round < 4; round++) {
        float[] x = randoms(random, (rows + 2) * row);
        float[] fresh = new float[rows * cols * n];
        Kernels.winograd3x3(x, 0, row, c, w, 3, b, 0, n, fresh, 0, rows, cols);
        float[] kept = new float[rows * cols * n];
        Kernels.winograd3x3(x, 0, row, c, w, 3, b, 0, n, kept, 0, rows, cols, 9);
        assertSameBits(fresh, kept, "channels " + c + ", round " + round);
        changeWeights(round, w, random);
      }
    }
  }

  /**
   * A convolution's weights packed once under their key give the bits of weights packed afresh,
   * in and out of a hold, one sample or a tile of three, and follow the weights when they change
   * (one weight, none, all). 3x3 windows over 16 and 50 channels (k = 144 and 450, one chunk of k
   * and two), 40 filters.
   */
  @Test
  void keptPackedWeightsFollowTheWeights() {
    if (!Kernels.VECTORIZED) {
      return;
    }
    SplittableRandom random = new SplittableRandom(8);
    for (int c : new int[] {16, 50}) {
      int rows = 4;
      int cols = 5;
      int n = 40;
      int row = (cols + 2) * c;
      int input = (rows + 2) * row;
      float[] w = randoms(random, 3 + 9 * c * n);
      float[] b = randoms(random, n);
      for (int round = 0; round < 4; round++) {
        float[] x = randoms(random, 3 * input);
        float[] fresh = new float[3 * rows * cols * n];
        for (int s = 0; s < 3; s++) {
          Kernels.convolve(x, s * input, row, c, row, 3, 3 * c, w, 3, b, 0, n, fresh, s * rows * cols * n, rows, cols);
        }
        float[] kept = new float[fresh.length];
        Kernels.convolve(x, 0, row, c, row, 3, 3 * c, w, 3, b, 0, n, kept, 0, rows, cols, 11);
        Kernels.holdWeights(true);
        try {
          Kernels.convolveTile(x, input, input, row, c, row, 3, 3 * c, w, 3, b, 0, n, kept, rows * cols * n, rows * cols * n, rows, cols, 2, 11);
        } finally {
          Kernels.holdWeights(false);
        }
        assertSameBits(fresh, kept, "channels " + c + ", round " + round);
        changeWeights(round, w, random);
      }
    }
  }

  /**
   * A dense layer's weights kept under their key over a tile (forward, and transposed for the
   * input gradient) give the bits of weights packed afresh, in a hold nested in another (a
   * trainer's batch around its tiles) and out of any, and follow the weights when they change
   * between holds; the inner release does not end the outer hold. 400 inputs (two chunks of k) by
   * 120 units, tiles of 8 samples.
   */
  @Test
  void keptDenseWeightsFollowTheWeightsThroughNestedHolds() {
    if (!Kernels.VECTORIZED) {
      return;
    }
    SplittableRandom random = new SplittableRandom(9);
    int m = 400;
    int n = 120;
    int count = 8;
    float[] w = randoms(random, 5 + m * n);
    float[] b = randoms(random, n);
    for (int round = 0; round < 4; round++) {
      float[] x = randoms(random, count * m);
      float[] d = randoms(random, count * n);
      float[] fresh = new float[count * n];
      float[] freshDx = new float[count * m];
      Kernels.denseTile(x, 0, m, m, w, 5, b, 0, n, fresh, 0, n, count);
      Kernels.transposedProductTile(w, 5, m, n, d, 0, n, freshDx, 0, m, count);
      Kernels.holdWeights(true); // the batch
      try {
        for (int tile = 0; tile < 2; tile++) {
          float[] kept = new float[count * n];
          float[] keptDx = new float[count * m];
          Kernels.holdWeights(true); // the tile
          try {
            Kernels.denseTile(x, 0, m, m, w, 5, b, 0, n, kept, 0, n, count, 13);
            Kernels.transposedProductTile(w, 5, m, n, d, 0, n, keptDx, 0, m, count, 14);
          } finally {
            Kernels.holdWeights(false);
          }
          assertSameBits(fresh, kept, "dense, round " + round + ", tile " + tile);
          assertSameBits(freshDx, keptDx, "transposed, round " + round + ", tile " + tile);
        }
      } finally {
        Kernels.holdWeights(false);
      }
      float[] outside = new float[count * n];
      Kernels.denseTile(x, 0, m, m, w, 5, b, 0, n, outside, 0, n, count, 13);
      assertSameBits(fresh, outside, "dense outside a hold, round " + round);
      changeWeights(round, w, random);
    }
  }

  private static void assertSameBits(float[] fresh, float[] kept, String what) {
    for (int i = 0; i < kept.length; i++) {
      assertEquals(Float.floatToRawIntBits(fresh[i]), Float.floatToRawIntBits(kept[i]), what + " at " + i);
    }
  }

  /** Between rounds of the kept-kernel tests: after round 0 the last weight changes, after 2 all. */
  private static void changeWeights(int round, float[] w, SplittableRandom random) {
    if (round == 0) {
      w[w.length - 1] += 0.5f;
    } else if (round == 2) {
      for (int i = 0; i < w.length; i++) {
        w[i] += 0.25f * (float) random.nextGaussian();
      }
    }
  }

  private static void check(SplittableRandom random, int m, int n, int k, int mode, boolean transposed, String where) {
    // A row r, element i: x[3 + rows[r] + ks[i]], rows apart by k + 2, elements every other float;
    // transposed, A too: rows contiguous (a weight gradient's), elements m + 2 apart.
    int[] rows = new int[m];
    for (int r = 0; r < m; r++) {
      rows[r] = transposed ? r : r * (2 * k + 2);
    }
    int[] ks = new int[k];
    for (int i = 0; i < k; i++) {
      ks[i] = transposed ? i * (m + 2) : 2 * i;
    }
    float[] x = randoms(random, 3 + (transposed ? k * (m + 2) : m * (2 * k + 2)));
    float[] b = randoms(random, 4 + k * n);
    int bRow = transposed ? 1 : n;
    int bCol = transposed ? k : 1;
    float[] bias = randoms(random, n + 2);
    int ldc = n + 3;
    float[] c = randoms(random, 5 + m * ldc);
    float[] expected = c.clone();
    int chunks = (k + VectorGemm.KC - 1) / VectorGemm.KC;
    int kc = (k + chunks - 1) / chunks;
    for (int r = 0; r < m; r++) {
      for (int j = 0; j < n; j++) {
        float value = mode == 2 ? c[5 + r * ldc + j] : mode == 1 ? bias[2 + j] : 0f;
        for (int k0 = 0; k0 < k; k0 += kc) {
          float sum = 0f;
          for (int i = k0; i < Math.min(k, k0 + kc); i++) {
            sum = Math.fma(b[4 + i * bRow + j * bCol], x[3 + rows[r] + ks[i]], sum);
          }
          value = sum + value;
        }
        expected[5 + r * ldc + j] = value;
      }
    }
    VectorGemm.multiply(x, 3, rows, m, ks, k, b, 4, bRow, bCol, n, bias, mode == 1 ? 2 : -1, mode == 2, c, 5, ldc, VectorGemm.buffers());
    for (int i = 0; i < c.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(c[i]),
          () -> where + ": " + m + "x" + n + "x" + k + " mode " + mode + (transposed ? " transposed" : ""));
    }
  }

  private static float[] randoms(SplittableRandom random, int size) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) {
      a[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return a;
  }
}
