package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A depthwise 2-D convolution (MobileNet's): each input channel is convolved with its own
 * {@code depthMultiplier} filters, and channels never mix, so an input of {@code c} channels gives
 * {@code c * depthMultiplier} output channels, input channel {@code i}'s filters at outputs {@code
 * i * depthMultiplier ...}. As TensorFlow's {@code DepthwiseConv2D}, and ONNX's {@code Conv} with
 * {@code group} equal to the input channels. The kernel is stored {@code [kh, kw, in,
 * depthMultiplier]}, then the bias ({@code [in * depthMultiplier]}).
 *
 * <p>{@code kernel}, {@code stride}, {@code padding} and {@code pad} work as for {@link Conv2D}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface DepthwiseConv2D {
  /** Kernel size: {@code 3} or {@code {3, 5}} (height, width). */
  int[] kernel();

  /** Filters per input channel. */
  int depthMultiplier() default 1;

  /** Stride: {@code 1} or {@code {2, 1}} (height, width). */
  int[] stride() default 1;

  Padding padding() default Padding.VALID;

  /**
   * Explicit zero padding: {@code 1} (every side), {@code {rows, columns}} (top and bottom, left
   * and right) or {@code {top, bottom, left, right}} (PyTorch's and ONNX's uneven pads); empty
   * means none.
   */
  int[] pad() default {};

  /** Whether the layer adds a bias per output channel. */
  boolean bias() default true;

  /** How the weights are initialized. */
  Init init() default Init.GLOROT_UNIFORM;

  /** How the biases are initialized (zero unless said); needs {@code bias = true}. */
  BiasInit biasInit() default BiasInit.ZEROS;
}
