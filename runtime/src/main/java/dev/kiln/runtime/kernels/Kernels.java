package dev.kiln.runtime.kernels;

/**
 * The small numeric kernels that generated code calls on its vectorized path, and the choice,
 * made once at start-up, between that path and the plain Java loops the generated code also
 * carries. This class is the entry point, and each method here dispatches: the kernels themselves
 * live by family, the plain definitions in {@code ConvolutionKernels}, {@code PlanarConvolution},
 * {@code DenseKernels}, {@code PoolingKernels}, {@code ElementwiseKernels} and {@code Layouts},
 * the Vector API ones in the {@code Vector*} classes, which are loaded only when {@link
 * #VECTORIZED} is true.
 *
 * <p>HotSpot's C2 does not vectorize the generated loops over flat arrays with offsets (measured
 * here: 5-8 GFLOP/s per core), while the Vector API ({@code jdk.incubator.vector}) reaches 10-20
 * times that on the same layers. The Vector API is an incubator module: it must be enabled with
 * {@code --add-modules jdk.incubator.vector}, and before JDK 21 C2 often does not compile it to
 * vector instructions. So, as Apache Lucene does, Kiln uses it only where it is present and the
 * JDK is recent, and otherwise runs plain Java. The system property {@code kiln.kernels} overrides
 * the choice: {@code vector}, {@code plain} or {@code auto} (the default). {@link #describe()}
 * says which path is active and why.
 *
 * <p>Generated code tests {@link #VECTORIZED}, a constant to the JIT, so only one path is ever
 * compiled. Every kernel here also has a plain implementation, used when the vector one is not
 * available, so callers (and tests) may call them on any JVM.
 *
 * <p>Shapes are arguments, but generated code passes literals: once a kernel is inlined or
 * profiled, its loop bounds are the layer's. Layout is NHWC for images and {@code [rows, n]}
 * row-major for weights.
 */
public final class Kernels {

  /** Whether generated code should take the vectorized path. */
  public static final boolean VECTORIZED;

  private static final String DESCRIPTION;

  static {
    String requested = System.getProperty("kiln.kernels", "auto").trim().toLowerCase();
    boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    int feature = Runtime.version().feature();
    String why;
    boolean vector;
    switch (requested) {
      case "plain" -> {
        vector = false;
        why = "kiln.kernels=plain";
      }
      case "vector", "auto" -> {
        if (!module) {
          vector = false;
          why = "jdk.incubator.vector is not enabled (run java with --add-modules jdk.incubator.vector)";
        } else if (requested.equals("auto") && feature < 21) {
          vector = false;
          why = "JDK " + feature + " compiles the Vector API poorly; JDK 21+ takes the vector path"
              + " (-Dkiln.kernels=vector forces it)";
        } else {
          vector = true;
          why = requested.equals("vector") ? "kiln.kernels=vector" : "auto";
        }
      }
      default -> throw new ExceptionInInitializerError(
          "kiln.kernels must be auto, vector or plain, not '" + requested + "'");
    }
    String lanes = "";
    if (vector) {
      try {
        lanes = Vectors.describe();
      } catch (LinkageError e) {
        vector = false;
        why = "jdk.incubator.vector failed to load: " + e;
      }
    }
    VECTORIZED = vector;
    DESCRIPTION =
        (vector ? "vector (" + lanes + ", JDK " + feature + ", " + why + ")"
            : "plain Java (JDK " + feature + "; " + why + ")");
    if (!vector && requested.equals("auto") && !module && feature >= 21) {
      // A JDK that would take the vector path, started without its module: said once, on the
      // first layer run, because it costs several times the time. -Dkiln.kernels=plain (a
      // choice) silences it.
      System.err.println(
          "kiln: networks run their plain-Java loops, several times slower than the vector path;"
              + " start java with --add-modules jdk.incubator.vector (-Dkiln.kernels=plain keeps"
              + " the plain path without this note)");
    }
  }

  private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

  private Kernels() {}

  /** E.g. {@code "vector (512-bit, 16 floats per vector, JDK 25, auto)"}. */
  public static String describe() {
    return DESCRIPTION;
  }

  /**
   * This thread's scratch array, at least {@code size} floats; its contents are undefined. It
   * grows on first use and is then reused, so steady-state calls allocate nothing. Generated code
   * uses it within one layer method at a time. It never shrinks: each thread that has run a
   * layer keeps that layer's largest scratch (LeNet-5: under 40 KB; VGG-16's first convolutions:
   * about 26 MB) for as long as the thread lives.
   */
  public static float[] scratch(int size) {
    float[][] holder = SCRATCH.get();
    if (holder[0].length < size) {
      holder[0] = new float[size];
    }
    return holder[0];
  }

  /**
   * The convolution shared by the forward pass of convolutions and dense layers and the input
   * gradient of convolutions:
   *
   * <pre>
   * y[yo + (r·cols + c)·n + f] = b[bo + f] (0 if bo &lt; 0)
   *     + Σ_{t &lt; taps} Σ_{j &lt; tapLength} x[xo + r·rowStep + c·colStep + t·tapStep + j]
   *                                       · w[wo + (t·tapLength + j)·n + f]
   * </pre>
   *
   * for output rows {@code r < rows}, columns {@code c < cols} and channels {@code f < n}. A
   * convolution tap row is {@code t} and {@code j} runs over its kernel width times input channels,
   * contiguous in NHWC; a dense layer is one "pixel" with one tap of all its inputs.
   */
  public static void convolve(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] w, int wo, float[] b, int bo, int n, float[] y, int yo, int rows, int cols) {
    convolve(x, xo, rowStep, colStep, tapStep, taps, tapLength, w, wo, b, bo, n, y, yo, rows, cols, -1);
  }

  /**
   * {@link #convolve} whose weights are known by {@code weightsKey} (a number of the caller's, the
   * same for the same weights, none with -1): where the vector path takes a packed product, the
   * weights are packed once and kept under the key on the calling thread, used again while the
   * thread holds the weights ({@link #holdWeights}) or while they equal those they were packed
   * from, and packed again when they changed. The bits are the same either way.
   */
  public static void convolve(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] w, int wo, float[] b, int bo, int n, float[] y, int yo, int rows, int cols, int weightsKey) {
    if (VECTORIZED) {
      VectorConvolution.convolve(x, xo, rowStep, colStep, tapStep, taps, tapLength, w, wo, b, bo, n, y, yo, rows, cols, weightsKey);
    } else {
      ConvolutionKernels.plainConvolve(x, xo, rowStep, colStep, tapStep, taps, tapLength, w, wo, b, bo, n, y, yo, rows, cols);
    }
  }

  /**
   * A depthwise convolution ({@link DepthwiseKernels#convolve}): {@code channels} input channels,
   * {@code multiplier} filters each, weights {@code [kh, kw, channels, multiplier]}.
   */
  public static void depthwiseConvolve(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int kh, int kw, int channels,
      int multiplier, float[] w, int wo, float[] b, int bo, float[] y, int yo, int rows, int cols) {
    if (VECTORIZED) {
      VectorDepthwise.convolve(
          x, xo, rowStep, colStep, tapStep, kh, kw, channels, multiplier, w, wo, b, bo, y, yo, rows,
          cols);
    } else {
      DepthwiseKernels.convolve(
          x, xo, rowStep, colStep, tapStep, kh, kw, channels, multiplier, w, wo, b, bo, y, yo, rows,
          cols);
    }
  }

  /**
   * The gradients of {@link #depthwiseConvolve} ({@link DepthwiseKernels#gradients}): the weights'
   * added into {@code g[go..]}, the input's into {@code dx[dxo..]} unless {@code dx} is null.
   */
  public static void depthwiseGradients(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int kh, int kw, int channels,
      int multiplier, float[] w, int wo, float[] d, int dOff, int rows, int cols, float[] g,
      int go, float[] dx, int dxo) {
    if (VECTORIZED) {
      VectorDepthwise.gradients(
          x, xo, rowStep, colStep, tapStep, kh, kw, channels, multiplier, w, wo, d, dOff, rows,
          cols, g, go, dx, dxo);
    } else {
      DepthwiseKernels.gradients(
          x, xo, rowStep, colStep, tapStep, kh, kw, channels, multiplier, w, wo, d, dOff, rows,
          cols, g, go, dx, dxo);
    }
  }

  /**
   * The weight gradient of {@link #convolve}: adds into {@code g[go + (t·tapLength + j)·n + f]}
   * the sum over output pixels {@code (r, c)} of {@code x[xo + r·rowStep + c·colStep + t·tapStep
   * + j] · d[dOff + (r·cols + c)·n + f]}.
   */
  public static void weightGradient(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] d, int dOff, int n, int rows, int cols, float[] g, int go) {
    if (VECTORIZED) {
      VectorWeightGradient.weightGradient(x, xo, rowStep, colStep, tapStep, taps, tapLength, d, dOff, n, rows, cols, g, go);
    } else {
      ConvolutionKernels.plainWeightGradient(x, xo, rowStep, colStep, tapStep, taps, tapLength, d, dOff, n, rows, cols, g, go);
    }
  }

  /**
   * A dense layer's input gradient: {@code dx[dxo + i] = Σ_f w[wo + i·n + f] · d[dOff + f]} for
   * {@code i < m}.
   */
  public static void transposedProduct(
      float[] w, int wo, int m, int n, float[] d, int dOff, float[] dx, int dxo) {
    if (VECTORIZED) {
      VectorDense.transposedProduct(w, wo, m, n, d, dOff, dx, dxo);
    } else {
      DenseKernels.plainTransposedProduct(w, wo, m, n, d, dOff, dx, dxo);
    }
  }

  /**
   * Whether {@link #winograd3x3} may take Winograd's form: true unless the system property {@code
   * kiln.winograd} is {@code false} (for the direct sums' rounding, or to compare).
   */
  public static final boolean WINOGRAD = !"false".equalsIgnoreCase(System.getProperty("kiln.winograd"));

  /**
   * A 3x3 convolution of stride 1 whose every window lies inside its input ({@code rows + 2} by
   * {@code cols + 2} pixels of {@code channels} floats, rows {@code rowStep} apart), in Winograd's
   * form on the vector path where both channel counts are whole vectors (F(4x4, 3x3) or F(2x2,
   * 3x3) by {@link ConvolutionRules#winogradBlock}: 4 or 2.25 times fewer multiply-adds; a few ulps
   * more rounding than the direct sum), else as {@link #convolve}.
   */
  public static void winograd3x3(
      float[] x, int xo, int rowStep, int channels, float[] w, int wo, float[] b, int bo, int n,
      float[] y, int yo, int rows, int cols) {
    winograd3x3(x, xo, rowStep, channels, w, wo, b, bo, n, y, yo, rows, cols, -1);
  }

  /**
   * {@link #winograd3x3} whose kernel is known by {@code kernelKey} (a number of the caller's, the
   * same for the same kernel, none with -1): the kernel is transformed and packed once and kept
   * under that key on the calling thread. While the thread holds the weights ({@link
   * #holdWeights}), later calls with the key use it whatever {@code w} then holds; otherwise they
   * use it while {@code w} holds the weights it was made from (compared float by float), and
   * make it again when they changed. The bits are the same either way.
   */
  public static void winograd3x3(
      float[] x, int xo, int rowStep, int channels, float[] w, int wo, float[] b, int bo, int n,
      float[] y, int yo, int rows, int cols, int kernelKey) {
    winograd3x3Tile(x, xo, 0, rowStep, channels, w, wo, b, bo, n, y, yo, 0, rows, cols, 1, kernelKey);
  }

  /**
   * {@link #winograd3x3} over a tile of {@code count} samples, sample s's input {@code s·xStride}
   * and its output {@code s·yStride} after the first's: the samples' blocks are the rows of one
   * matrix product per Winograd position, so the transformed kernel is read once for the tile.
   * Each output is computed as {@link #winograd3x3} computes it alone.
   */
  public static void winograd3x3Tile(
      float[] x, int xo, int xStride, int rowStep, int channels, float[] w, int wo, float[] b, int bo,
      int n, float[] y, int yo, int yStride, int rows, int cols, int count, int kernelKey) {
    if (VECTORIZED && WINOGRAD && VectorWinograd.applies(channels, n)) {
      VectorWinograd.convolve(x, xo, xStride, rowStep, channels, w, wo, b, bo, n, y, yo, yStride, rows, cols, count, kernelKey);
    } else {
      for (int s = 0; s < count; s++) {
        convolve(x, xo + s * xStride, rowStep, channels, rowStep, 3, 3 * channels, w, wo, b, bo, n, y, yo + s * yStride, rows, cols);
      }
    }
  }

  /**
   * The kernel gradient of {@link #winograd3x3}'s convolution, added to {@code g[go..]} (HWIO):
   * the output gradient {@code rows x cols x n} at {@code d[dOff..]}, the input as {@link
   * #winograd3x3} reads it. Winograd's F(2x2, 3x3) where both channel counts are whole vectors on
   * the vector path (2.25 times fewer multiply-adds, a few ulps more rounding), else {@link
   * #weightGradient}.
   */
  public static void winogradWeightGradient3x3(
      float[] x, int xo, int rowStep, int channels, float[] d, int dOff, int n, int rows, int cols,
      float[] g, int go) {
    if (VECTORIZED && WINOGRAD && VectorWinograd.applies(channels, n)) {
      VectorWinograd.weightGradient(x, xo, rowStep, channels, d, dOff, n, rows, cols, g, go);
    } else {
      weightGradient(x, xo, rowStep, channels, rowStep, 3, 3 * channels, d, dOff, n, rows, cols, g, go);
    }
  }

  /**
   * {@link #convolve} over a tile of {@code count} samples, the weights read once for all of
   * them: sample s's input at {@code x[xo + s·xStride..]} (every window inside it), its output
   * at {@code y[yo + s·yStride..]}. Each output has the bits {@link #convolve} gives it.
   */
  public static void convolveTile(
      float[] x, int xo, int xStride, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] w, int wo, float[] b, int bo, int n, float[] y, int yo, int yStride, int rows, int cols,
      int count) {
    convolveTile(x, xo, xStride, rowStep, colStep, tapStep, taps, tapLength, w, wo, b, bo, n, y, yo, yStride, rows, cols, count, -1);
  }

  /** {@link #convolveTile} whose weights are known by {@code weightsKey}, as for {@link #convolve}. */
  public static void convolveTile(
      float[] x, int xo, int xStride, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] w, int wo, float[] b, int bo, int n, float[] y, int yo, int yStride, int rows, int cols,
      int count, int weightsKey) {
    if (VECTORIZED) {
      VectorConvolution.convolveTile(x, xo, xStride, rowStep, colStep, tapStep, taps, tapLength, w, wo, b, bo, n, y, yo, yStride, rows, cols, count, weightsKey);
    } else {
      for (int s = 0; s < count; s++) {
        ConvolutionKernels.plainConvolve(x, xo + s * xStride, rowStep, colStep, tapStep, taps, tapLength, w, wo, b, bo, n, y, yo + s * yStride, rows, cols);
      }
    }
  }

  /**
   * A dense layer over a tile of {@code count} samples, the weights read once for all of them:
   * {@code y[yo + s·yStride + f] = b[bo + f] + Σ_i x[xo + s·xStride + i] · w[wo + i·n + f]} for
   * {@code s < count}, {@code i < m}, {@code f < n} (no bias with {@code bo < 0}).
   */
  public static void denseTile(
      float[] x, int xo, int xStride, int m, float[] w, int wo, float[] b, int bo, int n,
      float[] y, int yo, int yStride, int count) {
    denseTile(x, xo, xStride, m, w, wo, b, bo, n, y, yo, yStride, count, -1);
  }

  /**
   * {@link #denseTile} whose weights are known by {@code weightsKey} (as {@link #convolve}'s): on
   * the vector path they are packed once and kept on the calling thread while it holds the
   * weights ({@link #holdWeights}) or while they are unchanged. The bits are the same either way.
   */
  public static void denseTile(
      float[] x, int xo, int xStride, int m, float[] w, int wo, float[] b, int bo, int n,
      float[] y, int yo, int yStride, int count, int weightsKey) {
    if (VECTORIZED) {
      VectorDense.denseTile(x, xo, xStride, m, w, wo, b, bo, n, y, yo, yStride, count, weightsKey);
    } else {
      for (int s = 0; s < count; s++) {
        ConvolutionKernels.plainConvolve(x, xo + s * xStride, 0, 0, 0, 1, m, w, wo, b, bo, n, y, yo + s * yStride, 1, 1);
      }
    }
  }

  /**
   * A dense layer's input gradient over a tile: {@code dx[dxo + s·dxStride + i] = Σ_f w[wo + i·n +
   * f] · d[dOff + s·dStride + f]} for {@code s < count}, {@code i < m}.
   */
  public static void transposedProductTile(
      float[] w, int wo, int m, int n, float[] d, int dOff, int dStride, float[] dx, int dxo,
      int dxStride, int count) {
    transposedProductTile(w, wo, m, n, d, dOff, dStride, dx, dxo, dxStride, count, -1);
  }

  /** {@link #transposedProductTile} whose weights are known by {@code weightsKey}, kept as {@link #denseTile}'s. */
  public static void transposedProductTile(
      float[] w, int wo, int m, int n, float[] d, int dOff, int dStride, float[] dx, int dxo,
      int dxStride, int count, int weightsKey) {
    if (VECTORIZED) {
      VectorDense.transposedProductTile(w, wo, m, n, d, dOff, dStride, dx, dxo, dxStride, count, weightsKey);
    } else {
      for (int s = 0; s < count; s++) {
        DenseKernels.plainTransposedProduct(w, wo, m, n, d, dOff + s * dStride, dx, dxo + s * dxStride);
      }
    }
  }

  /**
   * A dense layer's weight gradient over a tile: {@code g[go + i·n + f] += Σ_s x[xo + s·xStride +
   * i] · d[dOff + s·dStride + f]} for {@code i < m}, {@code f < n}, {@code s < count}.
   */
  public static void outerProductTile(
      float[] x, int xo, int xStride, int m, float[] d, int dOff, int dStride, int n, float[] g,
      int go, int count) {
    if (VECTORIZED) {
      VectorDense.outerProductTile(x, xo, xStride, m, d, dOff, dStride, n, g, go, count);
    } else {
      for (int s = 0; s < count; s++) {
        DenseKernels.plainOuterProduct(x, xo + s * xStride, m, d, dOff + s * dStride, n, g, go);
      }
    }
  }

  /**
   * Lets this thread's large matrix products (convolutions of a million multiply-adds or more)
   * take a helper thread until called again with false: what {@code predict} does around one
   * sample, so that its latency uses more than one core. Results are the same to the bit either
   * way. No effect on the plain path.
   */
  public static void shareWithHelpers(boolean share) {
    if (VECTORIZED) {
      VectorGemm.buffers().shareWithHelpers = share;
    }
  }

  /**
   * Holds (with {@code true}) or releases the weights on the calling thread: until released, the
   * kernels use what they derive from the weights (Winograd's transformed kernels, under their
   * callers' keys) without checking that the weights are still those it was made from, so the
   * caller promises that no weight changes before then. A tile of samples (trainTile,
   * predictBatch's tiles) holds them, each thread of predictBatch over all its tiles ({@code
   * Batches}), the trainer over each batch, and a {@code WeightsHold} until it is closed; a new
   * hold checks each kernel once. Holds nest: each {@code true} is released by one {@code false},
   * and only the outermost counts. No effect on the plain path.
   */
  public static void holdWeights(boolean hold) {
    if (VECTORIZED) {
      VectorGemm.Buffers buf = VectorGemm.buffers();
      // Holds nest: a trainer holds the weights over a batch, each tile within it again; only
      // the outermost hold starts afresh and only its release lets go.
      if (hold && buf.holdDepth++ == 0) {
        buf.weightsHeld = true;
        buf.hold++;
      } else if (!hold && buf.holdDepth > 0 && --buf.holdDepth == 0) {
        buf.weightsHeld = false;
      }
    }
  }

  /**
   * The FP32 rate of independent FMA chains on the calling thread, in GFLOP/s: the best of its
   * runs, measured until {@code millis} ms pass without a faster one (so after the JIT compiled
   * it; at most ten times that): the peak the vector kernels can approach on this core. NaN on the plain path, which has no vector FMAs to measure.
   */
  public static double fmaRate(long millis) {
    return VECTORIZED ? VectorPeak.rate(millis) : Double.NaN;
  }

  /**
   * A BatchNorm at inference, per channel: {@code y = x · affine[c] + affine[channels + c]} over
   * {@code pixels} pixels of {@code channels} (a multiply, then an add: the same bits on either
   * path), then {@code max(0, y)} where {@code relu} (its fused ReLU, one pass over the layer
   * instead of two); may run in place.
   */
  public static void scaleShift(
      float[] x, int xo, float[] affine, int channels, int pixels, boolean relu, float[] y, int yo) {
    if (VECTORIZED && channels % Vectors.lanes() == 0) {
      VectorElementwise.scaleShift(x, xo, affine, channels, pixels, relu, y, yo);
    } else {
      ElementwiseKernels.plainScaleShift(x, xo, affine, channels, pixels, y, yo);
      if (relu) {
        relu(y, yo, y, yo, channels * pixels);
      }
    }
  }

  /** ReLU: {@code y[yo + i] = Math.max(0, x[xo + i])} for {@code i < n} (in place when x is y). */
  public static void relu(float[] x, int xo, float[] y, int yo, int n) {
    if (VECTORIZED) {
      VectorElementwise.relu(x, xo, y, yo, n);
    } else {
      ElementwiseKernels.plainRelu(x, xo, y, yo, n);
    }
  }

  /**
   * ReLU's derivative, in place: {@code d[dOff + i]} is kept where the output {@code y[yo + i]}
   * is positive and zeroed elsewhere, for {@code i < n}.
   */
  public static void reluDerivative(float[] y, int yo, float[] d, int dOff, int n) {
    if (VECTORIZED) {
      VectorElementwise.reluDerivative(y, yo, d, dOff, n);
    } else {
      ElementwiseKernels.plainReluDerivative(y, yo, d, dOff, n);
    }
  }

  /**
   * A bias gradient: {@code g[go + f] += } the sum over {@code pixels} of {@code d[dOff + pixel·n +
   * f]}, for {@code f < n}. Each channel is summed in pixel order, then added once, on both paths,
   * so they agree to the bit.
   */
  public static void biasGradient(float[] d, int dOff, int pixels, int n, float[] g, int go) {
    if (VECTORIZED) {
      VectorElementwise.biasGradient(d, dOff, pixels, n, g, go);
    } else {
      ElementwiseKernels.plainBiasGradient(d, dOff, pixels, n, g, go);
    }
  }

  /**
   * Copies an {@code height x width x channels} image into {@code dst} at {@code dOff} inside a
   * zero border: {@code top} rows above, {@code left} columns to the left, {@code paddedHeight x
   * paddedWidth} in all.
   */
  public static void pad(
      float[] x, int xo, int height, int width, int channels,
      float[] dst, int dOff, int top, int left, int paddedHeight, int paddedWidth) {
    Layouts.pad(x, xo, height, width, channels, dst, dOff, top, left, paddedHeight, paddedWidth);
  }

  /**
   * Spreads a convolution's output gradient ({@code rows x cols x n}) into a zero {@code
   * height x width x n} buffer, pixel {@code (r, c)} going to {@code (r·strideH + top, c·strideW +
   * left)}; pixels that land outside are dropped. Convolving that buffer with the rotated kernel
   * ({@link #rotate}) gives the input gradient.
   */
  public static void spread(
      float[] d, int dOff, int rows, int cols, int n, int strideH, int strideW,
      float[] dst, int dstOff, int top, int left, int height, int width) {
    Layouts.spread(d, dOff, rows, cols, n, strideH, strideW, dst, dstOff, top, left, height, width);
  }

  /**
   * The kernel {@code [kh, kw, in, out]} turned 180 degrees with in and out swapped, each row
   * {@code width >= in} floats (zeros after in): {@code dst[((a·kw + b)·out + o)·width + i] =
   * w[wo + (((kh-1-a)·kw + (kw-1-b))·in + i)·out + o]}.
   */
  public static void rotate(
      float[] w, int wo, int kh, int kw, int in, int out, int width, float[] dst, int dstOff) {
    Layouts.rotate(w, wo, kh, kw, in, out, width, dst, dstOff);
  }

  /** Output channels in groups of this many on the planar path (six stay six). */
  public static final int PLANAR_GROUP = PlanarRules.PLANAR_GROUP;

  /**
   * The channels the planar path computes for {@code n} output channels over {@code rows} output
   * rows: five or six as six (one block: LeNet-5's c1, and its c3 input gradient over rows of 14)
   * where there are two rows or more, others rounded up to a whole number of {@link
   * #PLANAR_GROUP}s ({@link PlanarRules}, which the processor sizes the widened weights by).
   */
  public static int planarWidth(int n, int rows) {
    return PlanarRules.planarWidth(n, rows);
  }

  /**
   * A stride-1 convolution vectorized along the output row instead of the output channels: for
   * layers with few output channels (LeNet's first layer has 6, a third of a 16-float vector).
   * The input is planar ({@code x[xo + (ch·height + h)·width + v]}, already padded), and its first
   * {@code zeroTop} and last {@code zeroBottom} rows are zero (its zero border), which the vector
   * path skips; the weights
   * are {@code [kh, kw, channels, np]} with {@code np = planarWidth(n, rows)} and zeros past {@code n}
   * ({@link #widen} or {@link #rotate} lay them out); the output goes planar into scratch {@code
   * t[to..]} ({@code np·rows·cols} floats), then to {@code y} in NHWC.
   */
  public static void convolvePlanar(
      float[] x, int xo, int channels, int height, int width, int zeroTop, int zeroBottom, int kh,
      int kw, float[] w, int wo, int np, float[] b, int bo, int n, float[] y, int yo, int rows,
      int cols, float[] t, int to) {
    if (VECTORIZED) {
      if (VectorPlanar.convolvePlanar(x, xo, channels, height, width, zeroTop, zeroBottom, kh, kw, w, wo, np, b, bo, n, y, yo, rows, cols, t, to)) {
        VectorPlanar.planarToNhwc(t, to, rows * cols, b, bo, n, y, yo);
      }
    } else {
      PlanarConvolution.plainConvolvePlanar(x, xo, channels, height, width, kh, kw, w, wo, np, b, bo, n, y, yo, rows, cols);
    }
  }

  /**
   * Inference's fusion of a planar convolution with the 2x2 max pool of stride 2 after it: {@link
   * #convolvePlanar}, then the pool, the bias and (with {@code relu}) ReLU straight from the
   * planes, so {@code y} gets the pooled NHWC output ({@code rows/2 x cols/2 x n}, rows and
   * columns even) and the convolution's own output is never written. The same values as the
   * layers one after the other, bit for bit. Returns false, having written nothing, on the plain
   * path and where the planes might not be kept (five or six channels over rows narrower than a
   * vector); the caller then runs the two layers unfused.
   */
  public static boolean convolvePlanarPooled(
      float[] x, int xo, int channels, int height, int width, int zeroTop, int zeroBottom, int kh,
      int kw, float[] w, int wo, int np, float[] b, int bo, int n, boolean relu, float[] y, int yo,
      int rows, int cols, float[] t, int to) {
    if (rows % 2 != 0 || cols % 2 != 0) {
      throw new IllegalArgumentException("a 2x2 pool of stride 2 needs even rows and columns, got " + rows + "x" + cols);
    }
    if (!VECTORIZED || !VectorPlanar.planesFit(np, rows, cols)) {
      return false;
    }
    VectorPlanar.convolvePlanar(x, xo, channels, height, width, zeroTop, zeroBottom, kh, kw, w, wo, np, b, bo, n, y, yo, rows, cols, t, to);
    VectorPlanar.poolPlanes(t, to, rows, cols, b, bo, n, relu);
    // Compiled into the generated method where the JIT inlines this one, so the strides are
    // literals there (see convolvePlanar).
    int plane = rows * cols;
    int pooledCols = cols / 2;
    for (int f = 0; f < n; f++) {
      for (int r = 0; r < rows / 2; r++) {
        int from = to + f * plane + 2 * r * cols;
        int into = yo + r * pooledCols * n + f;
        for (int j = 0; j < pooledCols; j++) {
          y[into + j * n] = t[from + 2 * j];
        }
      }
    }
    return true;
  }

  /** Columns of the planar output gradient of {@link #weightGradientPlanar}: {@code cols} rounded up to 16. */
  public static int planarColumns(int cols) {
    return PlanarRules.planarColumns(cols);
  }

  /**
   * Floats of scratch {@link #weightGradientPlanar} needs: the input planar ({@code channels} planes
   * of {@code (rows + kh - 1) x (planarColumns(cols) + kw - 1)}), the output gradient planar
   * ({@code n} planes of {@code rows x planarColumns(cols)}) and 240 floats for sums.
   */
  public static int weightGradientPlanarScratch(int channels, int kh, int kw, int n, int rows, int cols) {
    return PlanarRules.weightGradientPlanarScratch(channels, kh, kw, n, rows, cols);
  }

  /**
   * The kernel gradient of a stride-1 convolution with few output channels, vectorized along the
   * output rows (LeNet-5's c1 has six channels, which fill six lanes of a vector along the
   * channels): {@code g[go + ((a·kw + b)·channels + c)·n + k] += Σ x[c, r + a - top, q + b - left]
   * · d[dOff + (r·cols + q)·n + k]} over output rows {@code r < rows} and columns {@code q < cols},
   * x read as zero outside its {@code height x width x channels}. The input and the output
   * gradient are made planar in {@code s[so..]} ({@link #weightGradientPlanarScratch} floats).
   */
  public static void weightGradientPlanar(
      float[] x, int xo, int height, int width, int channels, int top, int left, int kh, int kw,
      float[] d, int dOff, int n, int rows, int cols, float[] g, int go, float[] s, int so) {
    int cp = PlanarRules.planarColumns(cols);
    int wx = cp + kw - 1;
    int xs = so;
    int ds = xs + channels * (rows + kh - 1) * wx;
    Layouts.toPlanar(x, xo, height, width, channels, channels, s, xs, top, left, rows + kh - 1, wx);
    Layouts.toPlanar(d, dOff, rows, cols, n, n, s, ds, 0, 0, rows, cp);
    if (VECTORIZED && 16 % Vectors.lanes() == 0) {
      VectorPlanarGradient.weightGradientPlanar(s, xs, channels, wx, kh, kw, ds, n, rows, cp, ds + n * rows * cp, g, go);
    } else {
      PlanarConvolution.plainWeightGradientPlanar(s, xs, channels, wx, kh, kw, ds, n, rows, cols, cp, g, go);
    }
  }

  /**
   * {@code y[yo + i] = a[ao + i] + b[bo + i]} for {@code i < n}; {@code y} may be {@code a} or
   * {@code b}. A residual Add, and gradients summed where several layers read one. A plain loop:
   * HotSpot's C2 vectorizes it on its own.
   */
  public static void add(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
    ElementwiseKernels.add(a, ao, b, bo, y, yo, n);
  }

  /**
   * {@code y = max(0, a + b)} over {@code n} floats, in one pass (the bits of {@link #add} then
   * {@link #relu}); {@code y} may be {@code a}.
   */
  public static void addRelu(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
    if (VECTORIZED) {
      VectorElementwise.addRelu(a, ao, b, bo, y, yo, n);
    } else {
      ElementwiseKernels.add(a, ao, b, bo, y, yo, n);
      ElementwiseKernels.plainRelu(y, yo, y, yo, n);
    }
  }

  /**
   * A dense layer's weight gradient, one rank-1 update: {@code g[go + i·n + f] += x[xo + i] ·
   * d[dOff + f]} for {@code i < m}, {@code f < n}.
   */
  public static void outerProduct(float[] x, int xo, int m, float[] d, int dOff, int n, float[] g, int go) {
    if (VECTORIZED) {
      VectorDense.outerProduct(x, xo, m, d, dOff, n, g, go);
    } else {
      DenseKernels.plainOuterProduct(x, xo, m, d, dOff, n, g, go);
    }
  }

  /**
   * Max pooling with padding (TensorFlow's: the padding is not part of any window): output pixel
   * (r, c) of {@code y[yo..]} ({@code rows x cols x channels}) is, per channel, the largest input
   * of the {@code kh x kw} window at row {@code r·sh - padTop}, column {@code c·sw - padLeft} of
   * the {@code height x width x channels} input at {@code x[xo..]}, clipped to it ({@link
   * Math#max} semantics: NaN wins). On the vector path pixel by pixel, a vector of channels at a
   * time, where the channels are whole vectors.
   */
  public static void maxPoolClipped(
      float[] x, int xo, int height, int width, int channels, int kh, int kw, int sh, int sw,
      int padTop, int padLeft, float[] y, int yo, int rows, int cols) {
    if (VECTORIZED && channels % Vectors.lanes() == 0) {
      VectorPooling.maxPoolClipped(x, xo, height, width, channels, kh, kw, sh, sw, padTop, padLeft, y, yo, rows, cols);
    } else {
      PoolingKernels.plainMaxPoolClipped(x, xo, height, width, channels, kh, kw, sh, sw, padTop, padLeft, y, yo, rows, cols);
    }
  }

  /**
   * Max pooling without padding: {@code y[yo + (r·cols + c)·channels + ch]} is the largest of
   * {@code x[xo + r·rowStep + c·colStep + a·inRow + b·channels + ch]} over the window's {@code a <
   * kh}, {@code b < kw} ({@link Math#max} semantics: NaN wins).
   */
  public static void maxPool(
      float[] x, int xo, int rowStep, int colStep, int inRow, int kh, int kw, int channels,
      float[] y, int yo, int rows, int cols) {
    if (VECTORIZED) {
      VectorPooling.maxPool(x, xo, rowStep, colStep, inRow, kh, kw, channels, y, yo, rows, cols);
    } else {
      PoolingKernels.plainMaxPool(x, xo, rowStep, colStep, inRow, kh, kw, channels, y, yo, rows, cols);
    }
  }

  /**
   * The gradient of {@link #maxPool}: adds {@code d[dOff + (r·cols + c)·channels + ch]} into
   * {@code dx} at the window's first cell (in row-major window order) holding its maximum, as
   * TensorFlow routes it; {@code dx} has the input's layout from {@code dxo}. A NaN never takes
   * the gradient from the first cell. Overlapping windows add up.
   */
  public static void maxPoolBackward(
      float[] x, int xo, int rowStep, int colStep, int inRow, int kh, int kw, int channels,
      float[] d, int dOff, float[] dx, int dxo, int rows, int cols) {
    if (VECTORIZED) {
      VectorPooling.maxPoolBackward(
          x, xo, rowStep, colStep, inRow, kh, kw, channels, d, dOff, dx, dxo, rows, cols);
    } else {
      PoolingKernels.plainMaxPoolBackward(
          x, xo, rowStep, colStep, inRow, kh, kw, channels, d, dOff, dx, dxo, rows, cols);
    }
  }

  /**
   * An NHWC image into planar form inside a zero border: {@code dst[dOff + (ch·paddedHeight + h
   * + top)·paddedWidth + v + left] = x[xo + (h·width + v)·channels + ch]}, with {@code planes}
   * planes in all (those past {@code channels} zero).
   */
  public static void toPlanar(
      float[] x, int xo, int height, int width, int channels, int planes,
      float[] dst, int dOff, int top, int left, int paddedHeight, int paddedWidth) {
    Layouts.toPlanar(x, xo, height, width, channels, planes, dst, dOff, top, left, paddedHeight, paddedWidth);
  }

  /** HWIO weights {@code [taps·in, n]} with each row widened to {@code np} floats (zeros after n). */
  public static void widen(float[] w, int wo, int rows, int n, int np, float[] dst, int dOff) {
    Layouts.widen(w, wo, rows, n, np, dst, dOff);
  }
}
