package dev.kiln.processor.model;

import dev.kiln.annotations.BiasInit;
import dev.kiln.annotations.Init;
import dev.kiln.annotations.Padding;

/**
 * A layer annotation's values exactly as written (arrays unchecked). Each origin is the field
 * with this annotation, so a diagnostic can point at the annotation value at fault.
 */
public sealed interface LayerDeclaration {

  Origin origin();

  /** The annotation's simple name, e.g. {@code "Conv2D"}. */
  String annotationName();

  <R> R accept(Visitor<R> visitor);

  /** Whether it reads the layers {@code @From} names rather than the field before it. */
  default boolean merges() {
    return false;
  }

  /** One method per layer annotation: the only dispatch over declared kinds. */
  interface Visitor<R> {
    R conv(ConvDeclaration conv);

    R depthwiseConv(DepthwiseConvDeclaration depthwiseConv);

    R pool(PoolDeclaration pool);

    R dense(DenseDeclaration dense);

    R flatten(FlattenDeclaration flatten);

    R batchNorm(BatchNormDeclaration batchNorm);

    R merge(MergeDeclaration merge);

    R dropout(DropoutDeclaration dropout);
  }

  record ConvDeclaration(
      int filters,
      int[] kernel,
      int[] stride,
      Padding padding,
      int[] pad,
      boolean bias,
      Init init,
      BiasInit biasInit,
      Origin origin)
      implements LayerDeclaration {

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.conv(this);
    }
    @Override
    public String annotationName() {
      return "Conv2D";
    }
  }

  record DepthwiseConvDeclaration(
      int depthMultiplier,
      int[] kernel,
      int[] stride,
      Padding padding,
      int[] pad,
      boolean bias,
      Init init,
      BiasInit biasInit,
      Origin origin)
      implements LayerDeclaration {
    @Override
    public String annotationName() {
      return "DepthwiseConv2D";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.depthwiseConv(this);
    }
  }

  record PoolDeclaration(
      Op.PoolKind kind, int[] size, int[] stride, Padding padding, int[] pad, Origin origin)
      implements LayerDeclaration {

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.pool(this);
    }
    @Override
    public String annotationName() {
      return kind.displayName();
    }
  }

  record DenseDeclaration(int units, boolean bias, Init init, BiasInit biasInit, Origin origin)
      implements LayerDeclaration {

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.dense(this);
    }
    @Override
    public String annotationName() {
      return "Dense";
    }
  }

  record FlattenDeclaration(Origin origin) implements LayerDeclaration {

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.flatten(this);
    }
    @Override
    public String annotationName() {
      return "Flatten";
    }
  }

  record BatchNormDeclaration(double momentum, double epsilon, Origin origin)
      implements LayerDeclaration {

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.batchNorm(this);
    }
    @Override
    public String annotationName() {
      return "BatchNorm";
    }
  }

  /** {@code @Add} or {@code @Concat}: what it reads comes from {@code @From}. */
  record MergeDeclaration(Op.MergeKind kind, Origin origin) implements LayerDeclaration {

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.merge(this);
    }

    @Override
    public boolean merges() {
      return true;
    }
    @Override
    public String annotationName() {
      return kind.displayName();
    }
  }

  record DropoutDeclaration(double rate, Origin origin) implements LayerDeclaration {

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.dropout(this);
    }
    @Override
    public String annotationName() {
      return "Dropout";
    }
  }
}
