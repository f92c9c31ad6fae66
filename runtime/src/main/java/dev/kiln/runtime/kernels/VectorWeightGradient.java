package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * {@link Kernels#weightGradient} on the vector path. With four vectors of filters or more ({@link
 * VectorGemm#pays}) it is a packed matrix product ({@link VectorGemm}): weight rows by pixels
 * times filters, added to g.
 * Narrower layers keep direct blocks, as {@link VectorConvolution} does: several weight rows
 * ({@code k = t·tapLength + j} of g) by one or two vectors of channels, sharing each loaded vector
 * of output gradients; each block size is a method of its own (see {@link Vectors}).
 */
final class VectorWeightGradient {
  private VectorWeightGradient() {}

  static void weightGradient(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] d, int dOff, int n, int rows, int cols, float[] g, int go) {
    // A block is several weight rows (rows k = t * tapLength + j of g, contiguous) sharing each
    // loaded vector of output gradients. Each row has its own input offset, so blocks run across
    // the taps: a 3x3 kernel over one input channel (tapLength 3) still fills 8-row blocks.
    int weightRows = taps * tapLength;
    int pixels = rows * cols;
    if (VectorGemm.pays(weightRows, n)) {
      // Wide layers: a packed matrix product, weight rows by pixels times filters, added to g.
      VectorGemm.Buffers buf = VectorGemm.buffers();
      int[] rowAt = VectorGemm.offsets(buf.rows(weightRows), weightRows, tapLength, tapStep, 1);
      int[] pixelAt = VectorGemm.offsets(buf.ks(pixels), pixels, cols, rowStep, colStep);
      VectorGemm.multiply(x, xo, rowAt, weightRows, pixelAt, pixels, d, dOff, n, 1, n, null, -1, true, g, go, n, buf);
      return;
    }
    // Direct blocks run one loop over the pixels, from their offsets in x: a loop over a row's
    // columns (LeNet-5's c3: ten) left C2 a short inner loop.
    int[] pixelAt = VectorGemm.offsets(VectorGemm.buffers().ks(pixels), pixels, cols, rowStep, colStep);
    int f = 0;
    for (; f + 2 * L <= n; f += 2 * L) {
      int k = 0;
      for (; k + 6 <= weightRows; k += 6) {
        weightGradient2x6(x, row(xo, k, tapLength, tapStep), row(xo, k + 1, tapLength, tapStep), row(xo, k + 2, tapLength, tapStep), row(xo, k + 3, tapLength, tapStep), row(xo, k + 4, tapLength, tapStep), row(xo, k + 5, tapLength, tapStep), pixelAt, pixels, d, dOff + f, n, g, go + k * n + f);
      }
      for (; k + 4 <= weightRows; k += 4) {
        weightGradient2x4(x, row(xo, k, tapLength, tapStep), row(xo, k + 1, tapLength, tapStep), row(xo, k + 2, tapLength, tapStep), row(xo, k + 3, tapLength, tapStep), pixelAt, pixels, d, dOff + f, n, g, go + k * n + f);
      }
      for (; k < weightRows; k++) {
        int xk = row(xo, k, tapLength, tapStep);
        weightGradient1x1(x, xk, pixelAt, pixels, d, dOff + f, n, f, g, go + k * n + f);
        weightGradient1x1(x, xk, pixelAt, pixels, d, dOff + f + L, n, f + L, g, go + k * n + f + L);
      }
    }
    for (; f < n; f += L) {
      int k = 0;
      for (; f + L <= n && k + 8 <= weightRows; k += 8) {
        weightGradient1x8(x, row(xo, k, tapLength, tapStep), row(xo, k + 1, tapLength, tapStep), row(xo, k + 2, tapLength, tapStep), row(xo, k + 3, tapLength, tapStep), row(xo, k + 4, tapLength, tapStep), row(xo, k + 5, tapLength, tapStep), row(xo, k + 6, tapLength, tapStep), row(xo, k + 7, tapLength, tapStep), pixelAt, pixels, d, dOff + f, n, g, go + k * n + f);
      }
      for (; k + 4 <= weightRows; k += 4) {
        weightGradient1x4(x, row(xo, k, tapLength, tapStep), row(xo, k + 1, tapLength, tapStep), row(xo, k + 2, tapLength, tapStep), row(xo, k + 3, tapLength, tapStep), pixelAt, pixels, d, dOff + f, n, f, g, go + k * n + f);
      }
      for (; k < weightRows; k++) {
        weightGradient1x1(x, row(xo, k, tapLength, tapStep), pixelAt, pixels, d, dOff + f, n, f, g, go + k * n + f);
      }
    }
  }

  /** The input offset of weight row {@code k} (tap {@code k / tapLength}, element {@code k % tapLength}). */
  private static int row(int xo, int k, int tapLength, int tapStep) {
    return xo + (k / tapLength) * tapStep + k % tapLength;
  }

  /**
   * Six weight rows, two full vectors of channels: twelve FMA chains, no masks, for layers of two
   * to four vectors of filters (wider ones go to {@link VectorGemm}). Sums from zero over the
   * pixels, then adds them to g, with the loop over the pixels unrolled by two (see {@link
   * VectorConvolution}'s six-pixel block).
   */
  private static void weightGradient2x6(
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int[] pixelAt, int pixels, float[] d,
      int df, int n, float[] g, int gb) {
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
    int p = 0;
    for (; p < pixels - 1; p += 2) {
      for (int u = 0; u < 2; u++) {
        int xc = pixelAt[p + u];
        int dc = df + (p + u) * n;
        FloatVector d0 = FloatVector.fromArray(S, d, dc);
        FloatVector d1 = FloatVector.fromArray(S, d, dc + L);
        FloatVector v0 = FloatVector.broadcast(S, x[x0 + xc]);
        a0 = d0.fma(v0, a0);
        c0 = d1.fma(v0, c0);
        FloatVector v1 = FloatVector.broadcast(S, x[x1 + xc]);
        a1 = d0.fma(v1, a1);
        c1 = d1.fma(v1, c1);
        FloatVector v2 = FloatVector.broadcast(S, x[x2 + xc]);
        a2 = d0.fma(v2, a2);
        c2 = d1.fma(v2, c2);
        FloatVector v3 = FloatVector.broadcast(S, x[x3 + xc]);
        a3 = d0.fma(v3, a3);
        c3 = d1.fma(v3, c3);
        FloatVector v4 = FloatVector.broadcast(S, x[x4 + xc]);
        a4 = d0.fma(v4, a4);
        c4 = d1.fma(v4, c4);
        FloatVector v5 = FloatVector.broadcast(S, x[x5 + xc]);
        a5 = d0.fma(v5, a5);
        c5 = d1.fma(v5, c5);
      }
    }
    if (p < pixels) {
      int xc = pixelAt[p];
      int dc = df + p * n;
      FloatVector d0 = FloatVector.fromArray(S, d, dc);
      FloatVector d1 = FloatVector.fromArray(S, d, dc + L);
      FloatVector v0 = FloatVector.broadcast(S, x[x0 + xc]);
      a0 = d0.fma(v0, a0);
      c0 = d1.fma(v0, c0);
      FloatVector v1 = FloatVector.broadcast(S, x[x1 + xc]);
      a1 = d0.fma(v1, a1);
      c1 = d1.fma(v1, c1);
      FloatVector v2 = FloatVector.broadcast(S, x[x2 + xc]);
      a2 = d0.fma(v2, a2);
      c2 = d1.fma(v2, c2);
      FloatVector v3 = FloatVector.broadcast(S, x[x3 + xc]);
      a3 = d0.fma(v3, a3);
      c3 = d1.fma(v3, c3);
      FloatVector v4 = FloatVector.broadcast(S, x[x4 + xc]);
      a4 = d0.fma(v4, a4);
      c4 = d1.fma(v4, c4);
      FloatVector v5 = FloatVector.broadcast(S, x[x5 + xc]);
      a5 = d0.fma(v5, a5);
      c5 = d1.fma(v5, c5);
    }
    a0.add(FloatVector.fromArray(S, g, gb)).intoArray(g, gb);
    c0.add(FloatVector.fromArray(S, g, gb + L)).intoArray(g, gb + L);
    a1.add(FloatVector.fromArray(S, g, gb + n)).intoArray(g, gb + n);
    c1.add(FloatVector.fromArray(S, g, gb + n + L)).intoArray(g, gb + n + L);
    a2.add(FloatVector.fromArray(S, g, gb + 2 * n)).intoArray(g, gb + 2 * n);
    c2.add(FloatVector.fromArray(S, g, gb + 2 * n + L)).intoArray(g, gb + 2 * n + L);
    a3.add(FloatVector.fromArray(S, g, gb + 3 * n)).intoArray(g, gb + 3 * n);
    c3.add(FloatVector.fromArray(S, g, gb + 3 * n + L)).intoArray(g, gb + 3 * n + L);
    a4.add(FloatVector.fromArray(S, g, gb + 4 * n)).intoArray(g, gb + 4 * n);
    c4.add(FloatVector.fromArray(S, g, gb + 4 * n + L)).intoArray(g, gb + 4 * n + L);
    a5.add(FloatVector.fromArray(S, g, gb + 5 * n)).intoArray(g, gb + 5 * n);
    c5.add(FloatVector.fromArray(S, g, gb + 5 * n + L)).intoArray(g, gb + 5 * n + L);
  }

  /** Four weight rows, two full vectors of channels, no masks. */
  private static void weightGradient2x4(
      float[] x, int x0, int x1, int x2, int x3, int[] pixelAt, int pixels, float[] d,
      int df, int n, float[] g, int gb) {
    FloatVector a0 = FloatVector.fromArray(S, g, gb);
    FloatVector c0 = FloatVector.fromArray(S, g, gb + L);
    FloatVector a1 = FloatVector.fromArray(S, g, gb + n);
    FloatVector c1 = FloatVector.fromArray(S, g, gb + n + L);
    FloatVector a2 = FloatVector.fromArray(S, g, gb + 2 * n);
    FloatVector c2 = FloatVector.fromArray(S, g, gb + 2 * n + L);
    FloatVector a3 = FloatVector.fromArray(S, g, gb + 3 * n);
    FloatVector c3 = FloatVector.fromArray(S, g, gb + 3 * n + L);
    for (int p = 0; p < pixels; p++) {
      int xc = pixelAt[p];
      FloatVector d0 = FloatVector.fromArray(S, d, df + p * n);
      FloatVector d1 = FloatVector.fromArray(S, d, df + p * n + L);
      FloatVector v0 = FloatVector.broadcast(S, x[x0 + xc]);
      a0 = d0.fma(v0, a0);
      c0 = d1.fma(v0, c0);
      FloatVector v1 = FloatVector.broadcast(S, x[x1 + xc]);
      a1 = d0.fma(v1, a1);
      c1 = d1.fma(v1, c1);
      FloatVector v2 = FloatVector.broadcast(S, x[x2 + xc]);
      a2 = d0.fma(v2, a2);
      c2 = d1.fma(v2, c2);
      FloatVector v3 = FloatVector.broadcast(S, x[x3 + xc]);
      a3 = d0.fma(v3, a3);
      c3 = d1.fma(v3, c3);
    }
    a0.intoArray(g, gb);
    c0.intoArray(g, gb + L);
    a1.intoArray(g, gb + n);
    c1.intoArray(g, gb + n + L);
    a2.intoArray(g, gb + 2 * n);
    c2.intoArray(g, gb + 2 * n + L);
    a3.intoArray(g, gb + 3 * n);
    c3.intoArray(g, gb + 3 * n + L);
  }

  /** Eight weight rows, one full vector of channels: eight FMA chains, no mask (C1 gives up
   * on this block with a mask, "out of virtual registers"). */
  private static void weightGradient1x8(
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int[] pixelAt, int pixels, float[] d,
      int df, int n, float[] g, int gb) {
    FloatVector a0 = FloatVector.fromArray(S, g, gb);
    FloatVector a1 = FloatVector.fromArray(S, g, gb + n);
    FloatVector a2 = FloatVector.fromArray(S, g, gb + 2 * n);
    FloatVector a3 = FloatVector.fromArray(S, g, gb + 3 * n);
    FloatVector a4 = FloatVector.fromArray(S, g, gb + 4 * n);
    FloatVector a5 = FloatVector.fromArray(S, g, gb + 5 * n);
    FloatVector a6 = FloatVector.fromArray(S, g, gb + 6 * n);
    FloatVector a7 = FloatVector.fromArray(S, g, gb + 7 * n);
    for (int p = 0; p < pixels; p++) {
      int xc = pixelAt[p];
      FloatVector d0 = FloatVector.fromArray(S, d, df + p * n);
      a0 = d0.fma(FloatVector.broadcast(S, x[x0 + xc]), a0);
      a1 = d0.fma(FloatVector.broadcast(S, x[x1 + xc]), a1);
      a2 = d0.fma(FloatVector.broadcast(S, x[x2 + xc]), a2);
      a3 = d0.fma(FloatVector.broadcast(S, x[x3 + xc]), a3);
      a4 = d0.fma(FloatVector.broadcast(S, x[x4 + xc]), a4);
      a5 = d0.fma(FloatVector.broadcast(S, x[x5 + xc]), a5);
      a6 = d0.fma(FloatVector.broadcast(S, x[x6 + xc]), a6);
      a7 = d0.fma(FloatVector.broadcast(S, x[x7 + xc]), a7);
    }
    a0.intoArray(g, gb);
    a1.intoArray(g, gb + n);
    a2.intoArray(g, gb + 2 * n);
    a3.intoArray(g, gb + 3 * n);
    a4.intoArray(g, gb + 4 * n);
    a5.intoArray(g, gb + 5 * n);
    a6.intoArray(g, gb + 6 * n);
    a7.intoArray(g, gb + 7 * n);
  }

  /** Four weight rows, one (masked) vector of channels. */
  private static void weightGradient1x4(
      float[] x, int x0, int x1, int x2, int x3, int[] pixelAt, int pixels, float[] d,
      int df, int n, int f, float[] g, int gb) {
    VectorMask<Float> mask = S.indexInRange(f, n);
    FloatVector a0 = FloatVector.fromArray(S, g, gb, mask);
    FloatVector a1 = FloatVector.fromArray(S, g, gb + n, mask);
    FloatVector a2 = FloatVector.fromArray(S, g, gb + 2 * n, mask);
    FloatVector a3 = FloatVector.fromArray(S, g, gb + 3 * n, mask);
    for (int p = 0; p < pixels; p++) {
      int xc = pixelAt[p];
      FloatVector d0 = FloatVector.fromArray(S, d, df + p * n, mask);
      a0 = d0.fma(FloatVector.broadcast(S, x[x0 + xc]), a0);
      a1 = d0.fma(FloatVector.broadcast(S, x[x1 + xc]), a1);
      a2 = d0.fma(FloatVector.broadcast(S, x[x2 + xc]), a2);
      a3 = d0.fma(FloatVector.broadcast(S, x[x3 + xc]), a3);
    }
    a0.intoArray(g, gb, mask);
    a1.intoArray(g, gb + n, mask);
    a2.intoArray(g, gb + 2 * n, mask);
    a3.intoArray(g, gb + 3 * n, mask);
  }

  private static void weightGradient1x1(
      float[] x, int xb, int[] pixelAt, int pixels, float[] d, int df, int n, int f, float[] g, int gb) {
    VectorMask<Float> mask = S.indexInRange(f, n);
    FloatVector a0 = FloatVector.fromArray(S, g, gb, mask);
    for (int p = 0; p < pixels; p++) {
      a0 = FloatVector.fromArray(S, d, df + p * n, mask)
          .fma(FloatVector.broadcast(S, x[xb + pixelAt[p]]), a0);
    }
    a0.intoArray(g, gb, mask);
  }
}
