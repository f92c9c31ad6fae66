package dev.kiln.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.runtime.Layer;
import dev.kiln.runtime.TensorShape;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class OptimizerTest {
  static final float TOLERANCE = 1e-6f;

  static String message(Class<? extends Throwable> type, Executable executable) {
    return assertThrows(type, executable).getMessage();
  }

  @Test
  void sgdStepsAgainstTheGradient() {
    float[] p = {1, -2, 0.5f};
    Sgd sgd = Sgd.lr(0.1);
    sgd.step(p, new float[] {0.5f, -1, 0});
    // p - 0.1 * g: 1 - 0.05, -2 + 0.1, 0.5 - 0
    assertArrayEquals(new float[] {0.95f, -1.9f, 0.5f}, p, TOLERANCE);
    assertEquals(1, sgd.steps());
    assertEquals(0.1, sgd.learningRate());
  }

  @Test
  void sgdWithWeightDecayAddsItToTheGradient() {
    float[] p = {1, -2, 0.5f};
    Sgd.lr(0.1).weightDecay(0.1).step(p, new float[] {0.5f, -1, 0});
    // g' = g + 0.1 * p = {0.5 + 0.1, -1 - 0.2, 0 + 0.05} = {0.6, -1.2, 0.05}
    // p - 0.1 * g' = {1 - 0.06, -2 + 0.12, 0.5 - 0.005}
    assertArrayEquals(new float[] {0.94f, -1.88f, 0.495f}, p, TOLERANCE);
  }

  @Test
  void classicalMomentumAccumulatesTheVelocity() {
    float[] p = {0, 1};
    Momentum momentum = Momentum.lr(0.1).momentum(0.9);
    momentum.step(p, new float[] {1, -2});
    // v = g = {1, -2}; p - 0.1 * v = {-0.1, 1.2}
    assertArrayEquals(new float[] {-0.1f, 1.2f}, p, TOLERANCE);
    momentum.step(p, new float[] {1, 1});
    // v = 0.9 * {1, -2} + {1, 1} = {1.9, -0.8}; p - 0.1 * v = {-0.1 - 0.19, 1.2 + 0.08}
    assertArrayEquals(new float[] {-0.29f, 1.28f}, p, TOLERANCE);
  }

  @Test
  void nesterovMomentumLooksAhead() {
    float[] p = {0, 1};
    Momentum nesterov = Momentum.lr(0.1).momentum(0.9).nesterov(true);
    nesterov.step(p, new float[] {1, -2});
    // v = {1, -2}; update g + 0.9 * v = {1 + 0.9, -2 - 1.8} = {1.9, -3.8}
    // p - 0.1 * update = {-0.19, 1.38}
    assertArrayEquals(new float[] {-0.19f, 1.38f}, p, TOLERANCE);
    nesterov.step(p, new float[] {1, 1});
    // v = {1.9, -0.8} (as classical); update = {1 + 0.9 * 1.9, 1 + 0.9 * -0.8} = {2.71, 0.28}
    // p - 0.1 * update = {-0.19 - 0.271, 1.38 - 0.028}
    // (classical momentum is at {-0.29, 1.28} after the same two steps)
    assertArrayEquals(new float[] {-0.461f, 1.352f}, p, TOLERANCE);
  }

  @Test
  void momentumDefaultsToClassical09() {
    float[] p = {0};
    Momentum momentum = Momentum.lr(0.1);
    momentum.step(p, new float[] {1});
    momentum.step(p, new float[] {1});
    // as classicalMomentumAccumulatesTheVelocity: -0.1 - 0.1 * (0.9 + 1)
    assertEquals(-0.29f, p[0], TOLERANCE);
  }

  @Test
  void rmsPropDividesByTheRootMeanSquare() {
    float[] p = {1, 1};
    RmsProp rms = RmsProp.lr(0.01); // rho 0.9, epsilon 1e-7
    rms.step(p, new float[] {0.5f, 0});
    // s = 0.1 * 0.25 = 0.025; sqrt(s) = 0.158113883
    // p -= 0.01 * 0.5 / (0.158113883 + 1e-7) = 0.031622757 -> 0.968377243
    // a zero gradient leaves s = 0 and p unchanged (0 / (0 + eps))
    assertArrayEquals(new float[] {0.968377243f, 1}, p, TOLERANCE);
    rms.step(p, new float[] {0.5f, 0});
    // s = 0.9 * 0.025 + 0.1 * 0.25 = 0.0475; sqrt(s) = 0.217944947
    // p -= 0.005 / 0.217945047 = 0.022941563 -> 0.945435681
    assertArrayEquals(new float[] {0.945435681f, 1}, p, TOLERANCE);
  }

  @Test
  void rmsPropSettings() {
    float[] p = {1};
    RmsProp.lr(0.01).rho(0.5).epsilon(0.5).step(p, new float[] {2});
    // s = 0.5 * 4 = 2; p -= 0.01 * 2 / (sqrt(2) + 0.5) = 0.02 / 1.914213562 = 0.010448178
    assertEquals(0.989551822f, p[0], TOLERANCE);
  }

  @Test
  void adamCorrectsBiasOnStepsOneAndTwo() {
    float[] p = {1, -1};
    Adam adam = Adam.lr(0.1); // betas 0.9, 0.999, epsilon 1e-8
    adam.step(p, new float[] {0.5f, -2});
    // m = 0.1 * g, v = 0.001 * g^2; m_hat = m / 0.1 = g, v_hat = v / 0.001 = g^2
    // p -= 0.1 * g / (|g| + 1e-8): 0.1 * (1 - 2e-8) and -0.1 * (1 - 5e-9), i.e. lr * sign(g)
    assertArrayEquals(new float[] {0.9f, -0.9f}, p, TOLERANCE);
    adam.step(p, new float[] {0.25f, 1});
    // first:  m = 0.9 * 0.05 + 0.1 * 0.25 = 0.07; v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00031225
    //         m_hat = 0.07 / (1 - 0.9^2) = 0.07 / 0.19 = 0.368421053
    //         v_hat = 0.00031225 / (1 - 0.999^2) = 0.00031225 / 0.001999 = 0.156203102
    //         p -= 0.1 * 0.368421053 / (0.395225381 + 1e-8) = 0.093217962 -> 0.806782038
    // second: m = 0.9 * -0.2 + 0.1 * 1 = -0.08; v = 0.999 * 0.004 + 0.001 * 1 = 0.004996
    //         m_hat = -0.08 / 0.19 = -0.421052632; v_hat = 0.004996 / 0.001999 = 2.499249625
    //         p -= 0.1 * -0.421052632 / 1.580901523 = -0.026633704 -> -0.873366296
    // (without bias correction step 2 would land at 0.503861942 and -0.786817650)
    assertArrayEquals(new float[] {0.806782038f, -0.873366296f}, p, TOLERANCE);
    assertEquals(2, adam.steps());
  }

  @Test
  void adamEpsilonIsAddedAfterBiasCorrection() {
    float[] p = {0};
    Adam.lr(1).epsilon(1).step(p, new float[] {1});
    // m_hat = 1, v_hat = 1: p -= 1 * 1 / (sqrt(1) + 1) = 0.5
    // (epsilon added to the uncorrected sqrt(v) = sqrt(0.001) would give about 0.03)
    assertEquals(-0.5f, p[0], TOLERANCE);
  }

  @Test
  void adamBetasChangeTheMoments() {
    float[] p = {0};
    Adam adam = Adam.lr(1).betas(0.5, 0.5).epsilon(1e-8);
    adam.step(p, new float[] {1});
    adam.step(p, new float[] {-1});
    // step 1 moves by -1 (lr * sign(g)): p = -1
    // step 2: m = 0.5 * 0.5 + 0.5 * -1 = -0.25, m_hat = -0.25 / 0.75 = -1/3
    //         v = 0.5 * 0.5 + 0.5 * 1 = 0.75, v_hat = 0.75 / 0.75 = 1
    //         p -= 1 * (-1/3) / 1 -> -1 + 1/3
    assertEquals(-0.666666667f, p[0], TOLERANCE);
  }

  @Test
  void weightDecayOnlyOnTheGivenRanges() {
    float[] p = {1, 2, 3, 4};
    Sgd.lr(0.1).weightDecay(0.5).decayOnly(0, 1, 2, 3).step(p, new float[4]);
    // decayed: p -= 0.1 * 0.5 * p -> 1 - 0.05, 3 - 0.15; the others have no gradient
    assertArrayEquals(new float[] {0.95f, 2, 2.85f, 4}, p, TOLERANCE);

    float[] q = {1, 2, 3, 4};
    Adam.lr(0.1).weightDecay(0.5).decayOnly(2, 4).step(q, new float[4]);
    // decayed: g' = 0.5 * p > 0, and Adam's first step moves by lr * sign(g') = 0.1;
    // undecayed: m = v = 0, so the update is 0 / (0 + eps) = 0
    assertArrayEquals(new float[] {1, 2, 2.9f, 3.9f}, q, TOLERANCE);
  }

  @Test
  void decayRangesMayComeInAnyOrderAndOverlap() {
    float[] sorted = {1, 1, 1, 1, 1};
    float[] shuffled = sorted.clone();
    Sgd.lr(0.1).weightDecay(1).decayOnly(0, 2, 3, 4).step(sorted, new float[5]);
    Sgd.lr(0.1).weightDecay(1).decayOnly(3, 4, 1, 2, 0, 1, 0, 0, 1, 2).step(shuffled, new float[5]);
    // decayed entries lose 0.1 * 1 * 1
    assertArrayEquals(new float[] {0.9f, 0.9f, 1, 0.9f, 1}, sorted, TOLERANCE);
    assertArrayEquals(sorted, shuffled);
    assertEquals(
        "Sgd(lr 0.1, weight decay 1.0 on [0, 2) [3, 4))",
        Sgd.lr(0.1).weightDecay(1).decayOnly(3, 4, 1, 2, 0, 1, 0, 0, 1, 2).toString());
  }

  @Test
  void weightRangesCoverKernelsButNotBiases() {
    List<Layer> layers =
        List.of(
            new Layer("conv", "Conv2D 1x1", TensorShape.of(1, 1, 1), TensorShape.of(1, 1, 2), 0,
                new int[] {1, 1, 1, 2}, 2, 2),
            new Layer("pool", "MaxPool", TensorShape.of(1, 1, 2), TensorShape.of(1, 1, 2), 4,
                new int[0], -1, 0),
            new Layer("dense", "Dense 3", TensorShape.vector(2), TensorShape.vector(3), 4,
                new int[] {2, 3}, 10, 3));
    int[] ranges = Optimizer.weightRanges(layers);
    // conv kernel [0, 2), conv bias [2, 4), dense kernel [4, 10), dense bias [10, 13)
    assertArrayEquals(new int[] {0, 2, 4, 10}, ranges);
    float[] p = new float[13];
    Arrays.fill(p, 1);
    Sgd.lr(0.5).weightDecay(1).decayOnly(ranges).step(p, new float[13]);
    for (int i = 0; i < p.length; i++) {
      boolean kernel = i < 2 || (i >= 4 && i < 10);
      assertEquals(kernel ? 0.5f : 1f, p[i], "parameter " + i);
    }
  }

  @Test
  void decayEverythingByDefaultAndNothingWithNoRanges() {
    float[] all = {1, 1};
    float[] none = {1, 1};
    Sgd.lr(0.1).weightDecay(1).step(all, new float[2]);
    Sgd.lr(0.1).weightDecay(1).decayOnly().step(none, new float[2]);
    assertArrayEquals(new float[] {0.9f, 0.9f}, all, TOLERANCE);
    assertArrayEquals(new float[] {1, 1}, none);
  }

  @Test
  void scheduleSetsEachStepsRate() {
    float[] p = {0};
    Sgd sgd = Sgd.lr(1).schedule(Schedule.step(2, 0.5));
    assertEquals(1.0, sgd.learningRate(), "before any step: the first step's rate");
    sgd.step(p, new float[] {1}); // rate 1
    sgd.step(p, new float[] {1}); // rate 1
    assertEquals(1.0, sgd.learningRate());
    sgd.step(p, new float[] {1}); // rate 0.5
    assertEquals(0.5, sgd.learningRate());
    // 0 - 1 - 1 - 0.5
    assertEquals(-2.5f, p[0], TOLERANCE);
    assertEquals(3, sgd.steps());
  }

  @Test
  void everyOptimizerTakesASchedule() {
    Schedule half = (step, base) -> base / 2;
    List<Optimizer> optimizers =
        List.of(
            Sgd.lr(0.2).schedule(half),
            Momentum.lr(0.2).schedule(half),
            RmsProp.lr(0.2).schedule(half),
            Adam.lr(0.2).schedule(half));
    for (Optimizer optimizer : optimizers) {
      assertEquals(0.1, optimizer.learningRate(), optimizer.toString());
      optimizer.step(new float[1], new float[1]);
      assertEquals(0.1, optimizer.learningRate(), optimizer.toString());
    }
  }

  @Test
  void aBadScheduledRateChangesNothing() {
    float[] p = {1};
    Adam adam = Adam.lr(0.1).schedule((step, base) -> step == 1 ? Double.NaN : base);
    adam.step(p, new float[] {1});
    String message = message(IllegalStateException.class, () -> adam.step(p, new float[] {1}));
    assertTrue(message.contains("learning rate NaN for step 1"), message);
    assertEquals(0.9f, p[0], TOLERANCE);
    assertEquals(1, adam.steps());
    assertEquals(0.1, adam.learningRate());
  }

  @Test
  void configuringReturnsAFreshOptimizerAndLeavesTheReceiver() {
    Adam template = Adam.lr(0.1);
    float[] p = {1};
    template.step(p, new float[] {1});
    Adam other = template.betas(0.5, 0.5);
    assertNotSame(template, other);
    assertEquals(0, other.steps());
    assertEquals(1, template.steps());
    assertEquals(
        "Adam(lr 0.1, betas 0.9, 0.999, epsilon 1.0E-8; 1 steps taken)", template.toString());
    assertEquals("Adam(lr 0.1, betas 0.5, 0.5, epsilon 1.0E-8)", other.toString());
    // other's state is its own: a different length is fine for it
    other.step(new float[3], new float[3]);
  }

  @Test
  void toStringNamesTheSettings() {
    assertEquals("Sgd(lr 0.01)", Sgd.lr(0.01).toString());
    assertEquals(
        "Momentum(lr 0.1, schedule cosine(100 steps, min 0.0), Nesterov momentum 0.8)",
        Momentum.lr(0.1).momentum(0.8).nesterov(true).schedule(Schedule.cosine(100, 0)).toString());
    assertEquals(
        "RmsProp(lr 0.001, weight decay 1.0E-4, rho 0.9, epsilon 1.0E-7)",
        RmsProp.lr(1e-3).weightDecay(1e-4).toString());
  }

  @Test
  void refusesArraysOfDifferentLengths() {
    for (Optimizer optimizer :
        List.<Optimizer>of(Sgd.lr(0.1), Momentum.lr(0.1), RmsProp.lr(0.1), Adam.lr(0.1))) {
      String message =
          message(
              IllegalArgumentException.class,
              () -> optimizer.step(new float[3], new float[2]));
      assertTrue(message.contains("3 parameters and 2 gradients"), message);
      assertEquals(0, optimizer.steps());
      assertThrows(NullPointerException.class, () -> optimizer.step(null, new float[2]));
      assertThrows(NullPointerException.class, () -> optimizer.step(new float[2], null));
    }
  }

  @Test
  void stateIsSizedByTheFirstStep() {
    for (Optimizer optimizer :
        List.<Optimizer>of(Sgd.lr(0.1), Momentum.lr(0.1), RmsProp.lr(0.1), Adam.lr(0.1))) {
      optimizer.step(new float[3], new float[3]);
      String message =
          message(
              IllegalArgumentException.class,
              () -> optimizer.step(new float[4], new float[4]));
      assertTrue(message.contains("sized for 3 parameters by its first step, got 4"), message);
      assertEquals(1, optimizer.steps());
    }
  }

  @Test
  void decayRangesMustFitTheParameters() {
    Sgd sgd = Sgd.lr(0.1).weightDecay(0.1).decayOnly(0, 2, 4, 6);
    String message =
        message(IllegalArgumentException.class, () -> sgd.step(new float[5], new float[5]));
    assertTrue(message.contains("within the 5 parameters, but they reach 6"), message);
    assertEquals(0, sgd.steps());
  }

  @Test
  void refusesBadSettings() {
    assertEquals(
        "learning rate must be positive and finite, got 0.0",
        message(IllegalArgumentException.class, () -> Sgd.lr(0)));
    assertEquals(
        "learning rate must be positive and finite, got NaN",
        message(IllegalArgumentException.class, () -> Adam.lr(Double.NaN)));
    assertEquals(
        "learning rate must be positive and finite, got Infinity",
        message(IllegalArgumentException.class, () -> RmsProp.lr(Double.POSITIVE_INFINITY)));
    assertEquals(
        "learning rate must be positive and finite, got -0.1",
        message(IllegalArgumentException.class, () -> Momentum.lr(-0.1)));
    assertEquals(
        "beta1 must be in [0, 1), got 1.0",
        message(IllegalArgumentException.class, () -> Adam.lr(0.1).betas(1, 0.999)));
    assertEquals(
        "beta2 must be in [0, 1), got -0.5",
        message(IllegalArgumentException.class, () -> Adam.lr(0.1).betas(0.9, -0.5)));
    assertTrue(
        message(IllegalArgumentException.class, () -> Adam.lr(0.1).epsilon(0))
            .startsWith("epsilon must be positive, finite and at least"));
    assertTrue(
        message(IllegalArgumentException.class, () -> RmsProp.lr(0.1).epsilon(1e-50))
            .endsWith("got 1.0E-50"));
    assertEquals(
        "rho must be in [0, 1), got 1.0",
        message(IllegalArgumentException.class, () -> RmsProp.lr(0.1).rho(1)));
    assertEquals(
        "momentum must be in [0, 1), got 1.5",
        message(IllegalArgumentException.class, () -> Momentum.lr(0.1).momentum(1.5)));
    assertEquals(
        "weight decay must be 0 or more and finite, got -1.0E-4",
        message(IllegalArgumentException.class, () -> Adam.lr(0.1).weightDecay(-1e-4)));
    assertEquals(
        "decayOnly expects [from, to) pairs of offsets (from0, to0, from1, to1, ...), got 3"
            + " numbers",
        message(IllegalArgumentException.class, () -> Sgd.lr(0.1).decayOnly(0, 4, 6)));
    assertEquals(
        "decay range [5, 2) is invalid: expected 0 <= from <= to",
        message(IllegalArgumentException.class, () -> Sgd.lr(0.1).decayOnly(5, 2)));
    assertEquals(
        "decay range [-1, 2) is invalid: expected 0 <= from <= to",
        message(IllegalArgumentException.class, () -> Sgd.lr(0.1).decayOnly(-1, 2)));
    assertThrows(NullPointerException.class, () -> Adam.lr(0.1).schedule(null));
  }

  @Test
  void stepsAllocateNothingAfterTheFirst() {
    // HotSpot counts the bytes each thread allocates; other JVMs may not, so this is skipped there.
    assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(threads.isThreadAllocatedMemorySupported());
    threads.setThreadAllocatedMemoryEnabled(true);
    float[] p = new float[64];
    float[] g = new float[64];
    Arrays.fill(g, 0.01f);
    List<Optimizer> optimizers =
        List.of(
            Sgd.lr(0.1).weightDecay(1e-4).decayOnly(0, 16, 32, 48),
            Momentum.lr(0.1).nesterov(true).weightDecay(1e-4),
            RmsProp.lr(0.1).schedule(Schedule.cosine(100, 0)),
            Adam.lr(0.1).weightDecay(1e-4).decayOnly(8, 40).schedule(Schedule.oneCycle(100, 0.1)));
    for (Optimizer optimizer : optimizers) {
      for (int i = 0; i < 2_000; i++) { // warm up
        optimizer.step(p, g);
      }
      long thread = Thread.currentThread().getId();
      long before = threads.getThreadAllocatedBytes(thread);
      for (int i = 0; i < 10_000; i++) {
        optimizer.step(p, g);
      }
      long allocated = threads.getThreadAllocatedBytes(thread) - before;
      // Even 8 bytes a step would be 80,000 here; allow a little for the measurement itself.
      assertTrue(
          allocated < 4_096, optimizer + " allocated " + allocated + " bytes in 10,000 steps");
    }
  }
}
