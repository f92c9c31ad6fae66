package dev.kiln.runtime.kernels;

/**
 * The plain definitions of a dense layer's gradients, {@link Kernels#transposedProduct} and {@link
 * Kernels#outerProduct} (its forward pass is {@link Kernels#convolve} of one pixel): the path
 * where the Vector API is absent, and what the tests hold {@link VectorDense} to.
 */
final class DenseKernels {
  private DenseKernels() {}

  static void plainTransposedProduct(
      float[] w, int wo, int m, int n, float[] d, int dOff, float[] dx, int dxo) {
    for (int i = 0; i < m; i++) {
      float sum = 0f;
      for (int f = 0; f < n; f++) {
        sum += w[wo + i * n + f] * d[dOff + f];
      }
      dx[dxo + i] = sum;
    }
  }

  static void plainOuterProduct(float[] x, int xo, int m, float[] d, int dOff, int n, float[] g, int go) {
    for (int i = 0; i < m; i++) {
      float xv = x[xo + i];
      for (int f = 0; f < n; f++) {
        g[go + i * n + f] += xv * d[dOff + f];
      }
    }
  }
}
