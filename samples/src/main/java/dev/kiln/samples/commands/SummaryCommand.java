package dev.kiln.samples.commands;

import dev.kiln.runtime.Model;
import dev.kiln.samples.networks.AlexNetFirstLayerModel;
import dev.kiln.samples.networks.AlexNetModel;
import dev.kiln.samples.networks.LeNet5Model;
import dev.kiln.samples.networks.MnistInceptionModel;
import dev.kiln.samples.networks.MnistMobileNetModel;
import dev.kiln.samples.networks.MnistResNetModel;
import dev.kiln.samples.networks.ResNet18Model;
import dev.kiln.samples.networks.Vgg16Model;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ./kiln summary NETWORK}: the compile-time summary of a sample network. */
@Command(
    name = "summary",
    mixinStandardHelpOptions = true,
    description = "Prints a sample network's layers, shapes and parameter counts.")
public final class SummaryCommand implements Callable<Integer> {
  static final Map<String, Supplier<Model>> NETWORKS = new TreeMap<>();

  static {
    NETWORKS.put("lenet5", () -> LeNet5Model.create(0));
    NETWORKS.put("alexnet-conv1", () -> AlexNetFirstLayerModel.create(0));
    // Large: creating them allocates and initializes 61 and 138 million parameters.
    NETWORKS.put("alexnet", () -> AlexNetModel.create(0));
    NETWORKS.put("vgg16", () -> Vgg16Model.create(0));
    NETWORKS.put("resnet18", () -> ResNet18Model.create(0));
    NETWORKS.put("mnist-resnet", () -> MnistResNetModel.create(0));
    NETWORKS.put("mnist-inception", () -> MnistInceptionModel.create(0));
    NETWORKS.put("mnist-mobilenet", () -> MnistMobileNetModel.create(0));
    for (LadderCommand.Rung rung : LadderCommand.RUNGS) {
      if (rung.number() < 7) {
        NETWORKS.put(rung.name(), () -> rung.create().apply(0));
      }
    }
    for (XorCommand.Net net : XorCommand.NETWORKS) {
      NETWORKS.put("xor-" + net.name(), () -> net.create().apply(0));
    }
  }

  @Parameters(
      index = "0",
      paramLabel = "NETWORK",
      description =
          "lenet5, alexnet-conv1, alexnet, vgg16, resnet18, mnist-resnet, mnist-inception, the ladder's softmax, relu-normal, relu-xavier, deep-dropout,"
              + " cnn2, cnn3, or xor-shallow-sigmoid, xor-deep-sigmoid, xor-deep-relu.")
  String network;

  @Override
  public Integer call() {
    Supplier<Model> factory = NETWORKS.get(network.toLowerCase(Locale.ROOT));
    if (factory == null) {
      System.err.println("kiln summary: unknown network '" + network + "'; choose one of "
          + String.join(", ", NETWORKS.keySet()));
      return 2;
    }
    Model model = factory.get();
    System.out.print(model.summary());
    System.out.println(
        "RESULT task=summary network=" + model.name() + " params=" + model.parameterCount()
            + " input=" + model.inputShape() + " output=" + model.outputShape());
    return 0;
  }
}
