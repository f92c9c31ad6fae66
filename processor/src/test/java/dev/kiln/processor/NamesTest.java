package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import dev.kiln.runtime.Model;
import org.junit.jupiter.api.Test;

/**
 * Valid Java names that the generated code must survive: fields named like the classes it calls
 * (a field {@code Math} hides {@code java.lang.Math} in a subclass), a nested class named like
 * one, and {@code $} in field names (JavaPoet reads {@code $} in a format string).
 */
class NamesTest {
  @Test
  void fieldsNamedLikeTheClassesTheGeneratedCodeCallsCompileAndRun() throws Exception {
    // Every kind of layer, each field named after a class the generated code uses.
    assertRuns(
        "Shadowed",
        "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAME) @ReLU Layer Math;",
        "@BatchNorm @Tanh Layer System;",
        "@DepthwiseConv2D(kernel = 2, padding = Padding.SAME) Layer Float;",
        "@MaxPool(size = 2, padding = Padding.SAME) Layer Arrays;",
        "@AvgPool(size = 1) Layer List;",
        "@Dropout(rate = 0.5) @Sigmoid Layer ThreadLocal;",
        "@Flatten @LeakyReLU Layer SplittableRandom;",
        "@Dense(units = 6) @ReLU Layer Kernels;",
        "@Dense(units = 6) Layer Checks;",
        "@Add @From({\"Kernels\", \"Checks\"}) Layer TensorShape;",
        "@Concat @From({\"TensorShape\", \"Kernels\"}) Layer Initializer;",
        "@Dense(units = 6) Layer Batches;",
        "@Dense(units = 6) Layer Loss;",
        "@Add @From({\"Batches\", \"Loss\"}) Layer Layer;",
        "@Dense(units = 4) Layer Model;",
        "@Dense(units = 4) Layer TrainingBatch;",
        "@Add @From({\"Model\", \"TrainingBatch\"}) @Tanh Layer Generated;",
        "@Dense(units = 4) Layer Override;",
        "@Dense(units = 3) @Softmax Layer String;");
    assertRuns(
        "ShadowedToo",
        "@Dense(units = 4) @ReLU Layer System;",
        "@Dense(units = 4) Layer Float;",
        "@Add @From({\"System\", \"Float\"}) Layer Arrays;",
        "@Dense(units = 2) @Sigmoid Layer List;");
  }

  @Test
  void nestedClassesNamedLikeTheClassesTheGeneratedCodeCallsAreNotPickedUp() throws Exception {
    assertRuns(
        "Nested",
        "static final class Math {}",
        "interface Kernels {}",
        "static class Arrays {}",
        "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAME) @ReLU Layer c;",
        "@MaxPool(size = 2) Layer p;",
        "@Dense(units = 2) @Softmax Layer out;");
  }

  @Test
  void dollarsInFieldNames() throws Exception {
    assertRuns(
        "Dollar",
        "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAME) Layer c$1;",
        "@BatchNorm @ReLU Layer $bn;",
        "@DepthwiseConv2D(kernel = 3, padding = Padding.SAME) Layer d$$;",
        "@MaxPool(size = 2) Layer p$;",
        "@Dropout(rate = 0.5) Layer $;",
        "@Dense(units = 2) @Softmax Layer out$L;");
  }

  /** Compiles without a warning, predicts finite probabilities, trains a batch. */
  private static void assertRuns(String name, String... body) throws Exception {
    Compilation compilation =
        Networks.compile(Networks.network(name, "height = 4, width = 4, channels = 2", body));
    assertThat(compilation).succeededWithoutWarnings();
    Model m = CompiledModels.create(Networks.network(name, "height = 4, width = 4, channels = 2", body), name, 1);
    float[] x = new float[m.inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 7) / 7f;
    }
    float[] y = m.predict(x);
    for (float v : y) {
      assertTrue(Float.isFinite(v), name + ": " + java.util.Arrays.toString(y));
    }
    float[] again = new float[m.outputSize()];
    m.predictBatch(x, again, 1);
    assertArrayEquals(y, again, 1e-5f, name);
    assertEquals(m.outputSize(), y.length);
  }
}
