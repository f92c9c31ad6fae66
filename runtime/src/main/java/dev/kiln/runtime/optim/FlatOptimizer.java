package dev.kiln.runtime.optim;

import java.util.Objects;

/**
 * What the optimizers share: argument checks, the step count, the schedule, and walking the
 * parameter array in segments that do and do not get weight decay, so each subclass writes only
 * its update rule as one plain loop.
 */
abstract class FlatOptimizer implements Optimizer {
  final Settings settings;
  /** The parameter count the state was sized for by the first step; -1 before it. */
  private int size = -1;
  private int steps;
  private double rate;

  FlatOptimizer(Settings settings) {
    this.settings = settings;
  }

  /** Allocates the per-parameter state, once, on the first step. */
  abstract void allocate(int parameterCount);

  /**
   * Applies the update rule to {@code parameters[from, to)}, adding {@code decay * p} to each
   * gradient.
   *
   * @param rate this step's learning rate
   * @param t this step's number, 1 for the first
   */
  abstract void update(
      float[] parameters, float[] gradients, int from, int to, float decay, double rate, int t);

  /**
   * The live per-parameter state arrays in a fixed order (entries null before the first step);
   * empty for a rule without state.
   */
  abstract float[][] stateArrays();

  /** The settings specific to the subclass, for {@link #toString}. */
  abstract String describe();

  /**
   * This rule's constants for step {@code t} (1 for the first), as the {@code update} loop
   * computes them, in the order the device kernel takes them; see {@link DeviceSteps}.
   */
  abstract float[] deviceConstants(int t);

  /**
   * One step whose arithmetic runs elsewhere (an OpenCL device): the same checks, schedule, step
   * count and weight-decay ranges as {@link #step}, but each range goes to {@code target}.
   */
  final void stepOn(int n, DeviceSteps.Target target) {
    if (size < 0) {
      settings.checkFits(name(), n);
    } else if (n != size) {
      throw new IllegalArgumentException(
          name() + ": this optimizer's state was sized for " + size + " parameters by its first"
              + " step, got " + n + " (use one optimizer per parameter array)");
    }
    if (steps == Integer.MAX_VALUE) {
      throw new IllegalStateException(name() + ": step count would overflow");
    }
    double r = settings.rateAt(name(), steps);
    if (size < 0) {
      allocate(n); // the host state stays zero: the device keeps its own
      size = n;
    }
    int t = steps + 1;
    float lr = (float) r;
    float decay = (float) settings.weightDecay;
    float[] constants = deviceConstants(t);
    int[] ranges = settings.decayRanges;
    if (ranges == null) {
      target.update(name(), 0, n, lr, decay, constants);
    } else {
      int at = 0;
      for (int k = 0; k < ranges.length; k += 2) {
        target.update(name(), at, ranges[k], lr, 0, constants);
        target.update(name(), ranges[k], ranges[k + 1], lr, decay, constants);
        at = ranges[k + 1];
      }
      target.update(name(), at, n, lr, 0, constants);
    }
    rate = r;
    steps = t;
  }

  String name() {
    return getClass().getSimpleName();
  }

  @Override
  public final void step(float[] parameters, float[] gradients) {
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(gradients, "gradients");
    int n = parameters.length;
    if (gradients.length != n) {
      throw new IllegalArgumentException(
          name()
              + ": parameters and gradients must have the same length, got "
              + n
              + " parameters and "
              + gradients.length
              + " gradients");
    }
    if (size < 0) {
      settings.checkFits(name(), n);
    } else if (n != size) {
      throw new IllegalArgumentException(
          name()
              + ": this optimizer's state was sized for "
              + size
              + " parameters by its first step, got "
              + n
              + " (use one optimizer per parameter array)");
    }
    if (steps == Integer.MAX_VALUE) {
      throw new IllegalStateException(name() + ": step count would overflow");
    }
    double r = settings.rateAt(name(), steps);
    if (size < 0) {
      allocate(n);
      size = n;
    }
    int t = steps + 1;
    float decay = (float) settings.weightDecay;
    int[] ranges = settings.decayRanges;
    if (ranges == null) {
      update(parameters, gradients, 0, n, decay, r, t);
    } else {
      int at = 0;
      for (int k = 0; k < ranges.length; k += 2) {
        update(parameters, gradients, at, ranges[k], 0, r, t);
        update(parameters, gradients, ranges[k], ranges[k + 1], decay, r, t);
        at = ranges[k + 1];
      }
      update(parameters, gradients, at, n, 0, r, t);
    }
    rate = r;
    steps = t;
  }

  @Override
  public final float[][] state() {
    float[][] live = stateArrays();
    if (size < 0) {
      return new float[0][];
    }
    float[][] copy = new float[live.length][];
    for (int k = 0; k < live.length; k++) {
      copy[k] = live[k].clone();
    }
    return copy;
  }

  @Override
  public final void restore(int steps, float[][] state) {
    Objects.requireNonNull(state, "state");
    if (steps < 0) {
      throw new IllegalArgumentException(name() + ": steps must not be negative, got " + steps);
    }
    int kinds = stateArrays().length;
    if (state.length != kinds && !(state.length == 0 && (steps == 0 || kinds == 0))) {
      throw new IllegalArgumentException(
          name() + " keeps " + kinds + " state array" + (kinds == 1 ? "" : "s") + ", got "
              + state.length);
    }
    int n = state.length == 0 ? -1 : Objects.requireNonNull(state[0], "state[0]").length;
    for (int k = 0; k < state.length; k++) {
      if (Objects.requireNonNull(state[k], "state[" + k + "]").length != n) {
        throw new IllegalArgumentException(
            name() + ": state arrays of different lengths, " + n + " and " + state[k].length);
      }
    }
    if (n >= 0 && size >= 0 && n != size) {
      throw new IllegalArgumentException(
          name() + ": this optimizer's state was sized for " + size + " parameters, got " + n);
    }
    if (n >= 0 && size < 0) {
      settings.checkFits(name(), n);
    }
    double r = steps == 0 ? 0 : settings.rateAt(name(), steps - 1);
    if (n >= 0) {
      if (size < 0) {
        allocate(n);
        size = n;
      }
      float[][] live = stateArrays();
      for (int k = 0; k < kinds; k++) {
        System.arraycopy(state[k], 0, live[k], 0, n);
      }
    }
    this.steps = steps;
    rate = r;
  }

  @Override
  public final int steps() {
    return steps;
  }

  @Override
  public final double learningRate() {
    return steps == 0 ? settings.rateAt(name(), 0) : rate;
  }

  @Override
  public final String toString() {
    String own = describe();
    return name()
        + "("
        + settings
        + (own.isEmpty() ? "" : ", " + own)
        + (steps == 0 ? "" : "; " + steps + " steps taken")
        + ")";
  }
}
