package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * {@link Kernels#convolvePlanar} and {@link Kernels#convolvePlanarPooled} on the vector path: a
 * stride-1 convolution vectorized along the output row instead of the output channels, for layers
 * with few channels (LeNet-5's c1 has six, a third of a 16-float vector). Input and output are
 * planar; each block is up to L pixels of one or two output rows by four or six channels.
 */
final class VectorPlanar {
  private VectorPlanar() {}

  /**
   * The planar convolution into planes {@code t[to..]}; returns false where it wrote NHWC {@code y}
   * itself instead (six channels over rows narrower than a vector whose whole loads would leave
   * x: the plain definition), true
   * where the caller is to finish with {@link #planarToNhwc}. The caller does that, not this
   * method, so that the conversion is compiled into the generated layer method with its channel
   * count as a literal: with {@code n} a variable its strided stores took 3 us for LeNet-5's c1
   * instead of 1.1.
   */
  static boolean convolvePlanar(
      float[] x, int xo, int channels, int height, int width, int zeroTop, int zeroBottom, int kh,
      int kw, float[] w, int wo, int np, float[] b, int bo, int n, float[] y, int yo, int rows,
      int cols, float[] t, int to) {
    int plane = rows * cols;
    int planeIn = height * width;
    int[] taps = taps(channels, planeIn, width, kh, kw);
    int perRow = kw * channels;
    if (cols >= L && rows >= 2) {
      convolvePlanarUnmasked(x, xo, height, width, zeroTop, zeroBottom, kh, taps, perRow, w, wo, np, rows, cols, t, to);
      return true;
    }
    // Rows narrower than a vector (LeNet-5's c3 input gradient: 14): the loads may take whole
    // vectors where the last one stays inside x (the lanes past the row feed only outputs that
    // the masked stores drop); masked loads made these blocks 1.6 times slower.
    boolean wholeLoads = xo + (channels - 1) * planeIn + (kh + rows - 2) * width + kw - 1 + L <= x.length;
    if (np == 6 && rows >= 2 && wholeLoads) {
      // Six channels as one block (LeNet-5's c3 input gradient had computed eight); an odd last
      // row repeats the pair before it, writing the same bits again.
      for (int r0 = 0; r0 < rows; r0 += 2) {
        int r = Math.min(r0, rows - 2);
        for (int c = 0; c < cols; c += L) {
          convolvePlanarLoads6x2(
              x, xo + r * width + c, taps, firstTap(zeroTop, r + 1) * perRow,
              lastTap(height, zeroBottom, kh, r) * perRow, width, w, wo, c, cols, t, to + r * cols + c, plane);
        }
      }
      return true;
    }
    if (np % 4 != 0) {
      // Six channels over narrow rows whose whole loads would leave x: the plain loop.
      PlanarConvolution.plainConvolvePlanar(x, xo, channels, height, width, kh, kw, w, wo, np, b, bo, n, y, yo, rows, cols);
      return false;
    }
    for (int f = 0; f < np; f += 4) {
      int r = 0;
      for (; r + 2 <= rows; r += 2) {
        for (int c = 0; c < cols; c += L) {
          int aFrom = firstTap(zeroTop, r + 1) * perRow;
          int aTo = lastTap(height, zeroBottom, kh, r) * perRow;
          if (wholeLoads) {
            convolvePlanarLoads4x2(
                x, xo + r * width + c, taps, aFrom, aTo, width, w, wo + f, np,
                c, cols, t, to + f * plane + r * cols + c, plane);
          } else {
            convolvePlanar4x2(
                x, xo + r * width + c, taps, aFrom, aTo, width, w, wo + f, np,
                c, cols, t, to + f * plane + r * cols + c, plane);
          }
        }
      }
      for (; r < rows; r++) {
        for (int c = 0; c < cols; c += L) {
          convolvePlanar4(
              x, xo + r * width + c, taps, firstTap(zeroTop, r) * perRow,
              lastTap(height, zeroBottom, kh, r) * perRow, width, w, wo + f, np, c, cols, t,
              to + f * plane + r * cols + c, plane);
        }
      }
    }
    return true;
  }

  /**
   * Where each tap's input starts, relative to a block's first pixel, in the weights' order:
   * {@code taps[(a·kw + b)·channels + ch] = ch·planeIn + a·width + b}, so that a block runs one
   * loop over the taps with its weights at {@code i·np} (HWIO). With the kernel rows, columns and
   * channels as three nested loops, the innermost ran kw times (five for LeNet-5) and C2's loop
   * splitting left it slow: LeNet-5's c3 input gradient blocks took 1.6 times as long. The rows
   * of a block's taps that add only zeros are a range of the table: {@code [aFrom·kw·channels,
   * aTo·kw·channels)}.
   */
  private static int[] taps(int channels, int planeIn, int width, int kh, int kw) {
    int[] taps = VectorGemm.buffers().taps(kh * kw * channels);
    for (int a = 0; a < kh; a++) {
      for (int b = 0; b < kw; b++) {
        for (int ch = 0; ch < channels; ch++) {
          taps[(a * kw + b) * channels + ch] = ch * planeIn + a * width + b;
        }
      }
    }
    return taps;
  }

  /**
   * The first kernel row whose input row, for output rows up to {@code lastRow}, lies below the
   * input's {@code zeroTop} zero rows: the rows above add only zeros, so a block skips them
   * (LeNet-5's c3 input gradient reads an output gradient with four zero rows above and below it,
   * a quarter of its blocks' work).
   */
  private static int firstTap(int zeroTop, int lastRow) {
    return Math.max(0, zeroTop - lastRow);
  }

  /** One past the last kernel row whose input row, from output row {@code r}, lies above the zero rows at the bottom. */
  private static int lastTap(int height, int zeroBottom, int kh, int r) {
    return Math.max(0, Math.min(kh, height - zeroBottom - r));
  }

  /**
   * Whether {@link #convolvePlanar} surely leaves these planes in its scratch. Six channels over
   * rows narrower than a vector keep them too where whole loads fit in x (it writes y itself
   * otherwise); this test leaves them out, so the pooled fusion declines them.
   */
  static boolean planesFit(int np, int rows, int cols) {
    return (cols >= L && rows >= 2) || np % 4 == 0;
  }

  private static final VectorShuffle<Float> PAIRS = VectorShuffle.fromOp(S, i -> i ^ 1);

  /**
   * The first {@code n} planes of {@link #convolvePlanar}, {@code rows x cols} each (both even),
   * through a 2x2 max pool of stride 2, then the bias and (with {@code relu}) ReLU, in place:
   * pooled output {@code (r, j)} of plane {@code f} ends at {@code t[to + f·rows·cols + 2r·cols +
   * 2j]}, the first row of its window. Max commutes with adding the bias and with ReLU (both are
   * monotonic and rounding is too), so the pooled values are those of the unfused layers bit for
   * bit. A row's last block overlaps the one before; each block is loaded before the one before
   * it is stored, since a load that overlaps part of a store just made waits for it (that
   * doubled this kernel's time).
   */
  static void poolPlanes(float[] t, int to, int rows, int cols, float[] b, int bo, int n, boolean relu) {
    int plane = rows * cols;
    if (cols < L) {
      for (int f = 0; f < n; f++) {
        float bias = bo >= 0 ? b[bo + f] : 0f;
        for (int r = 0; r < rows; r += 2) {
          int a = to + f * plane + r * cols;
          for (int j = 0; j < cols; j += 2) {
            float v = Math.max(Math.max(t[a + j], t[a + j + 1]), Math.max(t[a + cols + j], t[a + cols + j + 1])) + bias;
            t[a + j] = relu ? Math.max(0f, v) : v;
          }
        }
      }
      return;
    }
    float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
    for (int f = 0; f < n; f++) {
      FloatVector bias = FloatVector.broadcast(S, bo >= 0 ? b[bo + f] : 0f);
      FloatVector low = FloatVector.broadcast(S, floor);
      for (int r = 0; r < rows; r += 2) {
        int a = to + f * plane + r * cols;
        FloatVector v = FloatVector.fromArray(S, t, a).lanewise(VectorOperators.MAX, FloatVector.fromArray(S, t, a + cols));
        FloatVector done = v.lanewise(VectorOperators.MAX, v.rearrange(PAIRS)).add(bias).lanewise(VectorOperators.MAX, low);
        int at = a;
        for (int c = L; c < cols; c += L) {
          int next = a + Math.min(c, cols - L);
          v = FloatVector.fromArray(S, t, next).lanewise(VectorOperators.MAX, FloatVector.fromArray(S, t, next + cols));
          FloatVector pooled = v.lanewise(VectorOperators.MAX, v.rearrange(PAIRS)).add(bias).lanewise(VectorOperators.MAX, low);
          done.intoArray(t, at);
          done = pooled;
          at = next;
        }
        done.intoArray(t, at);
      }
    }
  }

  /** The planes of {@link #convolvePlanar} to NHWC {@code y}, adding the bias. */
  static void planarToNhwc(float[] t, int to, int plane, float[] b, int bo, int n, float[] y, int yo) {
    // Channel by channel, so the reads run along each plane and the bias is loaded once (pixel
    // by pixel, with six strided streams and the bias test in the loop, this took about a tenth
    // of LeNet-5's training step).
    for (int f = 0; f < n; f++) {
      float bias = bo >= 0 ? b[bo + f] : 0f;
      int tf = to + f * plane;
      int yf = yo + f;
      for (int i = 0; i < plane; i++) {
        y[yf + i * n] = t[tf + i] + bias;
      }
    }
  }

  /**
   * Up to L pixels of two output rows (from column c), four output channels: eight independent
   * accumulators, enough to hide the FMA latency. Apart from {@link #convolvePlanarLoads4x2}
   * because its loads are masked: masked loads made these blocks 1.6 times slower, and a flag
   * would branch inside the loop.
   */
  private static void convolvePlanar4x2(
      float[] x, int xb, int[] taps, int from, int to, int width, float[] w, int wf,
      int np, int c, int cols, float[] t, int tb, int plane) {
    VectorMask<Float> m = S.indexInRange(c, cols);
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
    for (int i = from; i < to; i++) {
      int xr = xb + taps[i];
      int wi = wf + i * np;
      FloatVector v = FloatVector.fromArray(S, x, xr, m);
      FloatVector u = FloatVector.fromArray(S, x, xr + width, m);
      FloatVector k = FloatVector.broadcast(S, w[wi]);
      a0 = v.fma(k, a0);
      e0 = u.fma(k, e0);
      k = FloatVector.broadcast(S, w[wi + 1]);
      a1 = v.fma(k, a1);
      e1 = u.fma(k, e1);
      k = FloatVector.broadcast(S, w[wi + 2]);
      a2 = v.fma(k, a2);
      e2 = u.fma(k, e2);
      k = FloatVector.broadcast(S, w[wi + 3]);
      a3 = v.fma(k, a3);
      e3 = u.fma(k, e3);
    }
    a0.intoArray(t, tb, m);
    a1.intoArray(t, tb + plane, m);
    a2.intoArray(t, tb + 2 * plane, m);
    a3.intoArray(t, tb + 3 * plane, m);
    int next = tb + cols;
    e0.intoArray(t, next, m);
    e1.intoArray(t, next + plane, m);
    e2.intoArray(t, next + 2 * plane, m);
    e3.intoArray(t, next + 3 * plane, m);
  }

  /** {@link #convolvePlanar} where the rows fill a vector and there are two or more: no masks. */
  private static void convolvePlanarUnmasked(
      float[] x, int xo, int height, int width, int zeroTop, int zeroBottom, int kh, int[] taps,
      int perRow, float[] w, int wo, int np, int rows, int cols, float[] t, int to) {
    int plane = rows * cols;
    // No masks (they made these blocks 1.6 times slower): a row that is not a whole number of
    // vectors ends with a vector that overlaps the one before, and an odd last row repeats the
    // pair before it; the overlapping outputs add the same products in the same order, so
    // they are written twice with the same bits.
    for (int r0 = 0; r0 < rows; r0 += 2) {
      int r = Math.min(r0, rows - 2);
      for (int c0 = 0; c0 < cols; c0 += L) {
        int c = Math.min(c0, cols - L);
        int xb = xo + r * width + c;
        int tb = to + r * cols + c;
        int aFrom = firstTap(zeroTop, r + 1) * perRow;
        int aTo = lastTap(height, zeroBottom, kh, r) * perRow;
        if (np == 6) {
          convolvePlanarFull6x2(x, xb, taps, aFrom, aTo, width, w, wo, cols, t, tb, plane);
        } else {
          for (int f = 0; f < np; f += 4) {
            // Whole-vector loads; the stores' mask is all set here (c + L <= cols).
            convolvePlanarLoads4x2(x, xb, taps, aFrom, aTo, width, w, wo + f, np, c, cols, t, tb + f * plane, plane);
          }
        }
      }
    }
  }

  /**
   * L pixels of two output rows, six output channels (weights {@code [.., 6]}), no mask: twelve
   * FMA chains, each loaded input row feeding six (LeNet-5's c1 computed eight channels for six).
   */
  private static void convolvePlanarFull6x2(
      float[] x, int xb, int[] taps, int from, int to, int width, float[] w, int wf,
      int cols, float[] t, int tb, int plane) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    FloatVector e0 = a0, e1 = a0, e2 = a0, e3 = a0, e4 = a0, e5 = a0;
    for (int i = from; i < to; i++) {
      int xr = xb + taps[i];
      int wi = wf + i * 6;
      FloatVector v = FloatVector.fromArray(S, x, xr);
      FloatVector u = FloatVector.fromArray(S, x, xr + width);
      FloatVector k = FloatVector.broadcast(S, w[wi]);
      a0 = v.fma(k, a0);
      e0 = u.fma(k, e0);
      k = FloatVector.broadcast(S, w[wi + 1]);
      a1 = v.fma(k, a1);
      e1 = u.fma(k, e1);
      k = FloatVector.broadcast(S, w[wi + 2]);
      a2 = v.fma(k, a2);
      e2 = u.fma(k, e2);
      k = FloatVector.broadcast(S, w[wi + 3]);
      a3 = v.fma(k, a3);
      e3 = u.fma(k, e3);
      k = FloatVector.broadcast(S, w[wi + 4]);
      a4 = v.fma(k, a4);
      e4 = u.fma(k, e4);
      k = FloatVector.broadcast(S, w[wi + 5]);
      a5 = v.fma(k, a5);
      e5 = u.fma(k, e5);
    }
    a0.intoArray(t, tb);
    a1.intoArray(t, tb + plane);
    a2.intoArray(t, tb + 2 * plane);
    a3.intoArray(t, tb + 3 * plane);
    a4.intoArray(t, tb + 4 * plane);
    a5.intoArray(t, tb + 5 * plane);
    int next = tb + cols;
    e0.intoArray(t, next);
    e1.intoArray(t, next + plane);
    e2.intoArray(t, next + 2 * plane);
    e3.intoArray(t, next + 3 * plane);
    e4.intoArray(t, next + 4 * plane);
    e5.intoArray(t, next + 5 * plane);
  }

  /**
   * {@link #convolvePlanar4x2} loading whole vectors (the caller checked they stay inside x); only
   * the stores are masked. Where the block lies inside the row the mask is all set, which ran as
   * fast as a block without one (28x28 outputs, eight channels: 4.1 us either way).
   */
  private static void convolvePlanarLoads4x2(
      float[] x, int xb, int[] taps, int from, int to, int width, float[] w, int wf,
      int np, int c, int cols, float[] t, int tb, int plane) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
    for (int i = from; i < to; i++) {
      int xr = xb + taps[i];
      int wi = wf + i * np;
      FloatVector v = FloatVector.fromArray(S, x, xr);
      FloatVector u = FloatVector.fromArray(S, x, xr + width);
      FloatVector k = FloatVector.broadcast(S, w[wi]);
      a0 = v.fma(k, a0);
      e0 = u.fma(k, e0);
      k = FloatVector.broadcast(S, w[wi + 1]);
      a1 = v.fma(k, a1);
      e1 = u.fma(k, e1);
      k = FloatVector.broadcast(S, w[wi + 2]);
      a2 = v.fma(k, a2);
      e2 = u.fma(k, e2);
      k = FloatVector.broadcast(S, w[wi + 3]);
      a3 = v.fma(k, a3);
      e3 = u.fma(k, e3);
    }
    VectorMask<Float> m = S.indexInRange(c, cols);
    a0.intoArray(t, tb, m);
    a1.intoArray(t, tb + plane, m);
    a2.intoArray(t, tb + 2 * plane, m);
    a3.intoArray(t, tb + 3 * plane, m);
    int next = tb + cols;
    e0.intoArray(t, next, m);
    e1.intoArray(t, next + plane, m);
    e2.intoArray(t, next + 2 * plane, m);
    e3.intoArray(t, next + 3 * plane, m);
  }

  /**
   * {@link #convolvePlanarFull6x2} over rows narrower than a vector: whole loads (the caller
   * checked that they stay inside x), stores masked to the row. A copy, not a replacement: the
   * unmasked path calling this one with an all-set mask made LeNet-5's {@code predict} 1.3 µs
   * slower (14.8-16.0 against 13.5-14.2, one JVM, alternating). Nor one method with a flag for
   * the masked stores: C1 gave up on it ("out of virtual registers"), and in 5 of 16 JVMs it never
   * reached C2, LeNet-5's {@code predict} taking 617-757 µs instead of 38-50 (JDK 25, AVX2).
   */
  private static void convolvePlanarLoads6x2(
      float[] x, int xb, int[] taps, int from, int to, int width, float[] w, int wf, int c, int cols,
      float[] t, int tb, int plane) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    FloatVector e0 = a0, e1 = a0, e2 = a0, e3 = a0, e4 = a0, e5 = a0;
    for (int i = from; i < to; i++) {
      int xr = xb + taps[i];
      int wi = wf + i * 6;
      FloatVector v = FloatVector.fromArray(S, x, xr);
      FloatVector u = FloatVector.fromArray(S, x, xr + width);
      FloatVector k = FloatVector.broadcast(S, w[wi]);
      a0 = v.fma(k, a0);
      e0 = u.fma(k, e0);
      k = FloatVector.broadcast(S, w[wi + 1]);
      a1 = v.fma(k, a1);
      e1 = u.fma(k, e1);
      k = FloatVector.broadcast(S, w[wi + 2]);
      a2 = v.fma(k, a2);
      e2 = u.fma(k, e2);
      k = FloatVector.broadcast(S, w[wi + 3]);
      a3 = v.fma(k, a3);
      e3 = u.fma(k, e3);
      k = FloatVector.broadcast(S, w[wi + 4]);
      a4 = v.fma(k, a4);
      e4 = u.fma(k, e4);
      k = FloatVector.broadcast(S, w[wi + 5]);
      a5 = v.fma(k, a5);
      e5 = u.fma(k, e5);
    }
    VectorMask<Float> m = S.indexInRange(c, cols);
    a0.intoArray(t, tb, m);
    a1.intoArray(t, tb + plane, m);
    a2.intoArray(t, tb + 2 * plane, m);
    a3.intoArray(t, tb + 3 * plane, m);
    a4.intoArray(t, tb + 4 * plane, m);
    a5.intoArray(t, tb + 5 * plane, m);
    int next = tb + cols;
    e0.intoArray(t, next, m);
    e1.intoArray(t, next + plane, m);
    e2.intoArray(t, next + 2 * plane, m);
    e3.intoArray(t, next + 3 * plane, m);
    e4.intoArray(t, next + 4 * plane, m);
    e5.intoArray(t, next + 5 * plane, m);
  }

  /** Up to L pixels of one output row (from column c), four output channels. */
  private static void convolvePlanar4(
      float[] x, int xb, int[] taps, int from, int to, int width, float[] w, int wf,
      int np, int c, int cols, float[] t, int tb, int plane) {
    VectorMask<Float> m = S.indexInRange(c, cols);
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0;
    for (int i = from; i < to; i++) {
      int xr = xb + taps[i];
      int wi = wf + i * np;
      FloatVector v = FloatVector.fromArray(S, x, xr, m);
      a0 = v.fma(FloatVector.broadcast(S, w[wi]), a0);
      a1 = v.fma(FloatVector.broadcast(S, w[wi + 1]), a1);
      a2 = v.fma(FloatVector.broadcast(S, w[wi + 2]), a2);
      a3 = v.fma(FloatVector.broadcast(S, w[wi + 3]), a3);
    }
    a0.intoArray(t, tb, m);
    a1.intoArray(t, tb + plane, m);
    a2.intoArray(t, tb + 2 * plane, m);
    a3.intoArray(t, tb + 3 * plane, m);
  }
}
