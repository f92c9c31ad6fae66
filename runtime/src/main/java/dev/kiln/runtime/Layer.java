package dev.kiln.runtime;

import java.util.Arrays;
import java.util.Optional;

/**
 * One declared layer of a generated model: its name (the field's), kind, shapes and where its
 * parameters live in the model's flat parameter array. Generated models assign one to each
 * declared field, so {@code net.c1.outputShape()} works on a model instance.
 *
 * <p>Weights are stored in TensorFlow layouts: HWIO ({@code [kh, kw, in, out]}) for convolution
 * kernels, {@code [in, out]} for dense layers, then the bias {@code [out]}.
 */
public final class Layer {
  private final String name;
  private final String description;
  private final TensorShape inputShape;
  private final TensorShape outputShape;
  private final int weightOffset;
  private final int[] weightShape;
  private final int biasOffset;
  private final int biasCount;
  private final int stateOffset;
  private final int stateCount;
  private final Operation operation;

  /**
   * A layer without an {@link #operation()}: generated models give theirs one.
   *
   * @param weightShape empty for a layer without weights
   * @param biasOffset -1 for a layer without a bias
   */
  public Layer(
      String name,
      String description,
      TensorShape inputShape,
      TensorShape outputShape,
      int weightOffset,
      int[] weightShape,
      int biasOffset,
      int biasCount) {
    this(name, description, inputShape, outputShape, weightOffset, weightShape, biasOffset,
        biasCount, -1, 0, null);
  }

  /** A layer without state that says what it computes ({@link #operation()}). */
  public Layer(
      String name,
      String description,
      TensorShape inputShape,
      TensorShape outputShape,
      int weightOffset,
      int[] weightShape,
      int biasOffset,
      int biasCount,
      Operation operation) {
    this(name, description, inputShape, outputShape, weightOffset, weightShape, biasOffset,
        biasCount, -1, 0, operation);
  }

  /**
   * A layer that also keeps untrained state in {@link Model#state()}: a BatchNorm, whose weights
   * are its {@code gamma} and bias its {@code beta}, and whose state is its moving mean then its
   * moving variance ({@code stateCount / 2} floats each).
   */
  public Layer(
      String name,
      String description,
      TensorShape inputShape,
      TensorShape outputShape,
      int weightOffset,
      int[] weightShape,
      int biasOffset,
      int biasCount,
      int stateOffset,
      int stateCount) {
    this(name, description, inputShape, outputShape, weightOffset, weightShape, biasOffset,
        biasCount, stateOffset, stateCount, null);
  }

  /**
   * A layer that may keep state (see above) and says what it computes ({@link #operation()}).
   *
   * @param operation null for a layer that does not say
   */
  public Layer(
      String name,
      String description,
      TensorShape inputShape,
      TensorShape outputShape,
      int weightOffset,
      int[] weightShape,
      int biasOffset,
      int biasCount,
      int stateOffset,
      int stateCount,
      Operation operation) {
    this.operation = operation;
    this.stateOffset = stateOffset;
    this.stateCount = stateCount;
    this.name = name;
    this.description = description;
    this.inputShape = inputShape;
    this.outputShape = outputShape;
    this.weightOffset = weightOffset;
    this.weightShape = weightShape.clone();
    this.biasOffset = biasOffset;
    this.biasCount = biasCount;
  }

  public String name() {
    return name;
  }

  /** Kind and settings, e.g. {@code "Conv2D 5x5 stride 1 SAME + ReLU"}. */
  public String description() {
    return description;
  }

  /**
   * What the layer computes, as facts: kind, the layers it reads, window, activation. Generated
   * models give every layer one; a layer made by hand may have none.
   */
  public Optional<Operation> operation() {
    return Optional.ofNullable(operation);
  }

  /** Its (first) source's shape; a dense layer's is flat, its source flattened in HWC order. */
  public TensorShape inputShape() {
    return inputShape;
  }

  public TensorShape outputShape() {
    return outputShape;
  }

  /** Offset of the first weight in the model's parameter array. */
  public int weightOffset() {
    return weightOffset;
  }

  /** The weight tensor's shape (HWIO or {@code [in, out]}); empty if the layer has no weights. */
  public int[] weightShape() {
    return weightShape.clone();
  }

  public int weightCount() {
    int n = weightShape.length == 0 ? 0 : 1;
    for (int d : weightShape) {
      n *= d;
    }
    return n;
  }

  public boolean hasBias() {
    return biasOffset >= 0;
  }

  /** Offset of the bias in the model's parameter array, or -1 if the layer has none. */
  public int biasOffset() {
    return biasOffset;
  }

  public int biasCount() {
    return biasCount;
  }

  public int parameterCount() {
    return weightCount() + biasCount;
  }

  /** Offset of this layer's state in {@link Model#state()}, or -1 if it keeps none. */
  public int stateOffset() {
    return stateOffset;
  }

  public int stateCount() {
    return stateCount;
  }

  /** Whether it normalizes by batch statistics: weights and bias are then gamma and beta. */
  public boolean batchNorm() {
    return stateOffset >= 0;
  }

  /** The checkpoint name of its weights: {@code kernel}, or {@code gamma} for a BatchNorm. */
  public String weightName() {
    return batchNorm() ? "gamma" : "kernel";
  }

  /** The checkpoint name of its bias: {@code bias}, or {@code beta} for a BatchNorm. */
  public String biasName() {
    return batchNorm() ? "beta" : "bias";
  }

  @Override
  public String toString() {
    return name
        + " "
        + description
        + " "
        + inputShape
        + " -> "
        + outputShape
        + (weightShape.length == 0 ? "" : " weights " + Arrays.toString(weightShape))
        + (hasBias() ? " bias [" + biasCount + "]" : "")
        + (batchNorm() ? " state [" + stateCount + "]" : "");
  }
}
