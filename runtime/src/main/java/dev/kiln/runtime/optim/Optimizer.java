package dev.kiln.runtime.optim;

import dev.kiln.runtime.Layer;
import java.util.List;
import java.util.Objects;

/**
 * Updates a model's flat parameter array ({@code model.parameters()}) in place from a gradient
 * array of the same length and layout.
 *
 * <p>An optimizer keeps per-parameter state (momentum, moment estimates) between steps. It
 * allocates that state on its first {@link #step}, sized to that parameter array, and allocates
 * nothing on later steps, so a training loop produces no garbage. One optimizer therefore serves
 * one parameter array: a step with another length is refused. Optimizers are not thread-safe.
 *
 * <p>Implementations are configured with immutable "with" methods, e.g. {@code
 * Adam.lr(1e-3).betas(0.9, 0.999).weightDecay(1e-4)}. Each such method returns a new optimizer
 * with no state (zero steps) and leaves its receiver unchanged, so a configured optimizer can serve
 * as a template for several models. Every setting is checked when it is given.
 *
 * <p>Every implementation offers:
 *
 * <ul>
 *   <li>{@code weightDecay(wd)}: coupled L2 regularization, {@code g' = g + wd * p}, as {@code
 *       tf.keras} L2 regularizers and PyTorch's {@code weight_decay} do. It applies to every
 *       parameter, biases included, unless {@code decayOnly} restricts it.
 *   <li>{@code decayOnly(from0, to0, from1, to1, ...)}: only these half-open ranges of the
 *       parameter array are decayed; {@link #weightRanges} gives the ranges of all weights but no
 *       biases.
 *   <li>{@code schedule(Schedule)}: the learning rate of each step, given the base rate.
 * </ul>
 */
public interface Optimizer {

  /**
   * Applies one update to {@code parameters} in place.
   *
   * @throws IllegalArgumentException if the arrays differ in length, or if this optimizer already
   *     stepped on a parameter array of another length
   * @throws IllegalStateException if the schedule gives a negative or non-finite rate (nothing is
   *     changed then)
   */
  void step(float[] parameters, float[] gradients);

  /** The number of steps taken so far. */
  int steps();

  /**
   * A copy of the per-parameter state, one array per kind, each as long as the parameter array
   * (Momentum: the velocity; RmsProp: the mean square; Adam: m, then v); no arrays before the
   * first step, nor for plain SGD. With {@link #restore} it lets workers that trained copies of a
   * model average their optimizers as well as their parameters, and a checkpoint carry it.
   */
  float[][] state();

  /**
   * Continues from {@code steps} steps with {@code state} ({@link #state()}'s layout; empty for
   * none yet), as if this optimizer had taken those steps itself: the schedule goes on from there.
   * Everything is checked before anything changes.
   *
   * @throws IllegalArgumentException if {@code steps} is negative, or the arrays are not as many
   *     as this optimizer keeps or not of one length (or not the length it already steps on)
   */
  void restore(int steps, float[][] state);

  /**
   * The learning rate the most recent step used, after the schedule; before the first step, the
   * rate the first step will use.
   */
  double learningRate();

  /**
   * The ranges of every layer's weights (kernels), leaving out biases, as {@code [from, to)} pairs
   * for {@code decayOnly}: {@code Adam.lr(1e-3).weightDecay(1e-4).decayOnly(weightRanges(
   * model.layers()))} decays weights only, as Keras's {@code kernel_regularizer} does.
   */
  static int[] weightRanges(List<Layer> layers) {
    Objects.requireNonNull(layers, "layers");
    int count = 0;
    for (Layer layer : layers) {
      if (layer.weightCount() > 0) {
        count++;
      }
    }
    int[] ranges = new int[2 * count];
    int k = 0;
    for (Layer layer : layers) {
      if (layer.weightCount() > 0) {
        ranges[k++] = layer.weightOffset();
        ranges[k++] = layer.weightOffset() + layer.weightCount();
      }
    }
    return ranges;
  }
}
