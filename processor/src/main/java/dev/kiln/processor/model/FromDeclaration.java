package dev.kiln.processor.model;

import java.util.List;

/**
 * A {@code @From} annotation as written: the names of the layers a layer reads.
 *
 * @param origin the {@code @From} on its field (attribute {@code value})
 */
public record FromDeclaration(List<String> names, Origin origin) {
  public FromDeclaration {
    names = List.copyOf(names);
  }
}
