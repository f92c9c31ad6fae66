package dev.kiln.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** state() and restore(): an optimizer restored from another's state steps exactly as it would. */
class OptimizerStateTest {
  static final List<Supplier<Optimizer>> OPTIMIZERS =
      List.of(
          () -> Sgd.lr(0.1),
          () -> Momentum.lr(0.1).momentum(0.9),
          () -> RmsProp.lr(0.01),
          () -> Adam.lr(0.01).schedule(Schedule.cosine(10, 0)));

  static float[] gradient(int step) {
    return new float[] {0.5f - step, 0.25f * step, -1.5f, step * step * 0.1f};
  }

  @Test
  void aRestoredOptimizerContinuesBitForBit() {
    for (Supplier<Optimizer> make : OPTIMIZERS) {
      float[] straight = {1, -2, 0.5f, 3};
      Optimizer one = make.get();
      for (int t = 0; t < 4; t++) {
        one.step(straight, gradient(t));
      }
      float[] resumed = {1, -2, 0.5f, 3};
      Optimizer first = make.get();
      for (int t = 0; t < 2; t++) {
        first.step(resumed, gradient(t));
      }
      Optimizer second = make.get();
      second.restore(first.steps(), first.state());
      assertEquals(first.learningRate(), second.learningRate(), one.toString());
      for (int t = 2; t < 4; t++) {
        second.step(resumed, gradient(t));
      }
      assertArrayEquals(straight, resumed, 0f, one.toString());
      assertEquals(4, second.steps());
      assertEquals(one.state().length, second.state().length);
      for (int k = 0; k < one.state().length; k++) {
        assertArrayEquals(one.state()[k], second.state()[k], 0f);
      }
    }
  }

  @Test
  void stateIsACopyAndEmptyBeforeTheFirstStep() {
    Adam adam = Adam.lr(0.01);
    assertEquals(0, adam.state().length);
    adam.step(new float[2], new float[] {1, 1});
    float[][] state = adam.state();
    assertEquals(2, state.length);
    state[0][0] = 42;
    assertTrue(adam.state()[0][0] != 42);
  }

  @Test
  void badStateIsRefusedAndChangesNothing() {
    Adam adam = Adam.lr(0.01);
    adam.step(new float[3], new float[] {1, 1, 1});
    float[][] before = adam.state();
    assertThrows(IllegalArgumentException.class, () -> adam.restore(-1, before));
    assertThrows(IllegalArgumentException.class, () -> adam.restore(5, new float[][] {new float[3]}));
    assertThrows(
        IllegalArgumentException.class, () -> adam.restore(5, new float[][] {new float[3], new float[2]}));
    assertThrows(
        IllegalArgumentException.class, () -> adam.restore(5, new float[][] {new float[4], new float[4]}));
    assertEquals(1, adam.steps());
    assertArrayEquals(before[1], adam.state()[1], 0f);
  }
}
