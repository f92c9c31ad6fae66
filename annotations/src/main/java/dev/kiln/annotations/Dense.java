package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A fully connected layer. Weights are stored {@code [in, out]}, then the bias {@code [out]}. A
 * spatial input is flattened first in HWC order (implicitly, or by an explicit {@link Flatten}).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Dense {
  int units();

  boolean bias() default true;

  /** How the weights are initialized. */
  Init init() default Init.GLOROT_UNIFORM;

  /** How the biases are initialized (zero unless said); needs {@code bias = true}. */
  BiasInit biasInit() default BiasInit.ZEROS;
}
