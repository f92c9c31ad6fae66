package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Average pooling per channel. With SAME padding each window is averaged over its real cells
 * only (padding is not counted), as in TensorFlow.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface AvgPool {
  /** Window size: {@code 2} or {@code {height, width}}. */
  int[] size();

  /** Stride: {@code 2} or {@code {height, width}}; empty (the default) means the window size. */
  int[] stride() default {};

  Padding padding() default Padding.VALID;

  /**
   * Explicit padding, as {@link Conv2D#pad()}: {@code 1}, {@code {rows, columns}} or {@code {top,
   * bottom, left, right}}, each smaller than the window. Padded cells are not part of any window:
   * each window is averaged over its real cells only, as ONNX's pools with {@code count_include_pad = 0}.
   * Cannot be combined with {@code padding = SAME}.
   */
  int[] pad() default {};
}
