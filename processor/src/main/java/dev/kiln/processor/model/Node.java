package dev.kiln.processor.model;

import java.util.List;
import java.util.Optional;

/**
 * One layer of an inferred network: what it computes, an optional activation fused onto it (an
 * activation annotation on the same field), what it reads, and its input and output shapes.
 *
 * @param name the declaring field's name; implicit layers get a name that is not a Java identifier
 * @param sources the nodes it reads, as indices into the network's nodes, all smaller than its
 *     own; {@link #NETWORK_INPUT} for the input. One source except for merges.
 * @param inputs the shapes of its sources, in the same order
 * @param origin where it was declared, for diagnostics
 */
public record Node(
    String name,
    Op op,
    Optional<Activation> activation,
    List<Integer> sources,
    List<TensorShape> inputs,
    TensorShape output,
    Origin origin) {

  /** The source index that stands for the network's input. */
  public static final int NETWORK_INPUT = -1;

  public Node {
    sources = List.copyOf(sources);
    inputs = List.copyOf(inputs);
    if (sources.isEmpty() || sources.size() != inputs.size()) {
      throw new IllegalArgumentException(name + ": " + sources + " sources, " + inputs + " inputs");
    }
  }

  /** A node of one source. */
  public Node(
      String name, Op op, Optional<Activation> activation, int source, TensorShape input,
      TensorShape output, Origin origin) {
    this(name, op, activation, List.of(source), List.of(input), output, origin);
  }

  /** Its (first) input's shape: the only one except for merges, whose inputs share a height and width. */
  public TensorShape input() {
    return inputs.get(0);
  }

  /** True for layers Kiln inserted (the flatten before the first Dense). */
  public boolean implicit() {
    return op.equals(new Op.Flatten(true));
  }

  /**
   * The activation this layer applies: the one fused onto it, or, for an activation field, its
   * own.
   */
  public Optional<Activation> activationFunction() {
    return op.ownActivation().or(() -> activation);
  }

  /** Kind, settings and fused activation, e.g. {@code "Conv2D 5x5 stride 1 VALID + ReLU"}. */
  public String describe() {
    return op.describe() + activation.map(a -> " + " + a.describe()).orElse("");
  }

  /** Whether it runs code at inference: Flatten and Dropout without an activation do not. */
  public boolean runsAtInference() {
    return !op.identityAtInference() || activationFunction().isPresent();
  }

  /** Whether batched inference may run it once over a tile of samples ({@link Op#runsOverTiles}). */
  public boolean runsOverTiles() {
    return op.runsOverTiles(input(), output);
  }

  /** Whether training may run it once over a tile of samples ({@link Op#trainsOverTiles}). */
  public boolean trainsOverTiles() {
    return op.trainsOverTiles(input(), output);
  }

  /** The weight tensor's shape in TensorFlow layout ({@link Op#weightLayout()}); empty if none. */
  public int[] weightShape() {
    return op.weightShape(input(), output);
  }

  public long weightCount() {
    int[] shape = weightShape();
    if (shape.length == 0) {
      return 0;
    }
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  public long biasCount() {
    return op.biasCount(output);
  }

  /** Values a layer keeps that are not trained: a BatchNorm's moving mean and variance. */
  public long stateCount() {
    return op.stateCount(output);
  }

  public long parameterCount() {
    return weightCount() + biasCount();
  }

  /** Multiply-adds for one sample (padding taps included, as frameworks count them). */
  public long multiplyAdds() {
    return op.multiplyAdds(output, weightCount());
  }

  /** Fan-in and fan-out for weight initialization. */
  public long fanIn() {
    return op.fanIn(weightShape());
  }

  public long fanOut() {
    return op.fanOut(weightShape());
  }
}
