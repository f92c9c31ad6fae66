package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link Kernels#maxPool}, {@link Kernels#maxPoolClipped} and {@link Kernels#maxPoolBackward} on
 * the vector path, lanes along the channels.
 */
final class VectorPooling {
  private VectorPooling() {}

  /**
   * {@link Kernels#maxPoolClipped} for whole vectors of channels: pixel by pixel in memory order,
   * each window clipped to the input once, a vector of channels at a time.
   */
  static void maxPoolClipped(
      float[] x, int xo, int height, int width, int channels, int kh, int kw, int sh, int sw,
      int padTop, int padLeft, float[] y, int yo, int rows, int cols) {
    FloatVector lowest = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    for (int r = 0; r < rows; r++) {
      int top = r * sh - padTop;
      int aFrom = Math.max(0, -top);
      int aTo = Math.min(kh, height - top);
      for (int c = 0; c < cols; c++) {
        int left = c * sw - padLeft;
        int bFrom = Math.max(0, -left);
        int bTo = Math.min(kw, width - left);
        int yb = yo + (r * cols + c) * channels;
        int xb = xo + (top * width + left) * channels;
        for (int f = 0; f < channels; f += L) {
          FloatVector v = lowest;
          for (int a = aFrom; a < aTo; a++) {
            int xr = xb + a * width * channels + f;
            for (int b = bFrom; b < bTo; b++) {
              v = v.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xr + b * channels));
            }
          }
          v.intoArray(y, yb + f);
        }
      }
    }
  }

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
    if (channels % L == 0) {
      maxPoolBackwardWhole(x, xo, rowStep, colStep, inRow, kh, kw, channels, d, dOff, dx, dxo, rows, cols);
      return;
    }
    int shift = dxo - xo;
    FloatVector zero = FloatVector.zero(S);
    for (int f = 0; f < channels; f += L) {
      VectorMask<Float> m = S.indexInRange(f, channels);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          int xb = xo + r * rowStep + c * colStep + f;
          FloatVector best = FloatVector.fromArray(S, x, xb, m);
          FloatVector chosen = zero;
          for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
              FloatVector v = FloatVector.fromArray(S, x, xb + a * inRow + b * channels, m);
              VectorMask<Float> larger = v.compare(VectorOperators.GT, best);
              best = best.blend(v, larger);
              chosen = chosen.blend((float) (a * kw + b), larger);
            }
          }
          // Masks on the loads and stores only: a masked add and a compare with an int showed up
          // in LeNet-5's profile as the Vector API's Java fallbacks (bOp, bTest); blends do not.
          FloatVector g = FloatVector.fromArray(S, d, dOff + (r * cols + c) * channels + f, m);
          for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
              VectorMask<Float> here = chosen.compare(VectorOperators.EQ, (float) (a * kw + b));
              int xi = xb + a * inRow + b * channels + shift;
              FloatVector.fromArray(S, dx, xi, m).add(zero.blend(g, here)).intoArray(dx, xi, m);
            }
          }
        }
      }
    }
  }

  /**
   * {@link #maxPoolBackward} for whole vectors of channels: the same routing with no masks, pixel
   * by pixel with the channels innermost (SEEDCNN's p1, 32 channels: 18.7 us per sample masked).
   */
  private static void maxPoolBackwardWhole(
      float[] x, int xo, int rowStep, int colStep, int inRow, int kh, int kw, int channels,
      float[] d, int dOff, float[] dx, int dxo, int rows, int cols) {
    int shift = dxo - xo;
    FloatVector zero = FloatVector.zero(S);
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int pixel = xo + r * rowStep + c * colStep;
        int dp = dOff + (r * cols + c) * channels;
        for (int f = 0; f < channels; f += L) {
          int xb = pixel + f;
          FloatVector best = FloatVector.fromArray(S, x, xb);
          FloatVector chosen = zero;
          for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
              FloatVector v = FloatVector.fromArray(S, x, xb + a * inRow + b * channels);
              VectorMask<Float> larger = v.compare(VectorOperators.GT, best);
              best = best.blend(v, larger);
              chosen = chosen.blend((float) (a * kw + b), larger);
            }
          }
          FloatVector g = FloatVector.fromArray(S, d, dp + f);
          for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
              VectorMask<Float> here = chosen.compare(VectorOperators.EQ, (float) (a * kw + b));
              int xi = xb + a * inRow + b * channels + shift;
              FloatVector.fromArray(S, dx, xi).add(zero.blend(g, here)).intoArray(dx, xi);
            }
          }
        }
      }
    }
  }
}
