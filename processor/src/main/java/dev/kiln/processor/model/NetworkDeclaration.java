package dev.kiln.processor.model;

import java.util.List;

/**
 * A network class as written, before any checking: what the read stage extracts from
 * {@code javax.lang.model} so that validation and inference can run (and be tested) without it.
 *
 * @param kindName "class", "interface", "enum", "record" or "annotation type"
 * @param nested true for a class declared inside another type
 * @param inner true for a non-static nested class
 * @param usableConstructor whether the generated subclass can call a no-argument constructor
 * @param abstractMethods abstract methods the class declares or inherits, as {@code name(types)}
 * @param origin the class with its {@code @Network} annotation (attribute {@code input})
 */
public record NetworkDeclaration(
    String packageName,
    String simpleName,
    String qualifiedName,
    String kindName,
    boolean isAbstract,
    boolean isPrivate,
    boolean nested,
    boolean inner,
    boolean generic,
    boolean usableConstructor,
    List<String> abstractMethods,
    int inputHeight,
    int inputWidth,
    int inputChannels,
    List<FieldDeclaration> fields,
    Origin origin) {

  public NetworkDeclaration {
    fields = List.copyOf(fields);
    abstractMethods = List.copyOf(abstractMethods);
  }
}
