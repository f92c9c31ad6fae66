/**
 * Optimizers that train a model in place: each {@link dev.kiln.runtime.optim.Optimizer} updates a
 * model's flat parameter array from a gradient array of the same layout, with optional coupled L2
 * weight decay (restricted to chosen ranges, e.g. weights but not biases) and a learning-rate
 * {@link dev.kiln.runtime.optim.Schedule}.
 *
 * <pre>{@code
 * Optimizer adam =
 *     Adam.lr(1e-3)
 *         .weightDecay(1e-4)
 *         .decayOnly(Optimizer.weightRanges(net.layers()))
 *         .schedule(Schedule.cosine(10_000, 1e-5));
 * for (...) {
 *   float[] gradients = ...; // same layout as net.parameters()
 *   adam.step(net.parameters(), gradients);
 * }
 * }</pre>
 */
package dev.kiln.runtime.optim;
