package dev.kiln.processor;

import dev.kiln.processor.model.Diagnostic;
import dev.kiln.processor.model.Origin;
import dev.kiln.processor.read.ElementOrigin;
import java.util.List;
import java.util.Map;
import javax.annotation.processing.Messager;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;

/**
 * Puts diagnostics on the element, annotation and annotation value they are about, so javac's
 * caret points at the mistake. Warnings can be silenced with {@code @SuppressWarnings("kiln")} or
 * {@code @SuppressWarnings("kiln:<tag>")} on the field or class.
 */
final class Reporter {
  private final Messager messager;

  Reporter(Messager messager) {
    this.messager = messager;
  }

  void report(List<Diagnostic> diagnostics) {
    for (Diagnostic d : diagnostics) {
      ElementOrigin origin = (ElementOrigin) d.origin();
      if (d.kind() == Diagnostic.Kind.WARNING && suppressed(origin.element(), d.tag())) {
        continue;
      }
      print(
          d.kind() == Diagnostic.Kind.ERROR
              ? javax.tools.Diagnostic.Kind.ERROR
              : javax.tools.Diagnostic.Kind.WARNING,
          d.formatted(),
          origin,
          d.attribute());
    }
  }

  void error(Origin origin, String tag, String message) {
    print(
        javax.tools.Diagnostic.Kind.ERROR,
        "[kiln:" + tag + "] " + message,
        (ElementOrigin) origin,
        null);
  }

  private void print(
      javax.tools.Diagnostic.Kind kind, String message, ElementOrigin origin, String attribute) {
    AnnotationMirror mirror = origin.annotation();
    if (mirror == null) {
      messager.printMessage(kind, message, origin.element());
      return;
    }
    AnnotationValue value = attribute == null ? null : explicitValue(mirror, attribute);
    if (value == null) {
      messager.printMessage(kind, message, origin.element(), mirror);
    } else {
      messager.printMessage(kind, message, origin.element(), mirror, value);
    }
  }

  /** The value as written in source, or null if it was left at its default. */
  private static AnnotationValue explicitValue(AnnotationMirror mirror, String attribute) {
    for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> entry :
        mirror.getElementValues().entrySet()) {
      if (entry.getKey().getSimpleName().contentEquals(attribute)) {
        return entry.getValue();
      }
    }
    return null;
  }

  private static boolean suppressed(Element element, String tag) {
    for (Element e = element; e != null; e = e.getEnclosingElement()) {
      SuppressWarnings suppress = e.getAnnotation(SuppressWarnings.class);
      if (suppress != null) {
        for (String name : suppress.value()) {
          if (name.equals("kiln") || name.equals("kiln:" + tag)) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
