package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementations behind {@link Kernels}. Loaded only when {@link
 * Kernels#VECTORIZED} is true, so a JVM without {@code jdk.incubator.vector} never links it.
 *
 * <p>The convolution and kernel-gradient kernels vectorize along the output channels {@code n}
 * (contiguous in NHWC and in the weights' last dimension) and keep register blocks: up to eight
 * pixels (or weight rows) by two vectors of channels, so each loaded vector and each broadcast
 * input feeds several independent FMA chains. Layers with fewer than two vectors of channels take
 * one (masked) vector at a time. A block's pixels (rows) need not be neighbours: each has its own
 * input offset, so blocks run across the end of an output row (or of a tap) instead of leaving
 * the row's last pixels to slower narrow blocks.
 *
 * <p>Three rules keep the JIT producing vector code, all learned here the hard way. No vector or
 * mask crosses a method boundary, not even into a small helper: a call the JIT does not inline
 * boxes its vector arguments, allocating on every call. Each method stays small. And a block with
 * many accumulators takes no mask: C1 gave up ("out of virtual registers") on a block of two
 * vectors by four pixels with masks, on one with four masks, and on an eight-row block with one
 * mask; such a method may never reach C2, or reach it without its vectors intrinsified, and then
 * runs 30 to 70 times slower and allocates on every call ({@code AllocationTest} catches it).
 */
final class VectorKernels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorKernels() {}

  /** Floats per vector. */
  static int lanes() {
    return L;
  }

  static String describe() {
    return S.vectorBitSize() + "-bit, " + L + " floats per vector";
  }

  // ---- convolve ----

  static void convolve(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] w, int wo, float[] b, int bo, int n, float[] y, int yo, int rows, int cols) {
    // Vectors and masks are never passed between methods: C2 intrinsifies an operation only when
    // it knows the vector's exact class, which a parameter hides. Each block builds its own.
    //
    // Blocks take the output pixels in row-major order, each pixel with its own input offset, so
    // a block may run across the end of a row: a 14-pixel row no longer leaves 6 pixels to the
    // slower narrow blocks (those ran 3 times slower per pixel than the 8-pixel block).
    int pixels = rows * cols;
    if (pixels == 1 && taps == 1) {
      dense(x, xo, tapLength, w, wo, b, bo, n, y, yo);
      return;
    }
    int f = 0;
    // Wide layers: two full vectors of channels, so each broadcast input feeds two FMAs.
    for (; f + 2 * L <= n; f += 2 * L) {
      int bf = bo >= 0 ? bo + f : -1;
      int q = 0;
      for (; q + 8 <= pixels; q += 8) {
        convolve2x8(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), at(xo, q + 4, cols, rowStep, colStep), at(xo, q + 5, cols, rowStep, colStep), at(xo, q + 6, cols, rowStep, colStep), at(xo, q + 7, cols, rowStep, colStep), tapStep, taps, tapLength, w, wo + f, n, b, bf, y, yo + q * n + f);
      }
      for (; q + 4 <= pixels; q += 4) {
        convolve2x4(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), tapStep, taps, tapLength, w, wo + f, n, b, bf, y, yo + q * n + f);
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
        convolveFull1x8(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), at(xo, q + 4, cols, rowStep, colStep), at(xo, q + 5, cols, rowStep, colStep), at(xo, q + 6, cols, rowStep, colStep), at(xo, q + 7, cols, rowStep, colStep), tapStep, taps, tapLength, w, wo + f, n, b, bf, y, yo + q * n + f);
      }
      for (; q + 8 <= pixels; q += 8) {
        convolve1x8(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), at(xo, q + 4, cols, rowStep, colStep), at(xo, q + 5, cols, rowStep, colStep), at(xo, q + 6, cols, rowStep, colStep), at(xo, q + 7, cols, rowStep, colStep), tapStep, taps, tapLength, w, wo + f, n, f, b, bf, y, yo + q * n + f);
      }
      for (; q + 4 <= pixels; q += 4) {
        convolve1x4(x, at(xo, q, cols, rowStep, colStep), at(xo, q + 1, cols, rowStep, colStep), at(xo, q + 2, cols, rowStep, colStep), at(xo, q + 3, cols, rowStep, colStep), tapStep, taps, tapLength, w, wo + f, n, f, b, bf, y, yo + q * n + f);
      }
      for (; q < pixels; q++) {
        convolve1x1(x, at(xo, q, cols, rowStep, colStep), tapStep, taps, tapLength, w, wo + f, n, f, b, bf, y, yo + q * n + f);
      }
    }
  }

  /**
   * A dense layer, {@code y = b + x·W} with {@code W} [m, n] row-major. Blocks of up to eight full
   * vectors of outputs stream over the weight rows, two rows per step, so each row is read once
   * per 128 outputs, front to back (LeNet-5's c5 read its 192 KB once per vector of outputs, and
   * twice as many cache lines where the rows were not 64-byte aligned). No mask: where {@code n}
   * is not a whole number of vectors, the last vector ends at {@code n} and overlaps the one
   * before; both add the same products in the same order, so the outputs they share are written
   * twice with the same bits. Unused slots of a block repeat its last vector. Fewer outputs than
   * a vector take the masked one-pixel block.
   */
  private static void dense(float[] x, int xo, int m, float[] w, int wo, float[] b, int bo, int n, float[] y, int yo) {
    if (n < L) {
      // The flat-run form of the narrow backward kernels (below) was no faster here: 4.5-5.7
      // against 3.3-4.9 us for SEEDCNN's 3136x10 layer, alternating in one JVM.
      convolve1x1(x, xo, 0, 1, m, w, wo, n, 0, b, bo, y, yo);
      return;
    }
    int f = 0;
    for (; f + 8 * L <= n; f += 8 * L) {
      dense8(x, xo, m, w, wo, n, b, bo, y, yo, f, f + L, f + 2 * L, f + 3 * L, f + 4 * L, f + 5 * L, f + 6 * L, f + 7 * L);
    }
    if (f == n) {
      return;
    }
    int slots = (n - f + L - 1) / L;
    int o0 = slot(f, 0, n), o1 = slot(f, 1, n), o2 = slot(f, 2, n), o3 = slot(f, 3, n);
    if (slots <= 4) {
      dense4(x, xo, m, w, wo, n, b, bo, y, yo, o0, o1, o2, o3);
    } else {
      dense8(x, xo, m, w, wo, n, b, bo, y, yo, o0, o1, o2, o3, slot(f, 4, n), slot(f, 5, n), slot(f, 6, n), slot(f, 7, n));
    }
  }

  /** Output offset of slot {@code k} of a block from {@code f}: a full vector, none past {@code n}. */
  private static int slot(int f, int k, int n) {
    return Math.min(f + k * L, n - L);
  }

  /** Eight vectors of outputs at the given offsets, two rows per step: sixteen FMA chains. */
  private static void dense8(
      float[] x, int xo, int m, float[] w, int wo, int n, float[] b, int bo, float[] y, int yo,
      int o0, int o1, int o2, int o3, int o4, int o5, int o6, int o7) {
    FloatVector a0 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o0) : FloatVector.zero(S);
    FloatVector a1 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o1) : FloatVector.zero(S);
    FloatVector a2 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o2) : FloatVector.zero(S);
    FloatVector a3 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o3) : FloatVector.zero(S);
    FloatVector a4 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o4) : FloatVector.zero(S);
    FloatVector a5 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o5) : FloatVector.zero(S);
    FloatVector a6 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o6) : FloatVector.zero(S);
    FloatVector a7 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o7) : FloatVector.zero(S);
    FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    int i = 0;
    for (; i + 2 <= m; i += 2) {
      int r = wo + i * n;
      int s = r + n;
      FloatVector u = FloatVector.broadcast(S, x[xo + i]);
      FloatVector v = FloatVector.broadcast(S, x[xo + i + 1]);
      a0 = FloatVector.fromArray(S, w, r + o0).fma(u, a0);
      a1 = FloatVector.fromArray(S, w, r + o1).fma(u, a1);
      a2 = FloatVector.fromArray(S, w, r + o2).fma(u, a2);
      a3 = FloatVector.fromArray(S, w, r + o3).fma(u, a3);
      a4 = FloatVector.fromArray(S, w, r + o4).fma(u, a4);
      a5 = FloatVector.fromArray(S, w, r + o5).fma(u, a5);
      a6 = FloatVector.fromArray(S, w, r + o6).fma(u, a6);
      a7 = FloatVector.fromArray(S, w, r + o7).fma(u, a7);
      c0 = FloatVector.fromArray(S, w, s + o0).fma(v, c0);
      c1 = FloatVector.fromArray(S, w, s + o1).fma(v, c1);
      c2 = FloatVector.fromArray(S, w, s + o2).fma(v, c2);
      c3 = FloatVector.fromArray(S, w, s + o3).fma(v, c3);
      c4 = FloatVector.fromArray(S, w, s + o4).fma(v, c4);
      c5 = FloatVector.fromArray(S, w, s + o5).fma(v, c5);
      c6 = FloatVector.fromArray(S, w, s + o6).fma(v, c6);
      c7 = FloatVector.fromArray(S, w, s + o7).fma(v, c7);
    }
    if (i < m) {
      int r = wo + i * n;
      FloatVector u = FloatVector.broadcast(S, x[xo + i]);
      a0 = FloatVector.fromArray(S, w, r + o0).fma(u, a0);
      a1 = FloatVector.fromArray(S, w, r + o1).fma(u, a1);
      a2 = FloatVector.fromArray(S, w, r + o2).fma(u, a2);
      a3 = FloatVector.fromArray(S, w, r + o3).fma(u, a3);
      a4 = FloatVector.fromArray(S, w, r + o4).fma(u, a4);
      a5 = FloatVector.fromArray(S, w, r + o5).fma(u, a5);
      a6 = FloatVector.fromArray(S, w, r + o6).fma(u, a6);
      a7 = FloatVector.fromArray(S, w, r + o7).fma(u, a7);
    }
    a0.add(c0).intoArray(y, yo + o0);
    a1.add(c1).intoArray(y, yo + o1);
    a2.add(c2).intoArray(y, yo + o2);
    a3.add(c3).intoArray(y, yo + o3);
    a4.add(c4).intoArray(y, yo + o4);
    a5.add(c5).intoArray(y, yo + o5);
    a6.add(c6).intoArray(y, yo + o6);
    a7.add(c7).intoArray(y, yo + o7);
  }

  /** Four vectors of outputs at the given offsets, two rows per step, as {@link #dense8}. */
  private static void dense4(
      float[] x, int xo, int m, float[] w, int wo, int n, float[] b, int bo, float[] y, int yo,
      int o0, int o1, int o2, int o3) {
    FloatVector a0 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o0) : FloatVector.zero(S);
    FloatVector a1 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o1) : FloatVector.zero(S);
    FloatVector a2 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o2) : FloatVector.zero(S);
    FloatVector a3 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o3) : FloatVector.zero(S);
    FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
    int i = 0;
    for (; i + 2 <= m; i += 2) {
      int r = wo + i * n;
      int s = r + n;
      FloatVector u = FloatVector.broadcast(S, x[xo + i]);
      FloatVector v = FloatVector.broadcast(S, x[xo + i + 1]);
      a0 = FloatVector.fromArray(S, w, r + o0).fma(u, a0);
      a1 = FloatVector.fromArray(S, w, r + o1).fma(u, a1);
      a2 = FloatVector.fromArray(S, w, r + o2).fma(u, a2);
      a3 = FloatVector.fromArray(S, w, r + o3).fma(u, a3);
      c0 = FloatVector.fromArray(S, w, s + o0).fma(v, c0);
      c1 = FloatVector.fromArray(S, w, s + o1).fma(v, c1);
      c2 = FloatVector.fromArray(S, w, s + o2).fma(v, c2);
      c3 = FloatVector.fromArray(S, w, s + o3).fma(v, c3);
    }
    if (i < m) {
      int r = wo + i * n;
      FloatVector u = FloatVector.broadcast(S, x[xo + i]);
      a0 = FloatVector.fromArray(S, w, r + o0).fma(u, a0);
      a1 = FloatVector.fromArray(S, w, r + o1).fma(u, a1);
      a2 = FloatVector.fromArray(S, w, r + o2).fma(u, a2);
      a3 = FloatVector.fromArray(S, w, r + o3).fma(u, a3);
    }
    a0.add(c0).intoArray(y, yo + o0);
    a1.add(c1).intoArray(y, yo + o1);
    a2.add(c2).intoArray(y, yo + o2);
    a3.add(c3).intoArray(y, yo + o3);
  }

  /** The input offset of output pixel {@code q} (row-major over {@code cols} columns). */
  private static int at(int xo, int q, int cols, int rowStep, int colStep) {
    return xo + (q / cols) * rowStep + (q % cols) * colStep;
  }

  /** Eight pixels, two full vectors of channels: sixteen independent FMA chains, no masks. */
  private static void convolve2x8(
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int tapStep, int taps, int tapLength,
      float[] w, int wf, int n, float[] b, int bf, float[] y, int yb) {
    FloatVector b0 = bf >= 0 ? FloatVector.fromArray(S, b, bf) : FloatVector.zero(S);
    FloatVector b1 = bf >= 0 ? FloatVector.fromArray(S, b, bf + L) : FloatVector.zero(S);
    FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0, a4 = b0, a5 = b0, a6 = b0, a7 = b0;
    FloatVector c0 = b1, c1 = b1, c2 = b1, c3 = b1, c4 = b1, c5 = b1, c6 = b1, c7 = b1;
    for (int t = 0; t < taps; t++) {
      int xt = t * tapStep;
      int wt = wf + t * tapLength * n;
      for (int j = 0; j < tapLength; j++) {
        int tj = xt + j;
        FloatVector k0 = FloatVector.fromArray(S, w, wt + j * n);
        FloatVector k1 = FloatVector.fromArray(S, w, wt + j * n + L);
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
        FloatVector v6 = FloatVector.broadcast(S, x[x6 + tj]);
        a6 = k0.fma(v6, a6);
        c6 = k1.fma(v6, c6);
        FloatVector v7 = FloatVector.broadcast(S, x[x7 + tj]);
        a7 = k0.fma(v7, a7);
        c7 = k1.fma(v7, c7);
      }
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
    a6.intoArray(y, yb + 6 * n);
    c6.intoArray(y, yb + 6 * n + L);
    a7.intoArray(y, yb + 7 * n);
    c7.intoArray(y, yb + 7 * n + L);
  }

  /** Four pixels, two full vectors of channels: eight FMA chains, no masks. */
  private static void convolve2x4(
      float[] x, int x0, int x1, int x2, int x3, int tapStep, int taps, int tapLength,
      float[] w, int wf, int n, float[] b, int bf, float[] y, int yb) {
    FloatVector b0 = bf >= 0 ? FloatVector.fromArray(S, b, bf) : FloatVector.zero(S);
    FloatVector b1 = bf >= 0 ? FloatVector.fromArray(S, b, bf + L) : FloatVector.zero(S);
    FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0;
    FloatVector c0 = b1, c1 = b1, c2 = b1, c3 = b1;
    for (int t = 0; t < taps; t++) {
      int xt = t * tapStep;
      int wt = wf + t * tapLength * n;
      for (int j = 0; j < tapLength; j++) {
        int tj = xt + j;
        FloatVector k0 = FloatVector.fromArray(S, w, wt + j * n);
        FloatVector k1 = FloatVector.fromArray(S, w, wt + j * n + L);
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
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int tapStep, int taps, int tapLength,
      float[] w, int wf, int n, float[] b, int bf, float[] y, int yb) {
    FloatVector b0 = bf >= 0 ? FloatVector.fromArray(S, b, bf) : FloatVector.zero(S);
    FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0, a4 = b0, a5 = b0, a6 = b0, a7 = b0;
    for (int t = 0; t < taps; t++) {
      int xt = t * tapStep;
      int wt = wf + t * tapLength * n;
      for (int j = 0; j < tapLength; j++) {
        int tj = xt + j;
        FloatVector k0 = FloatVector.fromArray(S, w, wt + j * n);
        a0 = k0.fma(FloatVector.broadcast(S, x[x0 + tj]), a0);
        a1 = k0.fma(FloatVector.broadcast(S, x[x1 + tj]), a1);
        a2 = k0.fma(FloatVector.broadcast(S, x[x2 + tj]), a2);
        a3 = k0.fma(FloatVector.broadcast(S, x[x3 + tj]), a3);
        a4 = k0.fma(FloatVector.broadcast(S, x[x4 + tj]), a4);
        a5 = k0.fma(FloatVector.broadcast(S, x[x5 + tj]), a5);
        a6 = k0.fma(FloatVector.broadcast(S, x[x6 + tj]), a6);
        a7 = k0.fma(FloatVector.broadcast(S, x[x7 + tj]), a7);
      }
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
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int tapStep, int taps, int tapLength,
      float[] w, int wf, int n, int f, float[] b, int bf, float[] y, int yb) {
    VectorMask<Float> mask = S.indexInRange(f, n);
    FloatVector b0 = bf >= 0 ? FloatVector.fromArray(S, b, bf, mask) : FloatVector.zero(S);
    FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0, a4 = b0, a5 = b0, a6 = b0, a7 = b0;
    for (int t = 0; t < taps; t++) {
      int xt = t * tapStep;
      int wt = wf + t * tapLength * n;
      for (int j = 0; j < tapLength; j++) {
        int tj = xt + j;
        FloatVector k0 = FloatVector.fromArray(S, w, wt + j * n, mask);
        a0 = k0.fma(FloatVector.broadcast(S, x[x0 + tj]), a0);
        a1 = k0.fma(FloatVector.broadcast(S, x[x1 + tj]), a1);
        a2 = k0.fma(FloatVector.broadcast(S, x[x2 + tj]), a2);
        a3 = k0.fma(FloatVector.broadcast(S, x[x3 + tj]), a3);
        a4 = k0.fma(FloatVector.broadcast(S, x[x4 + tj]), a4);
        a5 = k0.fma(FloatVector.broadcast(S, x[x5 + tj]), a5);
        a6 = k0.fma(FloatVector.broadcast(S, x[x6 + tj]), a6);
        a7 = k0.fma(FloatVector.broadcast(S, x[x7 + tj]), a7);
      }
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
      float[] x, int x0, int x1, int x2, int x3, int tapStep, int taps, int tapLength,
      float[] w, int wf, int n, int f, float[] b, int bf, float[] y, int yb) {
    VectorMask<Float> mask = S.indexInRange(f, n);
    FloatVector b0 = bf >= 0 ? FloatVector.fromArray(S, b, bf, mask) : FloatVector.zero(S);
    FloatVector a0 = b0, a1 = b0, a2 = b0, a3 = b0;
    for (int t = 0; t < taps; t++) {
      int xt = t * tapStep;
      int wt = wf + t * tapLength * n;
      for (int j = 0; j < tapLength; j++) {
        int tj = xt + j;
        FloatVector k0 = FloatVector.fromArray(S, w, wt + j * n, mask);
        a0 = k0.fma(FloatVector.broadcast(S, x[x0 + tj]), a0);
        a1 = k0.fma(FloatVector.broadcast(S, x[x1 + tj]), a1);
        a2 = k0.fma(FloatVector.broadcast(S, x[x2 + tj]), a2);
        a3 = k0.fma(FloatVector.broadcast(S, x[x3 + tj]), a3);
      }
    }
    a0.intoArray(y, yb, mask);
    a1.intoArray(y, yb + n, mask);
    a2.intoArray(y, yb + 2 * n, mask);
    a3.intoArray(y, yb + 3 * n, mask);
  }

  private static void convolve1x1(
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

  // ---- weightGradient ----

  static void weightGradient(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] d, int dOff, int n, int rows, int cols, float[] g, int go) {
    // A block is several weight rows (rows k = t * tapLength + j of g, contiguous) sharing each
    // loaded vector of output gradients. Each row has its own input offset, so blocks run across
    // the taps: a 3x3 kernel over one input channel (tapLength 3) still fills 8-row blocks.
    int weightRows = taps * tapLength;
    int f = 0;
    for (; f + 2 * L <= n; f += 2 * L) {
      int k = 0;
      for (; k + 8 <= weightRows; k += 8) {
        weightGradient2x8(x, row(xo, k, tapLength, tapStep), row(xo, k + 1, tapLength, tapStep), row(xo, k + 2, tapLength, tapStep), row(xo, k + 3, tapLength, tapStep), row(xo, k + 4, tapLength, tapStep), row(xo, k + 5, tapLength, tapStep), row(xo, k + 6, tapLength, tapStep), row(xo, k + 7, tapLength, tapStep), rowStep, colStep, d, dOff + f, n, rows, cols, g, go + k * n + f);
      }
      for (; k + 4 <= weightRows; k += 4) {
        weightGradient2x4(x, row(xo, k, tapLength, tapStep), row(xo, k + 1, tapLength, tapStep), row(xo, k + 2, tapLength, tapStep), row(xo, k + 3, tapLength, tapStep), rowStep, colStep, d, dOff + f, n, rows, cols, g, go + k * n + f);
      }
      for (; k < weightRows; k++) {
        int xk = row(xo, k, tapLength, tapStep);
        weightGradient1x1(x, xk, rowStep, colStep, d, dOff + f, n, f, rows, cols, g, go + k * n + f);
        weightGradient1x1(x, xk, rowStep, colStep, d, dOff + f + L, n, f + L, rows, cols, g, go + k * n + f + L);
      }
    }
    for (; f < n; f += L) {
      int k = 0;
      for (; f + L <= n && k + 8 <= weightRows; k += 8) {
        weightGradient1x8(x, row(xo, k, tapLength, tapStep), row(xo, k + 1, tapLength, tapStep), row(xo, k + 2, tapLength, tapStep), row(xo, k + 3, tapLength, tapStep), row(xo, k + 4, tapLength, tapStep), row(xo, k + 5, tapLength, tapStep), row(xo, k + 6, tapLength, tapStep), row(xo, k + 7, tapLength, tapStep), rowStep, colStep, d, dOff + f, n, rows, cols, g, go + k * n + f);
      }
      for (; k + 4 <= weightRows; k += 4) {
        weightGradient1x4(x, row(xo, k, tapLength, tapStep), row(xo, k + 1, tapLength, tapStep), row(xo, k + 2, tapLength, tapStep), row(xo, k + 3, tapLength, tapStep), rowStep, colStep, d, dOff + f, n, f, rows, cols, g, go + k * n + f);
      }
      for (; k < weightRows; k++) {
        weightGradient1x1(x, row(xo, k, tapLength, tapStep), rowStep, colStep, d, dOff + f, n, f, rows, cols, g, go + k * n + f);
      }
    }
  }

  /** The input offset of weight row {@code k} (tap {@code k / tapLength}, element {@code k % tapLength}). */
  private static int row(int xo, int k, int tapLength, int tapStep) {
    return xo + (k / tapLength) * tapStep + k % tapLength;
  }

  /** Eight weight rows, two full vectors of channels: sixteen FMA chains, no masks. */
  private static void weightGradient2x8(
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int rowStep, int colStep, float[] d,
      int df, int n, int rows, int cols, float[] g, int gb) {
    FloatVector a0 = FloatVector.fromArray(S, g, gb);
    FloatVector c0 = FloatVector.fromArray(S, g, gb + L);
    FloatVector a1 = FloatVector.fromArray(S, g, gb + n);
    FloatVector c1 = FloatVector.fromArray(S, g, gb + n + L);
    FloatVector a2 = FloatVector.fromArray(S, g, gb + 2 * n);
    FloatVector c2 = FloatVector.fromArray(S, g, gb + 2 * n + L);
    FloatVector a3 = FloatVector.fromArray(S, g, gb + 3 * n);
    FloatVector c3 = FloatVector.fromArray(S, g, gb + 3 * n + L);
    FloatVector a4 = FloatVector.fromArray(S, g, gb + 4 * n);
    FloatVector c4 = FloatVector.fromArray(S, g, gb + 4 * n + L);
    FloatVector a5 = FloatVector.fromArray(S, g, gb + 5 * n);
    FloatVector c5 = FloatVector.fromArray(S, g, gb + 5 * n + L);
    FloatVector a6 = FloatVector.fromArray(S, g, gb + 6 * n);
    FloatVector c6 = FloatVector.fromArray(S, g, gb + 6 * n + L);
    FloatVector a7 = FloatVector.fromArray(S, g, gb + 7 * n);
    FloatVector c7 = FloatVector.fromArray(S, g, gb + 7 * n + L);
    for (int r = 0; r < rows; r++) {
      int xr = r * rowStep;
      int dr = df + r * cols * n;
      for (int c = 0; c < cols; c++) {
        int xc = xr + c * colStep;
        FloatVector d0 = FloatVector.fromArray(S, d, dr + c * n);
        FloatVector d1 = FloatVector.fromArray(S, d, dr + c * n + L);
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
        FloatVector v6 = FloatVector.broadcast(S, x[x6 + xc]);
        a6 = d0.fma(v6, a6);
        c6 = d1.fma(v6, c6);
        FloatVector v7 = FloatVector.broadcast(S, x[x7 + xc]);
        a7 = d0.fma(v7, a7);
        c7 = d1.fma(v7, c7);
      }
    }
    a0.intoArray(g, gb);
    c0.intoArray(g, gb + L);
    a1.intoArray(g, gb + n);
    c1.intoArray(g, gb + n + L);
    a2.intoArray(g, gb + 2 * n);
    c2.intoArray(g, gb + 2 * n + L);
    a3.intoArray(g, gb + 3 * n);
    c3.intoArray(g, gb + 3 * n + L);
    a4.intoArray(g, gb + 4 * n);
    c4.intoArray(g, gb + 4 * n + L);
    a5.intoArray(g, gb + 5 * n);
    c5.intoArray(g, gb + 5 * n + L);
    a6.intoArray(g, gb + 6 * n);
    c6.intoArray(g, gb + 6 * n + L);
    a7.intoArray(g, gb + 7 * n);
    c7.intoArray(g, gb + 7 * n + L);
  }

  /** Four weight rows, two full vectors of channels, no masks. */
  private static void weightGradient2x4(
      float[] x, int x0, int x1, int x2, int x3, int rowStep, int colStep, float[] d,
      int df, int n, int rows, int cols, float[] g, int gb) {
    FloatVector a0 = FloatVector.fromArray(S, g, gb);
    FloatVector c0 = FloatVector.fromArray(S, g, gb + L);
    FloatVector a1 = FloatVector.fromArray(S, g, gb + n);
    FloatVector c1 = FloatVector.fromArray(S, g, gb + n + L);
    FloatVector a2 = FloatVector.fromArray(S, g, gb + 2 * n);
    FloatVector c2 = FloatVector.fromArray(S, g, gb + 2 * n + L);
    FloatVector a3 = FloatVector.fromArray(S, g, gb + 3 * n);
    FloatVector c3 = FloatVector.fromArray(S, g, gb + 3 * n + L);
    for (int r = 0; r < rows; r++) {
      int xr = r * rowStep;
      int dr = df + r * cols * n;
      for (int c = 0; c < cols; c++) {
        int xc = xr + c * colStep;
        FloatVector d0 = FloatVector.fromArray(S, d, dr + c * n);
        FloatVector d1 = FloatVector.fromArray(S, d, dr + c * n + L);
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
      float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int rowStep, int colStep, float[] d,
      int df, int n, int rows, int cols, float[] g, int gb) {
    FloatVector a0 = FloatVector.fromArray(S, g, gb);
    FloatVector a1 = FloatVector.fromArray(S, g, gb + n);
    FloatVector a2 = FloatVector.fromArray(S, g, gb + 2 * n);
    FloatVector a3 = FloatVector.fromArray(S, g, gb + 3 * n);
    FloatVector a4 = FloatVector.fromArray(S, g, gb + 4 * n);
    FloatVector a5 = FloatVector.fromArray(S, g, gb + 5 * n);
    FloatVector a6 = FloatVector.fromArray(S, g, gb + 6 * n);
    FloatVector a7 = FloatVector.fromArray(S, g, gb + 7 * n);
    for (int r = 0; r < rows; r++) {
      int xr = r * rowStep;
      int dr = df + r * cols * n;
      for (int c = 0; c < cols; c++) {
        int xc = xr + c * colStep;
        FloatVector d0 = FloatVector.fromArray(S, d, dr + c * n);
        a0 = d0.fma(FloatVector.broadcast(S, x[x0 + xc]), a0);
        a1 = d0.fma(FloatVector.broadcast(S, x[x1 + xc]), a1);
        a2 = d0.fma(FloatVector.broadcast(S, x[x2 + xc]), a2);
        a3 = d0.fma(FloatVector.broadcast(S, x[x3 + xc]), a3);
        a4 = d0.fma(FloatVector.broadcast(S, x[x4 + xc]), a4);
        a5 = d0.fma(FloatVector.broadcast(S, x[x5 + xc]), a5);
        a6 = d0.fma(FloatVector.broadcast(S, x[x6 + xc]), a6);
        a7 = d0.fma(FloatVector.broadcast(S, x[x7 + xc]), a7);
      }
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
      float[] x, int x0, int x1, int x2, int x3, int rowStep, int colStep, float[] d,
      int df, int n, int f, int rows, int cols, float[] g, int gb) {
    VectorMask<Float> mask = S.indexInRange(f, n);
    FloatVector a0 = FloatVector.fromArray(S, g, gb, mask);
    FloatVector a1 = FloatVector.fromArray(S, g, gb + n, mask);
    FloatVector a2 = FloatVector.fromArray(S, g, gb + 2 * n, mask);
    FloatVector a3 = FloatVector.fromArray(S, g, gb + 3 * n, mask);
    for (int r = 0; r < rows; r++) {
      int xr = r * rowStep;
      int dr = df + r * cols * n;
      for (int c = 0; c < cols; c++) {
        int xc = xr + c * colStep;
        FloatVector d0 = FloatVector.fromArray(S, d, dr + c * n, mask);
        a0 = d0.fma(FloatVector.broadcast(S, x[x0 + xc]), a0);
        a1 = d0.fma(FloatVector.broadcast(S, x[x1 + xc]), a1);
        a2 = d0.fma(FloatVector.broadcast(S, x[x2 + xc]), a2);
        a3 = d0.fma(FloatVector.broadcast(S, x[x3 + xc]), a3);
      }
    }
    a0.intoArray(g, gb, mask);
    a1.intoArray(g, gb + n, mask);
    a2.intoArray(g, gb + 2 * n, mask);
    a3.intoArray(g, gb + 3 * n, mask);
  }

  private static void weightGradient1x1(
      float[] x, int xb, int rowStep, int colStep, float[] d, int df, int n, int f, int rows, int cols,
      float[] g, int gb) {
    VectorMask<Float> mask = S.indexInRange(f, n);
    FloatVector a0 = FloatVector.fromArray(S, g, gb, mask);
    for (int r = 0; r < rows; r++) {
      int xr = xb + r * rowStep;
      int dr = df + r * cols * n;
      for (int c = 0; c < cols; c++) {
        a0 = FloatVector.fromArray(S, d, dr + c * n, mask)
            .fma(FloatVector.broadcast(S, x[xr + c * colStep]), a0);
      }
    }
    a0.intoArray(g, gb, mask);
  }

  // ---- transposedProduct ----

  // The lanes of a row's dot product are summed by folding the vector in halves (lane i plus lane
  // i + L/2, then i + L/4, ...), written out with rearranges and adds. reduceLanes(ADD) leaves
  // the order of its additions open, and C2's order differs from the interpreter's and C1's: the
  // same training run ended with weights some ulps apart from one JVM to the next. A fold spelled
  // out lane by lane adds in the same order wherever it runs. Four rows fold together: after the
  // first two folds, one vector holds four rows' partial sums, so the later folds serve four rows.
  private static final VectorShuffle<Float> FOLD_HALF = fold(L / 2);
  private static final VectorShuffle<Float> FOLD_QUARTER = fold(L / 4);
  private static final VectorShuffle<Float> FOLD_EIGHTH = fold(L / 8);
  private static final VectorShuffle<Float> FOLD_SIXTEENTH = fold(L / 16);
  /** Lanes L/2 and up: after the first fold, the second row's partial sums go there. */
  private static final VectorMask<Float> UPPER_HALF = S.indexInRange(-(L / 2), L / 2);
  /** Lanes whose index has bit L/4 set: after the second fold, rows three and four go there. */
  private static final VectorMask<Float> ODD_QUARTERS =
      VectorMask.fromLong(S, oddQuarters());

  /** Pairs lane i with lane i ^ distance (identity where distance is 0, for short vectors). */
  private static VectorShuffle<Float> fold(int distance) {
    return VectorShuffle.fromOp(S, i -> i ^ distance);
  }

  private static long oddQuarters() {
    long bits = 0;
    for (int i = 0; i < L; i++) {
      if ((i & (L / 4)) != 0) {
        bits |= 1L << i;
      }
    }
    return bits;
  }

  static void transposedProduct(
      float[] w, int wo, int m, int n, float[] d, int dOff, float[] dx, int dxo) {
    if (L < 4 || L > 16) { // the folds below are written for 4 to 16 lanes
      DenseKernels.plainTransposedProduct(w, wo, m, n, d, dOff, dx, dxo);
      return;
    }
    if (n < L) {
      transposedProductNarrow(w, wo, m, n, d, dOff, dx, dxo);
      return;
    }
    int i = 0;
    for (; i + 4 <= m; i += 4) {
      rowProducts4(w, wo + i * n, n, d, dOff, dx, dxo + i);
    }
    for (; i < m; i++) {
      rowProduct(w, wo + i * n, n, d, dOff, dx, dxo + i);
    }
  }

  /**
   * {@code dx = W·d} for n < L: L rows at a time, lane j gathering row j's weights column by
   * column, one FMA chain per lane in column order (so each row's sum is {@code Math.fma} over
   * its columns in order, the order the rows past the last block take one by one).
   */
  private static void transposedProductNarrow(
      float[] w, int wo, int m, int n, float[] d, int dOff, float[] dx, int dxo) {
    int[] rows = NARROW_STRIDES[n];
    int i = 0;
    for (; i + L <= m; i += L) {
      int wi = wo + i * n;
      FloatVector a = FloatVector.zero(S);
      for (int c = 0; c < n; c++) {
        a = FloatVector.fromArray(S, w, wi + c, rows, 0).fma(FloatVector.broadcast(S, d[dOff + c]), a);
      }
      a.intoArray(dx, dxo + i);
    }
    for (; i < m; i++) {
      float a = 0f;
      for (int c = 0; c < n; c++) {
        a = Math.fma(w[wo + i * n + c], d[dOff + c], a);
      }
      dx[dxo + i] = a;
    }
  }

  /** dx[at..at+4) = four rows of w (from w0, n apart) times d. */
  private static void rowProducts4(
      float[] w, int w0, int n, float[] d, int dOff, float[] dx, int at) {
    int full = S.loopBound(n);
    int w1 = w0 + n;
    int w2 = w1 + n;
    int w3 = w2 + n;
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    for (int f = 0; f < full; f += L) {
      FloatVector v = FloatVector.fromArray(S, d, dOff + f);
      a0 = FloatVector.fromArray(S, w, w0 + f).fma(v, a0);
      a1 = FloatVector.fromArray(S, w, w1 + f).fma(v, a1);
      a2 = FloatVector.fromArray(S, w, w2 + f).fma(v, a2);
      a3 = FloatVector.fromArray(S, w, w3 + f).fma(v, a3);
    }
    if (full < n) {
      VectorMask<Float> tail = S.indexInRange(full, n);
      FloatVector v = FloatVector.fromArray(S, d, dOff + full, tail);
      a0 = FloatVector.fromArray(S, w, w0 + full, tail).fma(v, a0);
      a1 = FloatVector.fromArray(S, w, w1 + full, tail).fma(v, a1);
      a2 = FloatVector.fromArray(S, w, w2 + full, tail).fma(v, a2);
      a3 = FloatVector.fromArray(S, w, w3 + full, tail).fma(v, a3);
    }
    // Lanes [0, L/2): row 0 folded once; [L/2, L): row 1. Then quarters: rows 0, 2, 1, 3.
    FloatVector p01 = a0.add(a0.rearrange(FOLD_HALF)).blend(a1.add(a1.rearrange(FOLD_HALF)), UPPER_HALF);
    FloatVector p23 = a2.add(a2.rearrange(FOLD_HALF)).blend(a3.add(a3.rearrange(FOLD_HALF)), UPPER_HALF);
    FloatVector q = p01.add(p01.rearrange(FOLD_QUARTER))
        .blend(p23.add(p23.rearrange(FOLD_QUARTER)), ODD_QUARTERS);
    if (L >= 8) {
      q = q.add(q.rearrange(FOLD_EIGHTH));
    }
    if (L >= 16) {
      q = q.add(q.rearrange(FOLD_SIXTEENTH));
    }
    dx[at] = q.lane(0);
    dx[at + 1] = q.lane(L / 2);
    dx[at + 2] = q.lane(L / 4);
    dx[at + 3] = q.lane(3 * L / 4);
  }

  /** dx[at] = one row of w (from w0) times d, folded like a row of {@link #rowProducts4}. */
  private static void rowProduct(float[] w, int w0, int n, float[] d, int dOff, float[] dx, int at) {
    int full = S.loopBound(n);
    FloatVector a = FloatVector.zero(S);
    for (int f = 0; f < full; f += L) {
      a = FloatVector.fromArray(S, w, w0 + f).fma(FloatVector.fromArray(S, d, dOff + f), a);
    }
    if (full < n) {
      VectorMask<Float> tail = S.indexInRange(full, n);
      a = FloatVector.fromArray(S, w, w0 + full, tail)
          .fma(FloatVector.fromArray(S, d, dOff + full, tail), a);
    }
    a = a.add(a.rearrange(FOLD_HALF));
    a = a.add(a.rearrange(FOLD_QUARTER));
    if (L >= 8) {
      a = a.add(a.rearrange(FOLD_EIGHTH));
    }
    if (L >= 16) {
      a = a.add(a.rearrange(FOLD_SIXTEENTH));
    }
    dx[at] = a.lane(0);
  }

  // ---- planar: vectorized along an output row, for layers with few channels ----

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
    if (cols >= L && rows >= 2) {
      convolvePlanarUnmasked(x, xo, channels, height, width, zeroTop, zeroBottom, kh, kw, w, wo, np, rows, cols, t, to);
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
              x, xo + r * width + c, channels, planeIn, width, kh, kw, firstTap(zeroTop, r + 1),
              lastTap(height, zeroBottom, kh, r), w, wo, c, cols, t, to + r * cols + c, plane);
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
          int aFrom = firstTap(zeroTop, r + 1);
          int aTo = lastTap(height, zeroBottom, kh, r);
          if (wholeLoads) {
            convolvePlanarLoads4x2(
                x, xo + r * width + c, channels, planeIn, width, kh, kw, aFrom, aTo, w, wo + f, np,
                c, cols, t, to + f * plane + r * cols + c, plane);
          } else {
            convolvePlanar4x2(
                x, xo + r * width + c, channels, planeIn, width, kh, kw, aFrom, aTo, w, wo + f, np,
                c, cols, t, to + f * plane + r * cols + c, plane);
          }
        }
      }
      for (; r < rows; r++) {
        for (int c = 0; c < cols; c += L) {
          convolvePlanar4(
              x, xo + r * width + c, channels, planeIn, width, kh, kw, firstTap(zeroTop, r),
              lastTap(height, zeroBottom, kh, r), w, wo + f, np, c, cols, t,
              to + f * plane + r * cols + c, plane);
        }
      }
    }
    return true;
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

  /**
   * The kernel gradient of a stride-1 convolution with few output channels (LeNet-5's c1: six of
   * a vector's sixteen lanes along the channels), vectorized along the output rows instead: {@code
   * g[go + ((a·kw + b)·channels + c)·n + k] += Σ_r Σ_q x[c][r + a][q + b] · d[k][r][q]}. In
   * {@code s}: the input planar from {@code xs} ({@code channels} planes of {@code (rows + kh - 1) x
   * wx}, {@code wx >= cp + kw - 1}, zero past the input), the output gradient planar from {@code
   * ds} ({@code n} planes of {@code rows x cp}, {@code cp} a multiple of L, zero past the
   * columns), and {@code 15·L} floats of room from {@code ts}. Blocks of five taps of a kernel row
   * by three filters keep fifteen sums in registers over all the rows (LeNet-5's 5x5 kernel and
   * six filters: two blocks per kernel row, none wasted); each sum's lanes are then added in
   * halves, in one fixed order, so the result does not depend on where the code runs.
   */
  static void weightGradientPlanar(
      float[] s, int xs, int channels, int wx, int kh, int kw, int ds, int n, int rows, int cp, int ts,
      float[] g, int go) {
    int planeX = (rows + kh - 1) * wx;
    int planeD = rows * cp;
    for (int c = 0; c < channels; c++) {
      for (int a = 0; a < kh; a++) {
        for (int k = 0; k < n; k += 3) {
          for (int b = 0; b < kw; b += 5) {
            int filters = Math.min(3, n - k);
            int taps = Math.min(5, kw - b);
            planarGradient5x3(s, xs + c * planeX + a * wx + b, wx, taps, ds + k * planeD, planeD, filters, rows, cp, ts);
            for (int i = 0; i < taps; i++) {
              for (int j = 0; j < filters; j++) {
                // The lanes folded in halves: one order wherever this runs.
                FloatVector v = FloatVector.fromArray(S, s, ts + (i * 3 + j) * L);
                v = v.add(v.rearrange(FOLD_HALF));
                if (L >= 4) {
                  v = v.add(v.rearrange(FOLD_QUARTER));
                }
                if (L >= 8) {
                  v = v.add(v.rearrange(FOLD_EIGHTH));
                }
                if (L >= 16) {
                  v = v.add(v.rearrange(FOLD_SIXTEENTH));
                }
                g[go + ((a * kw + b + i) * channels + c) * n + k + j] += v.lane(0);
              }
            }
          }
        }
      }
    }
  }

  /**
   * Five taps (x rows from x0, one column apart) by three filters (d planes from d0, planeD
   * apart), summed over every row: fifteen accumulators into {@code s[ts..ts + 15·L)}, tap-major.
   * Taps and filters past {@code taps} and {@code filters} repeat the last real one.
   */
  private static void planarGradient5x3(
      float[] s, int x0, int wx, int taps, int d0, int planeD, int filters, int rows, int cp, int ts) {
    int x1 = x0 + Math.min(1, taps - 1);
    int x2 = x0 + Math.min(2, taps - 1);
    int x3 = x0 + Math.min(3, taps - 1);
    int x4 = x0 + Math.min(4, taps - 1);
    int e1 = d0 + Math.min(1, filters - 1) * planeD;
    int e2 = d0 + Math.min(2, filters - 1) * planeD;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
    FloatVector a40 = a00, a41 = a00, a42 = a00;
    for (int r = 0; r < rows; r++) {
      int xr = r * wx;
      int dr = r * cp;
      for (int q = 0; q < cp; q += L) {
        FloatVector f0 = FloatVector.fromArray(S, s, d0 + dr + q);
        FloatVector f1 = FloatVector.fromArray(S, s, e1 + dr + q);
        FloatVector f2 = FloatVector.fromArray(S, s, e2 + dr + q);
        FloatVector v = FloatVector.fromArray(S, s, x0 + xr + q);
        a00 = v.fma(f0, a00);
        a01 = v.fma(f1, a01);
        a02 = v.fma(f2, a02);
        v = FloatVector.fromArray(S, s, x1 + xr + q);
        a10 = v.fma(f0, a10);
        a11 = v.fma(f1, a11);
        a12 = v.fma(f2, a12);
        v = FloatVector.fromArray(S, s, x2 + xr + q);
        a20 = v.fma(f0, a20);
        a21 = v.fma(f1, a21);
        a22 = v.fma(f2, a22);
        v = FloatVector.fromArray(S, s, x3 + xr + q);
        a30 = v.fma(f0, a30);
        a31 = v.fma(f1, a31);
        a32 = v.fma(f2, a32);
        v = FloatVector.fromArray(S, s, x4 + xr + q);
        a40 = v.fma(f0, a40);
        a41 = v.fma(f1, a41);
        a42 = v.fma(f2, a42);
      }
    }
    a00.intoArray(s, ts);
    a01.intoArray(s, ts + L);
    a02.intoArray(s, ts + 2 * L);
    a10.intoArray(s, ts + 3 * L);
    a11.intoArray(s, ts + 4 * L);
    a12.intoArray(s, ts + 5 * L);
    a20.intoArray(s, ts + 6 * L);
    a21.intoArray(s, ts + 7 * L);
    a22.intoArray(s, ts + 8 * L);
    a30.intoArray(s, ts + 9 * L);
    a31.intoArray(s, ts + 10 * L);
    a32.intoArray(s, ts + 11 * L);
    a40.intoArray(s, ts + 12 * L);
    a41.intoArray(s, ts + 13 * L);
    a42.intoArray(s, ts + 14 * L);
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
   * accumulators, enough to hide the FMA latency.
   */
  private static void convolvePlanar4x2(
      float[] x, int xb, int channels, int planeIn, int width, int kh, int kw, int aFrom, int aTo, float[] w, int wf,
      int np, int c, int cols, float[] t, int tb, int plane) {
    VectorMask<Float> m = S.indexInRange(c, cols);
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
    for (int ch = 0; ch < channels; ch++) {
      for (int a = aFrom; a < aTo; a++) {
        int xr = xb + ch * planeIn + a * width;
        int wr = wf + (a * kw * channels + ch) * np;
        for (int bb = 0; bb < kw; bb++) {
          FloatVector v = FloatVector.fromArray(S, x, xr + bb, m);
          FloatVector u = FloatVector.fromArray(S, x, xr + width + bb, m);
          int wi = wr + bb * channels * np;
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
      }
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
      float[] x, int xo, int channels, int height, int width, int zeroTop, int zeroBottom, int kh,
      int kw, float[] w, int wo, int np, int rows, int cols, float[] t, int to) {
    int plane = rows * cols;
    int planeIn = height * width;
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
        int aFrom = firstTap(zeroTop, r + 1);
        int aTo = lastTap(height, zeroBottom, kh, r);
        if (np == 6) {
          convolvePlanarFull6x2(x, xb, channels, planeIn, width, kh, kw, aFrom, aTo, w, wo, cols, t, tb, plane);
        } else {
          for (int f = 0; f < np; f += 4) {
            // Whole-vector loads; the stores' mask is all set here (c + L <= cols).
            convolvePlanarLoads4x2(x, xb, channels, planeIn, width, kh, kw, aFrom, aTo, w, wo + f, np, c, cols, t, tb + f * plane, plane);
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
      float[] x, int xb, int channels, int planeIn, int width, int kh, int kw, int aFrom, int aTo, float[] w, int wf,
      int cols, float[] t, int tb, int plane) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    FloatVector e0 = a0, e1 = a0, e2 = a0, e3 = a0, e4 = a0, e5 = a0;
    for (int ch = 0; ch < channels; ch++) {
      for (int a = aFrom; a < aTo; a++) {
        int xr = xb + ch * planeIn + a * width;
        int wr = wf + (a * kw * channels + ch) * 6;
        for (int bb = 0; bb < kw; bb++) {
          FloatVector v = FloatVector.fromArray(S, x, xr + bb);
          FloatVector u = FloatVector.fromArray(S, x, xr + width + bb);
          int wi = wr + bb * channels * 6;
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
      }
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
      float[] x, int xb, int channels, int planeIn, int width, int kh, int kw, int aFrom, int aTo, float[] w, int wf,
      int np, int c, int cols, float[] t, int tb, int plane) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
    for (int ch = 0; ch < channels; ch++) {
      for (int a = aFrom; a < aTo; a++) {
        int xr = xb + ch * planeIn + a * width;
        int wr = wf + (a * kw * channels + ch) * np;
        for (int bb = 0; bb < kw; bb++) {
          FloatVector v = FloatVector.fromArray(S, x, xr + bb);
          FloatVector u = FloatVector.fromArray(S, x, xr + width + bb);
          int wi = wr + bb * channels * np;
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
      }
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
   * slower (14.8-16.0 against 13.5-14.2, one JVM, alternating).
   */
  private static void convolvePlanarLoads6x2(
      float[] x, int xb, int channels, int planeIn, int width, int kh, int kw, int aFrom, int aTo,
      float[] w, int wf, int c, int cols, float[] t, int tb, int plane) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    FloatVector e0 = a0, e1 = a0, e2 = a0, e3 = a0, e4 = a0, e5 = a0;
    for (int ch = 0; ch < channels; ch++) {
      for (int a = aFrom; a < aTo; a++) {
        int xr = xb + ch * planeIn + a * width;
        int wr = wf + (a * kw * channels + ch) * 6;
        for (int bb = 0; bb < kw; bb++) {
          FloatVector v = FloatVector.fromArray(S, x, xr + bb);
          FloatVector u = FloatVector.fromArray(S, x, xr + width + bb);
          int wi = wr + bb * channels * 6;
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
      }
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
      float[] x, int xb, int channels, int planeIn, int width, int kh, int kw, int aFrom, int aTo, float[] w, int wf,
      int np, int c, int cols, float[] t, int tb, int plane) {
    VectorMask<Float> m = S.indexInRange(c, cols);
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0, a2 = a0, a3 = a0;
    for (int ch = 0; ch < channels; ch++) {
      for (int a = aFrom; a < aTo; a++) {
        int xr = xb + ch * planeIn + a * width;
        int wr = wf + (a * kw * channels + ch) * np;
        for (int bb = 0; bb < kw; bb++) {
          FloatVector v = FloatVector.fromArray(S, x, xr + bb, m);
          int wi = wr + bb * channels * np;
          a0 = v.fma(FloatVector.broadcast(S, w[wi]), a0);
          a1 = v.fma(FloatVector.broadcast(S, w[wi + 1]), a1);
          a2 = v.fma(FloatVector.broadcast(S, w[wi + 2]), a2);
          a3 = v.fma(FloatVector.broadcast(S, w[wi + 3]), a3);
        }
      }
    }
    a0.intoArray(t, tb, m);
    a1.intoArray(t, tb + plane, m);
    a2.intoArray(t, tb + 2 * plane, m);
    a3.intoArray(t, tb + 3 * plane, m);
  }

  // ---- outerProduct, and the gradients of dense layers with fewer outputs than a vector ----
  //
  // The weight gradient [m, n] is updated as one flat run of whole vectors. Lane j of the k-th
  // vector of a period (P = lcm(n, L) / L vectors, R = P·L / n rows) holds row (k·L + j) / n and
  // column (k·L + j) % n of the period, so the period's inputs are expanded to match by one lane
  // shuffle (NARROW_ROWS) and the output gradient by another (NARROW_COLUMNS). One masked vector
  // per row had taken SEEDCNN's 3136x10 layer 9-12 us (now 6-8), and its input gradient, a
  // horizontal sum per row, 10 to 21 us (now 10-11, gathering a column per FMA).

  /** For n < L, per vector of a period: the row of each lane (within the period). */
  private static final VectorShuffle<Float>[][] NARROW_ROWS = narrowShuffles(true);
  /** For n < L, per vector of a period: the column of each lane. */
  private static final VectorShuffle<Float>[][] NARROW_COLUMNS = narrowShuffles(false);
  /** For n < L: lane j reads row j of a block of L rows, {@code j·n}. */
  private static final int[][] NARROW_STRIDES = narrowStrides();

  @SuppressWarnings("unchecked")
  private static VectorShuffle<Float>[][] narrowShuffles(boolean rows) {
    VectorShuffle<Float>[][] shuffles = new VectorShuffle[L][];
    for (int n = 1; n < L; n++) {
      int width = n;
      int vectors = lcm(n, L) / L;
      shuffles[n] = new VectorShuffle[vectors];
      for (int k = 0; k < vectors; k++) {
        int first = k * L;
        shuffles[n][k] = VectorShuffle.fromOp(S, j -> rows ? (first + j) / width : (first + j) % width);
      }
    }
    return shuffles;
  }

  private static int[][] narrowStrides() {
    int[][] strides = new int[L][L];
    for (int n = 1; n < L; n++) {
      for (int j = 0; j < L; j++) {
        strides[n][j] = j * n;
      }
    }
    return strides;
  }

  private static int lcm(int a, int b) {
    int x = a;
    int y = b;
    while (y != 0) {
      int t = x % y;
      x = y;
      y = t;
    }
    return a / x * b;
  }

  /**
   * Periods from 0 whose L-lane load of x, from {@code xo + q·rows}, stays inside x; the rest load
   * with a mask (a period reads only its {@code rows} lanes).
   */
  private static int wholeLoads(float[] x, int xo, int periods, int rows) {
    int room = x.length - xo - L;
    return room < 0 ? 0 : Math.min(periods, room / rows + 1);
  }

  static void outerProduct(float[] x, int xo, int m, float[] d, int dOff, int n, float[] g, int go) {
    if (n < L) {
      outerProductNarrow(x, xo, m, d, dOff, n, g, go);
      return;
    }
    // A row whose length is not a whole number of vectors ends with a masked store, and a load
    // that touches the same cache line right after it (the next row's start) cannot take its
    // data from the store buffer: it waits for the store (SEEDCNN's 3136x10 output layer, before
    // it took the narrow path, took 27 us so). Rows taken `step` apart (and at least two vectors
    // apart) keep the stores out of each other's way; every row is still updated once.
    int step = n % L == 0 ? 1 : Math.max(2, (2 * L + n - 1) / n);
    for (int first = 0; first < step; first++) {
      outerProductRows(x, xo, m, d, dOff, n, g, go, first, step);
    }
  }

  /**
   * The rank-1 update for n < L on the flat run of whole vectors (see NARROW_ROWS): per vector of
   * the period, the output gradient's lanes once, then every period's inputs expanded to rows.
   */
  private static void outerProductNarrow(float[] x, int xo, int m, float[] d, int dOff, int n, float[] g, int go) {
    VectorShuffle<Float>[] expand = NARROW_ROWS[n];
    int vectors = expand.length;
    int rows = vectors * L / n;
    int period = vectors * L;
    int periods = m / rows;
    int whole = wholeLoads(x, xo, periods, rows);
    VectorMask<Float> inside = S.indexInRange(0, rows);
    FloatVector dv = FloatVector.fromArray(S, d, dOff, S.indexInRange(0, n));
    for (int k = 0; k < vectors; k++) {
      VectorShuffle<Float> lanesRows = expand[k];
      FloatVector dk = dv.rearrange(NARROW_COLUMNS[n][k]);
      for (int q = 0; q < periods; q++) {
        int xq = xo + q * rows;
        int gq = go + q * period + k * L;
        FloatVector v = q < whole ? FloatVector.fromArray(S, x, xq) : FloatVector.fromArray(S, x, xq, inside);
        v.rearrange(lanesRows).fma(dk, FloatVector.fromArray(S, g, gq)).intoArray(g, gq);
      }
    }
    for (int i = periods * rows; i < m; i++) {
      float v = x[xo + i];
      for (int f = 0; f < n; f++) {
        g[go + i * n + f] = Math.fma(v, d[dOff + f], g[go + i * n + f]);
      }
    }
  }

  private static void outerProductRows(
      float[] x, int xo, int m, float[] d, int dOff, int n, float[] g, int go, int first,
      int step) {
    int full = S.loopBound(n);
    VectorMask<Float> tail = S.indexInRange(full, n);
    for (int i = first; i < m; i += step) {
      FloatVector v = FloatVector.broadcast(S, x[xo + i]);
      int gi = go + i * n;
      for (int f = 0; f < full; f += L) {
        FloatVector.fromArray(S, d, dOff + f).fma(v, FloatVector.fromArray(S, g, gi + f))
            .intoArray(g, gi + f);
      }
      if (full < n) {
        FloatVector.fromArray(S, d, dOff + full, tail)
            .fma(v, FloatVector.fromArray(S, g, gi + full, tail))
            .intoArray(g, gi + full, tail);
      }
    }
  }

  // ---- maxPool ----

  static void maxPool(
      float[] x, int xo, int rowStep, int colStep, int inRow, int kh, int kw, int channels,
      float[] y, int yo, int rows, int cols) {
    if (channels < L) {
      maxPoolNarrow(x, xo, rowStep, colStep, inRow, kh, kw, channels, y, yo, rows, cols);
      return;
    }
    for (int f = 0; f < channels; f += L) {
      VectorMask<Float> m = S.indexInRange(f, channels);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          int xb = xo + r * rowStep + c * colStep + f;
          FloatVector v = FloatVector.fromArray(S, x, xb, m);
          for (int a = 0; a < kh; a++) {
            int xr = xb + a * inRow;
            for (int b = 0; b < kw; b++) {
              v = v.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xr + b * channels, m));
            }
          }
          v.intoArray(y, yo + (r * cols + c) * channels + f, m);
        }
      }
    }
  }

  /**
   * Max pooling over fewer channels than a vector (LeNet-5's s2 has 6): whole vectors, no masks,
   * where they stay inside the arrays. A window's vector also takes the next pixels' channels
   * (their maxima are not used), and its store spills into the next outputs' places, which
   * those outputs, written after it, overwrite; the last outputs, whose spill would leave the
   * layer's output, take masked stores. Masked loads and stores made such kernels 1.6 times
   * slower.
   */
  private static void maxPoolNarrow(
      float[] x, int xo, int rowStep, int colStep, int inRow, int kh, int kw, int channels,
      float[] y, int yo, int rows, int cols) {
    VectorMask<Float> m = S.indexInRange(0, channels);
    int outputEnd = yo + rows * cols * channels;
    int lastRead = (kh - 1) * inRow + (kw - 1) * channels + L;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int q = r * cols + c;
        int xb = xo + r * rowStep + c * colStep;
        int yb = yo + q * channels;
        if (yb + L <= outputEnd && xb + lastRead <= x.length) {
          FloatVector v = FloatVector.fromArray(S, x, xb);
          for (int a = 0; a < kh; a++) {
            int xr = xb + a * inRow;
            for (int b = a == 0 ? 1 : 0; b < kw; b++) {
              v = v.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xr + b * channels));
            }
          }
          v.intoArray(y, yb);
        } else {
          FloatVector v = FloatVector.fromArray(S, x, xb, m);
          for (int a = 0; a < kh; a++) {
            int xr = xb + a * inRow;
            for (int b = a == 0 ? 1 : 0; b < kw; b++) {
              v = v.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xr + b * channels, m));
            }
          }
          v.intoArray(y, yb, m);
        }
      }
    }
  }

  /**
   * Branch-free routing: each window is scanned in order keeping the running maximum and the
   * index of the cell that holds it (a lane moves only on a strictly larger value, so the first
   * maximum wins, as in the scalar code); then each cell adds the gradient where it was chosen.
   */
  static void maxPoolBackward(
      float[] x, int xo, int rowStep, int colStep, int inRow, int kh, int kw, int channels,
      float[] d, int dOff, float[] dx, int dxo, int rows, int cols) {
    int shift = dxo - xo;
    for (int f = 0; f < channels; f += L) {
      VectorMask<Float> m = S.indexInRange(f, channels);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          int xb = xo + r * rowStep + c * colStep + f;
          FloatVector best = FloatVector.fromArray(S, x, xb, m);
          FloatVector chosen = FloatVector.zero(S);
          for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
              FloatVector v = FloatVector.fromArray(S, x, xb + a * inRow + b * channels, m);
              VectorMask<Float> larger = v.compare(VectorOperators.GT, best);
              best = best.blend(v, larger);
              chosen = chosen.blend(a * kw + b, larger);
            }
          }
          FloatVector g = FloatVector.fromArray(S, d, dOff + (r * cols + c) * channels + f, m);
          for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
              VectorMask<Float> here = chosen.compare(VectorOperators.EQ, a * kw + b).and(m);
              int xi = xb + a * inRow + b * channels + shift;
              FloatVector.fromArray(S, dx, xi, m).add(g, here).intoArray(dx, xi, m);
            }
          }
        }
      }
    }
  }

  // ---- elementwise ----

  static void relu(float[] x, int xo, float[] y, int yo, int n) {
    FloatVector zero = FloatVector.zero(S);
    int full = S.loopBound(n);
    int i = 0;
    for (; i < full; i += L) {
      zero.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
    }
    if (i < n) {
      VectorMask<Float> tail = S.indexInRange(i, n);
      zero.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xo + i, tail))
          .intoArray(y, yo + i, tail);
    }
  }

  static void reluDerivative(float[] y, int yo, float[] d, int dOff, int n) {
    FloatVector zero = FloatVector.zero(S);
    int full = S.loopBound(n);
    int i = 0;
    for (; i < full; i += L) {
      VectorMask<Float> on = FloatVector.fromArray(S, y, yo + i).compare(VectorOperators.GT, 0f);
      zero.blend(FloatVector.fromArray(S, d, dOff + i), on).intoArray(d, dOff + i);
    }
    if (i < n) {
      VectorMask<Float> tail = S.indexInRange(i, n);
      VectorMask<Float> on =
          FloatVector.fromArray(S, y, yo + i, tail).compare(VectorOperators.GT, 0f).and(tail);
      zero.blend(FloatVector.fromArray(S, d, dOff + i, tail), on).intoArray(d, dOff + i, tail);
    }
  }

  /** Lanes are channels, each summed over the pixels in order, as the plain loop does. */
  static void biasGradient(float[] d, int dOff, int pixels, int n, float[] g, int go) {
    for (int f = 0; f < n; f += L) {
      VectorMask<Float> m = S.indexInRange(f, n);
      FloatVector sum = FloatVector.zero(S);
      for (int pixel = 0; pixel < pixels; pixel++) {
        sum = sum.add(FloatVector.fromArray(S, d, dOff + pixel * n + f, m));
      }
      FloatVector.fromArray(S, g, go + f, m).add(sum).intoArray(g, go + f, m);
    }
  }
}
