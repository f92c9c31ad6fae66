package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.opencl.OpenClModel;
import dev.kiln.runtime.Model;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link OpenClModel#predictBatch}'s three steps on their own ({@code uploadInputs}, {@code infer},
 * {@code downloadOutputs}, which the bench times apart) give its outputs to the bit, also after
 * another batch has passed through the device in between.
 */
class OpenClInferOnDeviceTest {
  static final GradientTest.Net LENET =
      OpenClParityTest.networks().stream().filter(n -> n.name().equals("LeNet5")).findFirst().orElseThrow();

  static final CompiledNets COMPILED = new CompiledNets(() -> List.of(LENET), 3);

  @Test
  void theStepsOfPredictBatchGiveItsOutputs() {
    Model model = COMPILED.model(LENET);
    int batch = 6;
    float[] first = random(batch * model.inputSize(), 1);
    float[] second = random(batch * model.inputSize(), 2);
    try (OpenClModel gpu = OpenClModel.bind(OpenClTests.device(), model, batch, COMPILED.program(LENET))) {
      float[] expected = new float[batch * model.outputSize()];
      gpu.predictBatch(first, expected);
      float[] other = new float[batch * model.outputSize()];
      gpu.predictBatch(second, other); // the device now holds another batch's inputs and outputs

      gpu.uploadInputs(first);
      gpu.infer(batch);
      gpu.infer(batch); // outputs stay on the device until downloaded; running again changes nothing
      float[] outputs = new float[batch * model.outputSize()];
      gpu.downloadOutputs(outputs);
      assertArrayEquals(expected, outputs);

      // Fewer samples than uploaded: the first ones.
      float[] firstTwo = new float[2 * model.outputSize()];
      gpu.infer(2);
      gpu.downloadOutputs(firstTwo);
      assertArrayEquals(java.util.Arrays.copyOf(expected, firstTwo.length), firstTwo);

      assertThrows(IllegalArgumentException.class, () -> gpu.infer(batch + 1));
      assertThrows(IllegalArgumentException.class, () -> gpu.uploadInputs(new float[model.inputSize() + 1]));
      assertThrows(IllegalArgumentException.class, () -> gpu.downloadOutputs(new float[0]));
    }
  }

  private static float[] random(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[size];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextDouble();
    }
    return values;
  }
}
