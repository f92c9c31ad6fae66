package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Batch normalization (TensorFlow's {@code BatchNormalization(axis=-1)}): each channel is
 * normalized by the mean and variance of the batch over the batch, height and width in training,
 * then scaled by {@code gamma} and shifted by {@code beta}, which are learned; inference uses
 * moving averages of those statistics instead. Usually after a convolution without bias, before
 * its ReLU: {@code @Conv2D(filters = 16, kernel = 3, bias = false) Layer c; @BatchNorm @ReLU Layer
 * bn;}. A network with batch normalization trains a batch at a time.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface BatchNorm {
  /** Weight of the old value in the moving averages: {@code moving = momentum * moving + (1 - momentum) * batch}. */
  double momentum() default 0.99;

  /** Added to the variance before its square root. */
  double epsilon() default 0.001;
}
