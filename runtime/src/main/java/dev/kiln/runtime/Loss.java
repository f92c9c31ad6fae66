package dev.kiln.runtime;

/**
 * The loss a generated model trains with, chosen at compile time from its last activation:
 * Softmax gives softmax cross-entropy, Sigmoid gives sigmoid (binary) cross-entropy, anything
 * else mean squared error. The two cross-entropies are computed from the logits, which is stable
 * for any logit, and their gradient with respect to the logits is simply {@code prediction -
 * target}.
 */
public enum Loss {
  /** {@code -sum t_i log softmax(z)_i}; targets are probabilities (one-hot for a label). */
  SOFTMAX_CROSS_ENTROPY {
    @Override
    public float compute(
        float[] z, int zo, float[] t, int to, int n, float[] out, int oo, float[] d, int dOff) {
      float max = z[zo];
      for (int i = 1; i < n; i++) {
        max = Math.max(max, z[zo + i]);
      }
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += Math.exp(z[zo + i] - max);
      }
      double logSum = max + Math.log(sum);
      double loss = 0;
      for (int i = 0; i < n; i++) {
        float p = (float) Math.exp(z[zo + i] - logSum);
        out[oo + i] = p;
        d[dOff + i] = p - t[to + i];
        loss -= t[to + i] * (z[zo + i] - logSum);
      }
      return (float) loss;
    }

    @Override
    public double ofPrediction(float[] y, int yo, float[] t, int to, int n) {
      double loss = 0;
      for (int i = 0; i < n; i++) {
        loss -= t[to + i] * Math.log(Math.max(y[yo + i], 1e-30));
      }
      return loss;
    }
  },
  /**
   * {@code mean_i [max(z, 0) - z t + log(1 + exp(-|z|))]}, the stable form of binary
   * cross-entropy on {@code sigmoid(z)}; averaged over the outputs as Keras does.
   */
  SIGMOID_CROSS_ENTROPY {
    @Override
    public float compute(
        float[] z, int zo, float[] t, int to, int n, float[] out, int oo, float[] d, int dOff) {
      double loss = 0;
      for (int i = 0; i < n; i++) {
        double v = z[zo + i];
        double target = t[to + i];
        loss += Math.max(v, 0) - v * target + Math.log1p(Math.exp(-Math.abs(v)));
        float p = (float) (1 / (1 + Math.exp(-v)));
        out[oo + i] = p;
        d[dOff + i] = (float) ((p - target) / n);
      }
      return (float) (loss / n);
    }

    @Override
    public double ofPrediction(float[] y, int yo, float[] t, int to, int n) {
      double loss = 0;
      for (int i = 0; i < n; i++) {
        double p = y[yo + i];
        double target = t[to + i];
        loss -= target * Math.log(Math.max(p, 1e-30)) + (1 - target) * Math.log(Math.max(1 - p, 1e-30));
      }
      return loss / n;
    }
  },
  /** {@code mean_i (y_i - t_i)^2} on the network's output (after its activation). */
  MEAN_SQUARED_ERROR {
    @Override
    public float compute(
        float[] y, int yo, float[] t, int to, int n, float[] out, int oo, float[] d, int dOff) {
      double loss = 0;
      for (int i = 0; i < n; i++) {
        float e = y[yo + i] - t[to + i];
        loss += (double) e * e;
        out[oo + i] = y[yo + i];
        d[dOff + i] = 2 * e / n;
      }
      return (float) (loss / n);
    }

    @Override
    public double ofPrediction(float[] y, int yo, float[] t, int to, int n) {
      double loss = 0;
      for (int i = 0; i < n; i++) {
        double e = (double) y[yo + i] - t[to + i];
        loss += e * e;
      }
      return loss / n;
    }
  };

  /**
   * The loss of one sample, its prediction in {@code out[oo..oo+n)} and the loss gradient in
   * {@code d[dOff..dOff+n)}: with respect to the logits for the cross-entropies, to the output for
   * mean squared error.
   *
   * @param z the logits (cross-entropies) or outputs (mean squared error)
   */
  public abstract float compute(
      float[] z, int zo, float[] t, int to, int n, float[] out, int oo, float[] d, int dOff);

  /**
   * The same loss from a prediction as {@code predict} returns it (probabilities for the
   * cross-entropies, clamped away from 0 and 1 at 1e-30; outputs for mean squared error), for
   * evaluating a test set.
   */
  public abstract double ofPrediction(float[] y, int yo, float[] t, int to, int n);
}
