package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Global average pooling: each channel averaged over the whole height and width of its input,
 * {@code h x w x c -> 1 x 1 x c} (TensorFlow's {@code GlobalAveragePooling2D}; a following Dense
 * reads it as a vector of {@code c}). ResNet uses it in place of large dense layers.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface GlobalAvgPool {}
