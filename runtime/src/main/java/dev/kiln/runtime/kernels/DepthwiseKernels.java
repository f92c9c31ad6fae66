package dev.kiln.runtime.kernels;

/**
 * Depthwise convolution: output channel {@code o = ch·m + k} of pixel {@code (r, c)} sums input
 * channel {@code ch} under filter {@code k} over the window's taps,
 *
 * <pre>
 * y[yo + (r·cols + c)·C·m + o] = b[bo + o] (0 if bo &lt; 0)
 *     + Σ_{i &lt; kh} Σ_{j &lt; kw} x[xo + r·rowStep + c·colStep + i·tapStep + j·C + ch]
 *                               · w[wo + (i·kw + j)·C·m + o]
 * </pre>
 *
 * with {@code C} input channels and multiplier {@code m} (weights {@code [kh, kw, C, m]}). The
 * windows lie inside {@code x} (a padded layer passes its zero-bordered copy). The plain loops
 * here are the reference the vector ones ({@link VectorDepthwise}) are tested against, and the
 * path on JVMs without the Vector API.
 */
final class DepthwiseKernels {
  private DepthwiseKernels() {}

  static void convolve(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int kh, int kw, int channels,
      int multiplier, float[] w, int wo, float[] b, int bo, float[] y, int yo, int rows, int cols) {
    int outputs = channels * multiplier;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int yb = yo + (r * cols + c) * outputs;
        int xb = xo + r * rowStep + c * colStep;
        for (int o = 0; o < outputs; o++) {
          y[yb + o] = bo < 0 ? 0f : b[bo + o];
        }
        for (int i = 0; i < kh; i++) {
          for (int j = 0; j < kw; j++) {
            int xt = xb + i * tapStep + j * channels;
            int wt = wo + (i * kw + j) * outputs;
            for (int ch = 0; ch < channels; ch++) {
              float v = x[xt + ch];
              for (int k = 0; k < multiplier; k++) {
                y[yb + ch * multiplier + k] += v * w[wt + ch * multiplier + k];
              }
            }
          }
        }
      }
    }
  }

  /**
   * The gradients of {@link #convolve} for the output gradient {@code d}: the weights' added into
   * {@code g[go..]} (each summed over the pixels in order), and, unless {@code dx} is null, the
   * windows' input added into {@code dx}, laid out like {@code x} from {@code dxo} instead of
   * {@code xo}.
   */
  static void gradients(
      float[] x, int xo, int rowStep, int colStep, int tapStep, int kh, int kw, int channels,
      int multiplier, float[] w, int wo, float[] d, int dOff, int rows, int cols, float[] g,
      int go, float[] dx, int dxo) {
    int outputs = channels * multiplier;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int db = dOff + (r * cols + c) * outputs;
        int xb = r * rowStep + c * colStep;
        for (int i = 0; i < kh; i++) {
          for (int j = 0; j < kw; j++) {
            int xt = xb + i * tapStep + j * channels;
            int wt = (i * kw + j) * outputs;
            for (int ch = 0; ch < channels; ch++) {
              float v = x[xo + xt + ch];
              float sum = 0f;
              for (int k = 0; k < multiplier; k++) {
                float dv = d[db + ch * multiplier + k];
                g[go + wt + ch * multiplier + k] += v * dv;
                sum += w[wo + wt + ch * multiplier + k] * dv;
              }
              if (dx != null) {
                dx[dxo + xt + ch] += sum;
              }
            }
          }
        }
      }
    }
  }
}
