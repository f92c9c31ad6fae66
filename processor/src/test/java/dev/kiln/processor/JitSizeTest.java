package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import javax.tools.JavaFileObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Every generated method stays far under HotSpot's 8,000-byte limit, above which a method is
 * never JIT-compiled and runs interpreted, tens of times slower.
 */
class JitSizeTest {
  static final int HOTSPOT_HUGE_METHOD_LIMIT = 8000;
  /** "Well under": room for the backward passes and later unrolling to grow. */
  static final int BUDGET = HOTSPOT_HUGE_METHOD_LIMIT / 4;

  static Stream<Arguments> networks() {
    return Stream.of(
        Arguments.of(
            "LeNet5",
            "height = 28, width = 28, channels = 1",
            Networks.LENET5),
        Arguments.of(
            "AlexNetConv1",
            "height = 227, width = 227, channels = 3",
            new String[] {"@Conv2D(filters = 96, kernel = 11, stride = 4) @ReLU Layer conv1;"}),
        Arguments.of(
            "VggBlock",
            "height = 224, width = 224, channels = 3",
            new String[] {
              "@Conv2D(filters = 64, kernel = 3, padding = Padding.SAME) @ReLU Layer conv1;",
              "@Conv2D(filters = 64, kernel = 3, padding = Padding.SAME) @ReLU Layer conv2;",
              "@MaxPool(size = 2) Layer pool;",
              "@AvgPool(size = 7, stride = 7, padding = Padding.SAME) Layer avg;",
              "@Dense(units = 4096) @ReLU Layer fc;",
              "@Dropout(rate = 0.5) Layer drop;",
              "@Dense(units = 1000) @Softmax Layer out;"
            }),
        Arguments.of(
            "Everything",
            "height = 31, width = 17, channels = 5",
            new String[] {
              "@Conv2D(filters = 8, kernel = {7, 3}, stride = {2, 3}, pad = {3, 1}) @LeakyReLU Layer a;",
              "@Conv2D(filters = 7, kernel = 4, padding = Padding.SAME, bias = false) @Tanh Layer b;",
              "@MaxPool(size = 3, stride = 2, padding = Padding.SAME) @Sigmoid Layer c;",
              "@Flatten Layer f;",
              "@Dense(units = 33) @ReLU Layer d;",
              "@Dense(units = 3) @Softmax Layer out;"
            }),
        Arguments.of(
            "ResidualBatchNorm",
            "height = 56, width = 56, channels = 64",
            new String[] {
              "@Conv2D(filters = 128, kernel = 3, stride = 2, padding = Padding.SAME, bias = false) Layer a;",
              "@BatchNorm @ReLU Layer an;",
              "@Conv2D(filters = 128, kernel = 3, padding = Padding.SAME, bias = false) Layer b;",
              "@BatchNorm Layer bn;",
              "@Conv2D(filters = 128, kernel = 1, stride = 2, bias = false) @From(From.INPUT) Layer down;",
              "@BatchNorm Layer downNorm;",
              "@Add @From({\"bn\", \"downNorm\"}) @ReLU Layer block;",
              "@Concat @From({\"block\", \"an\"}) Layer both;",
              "@GlobalAvgPool Layer gap;",
              "@Dense(units = 10) @Softmax Layer out;"
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void everyGeneratedMethodIsFarUnderTheJitLimit(String name, String input, String[] layers) {
    JavaFileObject source = Networks.network(name, input, layers);
    byte[] model = CompiledModels.classFiles(Networks.compile(source)).get("test." + name + "Model");
    Map<String, Integer> sizes = MethodSizes.of(model);
    assertTrue(sizes.size() > 10, "expected the generated methods, got " + sizes.keySet());
    String largest = null;
    for (Map.Entry<String, Integer> e : sizes.entrySet()) {
      if (largest == null || e.getValue() > sizes.get(largest)) {
        largest = e.getKey();
      }
    }
    System.out.println(
        "JIT size: " + name + "Model has " + sizes.size() + " methods, largest " + largest
            + " with " + sizes.get(largest) + " bytes (budget " + BUDGET + ", HotSpot limit "
            + HOTSPOT_HUGE_METHOD_LIMIT + ")");
    for (Map.Entry<String, Integer> e : sizes.entrySet()) {
      assertTrue(
          e.getValue() <= BUDGET,
          name + "Model." + e.getKey() + " has " + e.getValue() + " bytes of bytecode");
    }
  }
}
