package dev.kiln.processor.read;

import dev.kiln.processor.model.Origin;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.Element;

/** An origin in source: an element and, optionally, the annotation on it at fault. */
public record ElementOrigin(Element element, AnnotationMirror annotation) implements Origin {

  @Override
  public String describe() {
    return element.getKind().toString().toLowerCase(java.util.Locale.ROOT)
        + " "
        + element.getSimpleName()
        + (annotation == null ? "" : " " + annotation);
  }
}
