package dev.kiln.runtime.optim;

/**
 * SGD with classical or Nesterov momentum, in PyTorch's formulation: per parameter,
 * {@code v = mu * v + g}, then {@code p -= lr * v}, or with Nesterov
 * {@code p -= lr * (g + mu * v)}. The velocity starts at zero, so the first classical step is
 * plain SGD's. Keras's {@code SGD} folds the learning rate into its velocity instead; the two
 * agree while the rate is constant and differ when a schedule changes it (here a new rate applies
 * to the whole velocity at once).
 *
 * <p>{@code Momentum.lr(0.1).momentum(0.9).nesterov(true).weightDecay(5e-4)}; see {@link
 * Optimizer} for the shared settings. The momentum {@code mu} defaults to 0.9.
 */
public final class Momentum extends FlatOptimizer {
  private final double momentum;
  private final boolean nesterov;
  private float[] velocity;

  private Momentum(Settings settings, double momentum, boolean nesterov) {
    super(settings);
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  /** Classical momentum 0.9 with base learning rate {@code rate} (positive and finite). */
  public static Momentum lr(double rate) {
    return new Momentum(Settings.lr(rate), 0.9, false);
  }

  /** A new optimizer with momentum {@code mu}, in [0, 1). */
  public Momentum momentum(double mu) {
    if (!(mu >= 0 && mu < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + mu);
    }
    return new Momentum(settings, mu, nesterov);
  }

  /** A new optimizer with Nesterov momentum ({@code true}) or classical momentum. */
  public Momentum nesterov(boolean nesterov) {
    return new Momentum(settings, momentum, nesterov);
  }

  /** A new optimizer with coupled L2 weight decay {@code g' = g + wd * p} ({@code wd >= 0}). */
  public Momentum weightDecay(double wd) {
    return new Momentum(settings.withWeightDecay(wd), momentum, nesterov);
  }

  /**
   * A new optimizer that decays only the given {@code [from, to)} ranges of the parameter array,
   * given as {@code from0, to0, from1, to1, ...}; see {@link Optimizer#weightRanges}.
   */
  public Momentum decayOnly(int... fromTo) {
    return new Momentum(settings.withDecayOnly(fromTo), momentum, nesterov);
  }

  /** A new optimizer whose learning rate follows {@code schedule}. */
  public Momentum schedule(Schedule schedule) {
    return new Momentum(settings.withSchedule(schedule), momentum, nesterov);
  }

  @Override
  float[][] stateArrays() {
    return new float[][] {velocity};
  }

  @Override
  void allocate(int parameterCount) {
    velocity = new float[parameterCount];
  }

  @Override
  void update(float[] p, float[] g, int from, int to, float decay, double rate, int t) {
    float lr = (float) rate;
    float mu = (float) momentum;
    float[] v = velocity;
    if (nesterov) {
      for (int i = from; i < to; i++) {
        float gi = g[i] + decay * p[i];
        float vi = mu * v[i] + gi;
        v[i] = vi;
        p[i] -= lr * (gi + mu * vi);
      }
    } else {
      for (int i = from; i < to; i++) {
        float gi = g[i] + decay * p[i];
        float vi = mu * v[i] + gi;
        v[i] = vi;
        p[i] -= lr * vi;
      }
    }
  }

  @Override
  float[] deviceConstants(int t) {
    return new float[] {(float) momentum, nesterov ? 1f : 0f};
  }

  @Override
  String describe() {
    return (nesterov ? "Nesterov momentum " : "momentum ") + momentum;
  }
}
