package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Vectors.L;
import static dev.kiln.runtime.kernels.Vectors.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link Kernels#relu}, {@link Kernels#addRelu}, {@link Kernels#scaleShift}, {@link
 * Kernels#reluDerivative} and {@link Kernels#biasGradient} on the vector path.
 */
final class VectorElementwise {
  private VectorElementwise() {}

  static void relu(float[] x, int xo, float[] y, int yo, int n) {
    FloatVector zero = FloatVector.zero(S);
    int full = S.loopBound(n);
    int i = 0;
    for (; i < full; i += L) {
      zero.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
    }
    if (i < n) {
      VectorMask<Float> tail = S.indexInRange(i, n);
      zero.lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xo + i, tail))
          .intoArray(y, yo + i, tail);
    }
  }

  static void addRelu(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n) {
    FloatVector zero = FloatVector.zero(S);
    int full = S.loopBound(n);
    int i = 0;
    for (; i < full; i += L) {
      FloatVector sum = FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i));
      zero.lanewise(VectorOperators.MAX, sum).intoArray(y, yo + i);
    }
    for (; i < n; i++) {
      y[yo + i] = Math.max(0f, a[ao + i] + b[bo + i]);
    }
  }

  /** Lanes are channels (a whole number of vectors of them); see {@link Kernels#scaleShift}. */
  static void scaleShift(
      float[] x, int xo, float[] affine, int channels, int pixels, boolean relu, float[] y, int yo) {
    // Pixel by pixel, in memory order; the scales and shifts stay in L1.
    FloatVector zero = FloatVector.zero(S);
    for (int px = 0; px < pixels; px++) {
      for (int c = 0; c < channels; c += L) {
        int i = px * channels + c;
        FloatVector v = FloatVector.fromArray(S, x, xo + i)
            .mul(FloatVector.fromArray(S, affine, c))
            .add(FloatVector.fromArray(S, affine, channels + c));
        (relu ? zero.lanewise(VectorOperators.MAX, v) : v).intoArray(y, yo + i);
      }
    }
  }

  static void reluDerivative(float[] y, int yo, float[] d, int dOff, int n) {
    FloatVector zero = FloatVector.zero(S);
    int full = S.loopBound(n);
    int i = 0;
    for (; i < full; i += L) {
      VectorMask<Float> on = FloatVector.fromArray(S, y, yo + i).compare(VectorOperators.GT, 0f);
      zero.blend(FloatVector.fromArray(S, d, dOff + i), on).intoArray(d, dOff + i);
    }
    if (i < n) {
      VectorMask<Float> tail = S.indexInRange(i, n);
      VectorMask<Float> on =
          FloatVector.fromArray(S, y, yo + i, tail).compare(VectorOperators.GT, 0f).and(tail);
      zero.blend(FloatVector.fromArray(S, d, dOff + i, tail), on).intoArray(d, dOff + i, tail);
    }
  }

  /** Lanes are channels, each summed over the pixels in order, as the plain loop does. */
  static void biasGradient(float[] d, int dOff, int pixels, int n, float[] g, int go) {
    for (int f = 0; f < n; f += L) {
      VectorMask<Float> m = S.indexInRange(f, n);
      FloatVector sum = FloatVector.zero(S);
      for (int pixel = 0; pixel < pixels; pixel++) {
        sum = sum.add(FloatVector.fromArray(S, d, dOff + pixel * n + f, m));
      }
      FloatVector.fromArray(S, g, go + f, m).add(sum).intoArray(g, go + f, m);
    }
  }
}
