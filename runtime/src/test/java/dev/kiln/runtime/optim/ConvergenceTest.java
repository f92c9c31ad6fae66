package dev.kiln.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Each optimizer minimizes {@code f(p) = sum (p_i - t_i)^2}, whose gradient is {@code 2(p - t)},
 * to within 1e-3 of the target in a fixed number of steps.
 */
class ConvergenceTest {
  static final float[] TARGET = {1, -2, 0.5f};

  static void assertMinimizes(Optimizer optimizer, int steps) {
    float[] p = new float[TARGET.length];
    float[] g = new float[TARGET.length];
    for (int step = 0; step < steps; step++) {
      for (int i = 0; i < p.length; i++) {
        g[i] = 2 * (p[i] - TARGET[i]);
      }
      optimizer.step(p, g);
    }
    for (int i = 0; i < p.length; i++) {
      assertEquals(TARGET[i], p[i], 1e-3, optimizer + ": parameter " + i);
    }
    assertEquals(steps, optimizer.steps());
  }

  @Test
  void adam() {
    assertMinimizes(Adam.lr(0.1), 500);
  }

  @Test
  void adamWithOneCycle() {
    assertMinimizes(Adam.lr(0.1).schedule(Schedule.oneCycle(500, 0.1)), 500);
  }

  @Test
  void rmsProp() {
    assertMinimizes(RmsProp.lr(0.01), 1_000);
  }

  @Test
  void classicalMomentum() {
    assertMinimizes(Momentum.lr(0.05), 500);
  }

  @Test
  void nesterovMomentum() {
    assertMinimizes(Momentum.lr(0.05).nesterov(true), 500);
  }

  @Test
  void sgd() {
    assertMinimizes(Sgd.lr(0.1), 200);
  }
}
