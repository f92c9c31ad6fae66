package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Inverted dropout: in training each value is zeroed with probability {@code rate} and the rest
 * are scaled by {@code 1 / (1 - rate)}; at inference it is the identity.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Dropout {
  /** Probability of dropping a value, in {@code [0, 1)}. */
  double rate();
}
