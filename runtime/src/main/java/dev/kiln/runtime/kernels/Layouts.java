package dev.kiln.runtime.kernels;

import java.util.Arrays;

/**
 * The layout conversions generated code runs around the kernels: {@link Kernels#pad}, {@link
 * Kernels#spread}, {@link Kernels#rotate}, {@link Kernels#toPlanar} and {@link Kernels#widen},
 * where each is defined. Plain Java on both paths; the planar path's size rules are {@link
 * PlanarRules}'.
 */
final class Layouts {
  private Layouts() {}

  static void pad(
      float[] x, int xo, int height, int width, int channels,
      float[] dst, int dOff, int top, int left, int paddedHeight, int paddedWidth) {
    // Only the border is zeroed: zeroing the whole buffer and then copying the input over it
    // wrote the interior twice (ResNet-18's first stage pads 56x56x64 per convolution).
    int dstRow = paddedWidth * channels;
    int rowLength = width * channels;
    Arrays.fill(dst, dOff, dOff + top * dstRow, 0f);
    for (int r = 0; r < height; r++) {
      int row = dOff + (r + top) * dstRow;
      Arrays.fill(dst, row, row + left * channels, 0f);
      System.arraycopy(x, xo + r * rowLength, dst, row + left * channels, rowLength);
      Arrays.fill(dst, row + left * channels + rowLength, row + dstRow, 0f);
    }
    Arrays.fill(dst, dOff + (top + height) * dstRow, dOff + paddedHeight * dstRow, 0f);
  }

  static void spread(
      float[] d, int dOff, int rows, int cols, int n, int strideH, int strideW,
      float[] dst, int dstOff, int top, int left, int height, int width) {
    Arrays.fill(dst, dstOff, dstOff + height * width * n, 0f);
    for (int r = 0; r < rows; r++) {
      int h = r * strideH + top;
      if (h < 0 || h >= height) {
        continue;
      }
      for (int c = 0; c < cols; c++) {
        int v = c * strideW + left;
        if (v >= 0 && v < width) {
          System.arraycopy(d, dOff + (r * cols + c) * n, dst, dstOff + (h * width + v) * n, n);
        }
      }
    }
  }

  static void rotate(
      float[] w, int wo, int kh, int kw, int in, int out, int width, float[] dst, int dstOff) {
    for (int a = 0; a < kh; a++) {
      for (int b = 0; b < kw; b++) {
        int source = wo + ((kh - 1 - a) * kw + (kw - 1 - b)) * in * out;
        int target = dstOff + (a * kw + b) * out * width;
        // Along the source's rows (out floats, LeNet-5's c3: 16), not its columns (in: 6): the
        // short inner loop took a tenth of c3's backward pass.
        for (int i = 0; i < in; i++) {
          int column = source + i * out;
          for (int o = 0; o < out; o++) {
            dst[target + o * width + i] = w[column + o];
          }
        }
        if (width > in) {
          for (int o = 0; o < out; o++) {
            Arrays.fill(dst, target + o * width + in, target + (o + 1) * width, 0f);
          }
        }
      }
    }
  }

  static void toPlanar(
      float[] x, int xo, int height, int width, int channels, int planes,
      float[] dst, int dOff, int top, int left, int paddedHeight, int paddedWidth) {
    int plane = paddedHeight * paddedWidth;
    Arrays.fill(dst, dOff, dOff + planes * plane, 0f);
    for (int h = 0; h < height; h++) {
      for (int v = 0; v < width; v++) {
        int xi = xo + (h * width + v) * channels;
        int di = dOff + (h + top) * paddedWidth + v + left;
        for (int ch = 0; ch < channels; ch++) {
          dst[di + ch * plane] = x[xi + ch];
        }
      }
    }
  }

  static void widen(float[] w, int wo, int rows, int n, int np, float[] dst, int dOff) {
    for (int r = 0; r < rows; r++) {
      System.arraycopy(w, wo + r * n, dst, dOff + r * np, n);
      Arrays.fill(dst, dOff + r * np + n, dOff + (r + 1) * np, 0f);
    }
  }
}
