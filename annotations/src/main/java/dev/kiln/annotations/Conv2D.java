package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A 2-D convolution. The kernel is stored HWIO ({@code [kh, kw, in, out]}), then the bias
 * ({@code [out]}).
 *
 * <p>{@code kernel} and {@code stride} take one value (square) or two ({@code {height, width}}).
 * {@code pad} sets an explicit zero padding, one value, {@code {rows, columns}} or {@code {top,
 * bottom, left, right}}; it cannot be combined with {@code padding = SAME}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Conv2D {
  /** Number of output channels. */
  int filters();

  /** Kernel size: {@code 5} or {@code {3, 5}} (height, width). */
  int[] kernel();

  /** Stride: {@code 1} or {@code {2, 1}} (height, width). */
  int[] stride() default 1;

  Padding padding() default Padding.VALID;

  /**
   * Explicit zero padding: {@code 1} (every side), {@code {rows, columns}} (top and bottom, left
   * and right) or {@code {top, bottom, left, right}} (PyTorch's and ONNX's uneven pads); empty
   * means none.
   */
  int[] pad() default {};

  /** Whether the layer adds a per-filter bias. */
  boolean bias() default true;

  /** How the weights are initialized. */
  Init init() default Init.GLOROT_UNIFORM;

  /** How the biases are initialized (zero unless said); needs {@code bias = true}. */
  BiasInit biasInit() default BiasInit.ZEROS;
}
