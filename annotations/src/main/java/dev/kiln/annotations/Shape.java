package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The shape of one sample: height × width × channels (NHWC without the batch). */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({})
public @interface Shape {
  int height();

  int width();

  int channels() default 1;
}
