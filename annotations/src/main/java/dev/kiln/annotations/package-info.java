/**
 * Kiln's declaration language. Annotate the fields of an abstract class, one field per layer in
 * source order, and Kiln's annotation processor infers every shape, rejects a wrong network with
 * a compiler error and generates a {@code <Name>Model} class that runs it.
 *
 * <p>Semantics follow TensorFlow: NHWC activations, HWIO convolution kernels, {@code [in, out]}
 * dense weights, VALID/SAME padding with the extra row or column at the bottom/right.
 *
 * <p>A layer reads the one declared before it unless {@link dev.kiln.annotations.From} names
 * others: residual connections ({@link dev.kiln.annotations.Add}) and split-and-merge branches
 * ({@link dev.kiln.annotations.Concat}) make the network a directed acyclic graph.
 */
package dev.kiln.annotations;
