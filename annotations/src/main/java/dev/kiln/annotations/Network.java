package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an abstract class whose {@code Layer} fields declare a network. Kiln generates a class
 * named after it with the suffix {@code Model} in the same package ({@code LeNet5} becomes
 * {@code LeNet5Model}) that extends it.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Network {
  /** The shape of one input sample. */
  Shape input();
}
