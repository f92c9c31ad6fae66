package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Each loss gives the same value from the logits (training) and from its prediction (testing). */
class LossTest {

  @Test
  void trainingAndEvaluationAgree() {
    float[] z = {1.5f, -0.5f, 0.25f};
    float[] target = {0, 1, 0};
    for (Loss loss : Loss.values()) {
      float[] prediction = new float[3];
      float[] gradient = new float[3];
      float fromLogits = loss.compute(z, 0, target, 0, 3, prediction, 0, gradient, 0);
      assertEquals(fromLogits, loss.ofPrediction(prediction, 0, target, 0, 3), 1e-6, loss.name());
    }
  }

  @Test
  void softmaxCrossEntropyByHand() {
    // softmax([0, ln 3]) = [0.25, 0.75]; the target is class 1: -ln 0.75.
    float[] z = {0, (float) Math.log(3)};
    float[] p = new float[2];
    float[] d = new float[2];
    float loss = Loss.SOFTMAX_CROSS_ENTROPY.compute(z, 0, new float[] {0, 1}, 0, 2, p, 0, d, 0);
    assertEquals(-Math.log(0.75), loss, 1e-6);
    assertEquals(0.25f, d[0], 1e-6f);
    assertEquals(-0.25f, d[1], 1e-6f);
  }
}
