package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;

/**
 * {@link Kernels#winograd3x3}: a 3x3 convolution of stride 1 as Winograd's F(2x2, 3x3) (Lavin and
 * Gray, 2015). Each 2x2 block of outputs comes from a 4x4 block of inputs with 16 multiplies per
 * input and output channel instead of 36: the input blocks and the kernel are transformed ({@code
 * V = Bᵀ d B}, {@code U = G g Gᵀ}), the 16 transformed positions are 16 matrix products over the
 * input channels ({@link VectorGemm}: blocks by input channels times filters), and the products go
 * back through {@code Y = Aᵀ M A}. 2.25 times fewer multiply-adds, for the price of the transforms
 * and of rounding: the transforms add and subtract values, so each output carries a few more
 * ulps of error than the direct sum (the tests hold it to the double-precision convolution).
 *
 * <p>Every transform is vectorized along the channels (input channels for V, filters for U and
 * the output), so it needs whole vectors of both; {@link Kernels#winograd3x3} falls back to the
 * direct convolution otherwise. Each transform is a method of its own (see {@link Vectors}).
 */
final class VectorWinograd {
  private VectorWinograd() {}

  /** Whether this convolution has the whole vectors of channels the transforms need. */
  static boolean applies(int channels, int n) {
    return channels % L == 0 && n % L == 0;
  }

  /**
   * {@code y = b + conv3x3(x)}: output {@code rows x cols x n} at {@code y[yo..]}, input pixel
   * (r, c) of {@code channels} floats at {@code x[xo + r·rowStep + c·channels]}, every window
   * inside the input (it has {@code rows + 2} rows and {@code cols + 2} columns), weights HWIO at
   * {@code w[wo..]}, bias at {@code b[bo..]} (none with {@code bo < 0}).
   */
  static void convolve(
      float[] x, int xo, int rowStep, int channels, float[] w, int wo, float[] b, int bo, int n,
      float[] y, int yo, int rows, int cols, int kernelKey) {
    int tileRows = (rows + 1) / 2;
    int tileCols = (cols + 1) / 2;
    int tiles = tileRows * tileCols;
    VectorGemm.Buffers buf = VectorGemm.buffers();
    float[] v = buf.winogradInput(16 * tiles * channels);
    float[] m = buf.c(16 * tiles * n);
    // Under a hold of the weights (a tile of samples), the kernel is transformed and its 16
    // products' B packed once, by the tile's first sample; every other sample reads them.
    VectorGemm.HeldKernel held = null;
    int packedSize = VectorGemm.packedSize(channels, n);
    if (buf.weightsHeld && kernelKey >= 0) {
      held = buf.held(kernelKey, 16 * packedSize);
      if (held.hold != buf.hold) {
        float[] transformed = transformKernel(w, wo, channels, n, buf);
        for (int p = 0; p < 16; p++) {
          VectorGemm.packWhole(transformed, p * channels * n, n, 1, n, channels, held.packed, p * packedSize);
        }
        held.hold = buf.hold;
      }
    }
    float[] u = held == null ? transformKernel(w, wo, channels, n, buf) : null;
    int inRows = rows + 2;
    int inCols = cols + 2;
    for (int ti = 0; ti < tileRows; ti++) {
      for (int tj = 0; tj < tileCols; tj++) {
        int t = ti * tileCols + tj;
        int r0 = 2 * ti;
        int c0 = 2 * tj;
        boolean inside = r0 + 4 <= inRows && c0 + 4 <= inCols;
        for (int ci = 0; ci < channels; ci += L) {
          int at = xo + r0 * rowStep + c0 * channels + ci;
          if (inside) {
            transformInput(x, at, rowStep, channels, v, t * channels + ci, tiles * channels);
          } else {
            transformEdgeInput(x, at, rowStep, channels, inRows - r0, inCols - c0, v, t * channels + ci, tiles * channels);
          }
        }
      }
    }
    int[] rowsAt = VectorGemm.strided(buf.rows(tiles), tiles, channels);
    int[] ks = VectorGemm.strided(buf.ks(channels), channels, 1);
    // The 16 products in pairs; where this thread may share (predict), a helper takes the second
    // of each pair: each product is small (SEEDCNN's c2: 49 x 32 x 64), so it is shared whole
    // rather than split. Either way each product is computed alike, so the bits are the same.
    // (Sharing the transforms too, half the tiles each, was slower: 142-145 against 124-128 us
    // for SEEDCNN's batch-1 latency; the direct sum shared by rows measured 108-132.)
    for (int p = 0; p < 16 && held != null; p++) {
      VectorGemm.productPacked(v, p * tiles * channels, rowsAt, 0, tiles, ks, channels, held.packed, p * packedSize, n, null, -1, false, m, p * tiles * n, n, buf);
    }
    for (int p = 0; p < 16 && held == null; p += 2) {
      int q = p + 1;
      GemmHelpers.Share share =
          buf.shareWithHelpers
              ? GemmHelpers.offer(v, q * tiles * channels, rowsAt, 0, tiles, ks, channels, u, q * channels * n, n, 1, n, null, -1, false, m, q * tiles * n, n)
              : null;
      VectorGemm.product(v, p * tiles * channels, rowsAt, 0, tiles, ks, channels, u, p * channels * n, n, 1, n, null, -1, false, m, p * tiles * n, n, buf);
      if (share != null) {
        share.await();
      } else {
        VectorGemm.product(v, q * tiles * channels, rowsAt, 0, tiles, ks, channels, u, q * channels * n, n, 1, n, null, -1, false, m, q * tiles * n, n, buf);
      }
    }
    for (int ti = 0; ti < tileRows; ti++) {
      for (int tj = 0; tj < tileCols; tj++) {
        int t = ti * tileCols + tj;
        int r0 = 2 * ti;
        int c0 = 2 * tj;
        for (int f = 0; f < n; f += L) {
          int out = yo + (r0 * cols + c0) * n + f;
          transformOutput(m, t * n + f, tiles * n, b, bo < 0 ? -1 : bo + f, y, out, cols * n, n, r0 + 1 < rows, c0 + 1 < cols);
        }
      }
    }
  }

  /** {@code U = G g Gᵀ} for every input channel and filter, into the buffers. */
  private static float[] transformKernel(float[] w, int wo, int channels, int n, VectorGemm.Buffers buf) {
    float[] u = buf.winogradKernel(16 * channels * n);
    for (int ci = 0; ci < channels; ci++) {
      for (int f = 0; f < n; f += L) {
        transformKernel(w, wo + ci * n + f, channels * n, u, ci * n + f, channels * n);
      }
    }
    return u;
  }

  /**
   * {@code U = G g Gᵀ} for one vector of filters: {@code g} the 3x3 taps {@code tapStep} apart
   * from {@code w[wo]}, {@code U}'s 16 positions {@code step} apart from {@code u[uo]}.
   */
  private static void transformKernel(float[] w, int wo, int tapStep, float[] u, int uo, int step) {
    FloatVector half = FloatVector.broadcast(S, 0.5f);
    FloatVector g00 = FloatVector.fromArray(S, w, wo);
    FloatVector g01 = FloatVector.fromArray(S, w, wo + tapStep);
    FloatVector g02 = FloatVector.fromArray(S, w, wo + 2 * tapStep);
    FloatVector g10 = FloatVector.fromArray(S, w, wo + 3 * tapStep);
    FloatVector g11 = FloatVector.fromArray(S, w, wo + 4 * tapStep);
    FloatVector g12 = FloatVector.fromArray(S, w, wo + 5 * tapStep);
    FloatVector g20 = FloatVector.fromArray(S, w, wo + 6 * tapStep);
    FloatVector g21 = FloatVector.fromArray(S, w, wo + 7 * tapStep);
    FloatVector g22 = FloatVector.fromArray(S, w, wo + 8 * tapStep);
    // Rows: h0 = g0, h1 = (g0 + g1 + g2) / 2, h2 = (g0 - g1 + g2) / 2, h3 = g2.
    FloatVector s0 = g00.add(g20);
    FloatVector s1 = g01.add(g21);
    FloatVector s2 = g02.add(g22);
    FloatVector h10 = s0.add(g10).mul(half);
    FloatVector h11 = s1.add(g11).mul(half);
    FloatVector h12 = s2.add(g12).mul(half);
    FloatVector h20 = s0.sub(g10).mul(half);
    FloatVector h21 = s1.sub(g11).mul(half);
    FloatVector h22 = s2.sub(g12).mul(half);
    // Columns, the same for each row.
    kernelRow(g00, g01, g02, half, u, uo, step);
    kernelRow(h10, h11, h12, half, u, uo + 4 * step, step);
    kernelRow(h20, h21, h22, half, u, uo + 8 * step, step);
    kernelRow(g20, g21, g22, half, u, uo + 12 * step, step);
  }

  // A helper taking vectors: inlined (it is small), so its vectors are never boxed.
  private static void kernelRow(
      FloatVector a, FloatVector b, FloatVector c, FloatVector half, float[] u, int uo, int step) {
    FloatVector s = a.add(c);
    a.intoArray(u, uo);
    s.add(b).mul(half).intoArray(u, uo + step);
    s.sub(b).mul(half).intoArray(u, uo + 2 * step);
    c.intoArray(u, uo + 3 * step);
  }

  /** {@code V = Bᵀ d B} for one vector of channels of one 4x4 input block inside the input. */
  private static void transformInput(
      float[] x, int at, int rowStep, int pixel, float[] v, int vo, int step) {
    FloatVector d00 = FloatVector.fromArray(S, x, at);
    FloatVector d01 = FloatVector.fromArray(S, x, at + pixel);
    FloatVector d02 = FloatVector.fromArray(S, x, at + 2 * pixel);
    FloatVector d03 = FloatVector.fromArray(S, x, at + 3 * pixel);
    FloatVector d10 = FloatVector.fromArray(S, x, at + rowStep);
    FloatVector d11 = FloatVector.fromArray(S, x, at + rowStep + pixel);
    FloatVector d12 = FloatVector.fromArray(S, x, at + rowStep + 2 * pixel);
    FloatVector d13 = FloatVector.fromArray(S, x, at + rowStep + 3 * pixel);
    FloatVector d20 = FloatVector.fromArray(S, x, at + 2 * rowStep);
    FloatVector d21 = FloatVector.fromArray(S, x, at + 2 * rowStep + pixel);
    FloatVector d22 = FloatVector.fromArray(S, x, at + 2 * rowStep + 2 * pixel);
    FloatVector d23 = FloatVector.fromArray(S, x, at + 2 * rowStep + 3 * pixel);
    FloatVector d30 = FloatVector.fromArray(S, x, at + 3 * rowStep);
    FloatVector d31 = FloatVector.fromArray(S, x, at + 3 * rowStep + pixel);
    FloatVector d32 = FloatVector.fromArray(S, x, at + 3 * rowStep + 2 * pixel);
    FloatVector d33 = FloatVector.fromArray(S, x, at + 3 * rowStep + 3 * pixel);
    // Rows: e0 = d0 - d2, e1 = d1 + d2, e2 = d2 - d1, e3 = d1 - d3; then the same on columns.
    inputRow(d00.sub(d20), d01.sub(d21), d02.sub(d22), d03.sub(d23), v, vo, step);
    inputRow(d10.add(d20), d11.add(d21), d12.add(d22), d13.add(d23), v, vo + 4 * step, step);
    inputRow(d20.sub(d10), d21.sub(d11), d22.sub(d12), d23.sub(d13), v, vo + 8 * step, step);
    inputRow(d10.sub(d30), d11.sub(d31), d12.sub(d32), d13.sub(d33), v, vo + 12 * step, step);
  }

  private static void inputRow(
      FloatVector e0, FloatVector e1, FloatVector e2, FloatVector e3, float[] v, int vo, int step) {
    e0.sub(e2).intoArray(v, vo);
    e1.add(e2).intoArray(v, vo + step);
    e2.sub(e1).intoArray(v, vo + 2 * step);
    e1.sub(e3).intoArray(v, vo + 3 * step);
  }

  /**
   * {@link #transformInput} for a block that runs past the input's last rows or columns (odd
   * output sizes): the missing inputs read as zeros.
   */
  private static void transformEdgeInput(
      float[] x, int at, int rowStep, int pixel, int rowsLeft, int colsLeft, float[] v, int vo, int step) {
    FloatVector d00 = load(x, at, 0, 0, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d01 = load(x, at, 0, 1, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d02 = load(x, at, 0, 2, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d03 = load(x, at, 0, 3, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d10 = load(x, at, 1, 0, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d11 = load(x, at, 1, 1, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d12 = load(x, at, 1, 2, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d13 = load(x, at, 1, 3, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d20 = load(x, at, 2, 0, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d21 = load(x, at, 2, 1, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d22 = load(x, at, 2, 2, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d23 = load(x, at, 2, 3, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d30 = load(x, at, 3, 0, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d31 = load(x, at, 3, 1, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d32 = load(x, at, 3, 2, rowStep, pixel, rowsLeft, colsLeft);
    FloatVector d33 = load(x, at, 3, 3, rowStep, pixel, rowsLeft, colsLeft);
    inputRow(d00.sub(d20), d01.sub(d21), d02.sub(d22), d03.sub(d23), v, vo, step);
    inputRow(d10.add(d20), d11.add(d21), d12.add(d22), d13.add(d23), v, vo + 4 * step, step);
    inputRow(d20.sub(d10), d21.sub(d11), d22.sub(d12), d23.sub(d13), v, vo + 8 * step, step);
    inputRow(d10.sub(d30), d11.sub(d31), d12.sub(d32), d13.sub(d33), v, vo + 12 * step, step);
  }

  private static FloatVector load(
      float[] x, int at, int r, int c, int rowStep, int pixel, int rowsLeft, int colsLeft) {
    return r < rowsLeft && c < colsLeft
        ? FloatVector.fromArray(S, x, at + r * rowStep + c * pixel)
        : FloatVector.zero(S);
  }

  /**
   * {@code Y = Aᵀ M A} plus the bias for one vector of filters of one 2x2 output block: M's 16
   * positions {@code step} apart from {@code m[mo]}, the outputs {@code rowStep} apart from {@code
   * y[yo]}, the second row and column only where the output has them.
   */
  private static void transformOutput(
      float[] m, int mo, int step, float[] b, int bo, float[] y, int yo, int rowStep, int pixel,
      boolean secondRow, boolean secondCol) {
    FloatVector m00 = FloatVector.fromArray(S, m, mo);
    FloatVector m01 = FloatVector.fromArray(S, m, mo + step);
    FloatVector m02 = FloatVector.fromArray(S, m, mo + 2 * step);
    FloatVector m03 = FloatVector.fromArray(S, m, mo + 3 * step);
    FloatVector m10 = FloatVector.fromArray(S, m, mo + 4 * step);
    FloatVector m11 = FloatVector.fromArray(S, m, mo + 5 * step);
    FloatVector m12 = FloatVector.fromArray(S, m, mo + 6 * step);
    FloatVector m13 = FloatVector.fromArray(S, m, mo + 7 * step);
    FloatVector m20 = FloatVector.fromArray(S, m, mo + 8 * step);
    FloatVector m21 = FloatVector.fromArray(S, m, mo + 9 * step);
    FloatVector m22 = FloatVector.fromArray(S, m, mo + 10 * step);
    FloatVector m23 = FloatVector.fromArray(S, m, mo + 11 * step);
    FloatVector m30 = FloatVector.fromArray(S, m, mo + 12 * step);
    FloatVector m31 = FloatVector.fromArray(S, m, mo + 13 * step);
    FloatVector m32 = FloatVector.fromArray(S, m, mo + 14 * step);
    FloatVector m33 = FloatVector.fromArray(S, m, mo + 15 * step);
    // Rows: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3; then the same on columns.
    FloatVector s00 = m00.add(m10).add(m20);
    FloatVector s01 = m01.add(m11).add(m21);
    FloatVector s02 = m02.add(m12).add(m22);
    FloatVector s03 = m03.add(m13).add(m23);
    FloatVector s10 = m10.sub(m20).sub(m30);
    FloatVector s11 = m11.sub(m21).sub(m31);
    FloatVector s12 = m12.sub(m22).sub(m32);
    FloatVector s13 = m13.sub(m23).sub(m33);
    FloatVector bias = bo >= 0 ? FloatVector.fromArray(S, b, bo) : FloatVector.zero(S);
    s00.add(s01).add(s02).add(bias).intoArray(y, yo);
    if (secondCol) {
      s01.sub(s02).sub(s03).add(bias).intoArray(y, yo + pixel);
    }
    if (secondRow) {
      s10.add(s11).add(s12).add(bias).intoArray(y, yo + rowStep);
      if (secondCol) {
        s11.sub(s12).sub(s13).add(bias).intoArray(y, yo + rowStep + pixel);
      }
    }
  }
}
