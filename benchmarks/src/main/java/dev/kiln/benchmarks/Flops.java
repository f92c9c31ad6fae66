package dev.kiln.benchmarks;

import dev.kiln.runtime.Layer;
import dev.kiln.runtime.Model;
import java.util.List;

/**
 * FLOPs per benchmark operation, counted as {@code ./kiln bench} counts them: 2 per multiply-add of
 * the convolutions and dense layers (output pixels × weights, padded taps included; pooling,
 * activations and softmax count nothing). A backward pass does the kernel gradient and the input
 * gradient, each as many multiply-adds as the forward pass, except that the first layer needs no
 * input gradient.
 */
final class Flops {
  private Flops() {}

  static long forward(Layer layer) {
    return 2L * layer.outputShape().height() * layer.outputShape().width() * layer.weightCount();
  }

  static long backward(Model model, int index) {
    long forward = forward(model.layers().get(index));
    return index == 0 ? forward : 2 * forward;
  }

  static long forward(Model model) {
    long flops = 0;
    for (Layer layer : model.layers()) {
      flops += forward(layer);
    }
    return flops;
  }

  /** One trained sample: every layer's forward and backward pass. */
  static long training(Model model) {
    long flops = forward(model);
    List<Layer> layers = model.layers();
    for (int i = 0; i < layers.size(); i++) {
      flops += backward(model, i);
    }
    return flops;
  }

  /**
   * FLOPs of one operation of {@code benchmark} (a method of {@link LayerBenchmark} or {@link
   * ModelBenchmark}) at the parameter {@code param} ({@code LENET.c1}, or {@code LENET}); 0 where
   * unknown or where the operation does no multiply-adds (pooling).
   */
  static long perOperation(String benchmark, String param) {
    if (param == null) {
      return 0;
    }
    String[] parts = param.split("\\.", 2);
    Model model = NetworkCalls.of(parts[0]).create(0);
    return switch (benchmark) {
      case "forward" -> forward(model.layer(parts[1]));
      case "backward" -> backward(model, model.layers().indexOf(model.layer(parts[1])));
      case "predict" -> forward(model);
      case "predictBatch256" -> 256 * forward(model);
      case "trainSample" -> training(model);
      default -> 0;
    };
  }
}
