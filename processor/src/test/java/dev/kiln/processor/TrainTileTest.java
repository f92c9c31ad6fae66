package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Loss;
import dev.kiln.runtime.Model;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code trainTile} against its samples trained one by one with {@code trainSample}, on every
 * network of {@link GradientTest} (every layer kind, graphs whose gradients are handed over and
 * summed, dropout, the three losses): the same losses and predictions, and gradients that are the
 * per-sample gradients summed (the tile's dense layers sum in another order, so within float
 * rounding). Full tiles and a short one.
 */
class TrainTileTest {
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.kiln.processor.GradientTest#networks")
  void aTileTrainsAsItsSamplesOneByOne(GradientTest.Net net) {
    Model model = GradientTest.compiled(net);
    int tile = model.trainingTile();
    assertTrue(tile >= 1, net + ": trainingTile " + tile);
    for (int count : new int[] {tile, Math.max(1, tile / 2 + 1)}) {
      check(model, net, count);
    }
  }

  /** Winograd convolutions (3x3, stride 1, 32 filters: forward, and c2's input gradient). */
  private static final GradientTest.Net WINOGRAD =
      new GradientTest.Net("WinogradTiles", "height = 12, width = 12, channels = 8", Loss.SOFTMAX_CROSS_ENTROPY,
          "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @ReLU Layer c1;",
          "@Conv2D(filters = 32, kernel = 3, padding = Padding.SAME) @Tanh Layer c2;",
          "@Dense(units = 3) @Softmax Layer out;");

  /**
   * Winograd kernels are kept through a tile: the tile still trains as its samples, and after the
   * weights change (the optimizer's step between tiles) it uses the new weights.
   */
  @org.junit.jupiter.api.Test
  void winogradKernelsKeptThroughATileFollowTheWeights() {
    GradientTest.Net net = WINOGRAD;
    Model model = new CompiledNets(() -> java.util.List.of(WINOGRAD), 11).model(net);
    SplittableRandom random = new SplittableRandom(9);
    for (int round = 0; round < 3; round++) {
      check(model, net, model.trainingTile());
      float[] p = model.parameters();
      for (int i = 0; i < p.length; i++) {
        p[i] += (float) (0.1 * random.nextGaussian());
      }
    }
  }

  private static void check(Model model, GradientTest.Net net, int count) {
    SplittableRandom random = new SplittableRandom(net.name().hashCode() + count);
    int in = model.inputSize();
    int out = model.outputSize();
    // Inputs out of order and apart, as the trainer's shuffled samples are.
    float[] x = new float[(count + 3) * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    int[] offsets = new int[count];
    for (int s = 0; s < count; s++) {
      offsets[s] = ((s * 7 + 2) % (count + 3)) * in;
    }
    float[] targets = new float[count * out];
    for (int s = 0; s < count; s++) {
      if (net.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
        targets[s * out + random.nextInt(out)] = 1;
      } else {
        for (int i = 0; i < out; i++) {
          targets[s * out + i] = (float) random.nextDouble(net.loss() == Loss.MEAN_SQUARED_ERROR ? -1 : 0, 1);
        }
      }
    }
    long[] noise = new long[count];
    for (int s = 0; s < count; s++) {
      noise[s] = random.nextLong();
    }

    float[] oneByOne = new float[model.parameterCount()];
    float[] expectedLosses = new float[count];
    float[] expectedOuts = new float[count * out];
    float[] ws = new float[model.trainingWorkspaceSize()];
    for (int s = 0; s < count; s++) {
      expectedLosses[s] =
          model.trainSample(x, offsets[s], targets, s * out, expectedOuts, s * out, oneByOne, ws, noise[s]);
    }

    float[] tiled = new float[model.parameterCount()];
    float[] losses = new float[count];
    float[] outs = new float[count * out];
    model.trainTile(
        x, offsets, count, targets, outs, tiled, new float[count * model.trainingWorkspaceSize()], noise, losses);

    String what = net + ", " + count + " samples of a tile of " + model.trainingTile();
    for (int s = 0; s < count; s++) {
      assertClose(expectedLosses[s], losses[s], what + ": loss of sample " + s);
    }
    for (int i = 0; i < outs.length; i++) {
      assertClose(expectedOuts[i], outs[i], what + ": prediction " + i);
    }
    for (int i = 0; i < tiled.length; i++) {
      assertClose(oneByOne[i], tiled[i], what + ": gradient " + i);
    }
    assertEquals(oneByOne.length, tiled.length);
  }

  private static void assertClose(float expected, float actual, String what) {
    float tolerance = 1e-5f + 1e-4f * Math.abs(expected);
    assertTrue(Math.abs(expected - actual) <= tolerance, what + ": expected " + expected + ", got " + actual);
  }
}
