package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.FOLD_EIGHTH;
import static dev.kiln.runtime.kernels.Vectors.FOLD_HALF;
import static dev.kiln.runtime.kernels.Vectors.FOLD_QUARTER;
import static dev.kiln.runtime.kernels.Vectors.FOLD_SIXTEENTH;
import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * Dense layers on the vector path: the forward product ({@link Kernels#convolve} of one pixel and
 * one tap), the input gradient ({@link Kernels#transposedProduct}) and the weight gradient ({@link
 * Kernels#outerProduct}), with their forms for fewer outputs than a vector. {@link #dense8} and
 * {@link #dense4}, and {@link #rowProducts4} and {@link #rowProduct}, are separate for the reason
 * the register blocks of {@link VectorConvolution} are (see {@link Vectors}).
 */
final class VectorDense {
  private VectorDense() {}

  // ---- forward ----

  /**
   * {@link Kernels#denseTile}: six samples or more are one packed product ({@link VectorGemm}),
   * samples by inputs times outputs, so the weights stream once per tile instead of once per
   * sample; fewer go one by one, in the same order of additions ({@link #dense}).
   */
  static void denseTile(
      float[] x, int xo, int xStride, int m, float[] w, int wo, float[] b, int bo, int n,
      float[] y, int yo, int yStride, int count, int weightsKey) {
    if (count < VectorGemm.MR) {
      for (int s = 0; s < count; s++) {
        dense(x, xo + s * xStride, m, w, wo, b, bo, n, y, yo + s * yStride);
      }
      return;
    }
    VectorGemm.Buffers buf = VectorGemm.buffers();
    int[] samples = VectorGemm.strided(buf.rows(count), count, xStride);
    int[] inputs = VectorGemm.strided(buf.ks(m), m, 1);
    // A tile of eight samples paid as much to pack LeNet-5's 400 x 120 weights as to multiply them.
    float[] packed = VectorGemm.keptPacked(buf, weightsKey, w, wo, n, 1, n, m);
    VectorGemm.multiply(x, xo, samples, count, inputs, m, w, wo, n, 1, n, packed, 0, b, bo, false, y, yo, yStride, buf);
  }


  /** {@link Kernels#transposedProductTile}: {@code dX = D·Wᵀ}, one packed product from six samples. */
  static void transposedProductTile(
      float[] w, int wo, int m, int n, float[] d, int dOff, int dStride, float[] dx, int dxo,
      int dxStride, int count, int weightsKey) {
    if (count < VectorGemm.MR) {
      for (int s = 0; s < count; s++) {
        transposedProduct(w, wo, m, n, d, dOff + s * dStride, dx, dxo + s * dxStride);
      }
      return;
    }
    VectorGemm.Buffers buf = VectorGemm.buffers();
    int[] samples = VectorGemm.strided(buf.rows(count), count, dStride);
    int[] outputs = VectorGemm.strided(buf.ks(n), n, 1);
    // B[f][i] = w[i·n + f]: the weights read transposed, one column of W per row of B.
    float[] packed = VectorGemm.keptPacked(buf, weightsKey, w, wo, 1, n, m, n);
    VectorGemm.multiply(d, dOff, samples, count, outputs, n, w, wo, 1, n, m, packed, 0, null, -1, false, dx, dxo, dxStride, buf);
  }

  /** {@link Kernels#outerProductTile}: {@code gW += Xᵀ·D} over the tile, one packed product from six samples. */
  static void outerProductTile(
      float[] x, int xo, int xStride, int m, float[] d, int dOff, int dStride, int n, float[] g,
      int go, int count) {
    if (count < VectorGemm.MR || m < VectorGemm.MR) {
      for (int s = 0; s < count; s++) {
        outerProduct(x, xo + s * xStride, m, d, dOff + s * dStride, n, g, go);
      }
      return;
    }
    VectorGemm.Buffers buf = VectorGemm.buffers();
    int[] inputs = VectorGemm.strided(buf.rows(m), m, 1);
    int[] samples = VectorGemm.strided(buf.ks(count), count, xStride);
    VectorGemm.multiply(x, xo, inputs, m, samples, count, d, dOff, dStride, 1, n, null, -1, true, g, go, n, buf);
  }

  /**
   * A dense layer, {@code y = b + x·W} with {@code W} [m, n] row-major, for one sample. Each output
   * adds its products in {@link VectorGemm}'s order (chunks of k summed from zero, then added to
   * the bias), so {@code predict} and the tiles of {@code predictBatch} give the same bits. Blocks
   * of up to eight full vectors of outputs stream over the weight rows, so each row is read once
   * per 64 (AVX2) or 128 outputs, front to back (LeNet-5's c5 read its 192 KB once per vector of
   * outputs, and twice as many cache lines where the rows were not 64-byte aligned). No mask:
   * where {@code n} is not a whole number of vectors, the last vector ends at {@code n} and
   * overlaps the one before; both add the same products in the same order, so the outputs they
   * share are written twice with the same bits. Unused slots of a block repeat its last vector.
   * Fewer outputs than a vector take one masked vector.
   */
  static void dense(float[] x, int xo, int m, float[] w, int wo, float[] b, int bo, int n, float[] y, int yo) {
    if (n < L) {
      denseNarrow(x, xo, m, w, wo, n, b, bo, y, yo);
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
    if (slots <= 2 && m >= 4 * VectorGemm.KC) {
      dense2Chunks(x, xo, m, w, wo, n, b, bo, y, yo, o0, o1);
    } else if (slots <= 4) {
      dense4(x, xo, m, w, wo, n, b, bo, y, yo, o0, o1, o2, o3);
    } else {
      dense8(x, xo, m, w, wo, n, b, bo, y, yo, o0, o1, o2, o3, slot(f, 4, n), slot(f, 5, n), slot(f, 6, n), slot(f, 7, n));
    }
  }

  /** Output offset of slot {@code k} of a block from {@code f}: a full vector, none past {@code n}. */
  private static int slot(int f, int k, int n) {
    return Math.min(f + k * L, n - L);
  }

  /** Eight vectors of outputs at the given offsets: eight FMA chains, in {@link VectorGemm}'s order. */
  private static void dense8(
      float[] x, int xo, int m, float[] w, int wo, int n, float[] b, int bo, float[] y, int yo,
      int o0, int o1, int o2, int o3, int o4, int o5, int o6, int o7) {
    int chunks = (m + VectorGemm.KC - 1) / VectorGemm.KC;
    int kc = (m + chunks - 1) / chunks;
    FloatVector t0 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o0) : FloatVector.zero(S);
    FloatVector t1 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o1) : FloatVector.zero(S);
    FloatVector t2 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o2) : FloatVector.zero(S);
    FloatVector t3 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o3) : FloatVector.zero(S);
    FloatVector t4 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o4) : FloatVector.zero(S);
    FloatVector t5 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o5) : FloatVector.zero(S);
    FloatVector t6 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o6) : FloatVector.zero(S);
    FloatVector t7 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o7) : FloatVector.zero(S);
    for (int k0 = 0; k0 < m; k0 += kc) {
      int end = Math.min(m, k0 + kc);
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = FloatVector.zero(S);
      FloatVector a2 = FloatVector.zero(S);
      FloatVector a3 = FloatVector.zero(S);
      FloatVector a4 = FloatVector.zero(S);
      FloatVector a5 = FloatVector.zero(S);
      FloatVector a6 = FloatVector.zero(S);
      FloatVector a7 = FloatVector.zero(S);
      int i = k0;
      for (; i < end - 1; i += 2) {
        for (int u = 0; u < 2; u++) {
          int r = wo + (i + u) * n;
          FloatVector v = FloatVector.broadcast(S, x[xo + i + u]);
          a0 = FloatVector.fromArray(S, w, r + o0).fma(v, a0);
          a1 = FloatVector.fromArray(S, w, r + o1).fma(v, a1);
          a2 = FloatVector.fromArray(S, w, r + o2).fma(v, a2);
          a3 = FloatVector.fromArray(S, w, r + o3).fma(v, a3);
          a4 = FloatVector.fromArray(S, w, r + o4).fma(v, a4);
          a5 = FloatVector.fromArray(S, w, r + o5).fma(v, a5);
          a6 = FloatVector.fromArray(S, w, r + o6).fma(v, a6);
          a7 = FloatVector.fromArray(S, w, r + o7).fma(v, a7);
        }
      }
      if (i < end) {
        int r = wo + i * n;
        FloatVector v = FloatVector.broadcast(S, x[xo + i]);
        a0 = FloatVector.fromArray(S, w, r + o0).fma(v, a0);
        a1 = FloatVector.fromArray(S, w, r + o1).fma(v, a1);
        a2 = FloatVector.fromArray(S, w, r + o2).fma(v, a2);
        a3 = FloatVector.fromArray(S, w, r + o3).fma(v, a3);
        a4 = FloatVector.fromArray(S, w, r + o4).fma(v, a4);
        a5 = FloatVector.fromArray(S, w, r + o5).fma(v, a5);
        a6 = FloatVector.fromArray(S, w, r + o6).fma(v, a6);
        a7 = FloatVector.fromArray(S, w, r + o7).fma(v, a7);
      }
      t0 = a0.add(t0);
      t1 = a1.add(t1);
      t2 = a2.add(t2);
      t3 = a3.add(t3);
      t4 = a4.add(t4);
      t5 = a5.add(t5);
      t6 = a6.add(t6);
      t7 = a7.add(t7);
    }
    t0.intoArray(y, yo + o0);
    t1.intoArray(y, yo + o1);
    t2.intoArray(y, yo + o2);
    t3.intoArray(y, yo + o3);
    t4.intoArray(y, yo + o4);
    t5.intoArray(y, yo + o5);
    t6.intoArray(y, yo + o6);
    t7.intoArray(y, yo + o7);
  }

  /** Four vectors of outputs at the given offsets: four FMA chains, in {@link VectorGemm}'s order. */
  private static void dense4(
      float[] x, int xo, int m, float[] w, int wo, int n, float[] b, int bo, float[] y, int yo,
      int o0, int o1, int o2, int o3) {
    int chunks = (m + VectorGemm.KC - 1) / VectorGemm.KC;
    int kc = (m + chunks - 1) / chunks;
    FloatVector t0 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o0) : FloatVector.zero(S);
    FloatVector t1 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o1) : FloatVector.zero(S);
    FloatVector t2 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o2) : FloatVector.zero(S);
    FloatVector t3 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o3) : FloatVector.zero(S);
    for (int k0 = 0; k0 < m; k0 += kc) {
      int end = Math.min(m, k0 + kc);
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = FloatVector.zero(S);
      FloatVector a2 = FloatVector.zero(S);
      FloatVector a3 = FloatVector.zero(S);
      int i = k0;
      for (; i < end - 1; i += 2) {
        for (int u = 0; u < 2; u++) {
          int r = wo + (i + u) * n;
          FloatVector v = FloatVector.broadcast(S, x[xo + i + u]);
          a0 = FloatVector.fromArray(S, w, r + o0).fma(v, a0);
          a1 = FloatVector.fromArray(S, w, r + o1).fma(v, a1);
          a2 = FloatVector.fromArray(S, w, r + o2).fma(v, a2);
          a3 = FloatVector.fromArray(S, w, r + o3).fma(v, a3);
        }
      }
      if (i < end) {
        int r = wo + i * n;
        FloatVector v = FloatVector.broadcast(S, x[xo + i]);
        a0 = FloatVector.fromArray(S, w, r + o0).fma(v, a0);
        a1 = FloatVector.fromArray(S, w, r + o1).fma(v, a1);
        a2 = FloatVector.fromArray(S, w, r + o2).fma(v, a2);
        a3 = FloatVector.fromArray(S, w, r + o3).fma(v, a3);
      }
      t0 = a0.add(t0);
      t1 = a1.add(t1);
      t2 = a2.add(t2);
      t3 = a3.add(t3);
    }
    t0.intoArray(y, yo + o0);
    t1.intoArray(y, yo + o1);
    t2.intoArray(y, yo + o2);
    t3.intoArray(y, yo + o3);
  }

  /**
   * Two vectors of outputs over many inputs (SEEDCNN's 3136 -> 10): each chunk's sum is one FMA
   * chain that must run in order (VectorGemm's), so two chains waited on the FMA's latency (9.5 us
   * for 31,360 multiply-adds). The chunks' sums are independent, so four chunks run side by side,
   * eight chains, and are added to the total in chunk order: the same bits.
   */
  private static void dense2Chunks(
      float[] x, int xo, int m, float[] w, int wo, int n, float[] b, int bo, float[] y, int yo,
      int o0, int o1) {
    int chunks = (m + VectorGemm.KC - 1) / VectorGemm.KC;
    int kc = (m + chunks - 1) / chunks;
    FloatVector t0 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o0) : FloatVector.zero(S);
    FloatVector t1 = bo >= 0 ? FloatVector.fromArray(S, b, bo + o1) : FloatVector.zero(S);
    int k0 = 0;
    // Four whole chunks at a time, the j-th input of each in one step.
    for (; k0 + 4 * kc <= m; k0 += 4 * kc) {
      FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
      FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;
      for (int i = k0; i < k0 + kc; i++) {
        int r0 = wo + i * n;
        int r1 = r0 + kc * n;
        int r2 = r1 + kc * n;
        int r3 = r2 + kc * n;
        FloatVector v0 = FloatVector.broadcast(S, x[xo + i]);
        FloatVector v1 = FloatVector.broadcast(S, x[xo + i + kc]);
        FloatVector v2 = FloatVector.broadcast(S, x[xo + i + 2 * kc]);
        FloatVector v3 = FloatVector.broadcast(S, x[xo + i + 3 * kc]);
        a0 = FloatVector.fromArray(S, w, r0 + o0).fma(v0, a0);
        c0 = FloatVector.fromArray(S, w, r0 + o1).fma(v0, c0);
        a1 = FloatVector.fromArray(S, w, r1 + o0).fma(v1, a1);
        c1 = FloatVector.fromArray(S, w, r1 + o1).fma(v1, c1);
        a2 = FloatVector.fromArray(S, w, r2 + o0).fma(v2, a2);
        c2 = FloatVector.fromArray(S, w, r2 + o1).fma(v2, c2);
        a3 = FloatVector.fromArray(S, w, r3 + o0).fma(v3, a3);
        c3 = FloatVector.fromArray(S, w, r3 + o1).fma(v3, c3);
      }
      t0 = a3.add(a2.add(a1.add(a0.add(t0))));
      t1 = c3.add(c2.add(c1.add(c0.add(t1))));
    }
    // The last chunks, one at a time.
    for (; k0 < m; k0 += kc) {
      int end = Math.min(m, k0 + kc);
      FloatVector a = FloatVector.zero(S);
      FloatVector c = a;
      for (int i = k0; i < end; i++) {
        int r = wo + i * n;
        FloatVector v = FloatVector.broadcast(S, x[xo + i]);
        a = FloatVector.fromArray(S, w, r + o0).fma(v, a);
        c = FloatVector.fromArray(S, w, r + o1).fma(v, c);
      }
      t0 = a.add(t0);
      t1 = c.add(t1);
    }
    t0.intoArray(y, yo + o0);
    t1.intoArray(y, yo + o1);
  }

  /**
   * Fewer outputs than a vector: one masked vector, one FMA chain, in {@link VectorGemm}'s order
   * (its zero-padded columns are these masked lanes).
   */
  private static void denseNarrow(
      float[] x, int xo, int m, float[] w, int wo, int n, float[] b, int bo, float[] y, int yo) {
    VectorMask<Float> mask = S.indexInRange(0, n);
    int chunks = (m + VectorGemm.KC - 1) / VectorGemm.KC;
    int kc = (m + chunks - 1) / chunks;
    FloatVector t = bo >= 0 ? FloatVector.fromArray(S, b, bo, mask) : FloatVector.zero(S);
    for (int k0 = 0; k0 < m; k0 += kc) {
      int end = Math.min(m, k0 + kc);
      FloatVector a = FloatVector.zero(S);
      for (int i = k0; i < end; i++) {
        a = FloatVector.fromArray(S, w, wo + i * n, mask).fma(FloatVector.broadcast(S, x[xo + i]), a);
      }
      t = a.add(t);
    }
    t.intoArray(y, yo, mask);
  }

  // ---- transposedProduct ----

  // Four rows fold together (see Vectors for why the lanes are folded): after the first two
  // folds, one vector holds four rows' partial sums, so the later folds serve four rows.
  /** Lanes L/2 and up: after the first fold, the second row's partial sums go there. */
  private static final VectorMask<Float> UPPER_HALF = S.indexInRange(-(L / 2), L / 2);
  /** Lanes whose index has bit L/4 set: after the second fold, rows three and four go there. */
  private static final VectorMask<Float> ODD_QUARTERS =
      VectorMask.fromLong(S, oddQuarters());

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
}
