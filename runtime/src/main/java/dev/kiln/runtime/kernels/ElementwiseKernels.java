package dev.kiln.runtime.kernels;

/**
 * The plain definitions of {@link Kernels#relu}, {@link Kernels#reluDerivative} and {@link
 * Kernels#biasGradient} (the path where the Vector API is absent, and what the tests hold {@link
 * VectorElementwise} to), and {@link Kernels#add}, plain on both paths.
 */
final class ElementwiseKernels {
  private ElementwiseKernels() {}

  static void plainRelu(float[] x, int xo, float[] y, int yo, int n) {
    for (int i = 0; i < n; i++) {
      y[yo + i] = Math.max(0f, x[xo + i]);
    }
  }

  static void plainReluDerivative(float[] y, int yo, float[] d, int dOff, int n) {
    for (int i = 0; i < n; i++) {
      d[dOff + i] = y[yo + i] > 0f ? d[dOff + i] : 0f;
    }
  }

  static void plainBiasGradient(float[] d, int dOff, int pixels, int n, float[] g, int go) {
    for (int f = 0; f < n; f++) {
      float sum = 0f;
      for (int pixel = 0; pixel < pixels; pixel++) {
        sum += d[dOff + pixel * n + f];
      }
      g[go + f] += sum;
    }
  }

  /** {@link Kernels#scaleShift} without its ReLU, on the plain path. */
  static void plainScaleShift(float[] x, int xo, float[] affine, int channels, int pixels, float[] y, int yo) {
    for (int px = 0; px < pixels; px++) {
      for (int c = 0; c < channels; c++) {
        int i = px * channels + c;
        y[yo + i] = x[xo + i] * affine[c] + affine[channels + c];
      }
    }
  }

  /** A plain loop on both paths: HotSpot's C2 vectorizes it on its own. */
  static void add(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
    for (int i = 0; i < n; i++) {
      y[yo + i] = a[ao + i] + b[bo + i];
    }
  }
}
