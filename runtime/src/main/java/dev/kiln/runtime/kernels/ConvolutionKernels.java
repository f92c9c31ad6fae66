package dev.kiln.runtime.kernels;

/**
 * The plain definitions of {@link Kernels#convolve} and {@link Kernels#weightGradient}: the path
 * where the Vector API is absent, and what the tests hold the vector kernels ({@link
 * VectorConvolution}, {@link VectorWeightGradient}) to.
 */
final class ConvolutionKernels {
  private ConvolutionKernels() {}

  static void plainConvolve(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] w, int wo, float[] b, int bo, int n, float[] y, int yo, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int yb = yo + (r * cols + c) * n;
        for (int f = 0; f < n; f++) {
          y[yb + f] = bo >= 0 ? b[bo + f] : 0f;
        }
        int xb = xo + r * rowStep + c * colStep;
        for (int t = 0; t < taps; t++) {
          for (int j = 0; j < tapLength; j++) {
            float xv = x[xb + t * tapStep + j];
            int wb = wo + (t * tapLength + j) * n;
            for (int f = 0; f < n; f++) {
              y[yb + f] += xv * w[wb + f];
            }
          }
        }
      }
    }
  }

  static void plainWeightGradient(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int taps, int tapLength,
      float[] d, int dOff, int n, int rows, int cols, float[] g, int go) {
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int db = dOff + (r * cols + c) * n;
        int xb = xo + r * rowStep + c * colStep;
        for (int t = 0; t < taps; t++) {
          for (int j = 0; j < tapLength; j++) {
            float xv = x[xb + t * tapStep + j];
            int gb = go + (t * tapLength + j) * n;
            for (int f = 0; f < n; f++) {
              g[gb + f] += xv * d[db + f];
            }
          }
        }
      }
    }
  }
}
