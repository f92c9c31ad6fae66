package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Max pooling per channel. With SAME padding the maximum is taken over the real cells of each
 * window only, as in TensorFlow.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface MaxPool {
  /** Window size: {@code 2} or {@code {height, width}}. */
  int[] size();

  /** Stride: {@code 2} or {@code {height, width}}; empty (the default) means the window size. */
  int[] stride() default {};

  Padding padding() default Padding.VALID;

  /**
   * Explicit padding, as {@link Conv2D#pad()}: {@code 1}, {@code {rows, columns}} or {@code {top,
   * bottom, left, right}}, each smaller than the window. Padded cells are not part of any window:
   * the maximum is taken over the real cells only, as ONNX's pools with {@code count_include_pad = 0}.
   * Cannot be combined with {@code padding = SAME}.
   */
  int[] pad() default {};
}
