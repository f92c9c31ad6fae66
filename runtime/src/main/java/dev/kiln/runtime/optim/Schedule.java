package dev.kiln.runtime.optim;

/**
 * The learning rate of each step. An optimizer asks its schedule once per step, passing the index
 * of the step about to be taken (0 for the first) and its base rate (the one given to {@code
 * lr(...)}).
 *
 * <p>A custom schedule is a lambda, e.g. a linear warm-up: {@code (step, base) -> base *
 * Math.min(1, (step + 1) / 100.0)}. It must return a finite rate of zero or more.
 */
@FunctionalInterface
public interface Schedule {

  /** The rate for step {@code step} (0-based), given the optimizer's base rate. */
  double at(int step, double baseRate);

  /** Always the base rate. The default. */
  static Schedule constant() {
    return Schedules.Constant.INSTANCE;
  }

  /**
   * The base rate times {@code factor} once per {@code every} steps: {@code baseRate *
   * factor^(step / every)} with integer division, like PyTorch's {@code StepLR}. {@code step(30,
   * 0.1)} uses the base rate for steps 0 to 29, a tenth of it for steps 30 to 59, and so on.
   */
  static Schedule step(int every, double factor) {
    return new Schedules.Step(every, factor);
  }

  /**
   * Cosine decay from the base rate at step 0 to {@code minRate} at step {@code totalSteps}, then
   * {@code minRate}: {@code minRate + (baseRate - minRate) * (1 + cos(pi * step / totalSteps)) /
   * 2}, as PyTorch's {@code CosineAnnealingLR} (with {@code T_max = totalSteps}) and Keras's {@code
   * CosineDecay} compute it.
   */
  static Schedule cosine(int totalSteps, double minRate) {
    return new Schedules.Cosine(totalSteps, minRate);
  }

  /**
   * Smith's one-cycle policy, which ignores the optimizer's base rate. With {@code w = 0.3 *
   * totalSteps}: for steps before {@code w} the rate rises linearly from {@code peakRate / 25} (at
   * step 0) towards {@code peakRate} (reached at step {@code w}); from {@code w} it falls along a
   * cosine from {@code peakRate} to {@code peakRate / 1e4}, which it reaches at step {@code
   * totalSteps} and keeps after.
   *
   * <p>This differs from PyTorch's {@code OneCycleLR} defaults, which warm up along a cosine too
   * and end at {@code peakRate / 25 / 1e4}, one step earlier.
   */
  static Schedule oneCycle(int totalSteps, double peakRate) {
    return new Schedules.OneCycle(totalSteps, peakRate);
  }
}
