package dev.kiln.samples.commands;

import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import dev.kiln.runtime.TensorShape;
import dev.kiln.samples.networks.AlexNetFirstLayerModel;
import dev.kiln.samples.networks.ConvSameModel;
import dev.kiln.samples.networks.ConvValidModel;
import dev.kiln.samples.networks.LeNet5Model;
import dev.kiln.samples.networks.MaxPoolSameModel;
import dev.kiln.samples.networks.MaxPoolValidModel;
import dev.kiln.samples.networks.Pad1Model;
import dev.kiln.samples.networks.SixFiltersModel;
import dev.kiln.samples.networks.Stride1Model;
import dev.kiln.samples.networks.Stride2Model;
import dev.kiln.samples.networks.ThreeFiltersModel;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The lecture's first examples, run through generated models and checked against the values
 * TensorFlow prints for them.
 */
final class SeedExamples {
  /** One example: what it computed against what the lecture says. */
  record Check(String name, String expected, String actual) {
    boolean ok() {
      return expected.equals(actual);
    }
  }

  private static final float[] ONE_TO_NINE = {1, 2, 3, 4, 5, 6, 7, 8, 9};

  private final PrintStream out;
  private final List<Check> checks = new ArrayList<>();

  SeedExamples(PrintStream out) {
    this.out = out;
  }

  List<Check> run() {
    section("Convolution: the 3x3 image 1..9, a 2x2 filter of ones, stride 1");
    Model valid = ConvValidModel.create(0);
    valid.setWeights(valid.layer("conv"), 1, 1, 1, 1);
    values("conv_valid", valid, ONE_TO_NINE, "[12, 16, 24, 28]");

    Model same = ConvSameModel.create(0);
    same.setWeights(same.layer("conv"), 1, 1, 1, 1);
    values("conv_same", same, ONE_TO_NINE, "[12, 16, 9, 24, 28, 15, 15, 17, 9]");

    section("Three 2x2 filters with weights 1, 10 and -1 (HWIO [2, 2, 1, 3]), SAME");
    Model three = ThreeFiltersModel.create(0);
    float[] kernel = new float[12];
    for (int tap = 0; tap < 4; tap++) {
      kernel[tap * 3] = 1;
      kernel[tap * 3 + 1] = 10;
      kernel[tap * 3 + 2] = -1;
    }
    three.setWeights(three.layer("conv"), kernel);
    float[] y = three.predict(ONE_TO_NINE);
    String[] expected = {
      "[12, 16, 9, 24, 28, 15, 15, 17, 9]",
      "[120, 160, 90, 240, 280, 150, 150, 170, 90]",
      "[-12, -16, -9, -24, -28, -15, -15, -17, -9]"
    };
    for (int f = 0; f < 3; f++) {
      float[] channel = new float[9];
      for (int i = 0; i < 9; i++) {
        channel[i] = y[i * 3 + f];
      }
      out.println("filter " + f + ":");
      print(channel, 3, 3);
      record("three_filters_" + f, expected[f], format(channel));
    }

    section("Max pooling 2x2, stride 1 on [[4, 3], [2, 1]]");
    float[] image = {4, 3, 2, 1};
    values("maxpool_valid", MaxPoolValidModel.create(0), image, "[4]");
    values("maxpool_same", MaxPoolSameModel.create(0), image, "[4, 3, 2, 1]");

    section("Output sizes: out = floor((N - F + 2P) / S) + 1");
    shape("7x7_filter3_stride1", Stride1Model.create(0), "5x5x1");
    shape("7x7_filter3_stride2", Stride2Model.create(0), "3x3x1");
    shape("7x7_filter3_pad1", Pad1Model.create(0), "7x7x1");
    Model six = SixFiltersModel.create(0);
    shape("32x32x3_six_5x5x3_filters", six, "28x28x6");
    record("32x32x3_six_5x5x3_filters_params", "456", String.valueOf(six.parameterCount()));

    section("LeNet-5 for 28x28 MNIST digits");
    Model lenet = LeNet5Model.create(0);
    out.print(lenet.summary());
    StringBuilder shapes = new StringBuilder();
    for (Layer layer : lenet.layers()) {
      shapes.append(shapes.length() == 0 ? "" : ",").append(layer.outputShape());
    }
    record(
        "lenet5_shapes",
        "28x28x6,14x14x6,10x10x16,5x5x16,[120],[84],[10]",
        shapes.toString());
    record("lenet5_params", "61706", String.valueOf(lenet.parameterCount()));

    section("AlexNet's first layer: 227x227x3, 96 filters 11x11, stride 4");
    Model alex = AlexNetFirstLayerModel.create(0);
    out.print(alex.summary());
    shape("alexnet_conv1", alex, "55x55x96");
    record("alexnet_conv1_params", "34944", String.valueOf(alex.parameterCount()));
    return checks;
  }

  private void section(String title) {
    out.println();
    out.println("== " + title);
  }

  private void values(String name, Model model, float[] input, String expected) {
    float[] y = model.predict(input);
    TensorShape s = model.outputShape();
    out.println(name + ": " + model.inputShape() + " -> " + s);
    print(y, s.height(), s.width() * s.channels());
    record(name, expected, format(y));
  }

  private void shape(String name, Model model, String expected) {
    out.println(name + ": " + model.inputShape() + " -> " + model.outputShape());
    record(name, expected, model.outputShape().toString());
  }

  private void record(String name, String expected, String actual) {
    Check check = new Check(name, expected, actual);
    checks.add(check);
    if (!check.ok()) {
      out.println("MISMATCH " + name + ": expected " + expected + ", got " + actual);
    }
  }

  private void print(float[] values, int rows, int columns) {
    for (int r = 0; r < rows; r++) {
      StringBuilder line = new StringBuilder("  ");
      for (int c = 0; c < columns; c++) {
        line.append(String.format(Locale.ROOT, "%6s", number(values[r * columns + c])));
      }
      out.println(line);
    }
  }

  static String format(float[] values) {
    String[] parts = new String[values.length];
    for (int i = 0; i < values.length; i++) {
      parts[i] = number(values[i]);
    }
    return Arrays.toString(parts);
  }

  private static String number(float v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }
}
