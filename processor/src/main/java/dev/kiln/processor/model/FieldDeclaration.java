package dev.kiln.processor.model;

import java.util.List;
import java.util.Optional;

/**
 * One field of a network class with the Kiln annotations found on it, in source order.
 *
 * @param typeName the field's declared type as written
 * @param layerTyped whether that type is {@code dev.kiln.runtime.Layer}
 * @param from its {@code @From}, if it has one
 * @param origin the field itself (no annotation)
 */
public record FieldDeclaration(
    String name,
    String typeName,
    boolean layerTyped,
    boolean isStatic,
    boolean isPrivate,
    boolean isFinal,
    List<LayerDeclaration> layers,
    List<ActivationDeclaration> activations,
    Optional<FromDeclaration> from,
    Origin origin) {

  public FieldDeclaration {
    layers = List.copyOf(layers);
    activations = List.copyOf(activations);
  }

  public boolean hasKilnAnnotations() {
    return !layers.isEmpty() || !activations.isEmpty() || from.isPresent();
  }
}
