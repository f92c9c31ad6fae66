package dev.kiln.runtime.optim;

/**
 * Plain stochastic gradient descent: {@code p -= lr * g}. It keeps no per-parameter state.
 *
 * <p>{@code Sgd.lr(0.01).weightDecay(5e-4).schedule(Schedule.step(30, 0.1))}; see {@link
 * Optimizer} for what the settings mean.
 */
public final class Sgd extends FlatOptimizer {

  private Sgd(Settings settings) {
    super(settings);
  }

  /** Plain SGD with base learning rate {@code rate} (positive and finite). */
  public static Sgd lr(double rate) {
    return new Sgd(Settings.lr(rate));
  }

  /** A new optimizer with coupled L2 weight decay {@code g' = g + wd * p} ({@code wd >= 0}). */
  public Sgd weightDecay(double wd) {
    return new Sgd(settings.withWeightDecay(wd));
  }

  /**
   * A new optimizer that decays only the given {@code [from, to)} ranges of the parameter array,
   * given as {@code from0, to0, from1, to1, ...}; see {@link Optimizer#weightRanges}.
   */
  public Sgd decayOnly(int... fromTo) {
    return new Sgd(settings.withDecayOnly(fromTo));
  }

  /** A new optimizer whose learning rate follows {@code schedule}. */
  public Sgd schedule(Schedule schedule) {
    return new Sgd(settings.withSchedule(schedule));
  }

  @Override
  float[][] stateArrays() {
    return new float[0][];
  }

  @Override
  void allocate(int parameterCount) {}

  @Override
  void update(float[] p, float[] g, int from, int to, float decay, double rate, int t) {
    float lr = (float) rate;
    for (int i = from; i < to; i++) {
      p[i] -= lr * (g[i] + decay * p[i]);
    }
  }

  @Override
  float[] deviceConstants(int t) {
    return new float[0];
  }

  @Override
  String describe() {
    return "";
  }
}
