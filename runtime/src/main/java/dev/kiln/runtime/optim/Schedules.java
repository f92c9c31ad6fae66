package dev.kiln.runtime.optim;

/** The built-in {@link Schedule}s, as values with a readable {@code toString}. */
final class Schedules {
  private Schedules() {}

  static void checkStep(int step) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be 0 or more, got " + step);
    }
  }

  enum Constant implements Schedule {
    INSTANCE;

    @Override
    public double at(int step, double baseRate) {
      checkStep(step);
      return baseRate;
    }

    @Override
    public String toString() {
      return "constant";
    }
  }

  record Step(int every, double factor) implements Schedule {
    Step {
      if (every < 1) {
        throw new IllegalArgumentException(
            "step schedule: every must be at least 1 step, got " + every);
      }
      if (!(factor > 0) || !Double.isFinite(factor)) {
        throw new IllegalArgumentException(
            "step schedule: factor must be positive and finite, got " + factor);
      }
    }

    @Override
    public double at(int step, double baseRate) {
      checkStep(step);
      return baseRate * Math.pow(factor, step / every);
    }

    @Override
    public String toString() {
      return "step(every " + every + ", factor " + factor + ")";
    }
  }

  record Cosine(int totalSteps, double minRate) implements Schedule {
    Cosine {
      if (totalSteps < 1) {
        throw new IllegalArgumentException(
            "cosine schedule: totalSteps must be at least 1, got " + totalSteps);
      }
      if (!(minRate >= 0) || !Double.isFinite(minRate)) {
        throw new IllegalArgumentException(
            "cosine schedule: minRate must be 0 or more and finite, got " + minRate);
      }
    }

    @Override
    public double at(int step, double baseRate) {
      checkStep(step);
      if (step >= totalSteps) {
        return minRate;
      }
      return minRate + (baseRate - minRate) * (1 + Math.cos(Math.PI * step / totalSteps)) / 2;
    }

    @Override
    public String toString() {
      return "cosine(" + totalSteps + " steps, min " + minRate + ")";
    }
  }

  record OneCycle(int totalSteps, double peakRate) implements Schedule {
    static final double WARM_UP = 0.3;
    static final double INITIAL_DIVISOR = 25;
    static final double FINAL_DIVISOR = 1e4;

    OneCycle {
      if (totalSteps < 1) {
        throw new IllegalArgumentException(
            "one-cycle schedule: totalSteps must be at least 1, got " + totalSteps);
      }
      if (!(peakRate > 0) || !Double.isFinite(peakRate)) {
        throw new IllegalArgumentException(
            "one-cycle schedule: peakRate must be positive and finite, got " + peakRate);
      }
    }

    @Override
    public double at(int step, double baseRate) {
      checkStep(step);
      double warmUp = WARM_UP * totalSteps;
      double initial = peakRate / INITIAL_DIVISOR;
      double last = peakRate / FINAL_DIVISOR;
      if (step < warmUp) {
        return initial + (peakRate - initial) * step / warmUp;
      }
      if (step >= totalSteps) {
        return last;
      }
      double progress = (step - warmUp) / (totalSteps - warmUp);
      return last + (peakRate - last) * (1 + Math.cos(Math.PI * progress)) / 2;
    }

    @Override
    public String toString() {
      return "oneCycle(" + totalSteps + " steps, peak " + peakRate + ")";
    }
  }
}
