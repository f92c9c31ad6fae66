package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The elementwise sum of two or more layers of the same shape, named with {@link From}: ResNet's
 * skip connection ({@code y = F(x) + x}). Where the shapes differ, give the shortcut a 1×1
 * {@link Conv2D} (with the block's stride) that maps it to the other shape.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Add {}
