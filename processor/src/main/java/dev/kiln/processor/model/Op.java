package dev.kiln.processor.model;

import dev.kiln.annotations.BiasInit;
import dev.kiln.annotations.Init;
import java.util.Optional;

/**
 * What a layer computes, with every setting resolved: one record per layer kind, and each record
 * owns its kind's facts (parameter shapes, cost, how it runs in inference and training). Code
 * that does something different per kind goes through {@link #accept(Visitor)}: a new kind is a
 * new record and a new {@link Visitor} method, so every place that must handle it stops compiling
 * until it does. Nothing else asks which kind an op is.
 */
public sealed interface Op {

  /** Kind as shown in summaries and messages, e.g. {@code "Conv2D"}. */
  String kind();

  /** Kind and settings, e.g. {@code "Conv2D 5x5 stride 1 SAME (pad 2/2/2/2)"}. */
  String describe();

  <R> R accept(Visitor<R> visitor);

  /** One method per layer kind: the only dispatch over kinds. */
  interface Visitor<R> {
    R conv(Conv conv);

    R depthwiseConv(DepthwiseConv depthwiseConv);

    R pool(Pool pool);

    R dense(Dense dense);

    R flatten(Flatten flatten);

    R dropout(Dropout dropout);

    R activate(Activate activate);

    R batchNorm(BatchNorm batchNorm);

    R merge(Merge merge);
  }

  // ---- Parameters -------------------------------------------------------------------------

  /** The weight tensor's shape in TensorFlow's layout ({@link #weightLayout()}); empty if none. */
  default int[] weightShape(TensorShape input, TensorShape output) {
    return new int[0];
  }

  /** How the weights are laid out, for generated comments: {@code "HWIO"}, {@code "[in, out]"}. */
  default String weightLayout() {
    return "";
  }

  /** Floats of bias (a BatchNorm's beta) after the weights. */
  default long biasCount(TensorShape output) {
    return 0;
  }

  /** Values the layer keeps that are not trained (a BatchNorm's moving mean and variance). */
  default long stateCount(TensorShape output) {
    return 0;
  }

  /** Fan-in for weight initialization: the inputs each output value sums. */
  default long fanIn(int[] weightShape) {
    return weightShape.length == 4
        ? (long) weightShape[0] * weightShape[1] * weightShape[2]
        : weightShape.length == 2 ? weightShape[0] : 0;
  }

  /** Fan-out for weight initialization: the outputs each input value feeds. */
  default long fanOut(int[] weightShape) {
    return weightShape.length == 4
        ? (long) weightShape[0] * weightShape[1] * weightShape[3]
        : weightShape.length == 2 ? weightShape[1] : 0;
  }

  /** Multiply-adds for one sample (padding taps included, as frameworks count them). */
  default long multiplyAdds(TensorShape output, long weightCount) {
    return 0;
  }

  // ---- How it runs ------------------------------------------------------------------------

  /**
   * Whether the op itself leaves its input as it is at inference, so that only a fused
   * activation, if any, runs (Flatten, Dropout, and an activation field, which is all
   * activation).
   */
  default boolean identityAtInference() {
    return false;
  }

  /** Whether the op itself leaves its input as it is in training too (Flatten, activations). */
  default boolean identityInTraining() {
    return identityAtInference();
  }

  /** Whether it hands its output's gradient to its inputs unchanged (but for its activation). */
  default boolean identityGradient() {
    return identityInTraining();
  }

  /**
   * Whether it may write its output over its (first) input, and in training leave its input's
   * gradient where its output's was; the others write a fresh region for either.
   */
  default boolean inPlace() {
    return false;
  }

  /**
   * Whether batched inference runs it once over a tile of samples instead of once per sample: the
   * layers whose weights outweigh one sample's activations, so that reading them once per tile is
   * what pays (a dense layer streams all its weights for every sample).
   */
  default boolean runsOverTiles(TensorShape input, TensorShape output) {
    return false;
  }

  /** Whether training runs it forward and backward once over a tile of samples (see above). */
  default boolean trainsOverTiles(TensorShape input, TensorShape output) {
    return false;
  }

  /** The activation that is the op itself (an activation field's); empty for the others. */
  default Optional<Activation> ownActivation() {
    return Optional.empty();
  }

  /** Floats it keeps in training beside its output (dropout's mask). */
  default long trainingMaskSize(TensorShape output) {
    return 0;
  }

  /**
   * What it becomes when inference folds a BatchNorm right after it into its weights and bias:
   * itself with a bias (where the BatchNorm's shift goes); empty where it cannot take one.
   */
  default Optional<Op> withBatchNormFolded() {
    return Optional.empty();
  }

  /** Whether inference may fold it into the layer before it ({@link #withBatchNormFolded()}). */
  default boolean foldsIntoProducer() {
    return false;
  }

  /** Whether inference may run it inside the convolution it reads: a 2x2 max pool, stride 2. */
  default boolean fusesIntoConvolution() {
    return false;
  }

  /**
   * Whether a pool that {@link #fusesIntoConvolution()} may run inside it: a convolution whose
   * vector path keeps its result apart in planes anyway, so the pool reads the planes.
   */
  default boolean takesPoolFusion(TensorShape input, TensorShape output) {
    return false;
  }

  // ---- The kinds ----------------------------------------------------------------------------

  record Conv(int filters, Window window, boolean bias, Init init, BiasInit biasInit) implements Op {
    @Override
    public String kind() {
      return "Conv2D";
    }

    @Override
    public String describe() {
      return "Conv2D " + window.describe() + (bias ? "" : " no bias");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.conv(this);
    }

    @Override
    public int[] weightShape(TensorShape input, TensorShape output) {
      return new int[] {window.kernelHeight(), window.kernelWidth(), input.channels(), filters};
    }

    @Override
    public String weightLayout() {
      return "HWIO";
    }

    @Override
    public long biasCount(TensorShape output) {
      return bias ? filters : 0;
    }

    @Override
    public long multiplyAdds(TensorShape output, long weightCount) {
      return output.size() * (weightCount / filters);
    }

    @Override
    public Optional<Op> withBatchNormFolded() {
      return Optional.of(new Conv(filters, window, true, init, biasInit));
    }

    /**
     * Where its weights are at least four times one sample's output (ResNet-18's last two stages:
     * 2.4 million weights against 25,088 outputs), with a matrix product's worth of filters and
     * pixels; not where activations dominate (SEEDCNN's c2, LeNet-5's c3). A Winograd layer over
     * tiles takes the tile's blocks into each product, so its transformed kernel is read once per
     * tile; where activations dominate, that kernel stays in cache from sample to sample anyway,
     * and the tile's blocks would only push each other out (SEEDCNN's c2 over tiles: 6,574-7,295
     * images/s at batch 256 against 8,760-9,048 per sample).
     */
    @Override
    public boolean runsOverTiles(TensorShape input, TensorShape output) {
      long weights = (long) window.kernelHeight() * window.kernelWidth() * input.channels() * filters;
      return filters >= 32 && (long) output.height() * output.width() >= 6 && weights >= 4 * output.size();
    }

    /**
     * Whether its vector path takes Winograd's form from {@code from} to {@code to} channels onto
     * {@code out} (the forward pass; the input gradient's turned kernel with the channel counts
     * swapped): a 3x3 kernel of stride 1, 32 output channels or more (the packed product's
     * width), both channel counts whole vectors of 8 (AVX2's; the runtime checks its own width
     * and else sums directly) and a 2x2 output block at least.
     */
    public boolean takesWinograd(int from, int to, TensorShape out) {
      return window.kernelHeight() == 3 && window.kernelWidth() == 3 && window.strideHeight() == 1
          && window.strideWidth() == 1 && to >= 32 && to % 8 == 0 && from % 8 == 0 && out.height() >= 2
          && out.width() >= 2;
    }

    @Override
    public boolean takesPoolFusion(TensorShape input, TensorShape output) {
      ConvGeometry geometry = ConvGeometry.of(this, input, output);
      return geometry != null && geometry.planarForward();
    }
  }

  /**
   * A depthwise convolution: input channel {@code c}'s {@code depthMultiplier} filters see only
   * channel {@code c}, and write output channels {@code c * depthMultiplier ...}.
   */
  record DepthwiseConv(int depthMultiplier, Window window, boolean bias, Init init, BiasInit biasInit)
      implements Op {
    @Override
    public String kind() {
      return "DepthwiseConv2D";
    }

    @Override
    public String describe() {
      return "DepthwiseConv2D " + window.describe()
          + (depthMultiplier > 1 ? " multiplier " + depthMultiplier : "") + (bias ? "" : " no bias");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.depthwiseConv(this);
    }

    @Override
    public int[] weightShape(TensorShape input, TensorShape output) {
      return new int[] {
        window.kernelHeight(), window.kernelWidth(), input.channels(), depthMultiplier
      };
    }

    @Override
    public String weightLayout() {
      return "[kh, kw, in, multiplier]";
    }

    @Override
    public long biasCount(TensorShape output) {
      return bias ? output.channels() : 0;
    }

    @Override
    public long multiplyAdds(TensorShape output, long weightCount) {
      return output.size() * window.kernelHeight() * window.kernelWidth();
    }

    /** Its weights are [taps, out] like a convolution's rows: the fold scales them alike. */
    @Override
    public Optional<Op> withBatchNormFolded() {
      return Optional.of(new DepthwiseConv(depthMultiplier, window, true, init, biasInit));
    }
  }

  record Pool(PoolKind pool, Window window) implements Op {
    @Override
    public String kind() {
      return pool.displayName();
    }

    @Override
    public String describe() {
      return pool == PoolKind.GLOBAL_AVG
          ? pool.displayName() + " " + window.kernelHeight() + "x" + window.kernelWidth()
          : pool.displayName() + " " + window.describe();
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.pool(this);
    }

    @Override
    public boolean fusesIntoConvolution() {
      return pool == PoolKind.MAX
          && window.kernelHeight() == 2
          && window.kernelWidth() == 2
          && window.strideHeight() == 2
          && window.strideWidth() == 2
          && !window.padded();
    }
  }

  record Dense(int units, boolean bias, Init init, BiasInit biasInit) implements Op {
    @Override
    public String kind() {
      return "Dense";
    }

    @Override
    public String describe() {
      return "Dense " + units + (bias ? "" : " no bias");
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.dense(this);
    }

    @Override
    public int[] weightShape(TensorShape input, TensorShape output) {
      return new int[] {Math.toIntExact(input.size()), units};
    }

    @Override
    public String weightLayout() {
      return "[in, out]";
    }

    @Override
    public long biasCount(TensorShape output) {
      return bias ? units : 0;
    }

    @Override
    public long multiplyAdds(TensorShape output, long weightCount) {
      return weightCount;
    }

    @Override
    public Optional<Op> withBatchNormFolded() {
      return Optional.of(new Dense(units, true, init, biasInit));
    }

    @Override
    public boolean runsOverTiles(TensorShape input, TensorShape output) {
      return true;
    }

    @Override
    public boolean trainsOverTiles(TensorShape input, TensorShape output) {
      return true;
    }
  }

  record Flatten(boolean implicit) implements Op {
    @Override
    public String kind() {
      return "Flatten";
    }

    @Override
    public String describe() {
      return implicit ? "Flatten (implicit, HWC)" : "Flatten (HWC)";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.flatten(this);
    }

    @Override
    public boolean identityAtInference() {
      return true; // NHWC already is HWC order
    }

    @Override
    public boolean inPlace() {
      return true;
    }
  }

  record Dropout(double rate) implements Op {
    @Override
    public String kind() {
      return "Dropout";
    }

    @Override
    public String describe() {
      return "Dropout " + rate;
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.dropout(this);
    }

    @Override
    public boolean identityAtInference() {
      return true; // inverted dropout scales in training
    }

    @Override
    public boolean identityInTraining() {
      return false;
    }

    @Override
    public boolean inPlace() {
      return true;
    }

    @Override
    public long trainingMaskSize(TensorShape output) {
      return output.size();
    }
  }

  /** An activation on a field of its own: the op is the identity, its activation all it does. */
  record Activate(Activation activation) implements Op {
    @Override
    public String kind() {
      return activation.describe();
    }

    @Override
    public String describe() {
      return activation.describe();
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.activate(this);
    }

    @Override
    public Optional<Activation> ownActivation() {
      return Optional.of(activation);
    }

    @Override
    public boolean identityAtInference() {
      return true;
    }

    @Override
    public boolean inPlace() {
      return true;
    }
  }

  /** Per-channel normalization by batch statistics (moving averages at inference). */
  record BatchNorm(double momentum, double epsilon) implements Op {
    @Override
    public String kind() {
      return "BatchNorm";
    }

    @Override
    public String describe() {
      return "BatchNorm momentum " + momentum + " epsilon " + epsilon;
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.batchNorm(this);
    }

    @Override
    public int[] weightShape(TensorShape input, TensorShape output) {
      return new int[] {output.channels()};
    }

    @Override
    public String weightLayout() {
      return "gamma";
    }

    @Override
    public long biasCount(TensorShape output) {
      return output.channels(); // beta
    }

    @Override
    public long stateCount(TensorShape output) {
      return 2L * output.channels();
    }

    @Override
    public boolean foldsIntoProducer() {
      return true;
    }

    @Override
    public boolean inPlace() {
      return true;
    }
  }

  /** A layer of two or more inputs: their sum, or their channels side by side. */
  record Merge(MergeKind merge) implements Op {
    @Override
    public String kind() {
      return merge.displayName();
    }

    @Override
    public String describe() {
      return merge.displayName();
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.merge(this);
    }

    @Override
    public boolean identityGradient() {
      return merge == MergeKind.ADD; // every input gets the sum's gradient
    }

    @Override
    public boolean inPlace() {
      return merge == MergeKind.ADD;
    }
  }

  enum MergeKind {
    ADD("Add"),
    CONCAT("Concat");

    private final String displayName;

    MergeKind(String displayName) {
      this.displayName = displayName;
    }

    public String displayName() {
      return displayName;
    }
  }

  enum PoolKind {
    MAX("MaxPool"),
    AVG("AvgPool"),
    /** An average over the whole input: the window is its height and width. */
    GLOBAL_AVG("GlobalAvgPool");

    private final String displayName;

    PoolKind(String displayName) {
      this.displayName = displayName;
    }

    public String displayName() {
      return displayName;
    }
  }
}
