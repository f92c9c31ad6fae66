package dev.kiln.runtime.optim;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/**
 * The settings every optimizer shares: base learning rate, schedule and weight decay. Immutable;
 * each {@code with} method checks its value and returns a copy.
 */
final class Settings {
  final double baseRate;
  final Schedule schedule;
  final double weightDecay;
  /** Sorted, disjoint, non-empty {@code [from, to)} pairs that get decay; null for all. */
  final int[] decayRanges;

  private Settings(double baseRate, Schedule schedule, double weightDecay, int[] decayRanges) {
    this.baseRate = baseRate;
    this.schedule = schedule;
    this.weightDecay = weightDecay;
    this.decayRanges = decayRanges;
  }

  static Settings lr(double baseRate) {
    if (!(baseRate > 0) || !Double.isFinite(baseRate)) {
      throw new IllegalArgumentException(
          "learning rate must be positive and finite, got " + baseRate);
    }
    return new Settings(baseRate, Schedule.constant(), 0, null);
  }

  Settings withSchedule(Schedule schedule) {
    Objects.requireNonNull(schedule, "schedule");
    return new Settings(baseRate, schedule, weightDecay, decayRanges);
  }

  Settings withWeightDecay(double weightDecay) {
    if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
      throw new IllegalArgumentException(
          "weight decay must be 0 or more and finite, got " + weightDecay);
    }
    return new Settings(baseRate, schedule, weightDecay, decayRanges);
  }

  /** Keeps the union of the given {@code [from, to)} pairs, sorted and merged. */
  Settings withDecayOnly(int... fromTo) {
    Objects.requireNonNull(fromTo, "decay ranges");
    if (fromTo.length % 2 != 0) {
      throw new IllegalArgumentException(
          "decayOnly expects [from, to) pairs of offsets (from0, to0, from1, to1, ...), got "
              + fromTo.length
              + " numbers");
    }
    int[][] pairs = new int[fromTo.length / 2][];
    for (int k = 0; k < pairs.length; k++) {
      int from = fromTo[2 * k];
      int to = fromTo[2 * k + 1];
      if (from < 0 || to < from) {
        throw new IllegalArgumentException(
            "decay range [" + from + ", " + to + ") is invalid: expected 0 <= from <= to");
      }
      pairs[k] = new int[] {from, to};
    }
    Arrays.sort(pairs, Comparator.comparingInt((int[] pair) -> pair[0]));
    int[] merged = new int[fromTo.length];
    int n = 0;
    for (int[] pair : pairs) {
      if (pair[0] == pair[1]) {
        continue;
      }
      if (n > 0 && pair[0] <= merged[n - 1]) {
        merged[n - 1] = Math.max(merged[n - 1], pair[1]);
      } else {
        merged[n++] = pair[0];
        merged[n++] = pair[1];
      }
    }
    return new Settings(baseRate, schedule, weightDecay, Arrays.copyOf(merged, n));
  }

  /** Checks on the first step that the decay ranges lie within the parameter array. */
  void checkFits(String optimizer, int parameterCount) {
    if (decayRanges != null
        && decayRanges.length > 0
        && decayRanges[decayRanges.length - 1] > parameterCount) {
      throw new IllegalArgumentException(
          optimizer
              + ": decay ranges must lie within the "
              + parameterCount
              + " parameters, but they reach "
              + decayRanges[decayRanges.length - 1]);
    }
  }

  /** The scheduled rate for a step, checked. */
  double rateAt(String optimizer, int step) {
    double rate = schedule.at(step, baseRate);
    if (!(rate >= 0) || !Double.isFinite(rate)) {
      throw new IllegalStateException(
          optimizer
              + ": schedule "
              + schedule
              + " gave learning rate "
              + rate
              + " for step "
              + step
              + ", expected a finite rate of 0 or more");
    }
    return rate;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("lr ").append(baseRate);
    if (schedule != Schedule.constant()) {
      s.append(", schedule ").append(schedule);
    }
    if (weightDecay > 0) {
      s.append(", weight decay ").append(weightDecay);
      if (decayRanges != null) {
        s.append(" on");
        for (int k = 0; k < decayRanges.length; k += 2) {
          s.append(" [").append(decayRanges[k]).append(", ").append(decayRanges[k + 1]).append(')');
        }
        if (decayRanges.length == 0) {
          s.append(" no parameters");
        }
      }
    }
    return s.toString();
  }
}
