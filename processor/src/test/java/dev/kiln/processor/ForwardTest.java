package dev.kiln.processor;

import static dev.kiln.processor.CompiledModels.model;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Model;
import dev.kiln.runtime.WeightsHold;
import dev.kiln.runtime.kernels.Kernels;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Generated forward passes against values computed by hand with TensorFlow's semantics (NHWC,
 * HWIO, SAME with the extra padding row/column at the bottom/right).
 */
class ForwardTest {
  static final float EXACT = 0f;
  static final float CLOSE = 1e-5f;

  static float[] range(int from, int count) {
    float[] v = new float[count];
    for (int i = 0; i < count; i++) {
      v[i] = from + i;
    }
    return v;
  }

  static float[] ones(int n) {
    float[] v = new float[n];
    Arrays.fill(v, 1f);
    return v;
  }

  /** The build runs these tests on both paths (see the processor's pom); make sure it does. */
  @Test
  void runsOnTheRequestedKernelPath() {
    System.out.println("ForwardTest on kernels: " + Kernels.describe());
    String requested = System.getProperty("kiln.kernels", "auto");
    if (!requested.equals("auto")) {
      assertEquals(requested.equals("vector"), Kernels.VECTORIZED, Kernels.describe());
    }
  }

  /**
   * Inference pools straight from a planar convolution's planes (the generated {@code
   * cAndSForward}, PoolFusionEmitter): the same values, bit for bit, as the two layers one after
   * the other, which {@code layerOutput} runs. LeNet-5's first two layers, and four filters over
   * rows narrower than a vector without an activation. A Tanh or a pool of stride 1 is not fused.
   */
  @Test
  void pooledConvolutionIsTheLayersOneAfterTheOther() {
    Model lenet =
        model("PooledLeNet", "height = 28, width = 28",
            "@Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @ReLU Layer c;",
            "@MaxPool(size = 2) Layer s;");
    Model narrow =
        model("PooledNarrow", "height = 16, width = 16, channels = 2",
            "@Conv2D(filters = 4, kernel = 3) Layer c;", "@MaxPool(size = 2) Layer s;");
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (Model m : new Model[] {lenet, narrow}) {
      assertTrue(hasMethod(m, "cAndSForward"), m.name() + " pools from the planes");
      float[] bias = new float[m.layer("c").biasCount()];
      for (int i = 0; i < bias.length; i++) {
        bias[i] = (float) random.nextDouble(-0.5, 0.5);
      }
      m.setBias(m.layer("c"), bias);
      for (int trial = 0; trial < 3; trial++) {
        float[] x = new float[m.inputSize()];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) random.nextDouble(-1, 1);
        }
        assertArrayEquals(m.layerOutput(x, m.layer("s")), m.predict(x), EXACT, m.name());
      }
    }
    Model tanh =
        model("PooledTanh", "height = 28, width = 28",
            "@Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @Tanh Layer c;",
            "@MaxPool(size = 2) Layer s;");
    Model overlapping =
        model("PooledStrideOne", "height = 28, width = 28",
            "@Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @ReLU Layer c;",
            "@MaxPool(size = 2, stride = 1) Layer s;");
    Model twoReaders =
        model("PooledTwice", "height = 28, width = 28",
            "@Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @ReLU Layer c;",
            "@MaxPool(size = 2) Layer s;", "@MaxPool(size = 2) @From(\"c\") Layer t;",
            "@Add @From({\"s\", \"t\"}) Layer sum;");
    assertTrue(!hasMethod(tanh, "cAndSForward"), "a Tanh is not fused");
    assertTrue(!hasMethod(overlapping, "cAndSForward"), "a pool of stride 1 is not fused");
    assertTrue(!hasMethod(twoReaders, "cAndSForward"), "a convolution another layer reads too is not fused");
  }

  private static boolean hasMethod(Model m, String name) {
    return Arrays.stream(m.getClass().getDeclaredMethods()).anyMatch(method -> method.getName().equals(name));
  }

  @Test
  void convValidOnTheLectureImage() {
    Model m = model("Valid", "height = 3, width = 3", "@Conv2D(filters = 1, kernel = 2, bias = false) Layer c;");
    m.setWeights(m.layer("c"), ones(4));
    assertArrayEquals(new float[] {12, 16, 24, 28}, m.predict(range(1, 9)), EXACT);
  }

  @Test
  void evenKernelWithSamePadsBottomAndRight() {
    Model m =
        model(
            "Same2",
            "height = 3, width = 3",
            "@Conv2D(filters = 1, kernel = 2, padding = Padding.SAME, bias = false) Layer c;");
    m.setWeights(m.layer("c"), ones(4));
    assertArrayEquals(
        new float[] {12, 16, 9, 24, 28, 15, 15, 17, 9}, m.predict(range(1, 9)), EXACT);
  }

  @Test
  void kernelFourWithSamePadsOneAboveAndTwoBelow() {
    Model m =
        model(
            "Same4",
            "height = 5, width = 5",
            "@Conv2D(filters = 1, kernel = 4, padding = Padding.SAME, bias = false) Layer c;");
    m.setWeights(m.layer("c"), ones(16));
    assertArrayEquals(
        new float[] {
          63, 90, 102, 81, 57, 114, 160, 176, 138, 96, 174, 240, 256, 198, 136, 153, 210, 222,
          171, 117, 117, 160, 168, 129, 88
        },
        m.predict(range(1, 25)),
        EXACT);
  }

  @Test
  void strideThatDoesNotDivideTheInputWithSame() {
    Model m =
        model(
            "SameStride2",
            "height = 5, width = 5",
            "@Conv2D(filters = 1, kernel = 3, stride = 2, padding = Padding.SAME, bias = false)"
                + " Layer c;");
    m.setWeights(m.layer("c"), ones(9));
    assertEquals("3x3x1", m.outputShape().toString());
    assertArrayEquals(
        new float[] {16, 33, 28, 69, 117, 87, 76, 123, 88}, m.predict(range(1, 25)), EXACT);
  }

  @Test
  void explicitPaddingKeepsTheSize() {
    Model m =
        model("Pad1", "height = 3, width = 3", "@Conv2D(filters = 1, kernel = 3, pad = 1, bias = false) Layer c;");
    m.setWeights(m.layer("c"), ones(9));
    assertArrayEquals(
        new float[] {12, 21, 16, 27, 45, 33, 24, 39, 28}, m.predict(range(1, 9)), EXACT);
  }

  @Test
  void unevenExplicitPaddingPadsEachSideAsDeclared() {
    // pad = {top, bottom, left, right}: one zero row above, one zero column on the right.
    Model m =
        model("PadUneven", "height = 3, width = 3",
            "@Conv2D(filters = 1, kernel = 2, pad = {1, 0, 0, 1}, bias = false) Layer c;");
    m.setWeights(m.layer("c"), ones(4));
    assertEquals("3x3x1", m.outputShape().toString());
    assertArrayEquals(
        new float[] {3, 5, 3, 12, 16, 9, 24, 28, 15}, m.predict(range(1, 9)), EXACT);
  }

  @Test
  void poolsWithExplicitPaddingTakeOnlyRealCells() {
    // pad = {1, 0, 1, 0}: torchvision's max pool pads the top and left; padded cells are in no
    // window's maximum or average.
    Model max =
        model("MaxPadded", "height = 3, width = 3", "@MaxPool(size = 2, pad = {1, 0, 1, 0}) Layer p;");
    float[] negative = range(1, 9);
    for (int i = 0; i < negative.length; i++) {
      negative[i] = -negative[i];
    }
    assertEquals("2x2x1", max.outputShape().toString());
    assertArrayEquals(new float[] {-1, -2, -4, -5}, max.predict(negative), EXACT);
    Model avg =
        model("AvgPadded", "height = 3, width = 3", "@AvgPool(size = 2, pad = {1, 0, 1, 0}) Layer p;");
    assertArrayEquals(new float[] {1, 2.5f, 5.5f, 7}, avg.predict(range(1, 9)), EXACT);
  }

  @Test
  void relu6ClipsAtZeroAndSix() {
    Model m = model("Six", "height = 1, width = 1, channels = 4", "@ReLU6 Layer r;");
    assertArrayEquals(new float[] {0, 3, 6, 6}, m.predict(new float[] {-1, 3, 6.5f, 100}), EXACT);
  }

  @Test
  void rectangularKernelAndStride() {
    Model m =
        model(
            "Rect",
            "height = 5, width = 4",
            "@Conv2D(filters = 1, kernel = {1, 3}, stride = {2, 1}, bias = false) Layer c;");
    m.setWeights(m.layer("c"), 1, 2, 3);
    assertEquals("3x2x1", m.outputShape().toString());
    assertArrayEquals(new float[] {14, 20, 62, 68, 110, 116}, m.predict(range(1, 20)), EXACT);
  }

  @Test
  void multiChannelMultiFilterConvolutionWithBias() {
    Model m =
        model("Multi", "height = 3, width = 3, channels = 2", "@Conv2D(filters = 3, kernel = 2) Layer c;");
    float[] kernel = new float[24]; // HWIO [2, 2, 2, 3]
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] = ((i % 7) - 3) * 0.5f;
    }
    m.setWeights(m.layer("c"), kernel);
    m.setBias(m.layer("c"), 100, 200, 300);
    // Without bias: -10.5, 1, -1.5 | -13.5, -1, -2.5 | -19.5, -5, -4.5 | -22.5, -7, -5.5
    assertArrayEquals(
        new float[] {89.5f, 201, 298.5f, 86.5f, 199, 297.5f, 80.5f, 195, 295.5f, 77.5f, 193, 294.5f},
        m.predict(range(1, 18)),
        CLOSE);
  }

  /**
   * Depthwise: each channel under its own kernel, channels never mixed. Channel 0 holds 1..9, its
   * 2x2 kernel is all ones (the window sums 12, 16, 24, 28); channel 1 holds -1..-9, its kernel
   * the diagonal [1, 0; 0, 1] (-(1 + 5) = -6, -8, -12, -14). Weights [kh, kw, in, 1].
   */
  @Test
  void depthwiseKeepsChannelsApart() {
    Model m =
        model("Depthwise", "height = 3, width = 3, channels = 2",
            "@DepthwiseConv2D(kernel = 2, bias = false) Layer c;");
    m.setWeights(m.layer("c"), 1, 1, 1, 0, 1, 0, 1, 1);
    float[] x = new float[18];
    for (int px = 0; px < 9; px++) {
      x[2 * px] = px + 1;
      x[2 * px + 1] = -(px + 1);
    }
    assertArrayEquals(new float[] {12, -6, 16, -8, 24, -12, 28, -14}, m.predict(x), EXACT);
  }

  /**
   * A depth multiplier of 2 with SAME padding (the extra column and row at the bottom and right)
   * and a bias: input [1, 2; 3, 4], filter 0 all ones (+10), filter 1 [1, -1; 0, 0] (+20).
   * Pixel (0, 0): 10 + 10, 20 + 1 - 2; (0, 1): 10 + 2 + 4, 20 + 2; (1, 0): 10 + 3 + 4, 20 + 3 - 4;
   * (1, 1): 10 + 4, 20 + 4.
   */
  @Test
  void depthwiseMultiplierWithSamePadding() {
    Model m =
        model("DepthwiseSame", "height = 2, width = 2, channels = 1",
            "@DepthwiseConv2D(kernel = 2, depthMultiplier = 2, padding = Padding.SAME) Layer c;");
    m.setWeights(m.layer("c"), 1, 1, 1, -1, 1, 0, 1, 0);
    m.setBias(m.layer("c"), 10, 20);
    assertArrayEquals(
        new float[] {20, 19, 16, 22, 17, 19, 14, 24}, m.predict(new float[] {1, 2, 3, 4}), EXACT);
  }

  @Test
  void maxPoolValidAndSameAtTheBorder() {
    Model valid = model("PoolValid", "height = 2, width = 2", "@MaxPool(size = 2, stride = 1) Layer p;");
    assertArrayEquals(new float[] {4}, valid.predict(new float[] {4, 3, 2, 1}), EXACT);
    Model same =
        model(
            "PoolSame",
            "height = 3, width = 3",
            "@MaxPool(size = 2, stride = 2, padding = Padding.SAME) Layer p;");
    // Windows: rows 0-1 x cols 0-1, rows 0-1 x col 2, row 2 x cols 0-1, row 2 x col 2.
    assertArrayEquals(new float[] {5, 6, 8, 9}, same.predict(range(1, 9)), EXACT);
    // Padding never wins a max, even when every real value is negative.
    float[] negative = range(-9, 9);
    assertArrayEquals(new float[] {-5, -4, -2, -1}, same.predict(negative), EXACT);
    // 16 channels (the vector path's clipped windows), 3x3 of stride 2 as ResNet's stem pool:
    // 6x5 pads one row below and one column on each side.
    Model wide =
        model(
            "PoolSameWide",
            "height = 6, width = 5, channels = 16",
            "@MaxPool(size = 3, stride = 2, padding = Padding.SAME) Layer p;");
    float[] x = new float[6 * 5 * 16];
    java.util.SplittableRandom random = new java.util.SplittableRandom(8);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-4, -1);
    }
    float[] expected = new float[3 * 3 * 16];
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 3; c++) {
        for (int ch = 0; ch < 16; ch++) {
          float v = Float.NEGATIVE_INFINITY;
          for (int ih = 2 * r; ih < Math.min(6, 2 * r + 3); ih++) {
            for (int iw = Math.max(0, 2 * c - 1); iw < Math.min(5, 2 * c + 2); iw++) {
              v = Math.max(v, x[(ih * 5 + iw) * 16 + ch]);
            }
          }
          expected[(r * 3 + c) * 16 + ch] = v;
        }
      }
    }
    assertArrayEquals(expected, wide.predict(x), EXACT);
  }

  @Test
  void avgPoolCountsOnlyRealCells() {
    Model valid = model("AvgValid", "height = 4, width = 4", "@AvgPool(size = 2) Layer p;");
    assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, valid.predict(range(1, 16)), CLOSE);
    Model same =
        model("AvgSame", "height = 3, width = 3", "@AvgPool(size = 2, stride = 2, padding = Padding.SAME) Layer p;");
    assertArrayEquals(new float[] {3, 4.5f, 7.5f, 9}, same.predict(range(1, 9)), CLOSE);
  }

  @Test
  void poolingIsPerChannel() {
    Model m = model("PoolChannels", "height = 2, width = 2, channels = 2", "@MaxPool(size = 2) Layer p;");
    // NHWC: channel 0 holds 1, 3, 5, 7 and channel 1 holds 8, 6, 4, 2.
    assertArrayEquals(new float[] {7, 8}, m.predict(new float[] {1, 8, 3, 6, 5, 4, 7, 2}), EXACT);
  }

  @Test
  void globalAveragePoolingAveragesEachChannelOverTheWholeImage() {
    Model m = model("GlobalPool", "height = 2, width = 3, channels = 2", "@GlobalAvgPool Layer g;");
    assertEquals("1x1x2", m.layer("g").outputShape().toString());
    // Channel 0 holds 1..6 (mean 3.5), channel 1 holds 10, 20, ..., 60 (mean 35).
    float[] x = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60};
    assertArrayEquals(new float[] {3.5f, 35f}, m.predict(x), CLOSE);
  }

  @Test
  void residualAddSumsTheBlockAndItsShortcut() {
    Model m =
        model(
            "Residual",
            "height = 1, width = 2, channels = 2",
            "@Conv2D(filters = 2, kernel = 1, bias = false) Layer a;",
            "@Add @From({\"a\", From.INPUT}) @ReLU Layer sum;");
    // a swaps the two channels and negates the first: [x1, -x0] per pixel; sum = relu(a + x).
    m.setWeights(m.layer("a"), 0, -1, 1, 0);
    float[] x = {1, 2, 3, -5};
    // pixel 0: a = [2, -1], + x = [3, 1]; pixel 1: a = [-5, -3], + x = [-2, -8] -> relu 0, 0
    assertArrayEquals(new float[] {3, 1, 0, 0}, m.predict(x), EXACT);
    assertArrayEquals(x, new float[] {1, 2, 3, -5}, EXACT); // the caller's input is never written
  }

  @Test
  void concatStacksChannelsPerPixelInTheOrderNamed() {
    Model m =
        model(
            "Inception",
            "height = 1, width = 2, channels = 1",
            "@Conv2D(filters = 2, kernel = 1, bias = false) Layer wide;",
            "@Conv2D(filters = 1, kernel = 1, bias = false) @From(From.INPUT) Layer narrow;",
            "@Concat @From({\"narrow\", \"wide\", \"narrow\"}) Layer merged;");
    m.setWeights(m.layer("wide"), 10, 100);
    m.setWeights(m.layer("narrow"), -1);
    assertEquals("1x2x4", m.layer("merged").outputShape().toString());
    // per pixel: narrow, then wide's two channels, then narrow again
    assertArrayEquals(
        new float[] {-1, 10, 100, -1, -2, 20, 200, -2}, m.predict(new float[] {1, 2}), EXACT);
    // a branch's own output is still there to look at
    assertArrayEquals(new float[] {10, 100, 20, 200}, m.layerOutput(new float[] {1, 2}, m.layer("wide")), EXACT);
  }

  @Test
  void denseUsesInOutWeightsAndBias() {
    Model m = model("Fc", "height = 1, width = 1, channels = 3", "@Dense(units = 2) Layer d;");
    // W [3, 2] = [[1, 2], [3, 4], [5, 6]], b = [0.5, -0.5]; x = [1, 2, 3].
    m.setWeights(m.layer("d"), 1, 2, 3, 4, 5, 6);
    m.setBias(m.layer("d"), 0.5f, -0.5f);
    assertArrayEquals(new float[] {22.5f, 27.5f}, m.predict(new float[] {1, 2, 3}), EXACT);
  }

  @Test
  void flattenIsInHwcOrder() {
    Model m =
        model(
            "FlattenOrder",
            "height = 2, width = 1, channels = 2",
            "@Flatten Layer f;",
            "@Dense(units = 1, bias = false) Layer d;");
    // Weight i multiplies flat element i: h0c0, h0c1, h1c0, h1c1.
    m.setWeights(m.layer("d"), 1, 10, 100, 1000);
    assertArrayEquals(new float[] {4321}, m.predict(new float[] {1, 2, 3, 4}), EXACT);
    assertEquals("[4]", m.layer("f").outputShape().toString());
  }

  @Test
  void activations() {
    float[] x = {-2, -0.5f, 0, 0.5f, 2};
    Model relu = model("ActRelu", "height = 1, width = 1, channels = 5", "@ReLU Layer a;");
    assertArrayEquals(new float[] {0, 0, 0, 0.5f, 2}, relu.predict(x), EXACT);
    Model leaky = model("ActLeaky", "height = 1, width = 1, channels = 5", "@LeakyReLU(alpha = 0.1) Layer a;");
    assertArrayEquals(new float[] {-0.2f, -0.05f, 0, 0.5f, 2}, leaky.predict(x), CLOSE);
    Model sigmoid = model("ActSigmoid", "height = 1, width = 1, channels = 5", "@Sigmoid Layer a;");
    float[] s = sigmoid.predict(x);
    assertEquals(0.5f, s[2], EXACT);
    assertEquals(0.880797f, s[4], CLOSE);
    assertEquals(0.119203f, s[0], CLOSE);
    Model tanh = model("ActTanh", "height = 1, width = 1, channels = 5", "@Tanh Layer a;");
    assertArrayEquals(
        new float[] {-0.9640276f, -0.46211716f, 0, 0.46211716f, 0.9640276f}, tanh.predict(x), CLOSE);
  }

  @Test
  void activationFieldNeverWritesTheCallersInput() {
    Model m = model("InPlace", "height = 1, width = 1, channels = 3", "@ReLU Layer a;", "@Tanh Layer b;");
    float[] x = {-1, 0, 1};
    float[] y = m.predict(x);
    assertArrayEquals(new float[] {-1, 0, 1}, x, EXACT);
    assertArrayEquals(new float[] {0, 0, 0.7615942f}, y, CLOSE);
  }

  @Test
  void softmaxIsStableForLargeLogits() {
    Model m =
        model(
            "Probabilities",
            "height = 1, width = 1, channels = 2",
            "@Dense(units = 2, bias = false) @Softmax Layer out;");
    m.setWeights(m.layer("out"), 1, 0, 0, 1);
    float[] p = m.predict(new float[] {1000, 1001});
    assertArrayEquals(new float[] {0.26894142f, 0.7310586f}, p, CLOSE);
    assertEquals(1f, p[0] + p[1], CLOSE);
  }

  @Test
  void dropoutIsTheIdentityAtInference() {
    Model m = model("Drop", "height = 1, width = 1, channels = 3", "@Dropout(rate = 0.5) Layer d;", "@ReLU Layer r;");
    assertArrayEquals(new float[] {0, 2, 3}, m.predict(new float[] {-1, 2, 3}), EXACT);
  }

  @Test
  void fusedActivationOnConvAndPool() {
    Model m =
        model(
            "Fused",
            "height = 2, width = 2",
            "@Conv2D(filters = 1, kernel = 1) @ReLU Layer c;",
            "@MaxPool(size = 2) @Tanh Layer p;");
    m.setWeights(m.layer("c"), -1);
    m.setBias(m.layer("c"), 2.5f);
    // -x + 2.5 on [1, 2, 3, 4] is [1.5, 0.5, -0.5, -1.5]; ReLU, then max 1.5, then tanh.
    assertArrayEquals(new float[] {(float) Math.tanh(1.5)}, m.predict(range(1, 4)), CLOSE);
  }

  /**
   * Convolutions whose weights outweigh their output run once over each tile of predictBatch (a
   * padded one and a VALID one, with a ReLU): still the bits predict gives, for batch sizes that
   * leave short tiles.
   */
  @Test
  void batchPredictOverTiledConvolutionsMatchesPredict() {
    Model m =
        model(
            "TiledConvolutions",
            "height = 5, width = 5, channels = 16",
            "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @ReLU Layer wide;",
            "@Conv2D(filters = 64, kernel = 3) Layer valid;",
            "@Dense(units = 5) @Softmax Layer out;");
    for (int n : new int[] {1, 7, 37}) {
      assertBatchIsPredict(m, n);
    }
  }

  /** {@code predictBatch} of {@code n} random samples on two threads gives each predict's bits. */
  private static void assertBatchIsPredict(Model m, int n) {
    int size = m.inputSize();
    int outputs = m.outputSize();
    float[] inputs = new float[n * size];
    java.util.SplittableRandom random = new java.util.SplittableRandom(n);
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = (float) random.nextDouble(-1, 1);
    }
    float[] batch = new float[n * outputs];
    m.predictBatch(inputs, batch, 2);
    for (int s = 0; s < n; s++) {
      float[] one = m.predict(Arrays.copyOfRange(inputs, s * size, (s + 1) * size));
      assertArrayEquals(one, Arrays.copyOfRange(batch, s * outputs, (s + 1) * outputs), EXACT, n + " samples, sample " + s);
    }
  }

  /**
   * A Winograd convolution whose weights outweigh its output runs over tiles, its products over
   * the tile's blocks (F(4x4, 3x3): 13x13 outputs, the last blocks past the edge): still the bits
   * predict gives, for batch sizes that leave short tiles.
   */
  @Test
  void batchPredictOverTiledWinogradConvolutionsMatchesPredict() {
    Model m =
        model(
            "TiledWinograd",
            "height = 13, width = 13, channels = 80",
            "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @ReLU Layer c;",
            "@Dense(units = 5) @Softmax Layer out;");
    for (int n : new int[] {1, 9}) {
      assertBatchIsPredict(m, n);
    }
  }

  /**
   * Winograd convolutions (3x3, stride 1, 32 filters; the second's input gradient too) keep their
   * transformed kernels through a tile of predictBatch: still the bits predict gives, and after
   * the weights change, the new weights' bits (a kernel kept from the call before is not used).
   */
  @Test
  void batchPredictOverWinogradConvolutionsMatchesPredictAfterTheWeightsChange() {
    Model m =
        model(
            "WinogradTiles",
            "height = 12, width = 12, channels = 8",
            "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @ReLU Layer c1;",
            "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) Layer c2;",
            "@Dense(units = 5) @Softmax Layer out;");
    int size = 12 * 12 * 8;
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int round = 0; round < 3; round++) {
      int n = 13;
      float[] inputs = new float[n * size];
      for (int i = 0; i < inputs.length; i++) {
        inputs[i] = (float) random.nextDouble(-1, 1);
      }
      float[] batch = new float[n * 5];
      m.predictBatch(inputs, batch, 2);
      for (int s = 0; s < n; s++) {
        float[] one = m.predict(Arrays.copyOfRange(inputs, s * size, (s + 1) * size));
        assertArrayEquals(one, Arrays.copyOfRange(batch, s * 5, (s + 1) * 5), EXACT, "round " + round + ", sample " + s);
      }
      float[] p = m.parameters();
      for (int i = 0; i < p.length; i++) {
        p[i] += (float) (0.1 * random.nextGaussian());
      }
    }
  }

  /**
   * Under a {@link WeightsHold}, predict reuses its kept kernels without comparing the weights:
   * the same bits as without the hold; a second model of the same class (the same kernel keys)
   * gets its own weights' outputs; and after the hold is closed, a change of the weights is seen.
   */
  @Test
  void predictUnderAWeightsHoldIsPredictAndSeesAnotherModelAndLaterChanges() throws Exception {
    Model a =
        model(
            "WinogradHold",
            "height = 12, width = 12, channels = 8",
            "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @ReLU Layer c1;",
            "@Conv2D(filters = 64, kernel = 1) Layer c2;",
            "@Dense(units = 5) @Softmax Layer out;");
    Model b = (Model) a.getClass().getMethod("create", long.class).invoke(null, 2L);
    java.util.SplittableRandom random = new java.util.SplittableRandom(5);
    float[] x = new float[a.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    float[] freeA = a.predict(x);
    float[] freeB = b.predict(x);
    try (WeightsHold hold = WeightsHold.open()) {
      for (int round = 0; round < 3; round++) {
        assertArrayEquals(freeA, a.predict(x), EXACT, "model a, round " + round);
        assertArrayEquals(freeB, b.predict(x), EXACT, "model b, round " + round);
      }
    }
    float[] p = a.parameters();
    for (int i = 0; i < p.length; i++) {
      p[i] += (float) (0.1 * random.nextGaussian());
    }
    float[] changed = a.predict(x);
    try (WeightsHold hold = WeightsHold.open()) {
      assertArrayEquals(changed, a.predict(x), EXACT, "after the change, under a new hold");
    }
    org.junit.jupiter.api.Assertions.assertFalse(Arrays.equals(freeA, changed), "the change is seen");
  }

  @Test
  void batchPredictMatchesSinglePredictOnSeveralThreads() {
    Model m =
        model(
            "Batch",
            "height = 6, width = 6, channels = 2",
            "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) @ReLU Layer c;",
            "@MaxPool(size = 2) Layer p;",
            "@Dense(units = 5) @Softmax Layer out;");
    int n = 37;
    float[] inputs = new float[n * 72];
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = (float) random.nextDouble(-1, 1);
    }
    float[] batch = new float[n * 5];
    m.predictBatch(inputs, batch, 4);
    for (int s = 0; s < n; s++) {
      float[] one = m.predict(Arrays.copyOfRange(inputs, s * 72, (s + 1) * 72));
      assertArrayEquals(one, Arrays.copyOfRange(batch, s * 5, (s + 1) * 5), EXACT, "sample " + s);
    }
  }

  @Test
  void layerOutputOfTheLastLayerIsThePrediction() {
    Model m =
        model(
            "LayerOutputLast",
            "height = 6, width = 6, channels = 2",
            "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) @ReLU Layer c;",
            "@MaxPool(size = 2) Layer p;",
            "@Dropout(rate = 0.5) Layer d;",
            "@Dense(units = 5) @Softmax Layer out;");
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    for (int s = 0; s < 5; s++) {
      float[] x = new float[72];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) random.nextDouble(-1, 1);
      }
      float[] before = x.clone();
      assertArrayEquals(m.predict(x), m.layerOutput(x, m.layer("out")), EXACT);
      assertArrayEquals(before, x, EXACT);
      // Dropout is the identity at inference: its output is the pooling layer's.
      float[] pooled = m.layerOutput(x, m.layer("p"));
      assertEquals(3 * 3 * 4, pooled.length);
      assertArrayEquals(pooled, m.layerOutput(x, m.layer("d")), EXACT);
    }
  }

  @Test
  void layerOutputOfIntermediateLayersByHand() {
    Model m =
        model(
            "LayerOutputByHand",
            "height = 3, width = 3",
            "@Conv2D(filters = 2, kernel = 2) @ReLU Layer c;",
            "@MaxPool(size = 2) Layer p;",
            "@Dense(units = 1, bias = false) Layer d;");
    // HWIO [2, 2, 1, 2]: filter 0 all ones, filter 1 all minus ones; biases 1 and 30.
    m.setWeights(m.layer("c"), 1, -1, 1, -1, 1, -1, 1, -1);
    m.setBias(m.layer("c"), 1, 30);
    m.setWeights(m.layer("d"), 1, 2);
    float[] x = range(1, 9);
    // Window sums 12, 16, 24, 28: filter 0 gives 13, 17, 25, 29 and filter 1 30 - sum; NHWC.
    assertArrayEquals(
        new float[] {13, 18, 17, 14, 25, 6, 29, 2}, m.layerOutput(x, m.layer("c")), EXACT);
    assertArrayEquals(new float[] {29, 18}, m.layerOutput(x, m.layer("p")), EXACT);
    assertArrayEquals(new float[] {65}, m.layerOutput(x, m.layer("d")), EXACT);
    assertArrayEquals(m.predict(x), m.layerOutput(x, m.layer("d")), EXACT);
    // The intermediate output is the same after a full prediction reused the workspace.
    assertArrayEquals(
        new float[] {13, 18, 17, 14, 25, 6, 29, 2}, m.layerOutput(x, m.layer("c")), EXACT);
  }

  @Test
  void layerOutputOfLayersThatChangeNothingIsACopyOfTheInput() {
    Model m =
        model(
            "LayerOutputInput",
            "height = 1, width = 1, channels = 3",
            "@Dropout(rate = 0.5) Layer d;",
            "@ReLU Layer a;",
            "@Tanh Layer b;");
    float[] x = {-1, 0, 1};
    float[] dropped = m.layerOutput(x, m.layer("d"));
    assertArrayEquals(x, dropped, EXACT);
    dropped[0] = 42;
    assertArrayEquals(new float[] {-1, 0, 1}, x, EXACT);
    assertArrayEquals(new float[] {0, 0, 1}, m.layerOutput(x, m.layer("a")), EXACT);
    assertArrayEquals(new float[] {0, 0, 0.7615942f}, m.layerOutput(x, m.layer("b")), CLOSE);
    assertArrayEquals(new float[] {-1, 0, 1}, x, EXACT);
  }

  @Test
  void layerOutputRejectsForeignLayersAndWrongInputs() {
    Model m = model("LayerOutputChecks", "height = 2, width = 2", "@Dense(units = 3) Layer d;");
    Model other = model("LayerOutputOther", "height = 2, width = 2", "@Dense(units = 3) Layer d;");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> m.layerOutput(new float[4], other.layer("d")));
    assertTrue(e.getMessage().startsWith("LayerOutputChecksModel: layer 'd' (Dense 3) is not one of"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> m.layerOutput(new float[5], m.layer("d")));
    assertEquals("LayerOutputChecksModel: input must hold 4 floats (2x2x1, NHWC), got 5", e.getMessage());
    assertThrows(NullPointerException.class, () -> m.layerOutput(new float[4], null));
  }

  @Test
  void wrongSizesGetClearErrors() {
    Model m = model("Sizes", "height = 2, width = 2", "@Dense(units = 3) Layer d;");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> m.predict(new float[5]));
    assertEquals("SizesModel: input must hold 4 floats (2x2x1, NHWC), got 5", e.getMessage());
    assertThrows(NullPointerException.class, () -> m.predict(null));
    e = assertThrows(IllegalArgumentException.class, () -> m.predictBatch(new float[7], new float[3]));
    assertTrue(e.getMessage().contains("whole number of samples of 4 floats"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> m.predictBatch(new float[8], new float[3]));
    assertTrue(e.getMessage().contains("2 input samples need an outputs array of 6 floats"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> m.setWeights(m.layer("d"), 1, 2));
    assertEquals("layer 'd' expects 12 weights [4, 3], got 2", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> m.layer("nope"));
  }

  @Test
  void createIsSeededAndInitializesWeightsNotBiases() {
    Model a = model("Init", "height = 4, width = 4", "@Conv2D(filters = 8, kernel = 3) Layer c;", "@Dense(units = 10) Layer d;");
    Model b = model("Init", "height = 4, width = 4", "@Conv2D(filters = 8, kernel = 3) Layer c;", "@Dense(units = 10) Layer d;");
    assertArrayEquals(a.parameters(), b.parameters(), EXACT);
    float[] w = a.weights(a.layer("c"));
    double limit = Math.sqrt(6.0 / (9 + 72)); // Glorot uniform: fan in 3*3*1, fan out 3*3*8
    long nonZero = 0;
    for (float v : w) {
      assertTrue(Math.abs(v) <= limit, "outside the Glorot limit: " + v);
      nonZero += v != 0 ? 1 : 0;
    }
    assertEquals(w.length, nonZero);
    assertArrayEquals(new float[8], a.bias(a.layer("c")), EXACT);
    assertEquals(80 + 8 * 4 * 10 + 10, a.parameterCount());
  }

  @Test
  void standardNormalBiasesAreDrawnWithTheSeed() {
    String conv = "@Conv2D(filters = 64, kernel = 1, biasInit = BiasInit.STANDARD_NORMAL) Layer c;";
    String dense = "@Dense(units = 512, biasInit = BiasInit.STANDARD_NORMAL) Layer d;";
    Model a = model("NormalBias", "height = 1, width = 1", conv, dense);
    Model b = model("NormalBias", "height = 1, width = 1", conv, dense);
    assertArrayEquals(a.parameters(), b.parameters(), EXACT);
    for (String layer : new String[] {"c", "d"}) {
      float[] bias = a.bias(a.layer(layer));
      double sum = 0;
      double squares = 0;
      for (float v : bias) {
        sum += v;
        squares += (double) v * v;
      }
      double mean = sum / bias.length;
      double std = Math.sqrt(squares / bias.length - mean * mean);
      // N(0, 1): the sample mean of n draws is within 4/sqrt(n) of 0, the deviation near 1.
      assertTrue(Math.abs(mean) < 4 / Math.sqrt(bias.length), layer + " mean " + mean);
      assertTrue(Math.abs(std - 1) < 0.25, layer + " standard deviation " + std);
    }
    // The weights keep their own initializer and are not the biases' draws.
    float[] w = a.weights(a.layer("d"));
    double limit = Math.sqrt(6.0 / (64 + 512));
    for (float v : w) {
      assertTrue(Math.abs(v) <= limit, "outside the Glorot limit: " + v);
    }
  }
}
