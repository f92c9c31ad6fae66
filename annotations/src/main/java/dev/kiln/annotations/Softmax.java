package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Activation {@code exp(x_i) / sum_j exp(x_j)} over a vector; only allowed on the last layer. Put it on a layer's field to apply it to that layer's output, or on
 * a field of its own to make it a separate layer.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Softmax {}
