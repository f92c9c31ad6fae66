package dev.kiln.processor.infer;

import dev.kiln.processor.model.Diagnostics;
import dev.kiln.processor.model.FieldDeclaration;
import dev.kiln.processor.model.NetworkDeclaration;
import dev.kiln.processor.model.TensorShape;
import java.util.ArrayList;
import java.util.List;

/** Rules about the network class, its input shape and its fields (not about layer shapes). */
final class DeclarationRules {
  private DeclarationRules() {}

  /**
   * Checks the class itself; false if it is not a class at all, in which case nothing else about
   * it is worth checking (an interface cannot even declare layer fields).
   */
  static boolean checkClass(NetworkDeclaration d, Diagnostics diagnostics) {
    String name = d.simpleName();
    if (!d.kindName().equals("class")) {
      diagnostics.error(
          d.origin(),
          null,
          "not-a-class",
          "@Network goes on an abstract class, but "
              + name
              + " is "
              + article(d.kindName())
              + "; declare it as 'abstract class "
              + name
              + "'");
      return false;
    }
    if (!d.isAbstract()) {
      diagnostics.error(
          d.origin(),
          null,
          "not-abstract",
          "@Network class "
              + name
              + " must be abstract: Kiln generates "
              + name
              + "Model as its subclass; declare it as 'abstract class "
              + name
              + "'");
    }
    if (d.isPrivate()) {
      diagnostics.error(
          d.origin(),
          null,
          "private-class",
          "@Network class "
              + name
              + " must not be private: the generated "
              + name
              + "Model extends it from the same package; make it package-private or public");
    }
    if (d.inner()) {
      diagnostics.error(
          d.origin(),
          null,
          "inner-class",
          "@Network class "
              + name
              + " is an inner class, which the generated "
              + name
              + "Model cannot extend on its own; declare it 'static abstract class "
              + name
              + "'");
    }
    if (d.generic()) {
      diagnostics.error(
          d.origin(),
          null,
          "generic-class",
          "@Network class " + name + " must not have type parameters; remove them");
    }
    if (!d.usableConstructor()) {
      diagnostics.error(
          d.origin(),
          null,
          "no-constructor",
          "@Network class "
              + name
              + " needs a constructor without parameters that is not private, which the"
              + " generated "
              + name
              + "Model calls; add 'protected "
              + name
              + "() {}'");
    }
    for (String method : d.abstractMethods()) {
      diagnostics.error(
          d.origin(),
          null,
          "abstract-method",
          "@Network class "
              + name
              + " has the abstract method "
              + method
              + ", which Kiln does not implement; give it a body or remove it");
    }
    return true;
  }

  /** The input shape, or null if it is invalid. */
  static TensorShape checkInput(NetworkDeclaration d, Diagnostics diagnostics) {
    List<String> bad = new ArrayList<>();
    if (d.inputHeight() <= 0) {
      bad.add("height = " + d.inputHeight());
    }
    if (d.inputWidth() <= 0) {
      bad.add("width = " + d.inputWidth());
    }
    if (d.inputChannels() <= 0) {
      bad.add("channels = " + d.inputChannels());
    }
    if (!bad.isEmpty()) {
      diagnostics.error(
          d.origin(),
          "input",
          "bad-input-shape",
          "network "
              + d.simpleName()
              + ": every input dimension must be at least 1, but "
              + String.join(", ", bad)
              + "; e.g. @Shape(height = 28, width = 28, channels = 1) for MNIST");
      return null;
    }
    long size = (long) d.inputHeight() * d.inputWidth() * d.inputChannels();
    if (size > Analyzer.MAX_PARAMETERS) {
      diagnostics.error(
          d.origin(),
          "input",
          "input-too-large",
          "network "
              + d.simpleName()
              + ": input "
              + d.inputHeight()
              + "x"
              + d.inputWidth()
              + "x"
              + d.inputChannels()
              + " has "
              + size
              + " values, more than one Java array can hold; use a smaller input");
      return null;
    }
    return TensorShape.of(d.inputHeight(), d.inputWidth(), d.inputChannels());
  }

  /** Checks one field; true if it declares a layer (valid or not) to take part in inference. */
  static boolean checkField(NetworkDeclaration d, FieldDeclaration f, Diagnostics diagnostics) {
    if (!f.hasKilnAnnotations()) {
      if (f.layerTyped() && !f.isStatic()) {
        diagnostics.warning(
            f.origin(),
            null,
            "unannotated-layer",
            "field "
                + f.name()
                + " has type Layer but no layer annotation, so it is not part of the network and"
                + " stays null; annotate it (e.g. @Dense(units = 10)) or change its type");
      }
      return false;
    }
    List<String> modifiers = new ArrayList<>();
    if (f.isPrivate()) {
      modifiers.add("private");
    }
    if (f.isStatic()) {
      modifiers.add("static");
    }
    if (f.isFinal()) {
      modifiers.add("final");
    }
    if (!modifiers.isEmpty()) {
      diagnostics.error(
          f.origin(),
          null,
          "field-modifiers",
          "layer field "
              + f.name()
              + " must not be "
              + String.join(" or ", modifiers)
              + ": the generated "
              + d.simpleName()
              + "Model assigns it in its constructor; remove '"
              + String.join(" ", modifiers)
              + "'");
    }
    if (!f.layerTyped()) {
      diagnostics.error(
          f.origin(),
          null,
          "field-type",
          "layer field "
              + f.name()
              + " has type "
              + f.typeName()
              + "; declare it as dev.kiln.runtime.Layer (the generated model assigns the layer's"
              + " shapes and parameter offsets to it)");
    }
    return true;
  }

  private static String article(String kindName) {
    return (kindName.matches("^[aeiou].*") ? "an " : "a ") + kindName;
  }
}
