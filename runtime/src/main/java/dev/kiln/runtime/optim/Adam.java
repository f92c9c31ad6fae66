package dev.kiln.runtime.optim;

/**
 * Adam (Kingma and Ba, 2015) with bias correction. Per parameter, at step {@code t} (1 for the
 * first):
 *
 * <pre>
 * m = beta1 * m + (1 - beta1) * g        m_hat = m / (1 - beta1^t)
 * v = beta2 * v + (1 - beta2) * g^2      v_hat = v / (1 - beta2^t)
 * p -= lr * m_hat / (sqrt(v_hat) + epsilon)
 * </pre>
 *
 * <p>The correction makes the first step move each parameter by almost exactly {@code lr} against
 * its gradient's sign. Epsilon is added to {@code sqrt(v_hat)}, after bias correction, as in
 * Algorithm 1 of the paper and in PyTorch. TensorFlow and Keras add it to the uncorrected {@code
 * sqrt(v)} instead (the paper's "epsilon hat"), which acts like a larger epsilon in early steps,
 * and default it to 1e-7; the two agree once {@code epsilon} is small next to {@code sqrt(v)}.
 *
 * <p>Weight decay here is coupled L2 ({@code g' = g + wd * p}, fed to both moments, like PyTorch's
 * {@code Adam(weight_decay=...)}), not AdamW's decoupled decay.
 *
 * <p>{@code Adam.lr(1e-3).betas(0.9, 0.999).epsilon(1e-8).weightDecay(1e-4)}; see {@link
 * Optimizer} for the shared settings. The betas default to 0.9 and 0.999 and epsilon to 1e-8.
 */
public final class Adam extends FlatOptimizer {
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private float[] m;
  private float[] v;

  private Adam(Settings settings, double beta1, double beta2, double epsilon) {
    super(settings);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  /** Adam with base learning rate {@code rate} (positive and finite), betas 0.9 and 0.999. */
  public static Adam lr(double rate) {
    return new Adam(Settings.lr(rate), 0.9, 0.999, 1e-8);
  }

  /** A new optimizer with these decay rates of the first and second moments, each in [0, 1). */
  public Adam betas(double beta1, double beta2) {
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
    }
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
    }
    return new Adam(settings, beta1, beta2, epsilon);
  }

  /** A new optimizer that adds {@code epsilon} (positive) to {@code sqrt(v_hat)}. */
  public Adam epsilon(double epsilon) {
    return new Adam(settings, beta1, beta2, checkEpsilon(epsilon));
  }

  /** A new optimizer with coupled L2 weight decay {@code g' = g + wd * p} ({@code wd >= 0}). */
  public Adam weightDecay(double wd) {
    return new Adam(settings.withWeightDecay(wd), beta1, beta2, epsilon);
  }

  /**
   * A new optimizer that decays only the given {@code [from, to)} ranges of the parameter array,
   * given as {@code from0, to0, from1, to1, ...}; see {@link Optimizer#weightRanges}.
   */
  public Adam decayOnly(int... fromTo) {
    return new Adam(settings.withDecayOnly(fromTo), beta1, beta2, epsilon);
  }

  /** A new optimizer whose learning rate follows {@code schedule}. */
  public Adam schedule(Schedule schedule) {
    return new Adam(settings.withSchedule(schedule), beta1, beta2, epsilon);
  }

  /** Epsilon is a float in the update loop, so it must stay positive as one. */
  static double checkEpsilon(double epsilon) {
    if (!(epsilon > 0) || !Double.isFinite(epsilon) || (float) epsilon == 0) {
      throw new IllegalArgumentException(
          "epsilon must be positive, finite and at least " + Float.MIN_VALUE + ", got " + epsilon);
    }
    return epsilon;
  }

  @Override
  float[][] stateArrays() {
    return new float[][] {m, v};
  }

  @Override
  void allocate(int parameterCount) {
    m = new float[parameterCount];
    v = new float[parameterCount];
  }

  @Override
  void update(float[] p, float[] g, int from, int to, float decay, double rate, int t) {
    float lr = (float) rate;
    float keep1 = (float) beta1;
    float add1 = (float) (1 - beta1);
    float keep2 = (float) beta2;
    float add2 = (float) (1 - beta2);
    float correct1 = (float) (1 / (1 - Math.pow(beta1, t)));
    float correct2 = (float) (1 / (1 - Math.pow(beta2, t)));
    float eps = (float) epsilon;
    float[] m = this.m;
    float[] v = this.v;
    for (int i = from; i < to; i++) {
      float gi = g[i] + decay * p[i];
      float mi = keep1 * m[i] + add1 * gi;
      float vi = keep2 * v[i] + add2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] -= lr * (mi * correct1) / ((float) Math.sqrt(vi * correct2) + eps);
    }
  }

  @Override
  float[] deviceConstants(int t) {
    return new float[] {
      (float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2),
      (float) (1 / (1 - Math.pow(beta1, t))), (float) (1 / (1 - Math.pow(beta2, t))),
      (float) epsilon
    };
  }

  @Override
  String describe() {
    return "betas " + beta1 + ", " + beta2 + ", epsilon " + epsilon;
  }
}
