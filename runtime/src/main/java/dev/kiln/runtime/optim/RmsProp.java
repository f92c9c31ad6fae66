package dev.kiln.runtime.optim;

/**
 * RMSProp: divides each gradient by a running root mean square of its recent values. Per
 * parameter, {@code s = rho * s + (1 - rho) * g^2}, then {@code p -= lr * g / (sqrt(s) +
 * epsilon)}. {@code s} starts at zero and, as in Keras and PyTorch, is not bias-corrected, so the
 * first steps are larger than {@code lr} (about {@code lr / sqrt(1 - rho)} on the first).
 *
 * <p>{@code RmsProp.lr(1e-3).rho(0.9).epsilon(1e-7)}; see {@link Optimizer} for the shared
 * settings. {@code rho} defaults to 0.9 and {@code epsilon} to 1e-7, tf.keras's defaults
 * (PyTorch's are 0.99 and 1e-8).
 */
public final class RmsProp extends FlatOptimizer {
  private final double rho;
  private final double epsilon;
  private float[] meanSquare;

  private RmsProp(Settings settings, double rho, double epsilon) {
    super(settings);
    this.rho = rho;
    this.epsilon = epsilon;
  }

  /** RMSProp with base learning rate {@code rate} (positive and finite), rho 0.9, epsilon 1e-7. */
  public static RmsProp lr(double rate) {
    return new RmsProp(Settings.lr(rate), 0.9, 1e-7);
  }

  /** A new optimizer whose mean square decays by {@code rho} per step, in [0, 1). */
  public RmsProp rho(double rho) {
    if (!(rho >= 0 && rho < 1)) {
      throw new IllegalArgumentException("rho must be in [0, 1), got " + rho);
    }
    return new RmsProp(settings, rho, epsilon);
  }

  /** A new optimizer that adds {@code epsilon} (positive) to {@code sqrt(s)} before dividing. */
  public RmsProp epsilon(double epsilon) {
    return new RmsProp(settings, rho, Adam.checkEpsilon(epsilon));
  }

  /** A new optimizer with coupled L2 weight decay {@code g' = g + wd * p} ({@code wd >= 0}). */
  public RmsProp weightDecay(double wd) {
    return new RmsProp(settings.withWeightDecay(wd), rho, epsilon);
  }

  /**
   * A new optimizer that decays only the given {@code [from, to)} ranges of the parameter array,
   * given as {@code from0, to0, from1, to1, ...}; see {@link Optimizer#weightRanges}.
   */
  public RmsProp decayOnly(int... fromTo) {
    return new RmsProp(settings.withDecayOnly(fromTo), rho, epsilon);
  }

  /** A new optimizer whose learning rate follows {@code schedule}. */
  public RmsProp schedule(Schedule schedule) {
    return new RmsProp(settings.withSchedule(schedule), rho, epsilon);
  }

  @Override
  float[][] stateArrays() {
    return new float[][] {meanSquare};
  }

  @Override
  void allocate(int parameterCount) {
    meanSquare = new float[parameterCount];
  }

  @Override
  void update(float[] p, float[] g, int from, int to, float decay, double rate, int t) {
    float lr = (float) rate;
    float keep = (float) rho;
    float add = (float) (1 - rho);
    float eps = (float) epsilon;
    float[] s = meanSquare;
    for (int i = from; i < to; i++) {
      float gi = g[i] + decay * p[i];
      float si = keep * s[i] + add * gi * gi;
      s[i] = si;
      p[i] -= lr * gi / ((float) Math.sqrt(si) + eps);
    }
  }

  @Override
  float[] deviceConstants(int t) {
    return new float[] {(float) rho, (float) (1 - rho), (float) epsilon};
  }

  @Override
  String describe() {
    return "rho " + rho + ", epsilon " + epsilon;
  }
}
