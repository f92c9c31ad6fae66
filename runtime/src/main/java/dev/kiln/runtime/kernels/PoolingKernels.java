package dev.kiln.runtime.kernels;

/**
 * The plain definitions of {@link Kernels#maxPool} and {@link Kernels#maxPoolBackward}: the path
 * where the Vector API is absent, and what the tests hold {@link VectorPooling} to.
 */
final class PoolingKernels {
  private PoolingKernels() {}

  static void plainMaxPoolClipped(
      float[] x, int xo, int height, int width, int channels, int kh, int kw, int sh, int sw,
      int padTop, int padLeft, float[] y, int yo, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      int top = r * sh - padTop;
      for (int c = 0; c < cols; c++) {
        int left = c * sw - padLeft;
        int yb = yo + (r * cols + c) * channels;
        for (int ch = 0; ch < channels; ch++) {
          float v = Float.NEGATIVE_INFINITY;
          for (int a = Math.max(0, -top); a < Math.min(kh, height - top); a++) {
            for (int b = Math.max(0, -left); b < Math.min(kw, width - left); b++) {
              v = Math.max(v, x[xo + ((top + a) * width + left + b) * channels + ch]);
            }
          }
          y[yb + ch] = v;
        }
      }
    }
  }

  static void plainMaxPool(
      float[] x, int xo, int rowStep, int colStep, int inRow, int kh, int kw, int channels,
      float[] y, int yo, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        for (int ch = 0; ch < channels; ch++) {
          int xb = xo + r * rowStep + c * colStep + ch;
          float v = x[xb];
          for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
              v = Math.max(v, x[xb + a * inRow + b * channels]);
            }
          }
          y[yo + (r * cols + c) * channels + ch] = v;
        }
      }
    }
  }

  static void plainMaxPoolBackward(
      float[] x, int xo, int rowStep, int colStep, int inRow, int kh, int kw, int channels,
      float[] d, int dOff, float[] dx, int dxo, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        for (int ch = 0; ch < channels; ch++) {
          int xb = xo + r * rowStep + c * colStep + ch;
          int best = xb;
          float m = x[xb];
          for (int a = 0; a < kh; a++) {
            for (int b = 0; b < kw; b++) {
              int xi = xb + a * inRow + b * channels;
              if (x[xi] > m) {
                m = x[xi];
                best = xi;
              }
            }
          }
          dx[best - xo + dxo] += d[dOff + (r * cols + c) * channels + ch];
        }
      }
    }
  }
}
