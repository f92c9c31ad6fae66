package dev.kiln.runtime.kernels;

/**
 * The plain definitions of the planar path, {@link Kernels#convolvePlanar} and {@link
 * Kernels#weightGradientPlanar}: the path where the Vector API is absent (and {@link
 * VectorPlanar}'s for shapes its blocks do not take), and what the tests hold {@link VectorPlanar}
 * and {@link VectorPlanarGradient} to.
 */
final class PlanarConvolution {
  private PlanarConvolution() {}

  static void plainConvolvePlanar(
      float[] x, int xo, int channels, int height, int width, int kh, int kw, float[] w, int wo,
      int np, float[] b, int bo, int n, float[] y, int yo, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int yi = yo + (r * cols + c) * n;
        for (int f = 0; f < n; f++) {
          float sum = bo >= 0 ? b[bo + f] : 0f;
          for (int a = 0; a < kh; a++) {
            for (int bb = 0; bb < kw; bb++) {
              for (int ch = 0; ch < channels; ch++) {
                sum += x[xo + (ch * height + r + a) * width + c + bb]
                    * w[wo + ((a * kw + bb) * channels + ch) * np + f];
              }
            }
          }
          y[yi + f] = sum;
        }
      }
    }
  }

  /** {@link Kernels#weightGradientPlanar} from its planar copies, a plain loop per weight. */
  static void plainWeightGradientPlanar(
      float[] s, int xs, int channels, int wx, int kh, int kw, int ds, int n, int rows, int cols, int cp,
      float[] g, int go) {
    for (int c = 0; c < channels; c++) {
      for (int a = 0; a < kh; a++) {
        for (int b = 0; b < kw; b++) {
          for (int k = 0; k < n; k++) {
            float sum = 0f;
            for (int r = 0; r < rows; r++) {
              for (int q = 0; q < cols; q++) {
                sum += s[xs + (c * (rows + kh - 1) + r + a) * wx + q + b] * s[ds + (k * rows + r) * cp + q];
              }
            }
            g[go + ((a * kw + b) * channels + c) * n + k] += sum;
          }
        }
      }
    }
  }
}
