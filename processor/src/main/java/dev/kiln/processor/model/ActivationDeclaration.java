package dev.kiln.processor.model;

/** An activation annotation as written; {@code origin} is its field and annotation. */
public record ActivationDeclaration(Activation.Kind kind, double alpha, Origin origin) {

  public String annotationName() {
    return kind.displayName();
  }
}
