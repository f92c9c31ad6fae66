package dev.kiln.processor.model;

/**
 * Where a declaration came from: a field and one of its annotations, or the network class. The
 * processor's implementation wraps {@code javax.lang.model} elements so that diagnostics land on
 * the right element; the model itself never looks inside.
 */
public interface Origin {
  /** A short human-readable description, e.g. {@code "field c1 @Conv2D"}. */
  String describe();
}
