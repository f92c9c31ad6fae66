package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Activation {@code min(max(0, x), 6)} (MobileNet's; PyTorch's {@code ReLU6}, ONNX's {@code Clip}
 * from 0 to 6). On a layer's field or on a field of its own, as {@link ReLU}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface ReLU6 {}
