package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.FOLD_EIGHTH;
import static dev.kiln.runtime.kernels.Vectors.FOLD_HALF;
import static dev.kiln.runtime.kernels.Vectors.FOLD_QUARTER;
import static dev.kiln.runtime.kernels.Vectors.FOLD_SIXTEENTH;
import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;

/**
 * {@link Kernels#weightGradientPlanar} on the vector path: the kernel gradient of a stride-1
 * convolution with few output channels, vectorized along the output rows of planar copies.
 */
final class VectorPlanarGradient {
  private VectorPlanarGradient() {}

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
}
