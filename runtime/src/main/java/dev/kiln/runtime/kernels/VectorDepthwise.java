package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DepthwiseKernels} over vectors of channels. With a multiplier of 1 (MobileNet's), input
 * channel, weight and output share one index, so a tap is one fused multiply-add per vector of
 * channels; the accumulators of a pixel stay in registers over its taps. With more filters per
 * channel, the multiplier's run is the vector and the input value is broadcast (runs shorter than
 * a vector are masked). Loaded only on the vector path.
 */
final class VectorDepthwise {
  private static final VectorSpecies<Float> S = Vectors.S;
  private static final int L = Vectors.L;

  private VectorDepthwise() {}

  static void convolve(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int kh, int kw, int channels,
      int multiplier, float[] w, int wo, float[] b, int bo, float[] y, int yo, int rows, int cols) {
    int outputs = channels * multiplier;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int yb = yo + (r * cols + c) * outputs;
        int xb = xo + r * rowStep + c * colStep;
        if (multiplier == 1) {
          pixel(x, xb, tapStep, kh, kw, channels, w, wo, b, bo, y, yb);
        } else {
          pixelMultiplied(x, xb, tapStep, kh, kw, channels, multiplier, w, wo, b, bo, y, yb);
        }
      }
    }
  }

  /** One output pixel, one vector of channels at a time over every tap. */
  private static void pixel(
      float[] x, int xb, int tapStep, int kh, int kw, int channels, float[] w, int wo, float[] b,
      int bo, float[] y, int yb) {
    for (int o = 0; o < channels; o += L) {
      VectorMask<Float> m = S.indexInRange(o, channels);
      FloatVector acc =
          bo < 0 ? FloatVector.zero(S) : FloatVector.fromArray(S, b, bo + o, m);
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          int xt = xb + i * tapStep + j * channels + o;
          int wt = wo + (i * kw + j) * channels + o;
          acc = FloatVector.fromArray(S, x, xt, m).fma(FloatVector.fromArray(S, w, wt, m), acc);
        }
      }
      acc.intoArray(y, yb + o, m);
    }
  }

  /** One output pixel of a layer with several filters per channel: the input value broadcast. */
  private static void pixelMultiplied(
      float[] x, int xb, int tapStep, int kh, int kw, int channels, int multiplier, float[] w,
      int wo, float[] b, int bo, float[] y, int yb) {
    int outputs = channels * multiplier;
    for (int ch = 0; ch < channels; ch++) {
      for (int k = 0; k < multiplier; k += L) {
        VectorMask<Float> m = S.indexInRange(k, multiplier);
        int o = ch * multiplier + k;
        FloatVector acc = bo < 0 ? FloatVector.zero(S) : FloatVector.fromArray(S, b, bo + o, m);
        for (int i = 0; i < kh; i++) {
          for (int j = 0; j < kw; j++) {
            float v = x[xb + i * tapStep + j * channels + ch];
            int wt = wo + (i * kw + j) * outputs + o;
            acc = FloatVector.fromArray(S, w, wt, m).fma(FloatVector.broadcast(S, v), acc);
          }
        }
        acc.intoArray(y, yb + o, m);
      }
    }
  }

  static void gradients(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int kh, int kw, int channels,
      int multiplier, float[] w, int wo, float[] d, int dOff, int rows, int cols, float[] g,
      int go, float[] dx, int dxo) {
    if (multiplier != 1) {
      // Several filters per channel (rare outside MobileNet's first layers): the plain loops.
      DepthwiseKernels.gradients(
          x, xo, rowStep, colStep, tapStep, kh, kw, channels, multiplier, w, wo, d, dOff, rows,
          cols, g, go, dx, dxo);
      return;
    }
    // The weights' gradient tap by tap, each vector of channels summed over the pixels in
    // registers and added into g once.
    for (int i = 0; i < kh; i++) {
      for (int j = 0; j < kw; j++) {
        int tap = i * tapStep + j * channels;
        int gt = go + (i * kw + j) * channels;
        for (int o = 0; o < channels; o += L) {
          VectorMask<Float> m = S.indexInRange(o, channels);
          FloatVector acc = FloatVector.zero(S);
          for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
              int xt = xo + r * rowStep + c * colStep + tap + o;
              int db = dOff + (r * cols + c) * channels + o;
              acc = FloatVector.fromArray(S, x, xt, m).fma(FloatVector.fromArray(S, d, db, m), acc);
            }
          }
          FloatVector.fromArray(S, g, gt + o, m).add(acc).intoArray(g, gt + o, m);
        }
      }
    }
    if (dx == null) {
      return;
    }
    // The input's gradient pixel by pixel: each tap adds weight times output gradient.
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int xb = dxo + r * rowStep + c * colStep;
        int db = dOff + (r * cols + c) * channels;
        for (int o = 0; o < channels; o += L) {
          VectorMask<Float> m = S.indexInRange(o, channels);
          FloatVector dv = FloatVector.fromArray(S, d, db + o, m);
          for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
              int xt = xb + i * tapStep + j * channels + o;
              int wt = wo + (i * kw + j) * channels + o;
              FloatVector.fromArray(S, w, wt, m)
                  .fma(dv, FloatVector.fromArray(S, dx, xt, m))
                  .intoArray(dx, xt, m);
            }
          }
        }
      }
    }
  }
}
