package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The layer(s) a layer reads, by field name, which makes the network a directed acyclic graph.
 * Without it a layer reads the layer declared just before it (the first one reads the input).
 * Only earlier fields can be named, so a network cannot have a cycle; {@link #INPUT} names the
 * network's input.
 *
 * <pre>{@code
 * @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME) @ReLU Layer a;
 * @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME) Layer b;
 * @Add @From({"b", "stem"}) @ReLU Layer block;   // a residual connection
 * }</pre>
 *
 * <p>{@link Add} and {@link Concat} take two or more layers; every other layer takes one.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface From {
  /** The network's input, for a branch that starts from it. */
  String INPUT = "@input";

  /** Field names of earlier layers, or {@link #INPUT}. */
  String[] value();
}
