package dev.kiln.samples.networks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.TensorShape;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Sgd;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.runtime.train.TrainingDivergedException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The trainer on generated models: determinism, learning, and divergence reports. */
class TrainingTest {

  /** Random 28x28 images whose label is the quadrant with the most ink: learnable, synthetic. */
  static LabeledImages quadrants(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] images = new float[count * 784];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      int quadrant = random.nextInt(4);
      labels[i] = quadrant;
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          boolean inside = (y < 14 ? 0 : 2) + (x < 14 ? 0 : 1) == quadrant;
          images[i * 784 + y * 28 + x] = (float) random.nextDouble() * (inside ? 1f : 0.6f);
        }
      }
    }
    return new LabeledImages(images, labels, TensorShape.of(28, 28, 1), 10);
  }

  static float[] train(int threads, long seed) {
    return train(threads, seed, 32, 256);
  }

  static float[] train(int threads, long seed, int batch, int samples) {
    LeNet5Model net = LeNet5Model.create(seed);
    Trainer.of(net).optimizer(Adam.lr(1e-3)).batchSize(batch).epochs(2).threads(threads).seed(seed)
        .fit(quadrants(samples, 5), null);
    return net.parameters().clone();
  }

  @Test
  void sameSeedAndThreadsGiveBitIdenticalWeights() {
    float[] a = train(2, 7);
    float[] b = train(2, 7);
    assertArrayEquals(a, b, 0f);
    float[] other = train(2, 8);
    assertFalse(java.util.Arrays.equals(a, other), "another seed gives other weights");
  }

  /**
   * The slots of a batch are summed in order, whichever thread trained them: the same weights on
   * any thread count up to Trainer.SLOTS, with a last batch smaller than the others (250 samples
   * in batches of 32) and batches smaller than the slot count (5).
   */
  @Test
  void anyThreadCountGivesTheSameWeights() {
    for (int batch : new int[] {32, 5}) {
      float[] one = train(1, 7, batch, 250);
      assertArrayEquals(one, train(2, 7, batch, 250), 0f, "two threads, batch " + batch);
      assertArrayEquals(one, train(3, 7, batch, 250), 0f, "three threads, batch " + batch);
    }
  }

  @Test
  void lenet5LearnsASyntheticTask() {
    LeNet5Model net = LeNet5Model.create(3);
    List<EpochResult> history =
        Trainer.of(net).optimizer(Adam.lr(1e-3)).batchSize(32).epochs(3).threads(2).seed(3)
            .fit(quadrants(512, 1), quadrants(200, 2));
    EpochResult last = history.get(history.size() - 1);
    assertTrue(last.testAccuracy() >= 0.95, "test accuracy " + last.testAccuracy());
    assertTrue(last.trainLoss() < history.get(0).trainLoss());
  }

  @Test
  void nanInTheDataIsRefusedBeforeTraining() {
    LabeledImages bad = quadrants(64, 1);
    bad.images()[100] = Float.NaN;
    LeNet5Model net = LeNet5Model.create(1);
    float[] before = net.parameters().clone();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Trainer.of(net).batchSize(16).epochs(1).threads(2).fit(bad, null));
    assertEquals("image 0 holds NaN at index 100; every image value must be finite", e.getMessage());
    assertArrayEquals(before, net.parameters(), 0f);
  }

  @Test
  void divergenceIsReportedWithTheLayerBeforeTheStepIsApplied() {
    LeNet5Model net = LeNet5Model.create(1);
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class,
            () ->
                Trainer.of(net).optimizer(Sgd.lr(1e30)).batchSize(16).epochs(1).threads(2)
                    .fit(quadrants(256, 1), null));
    assertTrue(e.getMessage().startsWith("LeNet5 diverged in epoch 1, batch "), e.getMessage());
    assertTrue(e.getMessage().contains("the first layer with a non-finite gradient is "), e.getMessage());
    assertTrue(e.getMessage().contains("lower the learning rate (1.0E30 now)"), e.getMessage());
    for (float p : net.parameters()) {
      assertTrue(Float.isFinite(p), "the diverging step was not applied");
    }
  }

  @Test
  void dataOfTheWrongShapeIsRefused() {
    LabeledImages small = new LabeledImages(new float[2 * 9], new int[2], TensorShape.of(3, 3, 1), 10);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Trainer.of(LeNet5Model.create(1)).fit(small, null));
    assertEquals(
        "the training samples have 9 floats, but LeNet5 takes 784 (28x28x1)", e.getMessage());
  }
}
