package dev.kiln.annotations;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Two or more layers, named with {@link From}, stacked along the channels: {@code h×w×c1} and
 * {@code h×w×c2} give {@code h×w×(c1+c2)}, in the order named (TensorFlow's {@code
 * concatenate(axis=-1)}). The merge of a split-and-merge (inception) block, whose branches read
 * the same layer.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Concat {}
