package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * {@link Kernels#convolve} on the vector path. Layers with four vectors of output channels or more
 * (and six pixels or more: {@link VectorGemm#pays}) are a packed matrix product ({@link
 * VectorGemm}): pixels by taps times filters. The narrower ones keep direct register blocks here, vectorized along the output
 * channels {@code n} (contiguous in NHWC and in the weights' last dimension): up to eight pixels
 * by one vector, so each loaded vector and each broadcast input feeds several independent FMA
 * chains. A block's pixels need not be neighbours: each has its own input offset, so blocks run
 * across the end of an output row (or of a tap) instead of leaving the row's last pixels to
 * slower narrow blocks. Each block size is a method of its own (see {@link Vectors}: no vector
 * crosses a method boundary, and wide blocks take no mask). A dense layer (one pixel, one tap)
 * goes to {@link VectorDense}.
 */
final class VectorConvolution {
  private VectorConvolution() {}

  static void convolve(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] w, int wo, float[] b, int bo, int n, float[] y, int yo, int rows, int cols, int weightsKey) {
    // Vectors and masks are never passed between methods: C2 intrinsifies an operation only when
    // it knows the vector's exact class, which a parameter hides. Each block builds its own.
    //
    // Blocks take the output pixels in row-major order, each pixel with its own input offset, so
    // a block may run across the end of a row: a 14-pixel row no longer leaves 6 pixels to the
    // slower narrow blocks (those ran 3 times slower per pixel than the 8-pixel block).
    int pixels = rows * cols;
    if (pixels == 1 && taps == 1) {
      VectorDense.dense(x, xo, tapLength, w, wo, b, bo, n, y, yo);
      return;
    }
    if (packs(pixels, n, taps * tapLength)) {
      // Wide layers: a packed matrix product, pixels by taps times filters (VectorGemm); the
      // narrower ones take the blocks below.
      packed(x, xo, 0, rowStep, colStep, tapStep, taps, tapLength, w, wo, b, bo, n, y, yo, 0, rows, cols, 1, weightsKey);
      return;
    }
    int[] kAt = windowOffsets(VectorGemm.buffers(), taps, tapLength, tapStep);
    int f = 0;
    // Wide layers: two full vectors of channels, so each broadcast input feeds two FMAs.
    for (; f + 2 * L <= n; f += 2 * L) {
      int bf = bo >= 0 ? bo + f : -1;
      int q = 0;
      for (; q + 6 <= pixels; q += 6) {
        convolve2x6(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), at(xo, q + 4, cols, rowStep, colStep), at(xo, q + 5, cols, rowStep, colStep), kAt, taps * tapLength, w, wo + f, n, b, bf, y, yo + q * n + f);
      }
      for (; q + 4 <= pixels; q += 4) {
        convolve2x4(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), kAt, taps * tapLength, w, wo + f, n, b, bf, y, yo + q * n + f);
      }
      for (; q < pixels; q++) {
        int xq = at(xo, q, cols, rowStep, colStep);
        convolve1x1(x, xq, tapStep, taps, tapLength, w, wo + f, n, f, b, bf, y, yo + q * n + f);
        convolve1x1(x, xq, tapStep, taps, tapLength, w, wo + f + L, n, f + L, b, bf < 0 ? -1 : bf + L, y, yo + q * n + f + L);
      }
    }
    for (; f < n; f += L) {
      int bf = bo >= 0 ? bo + f : -1;
      int q = 0;
      for (; f + L <= n && q + 8 <= pixels; q += 8) {
        convolveFull1x8(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), at(xo, q + 4, cols, rowStep, colStep), at(xo, q + 5, cols, rowStep, colStep), at(xo, q + 6, cols, rowStep, colStep), at(xo, q + 7, cols, rowStep, colStep), kAt, taps * tapLength, w, wo + f, n, b, bf, y, yo + q * n + f);
      }
      for (; q + 8 <= pixels; q += 8) {
        convolve1x8(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), at(xo, q + 4, cols, rowStep, colStep), at(xo, q + 5, cols, rowStep, colStep), at(xo, q + 6, cols, rowStep, colStep), at(xo, q + 7, cols, rowStep, colStep), kAt, taps * tapLength, w, wo + f, n, f, b, bf, y, yo + q * n + f);
      }
      for (; q + 4 <= pixels; q += 4) {
        convolve1x4(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), kAt, taps * tapLength, w, wo + f, n, f, b, bf, y, yo + q * n + f);
      }
      for (; q < pixels; q++) {
        convolve1x1(x, at(xo, q, cols, rowStep, colStep), tapStep, taps, tapLength, w, wo + f, n, f, b, bf, y, yo + q * n + f);
      }
    }
  }

  /**
   * {@link Kernels#convolveTile}: where {@link #convolve} takes the packed product, one product
   * over every pixel of every sample; else sample by sample.
   */
  static void convolveTile(
      float[] x, int xo, int xStride, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] w, int wo, float[] b, int bo, int n, float[] y, int yo, int yStride, int rows, int cols,
      int count, int weightsKey) {
    int pixels = rows * cols;
    if (!packs(pixels, n, taps * tapLength) || pixels == 1 && taps == 1) {
      for (int s = 0; s < count; s++) {
        convolve(x, xo + s * xStride, rowStep, colStep, tapStep, taps, tapLength, w, wo, b, bo, n, y, yo + s * yStride, rows, cols, weightsKey);
      }
      return;
    }
    packed(x, xo, xStride, rowStep, colStep, tapStep, taps, tapLength, w, wo, b, bo, n, y, yo, yStride, rows, cols, count, weightsKey);
  }

  /**
   * Each of a window's values' offset from the window's first (value k = tap · tapLength + j), in
   * the thread's buffer for k: the table both the direct blocks and the packed product loop over.
   */
  private static int[] windowOffsets(VectorGemm.Buffers buf, int taps, int tapLength, int tapStep) {
    int k = taps * tapLength;
    return VectorGemm.offsets(buf.ks(k), k, tapLength, tapStep, 1);
  }

  /** Whether a convolution takes the packed product ({@link ConvolutionRules#packs}). */
  static boolean packs(int pixels, int n, int k) {
    return ConvolutionRules.packs(pixels, n, k, L);
  }

  /**
   * The packed product of {@code count} samples' pixels (samples {@code xStride} apart) by the
   * taps times the filters. One sample's output goes straight to {@code y}; several samples' go
   * to a buffer first and are copied to each sample's output, {@code yStride} apart.
   */
  private static void packed(
      float[] x, int xo, int xStride, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] w, int wo, float[] b, int bo, int n, float[] y, int yo, int yStride, int rows, int cols,
      int count, int weightsKey) {
    VectorGemm.Buffers buf = VectorGemm.buffers();
    int pixels = rows * cols;
    int m = count * pixels;
    int k = taps * tapLength;
    int[] pixelAt = VectorGemm.offsets(buf.rows(m), m, pixels, xStride, cols, rowStep, colStep);
    int[] tapAt = windowOffsets(buf, taps, tapLength, tapStep);
    // Weights with a key are packed once and kept, made again when they change: ResNet-18's
    // predict packed 45 MB of them per image.
    float[] packed = VectorGemm.keptPacked(buf, weightsKey, w, wo, n, 1, n, k);
    float[] c = count == 1 ? y : buf.c(m * n);
    int co = count == 1 ? yo : 0;
    VectorGemm.multiply(x, xo, pixelAt, m, tapAt, k, w, wo, n, 1, n, packed, 0, b, bo, false, c, co, n, buf);
    if (count > 1) {
      for (int s = 0; s < count; s++) {
        System.arraycopy(c, s * pixels * n, y, yo + s * yStride, pixels * n);
      }
    }
  }

  /** The input offset of output pixel {@code q} (row-major over {@code cols} columns). */
  private static int at(int xo, int q, int cols, int rowStep, int colStep) {
    return xo + (q / cols) * rowStep + (q % cols) * colStep;
  }

  /**
   * Six pixels, two full vectors of channels: twelve FMA chains, no masks, for layers of two to
   * four vectors of filters, where packing ({@link VectorGemm}) costs more than it saves. Written
   * as {@link VectorGemm}'s block is (sums from zero, the bias added at the end, the loop over the
   * tap unrolled by two with the bound {@code j < tapLength - 1}). On one AVX2 core, SEEDCNN's
   * c2 ran at 44 GFLOP/s so, against 33 with the loop written {@code j + 2 <= tapLength} and 37-40
   * not unrolled; LeNet-5's c3 takes 13.0 us, 13.7 with the eight-pixel block it replaces, whose
   * 16 accumulators do not fit AVX2's 16 registers.
   */
  private static void convolve2x6(
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int[] kAt, int kCount,
      float[] w, int wf, int n, float[] b, int bf, float[] y, int yb) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector c0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector c2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S);
    FloatVector a4 = FloatVector.zero(S);
    FloatVector c4 = FloatVector.zero(S);
    FloatVector a5 = FloatVector.zero(S);
    FloatVector c5 = FloatVector.zero(S);
    // One loop over the window's values, each one's offset from the table (its weights row is k):
    // two nested loops over the taps and a tap's values left C2 a short inner loop (LeNet-5's c3:
    // 5 taps of 30).
    int k = 0;
    for (; k < kCount - 1; k += 2) {
      for (int u = 0; u < 2; u++) {
        int tj = kAt[k + u];
        int wj = wf + (k + u) * n;
        FloatVector k0 = FloatVector.fromArray(S, w, wj);
        FloatVector k1 = FloatVector.fromArray(S, w, wj + L);
        FloatVector v0 = FloatVector.broadcast(S, x[x0 + tj]);
        a0 = k0.fma(v0, a0);
        c0 = k1.fma(v0, c0);
        FloatVector v1 = FloatVector.broadcast(S, x[x1 + tj]);
        a1 = k0.fma(v1, a1);
        c1 = k1.fma(v1, c1);
        FloatVector v2 = FloatVector.broadcast(S, x[x2 + tj]);
        a2 = k0.fma(v2, a2);
        c2 = k1.fma(v2, c2);
        FloatVector v3 = FloatVector.broadcast(S, x[x3 + tj]);
        a3 = k0.fma(v3, a3);
        c3 = k1.fma(v3, c3);
        FloatVector v4 = FloatVector.broadcast(S, x[x4 + tj]);
        a4 = k0.fma(v4, a4);
        c4 = k1.fma(v4, c4);
        FloatVector v5 = FloatVector.broadcast(S, x[x5 + tj]);
        a5 = k0.fma(v5, a5);
        c5 = k1.fma(v5, c5);
      }
    }
    if (k < kCount) {
      int tj = kAt[k];
      int wj = wf + k * n;
      FloatVector k0 = FloatVector.fromArray(S, w, wj);
      FloatVector k1 = FloatVector.fromArray(S, w, wj + L);
      FloatVector v0 = FloatVector.broadcast(S, x[x0 + tj]);
      a0 = k0.fma(v0, a0);
      c0 = k1.fma(v0, c0);
      FloatVector v1 = FloatVector.broadcast(S, x[x1 + tj]);
      a1 = k0.fma(v1, a1);
      c1 = k1.fma(v1, c1);
      FloatVector v2 = FloatVector.broadcast(S, x[x2 + tj]);
      a2 = k0.fma(v2, a2);
      c2 = k1.fma(v2, c2);
      FloatVector v3 = FloatVector.broadcast(S, x[x3 + tj]);
      a3 = k0.fma(v3, a3);
      c3 = k1.fma(v3, c3);
      FloatVector v4 = FloatVector.broadcast(S, x[x4 + tj]);
      a4 = k0.fma(v4, a4);
      c4 = k1.fma(v4, c4);
      FloatVector v5 = FloatVector.broadcast(S, x[x5 + tj]);
      a5 = k0.fma(v5, a5);
      c5 = k1.fma(v5, c5);
    }
    if (bf >= 0) {
      FloatVector b0 = FloatVector.fromArray(S, b, bf);
      FloatVector b1 = FloatVector.fromArray(S, b, bf + L);
      a0 = a0.add(b0);
      c0 = c0.add(b1);
      a1 = a1.add(b0);
      c1 = c1.add(b1);
      a2 = a2.add(b0);
      c2 = c2.add(b1);
      a3 = a3.add(b0);
      c3 = c3.add(b1);
      a4 = a4.add(b0);
      c4 = c4.add(b1);
      a5 = a5.add(b0);
      c5 = c5.add(b1);
    }
    a0.intoArray(y, yb);
    c0.intoArray(y, yb + L);
    a1.intoArray(y, yb + n);
    c1.intoArray(y, yb + n + L);
    a2.intoArray(y, yb + 2 * n);
    c2.intoArray(y, yb + 2 * n + L);
    a3.intoArray(y, yb + 3 * n);
    c3.intoArray(y, yb + 3 * n + L);
    a4.intoArray(y, yb + 4 * n);
    c4.intoArray(y, yb + 4 * n + L);
    a5.intoArray(y, yb + 5 * n);
    c5.intoArray(y, yb + 5 * n + L);
  }

  /** Four pixels, two full vectors of channels: eight FMA chains, no masks. */
  private static void convolve2x4(
      float[] x, int x0, int x1, int x2, int x3, int[] kAt, int kCount,
      float[] w, int wf, int n, float[] b, int bf, float[] y, int yb) {
    FloatVector b0 = bf >= 0 ? FloatVector.fromArray(S, b, bf) : FloatVector.zero(S);
    FloatVector b1 = bf >= 0 ? FloatVector.fromArray(S, b, bf + L) : FloatVector.zero(S);
    FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0;
    FloatVector c0 = b1, c1 = b1, c2 = b1, c3 = b1;
    for (int k = 0; k < kCount; k++) {
      int tj = kAt[k];
      FloatVector k0 = FloatVector.fromArray(S, w, wf + k * n);
      FloatVector k1 = FloatVector.fromArray(S, w, wf + k * n + L);
      FloatVector v0 = FloatVector.broadcast(S, x[x0 + tj]);
      a0 = k0.fma(v0, a0);
      c0 = k1.fma(v0, c0);
      FloatVector v1 = FloatVector.broadcast(S, x[x1 + tj]);
      a1 = k0.fma(v1, a1);
      c1 = k1.fma(v1, c1);
      FloatVector v2 = FloatVector.broadcast(S, x[x2 + tj]);
      a2 = k0.fma(v2, a2);
      c2 = k1.fma(v2, c2);
      FloatVector v3 = FloatVector.broadcast(S, x[x3 + tj]);
      a3 = k0.fma(v3, a3);
      c3 = k1.fma(v3, c3);
    }
    a0.intoArray(y, yb);
    c0.intoArray(y, yb + L);
    a1.intoArray(y, yb + n);
    c1.intoArray(y, yb + n + L);
    a2.intoArray(y, yb + 2 * n);
    c2.intoArray(y, yb + 2 * n + L);
    a3.intoArray(y, yb + 3 * n);
    c3.intoArray(y, yb + 3 * n + L);
  }

  /**
   * Eight pixels, one full vector of channels: {@link #convolve1x8} without the mask, which
   * costs here (masked loads made the planar blocks 1.6 times slower).
   */
  private static void convolveFull1x8(
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int[] kAt, int kCount,
      float[] w, int wf, int n, float[] b, int bf, float[] y, int yb) {
    FloatVector b0 = bf >= 0 ? FloatVector.fromArray(S, b, bf) : FloatVector.zero(S);
    FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0, a4 = b0, a5 = b0, a6 = b0, a7 = b0;
    for (int k = 0; k < kCount; k++) {
      int tj = kAt[k];
      FloatVector k0 = FloatVector.fromArray(S, w, wf + k * n);
      a0 = k0.fma(FloatVector.broadcast(S, x[x0 + tj]), a0);
      a1 = k0.fma(FloatVector.broadcast(S, x[x1 + tj]), a1);
      a2 = k0.fma(FloatVector.broadcast(S, x[x2 + tj]), a2);
      a3 = k0.fma(FloatVector.broadcast(S, x[x3 + tj]), a3);
      a4 = k0.fma(FloatVector.broadcast(S, x[x4 + tj]), a4);
      a5 = k0.fma(FloatVector.broadcast(S, x[x5 + tj]), a5);
      a6 = k0.fma(FloatVector.broadcast(S, x[x6 + tj]), a6);
      a7 = k0.fma(FloatVector.broadcast(S, x[x7 + tj]), a7);
    }
    a0.intoArray(y, yb);
    a1.intoArray(y, yb + n);
    a2.intoArray(y, yb + 2 * n);
    a3.intoArray(y, yb + 3 * n);
    a4.intoArray(y, yb + 4 * n);
    a5.intoArray(y, yb + 5 * n);
    a6.intoArray(y, yb + 6 * n);
    a7.intoArray(y, yb + 7 * n);
  }

  /** Eight pixels, one (masked) vector of channels: eight independent FMA chains. */
  private static void convolve1x8(
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int[] kAt, int kCount,
      float[] w, int wf, int n, int f, float[] b, int bf, float[] y, int yb) {
    VectorMask<Float> mask = S.indexInRange(f, n);
    FloatVector b0 = bf >= 0 ? FloatVector.fromArray(S, b, bf, mask) : FloatVector.zero(S);
    FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0, a4 = b0, a5 = b0, a6 = b0, a7 = b0;
    for (int k = 0; k < kCount; k++) {
      int tj = kAt[k];
      FloatVector k0 = FloatVector.fromArray(S, w, wf + k * n, mask);
      a0 = k0.fma(FloatVector.broadcast(S, x[x0 + tj]), a0);
      a1 = k0.fma(FloatVector.broadcast(S, x[x1 + tj]), a1);
      a2 = k0.fma(FloatVector.broadcast(S, x[x2 + tj]), a2);
      a3 = k0.fma(FloatVector.broadcast(S, x[x3 + tj]), a3);
      a4 = k0.fma(FloatVector.broadcast(S, x[x4 + tj]), a4);
      a5 = k0.fma(FloatVector.broadcast(S, x[x5 + tj]), a5);
      a6 = k0.fma(FloatVector.broadcast(S, x[x6 + tj]), a6);
      a7 = k0.fma(FloatVector.broadcast(S, x[x7 + tj]), a7);
    }
    a0.intoArray(y, yb, mask);
    a1.intoArray(y, yb + n, mask);
    a2.intoArray(y, yb + 2 * n, mask);
    a3.intoArray(y, yb + 3 * n, mask);
    a4.intoArray(y, yb + 4 * n, mask);
    a5.intoArray(y, yb + 5 * n, mask);
    a6.intoArray(y, yb + 6 * n, mask);
    a7.intoArray(y, yb + 7 * n, mask);
  }

  /** Four pixels, one (masked) vector of channels. */
  private static void convolve1x4(
      float[] x, int x0, int x1, int x2, int x3, int[] kAt, int kCount,
      float[] w, int wf, int n, int f, float[] b, int bf, float[] y, int yb) {
    VectorMask<Float> mask = S.indexInRange(f, n);
    FloatVector b0 = bf >= 0 ? FloatVector.fromArray(S, b, bf, mask) : FloatVector.zero(S);
    FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0;
    for (int k = 0; k < kCount; k++) {
      int tj = kAt[k];
      FloatVector k0 = FloatVector.fromArray(S, w, wf + k * n, mask);
      a0 = k0.fma(FloatVector.broadcast(S, x[x0 + tj]), a0);
      a1 = k0.fma(FloatVector.broadcast(S, x[x1 + tj]), a1);
      a2 = k0.fma(FloatVector.broadcast(S, x[x2 + tj]), a2);
      a3 = k0.fma(FloatVector.broadcast(S, x[x3 + tj]), a3);
    }
    a0.intoArray(y, yb, mask);
    a1.intoArray(y, yb + n, mask);
    a2.intoArray(y, yb + 2 * n, mask);
    a3.intoArray(y, yb + 3 * n, mask);
  }

  /** One pixel, one (masked) vector of channels, four FMA chains along the tap; also the dense layers narrower than a vector. */
  static void convolve1x1(
      float[] x, int xb, int tapStep, int taps, int tapLength, float[] w, int wf, int n,
      int f, float[] b, int bf, float[] y, int yb) {
    VectorMask<Float> mask = S.indexInRange(f, n);
    FloatVector a0 = bf >= 0 ? FloatVector.fromArray(S, b, bf, mask) : FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
    for (int t = 0; t < taps; t++) {
      int xt = xb + t * tapStep;
      int wt = wf + t * tapLength * n;
      int j = 0;
      for (; j + 4 <= tapLength; j += 4) {
        int wj = wt + j * n;
        a0 = FloatVector.fromArray(S, w, wj, mask).fma(FloatVector.broadcast(S, x[xt + j]), a0);
        a1 = FloatVector.fromArray(S, w, wj + n, mask).fma(FloatVector.broadcast(S, x[xt + j + 1]), a1);
        a2 = FloatVector.fromArray(S, w, wj + 2 * n, mask).fma(FloatVector.broadcast(S, x[xt + j + 2]), a2);
        a3 = FloatVector.fromArray(S, w, wj + 3 * n, mask).fma(FloatVector.broadcast(S, x[xt + j + 3]), a3);
      }
      for (; j < tapLength; j++) {
        a0 = FloatVector.fromArray(S, w, wt + j * n, mask).fma(FloatVector.broadcast(S, x[xt + j]), a0);
      }
    }
    a0.add(a1).add(a2.add(a3)).intoArray(y, yb, mask);
  }
}
