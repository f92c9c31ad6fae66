package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Activation {@code x > 0 ? x : alpha * x}. The default alpha is TensorFlow's
 * ({@code tf.nn.leaky_relu}): 0.2. Put it on a layer's field or on a field of its own.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface LeakyReLU {
  double alpha() default 0.2;
}
