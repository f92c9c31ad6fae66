package dev.kiln.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ScheduleTest {
  static final double TOLERANCE = 1e-12;

  @Test
  void constantIsTheBaseRate() {
    Schedule constant = Schedule.constant();
    assertEquals(0.1, constant.at(0, 0.1));
    assertEquals(0.1, constant.at(1_000_000, 0.1));
    assertEquals("constant", constant.toString());
  }

  @Test
  void stepMultipliesByTheFactorEveryNSteps() {
    Schedule step = Schedule.step(10, 0.5);
    assertEquals(0.1, step.at(0, 0.1), TOLERANCE); // 0.1 * 0.5^(0 / 10)
    assertEquals(0.1, step.at(9, 0.1), TOLERANCE); // 0.1 * 0.5^(9 / 10 = 0)
    assertEquals(0.05, step.at(10, 0.1), TOLERANCE); // 0.1 * 0.5^1
    assertEquals(0.025, step.at(25, 0.1), TOLERANCE); // 0.1 * 0.5^(25 / 10 = 2)
    assertEquals("step(every 10, factor 0.5)", step.toString());
  }

  @Test
  void cosineFallsFromBaseToMinThenStays() {
    Schedule cosine = Schedule.cosine(100, 0.01);
    assertEquals(0.1, cosine.at(0, 0.1), TOLERANCE); // 0.01 + 0.09 * (1 + cos 0) / 2
    // 0.01 + 0.09 * (1 + cos(pi / 4)) / 2 = 0.01 + 0.09 * 1.707106781 / 2
    assertEquals(0.086819805153, cosine.at(25, 0.1), TOLERANCE);
    assertEquals(0.055, cosine.at(50, 0.1), TOLERANCE); // 0.01 + 0.09 * (1 + 0) / 2
    assertEquals(0.01, cosine.at(100, 0.1), TOLERANCE); // 0.01 + 0.09 * (1 - 1) / 2
    assertEquals(0.01, cosine.at(150, 0.1), TOLERANCE);
  }

  @Test
  void oneCycleWarmsUpLinearlyThenAnnealsAlongACosine() {
    Schedule oneCycle = Schedule.oneCycle(100, 1.0); // warm-up over steps [0, 30)
    assertEquals(0.04, oneCycle.at(0, 123), TOLERANCE); // peak / 25; the base rate is ignored
    assertEquals(0.52, oneCycle.at(15, 123), TOLERANCE); // 0.04 + (1 - 0.04) * 15 / 30
    assertEquals(1.0, oneCycle.at(30, 123), TOLERANCE); // the peak
    // 1e-4 + (1 - 1e-4) * (1 + cos(pi * (65 - 30) / 70)) / 2 = 1e-4 + 0.9999 * 0.5
    assertEquals(0.50005, oneCycle.at(65, 123), TOLERANCE);
    assertEquals(1e-4, oneCycle.at(100, 123), TOLERANCE); // peak / 1e4
    assertEquals(1e-4, oneCycle.at(500, 123), TOLERANCE);
  }

  @Test
  void refusesBadSettingsAndSteps() {
    assertEquals(
        "step schedule: every must be at least 1 step, got 0",
        assertThrows(IllegalArgumentException.class, () -> Schedule.step(0, 0.5)).getMessage());
    assertEquals(
        "step schedule: factor must be positive and finite, got 0.0",
        assertThrows(IllegalArgumentException.class, () -> Schedule.step(10, 0)).getMessage());
    assertEquals(
        "cosine schedule: totalSteps must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> Schedule.cosine(0, 0)).getMessage());
    assertEquals(
        "cosine schedule: minRate must be 0 or more and finite, got -1.0",
        assertThrows(IllegalArgumentException.class, () -> Schedule.cosine(10, -1)).getMessage());
    assertEquals(
        "one-cycle schedule: totalSteps must be at least 1, got -5",
        assertThrows(IllegalArgumentException.class, () -> Schedule.oneCycle(-5, 1))
            .getMessage());
    assertEquals(
        "one-cycle schedule: peakRate must be positive and finite, got NaN",
        assertThrows(IllegalArgumentException.class, () -> Schedule.oneCycle(10, Double.NaN))
            .getMessage());
    assertEquals(
        "step must be 0 or more, got -1",
        assertThrows(IllegalArgumentException.class, () -> Schedule.cosine(10, 0).at(-1, 0.1))
            .getMessage());
  }
}
