package dev.kiln.processor.read;

import dev.kiln.annotations.BiasInit;
import dev.kiln.annotations.Init;
import dev.kiln.annotations.Padding;
import dev.kiln.processor.model.ActivationDeclaration;
import dev.kiln.processor.model.FieldDeclaration;
import dev.kiln.processor.model.FromDeclaration;
import dev.kiln.processor.model.LayerDeclaration;
import dev.kiln.processor.model.NetworkDeclaration;
import dev.kiln.processor.model.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;

/**
 * The read stage: from {@code javax.lang.model} to a plain {@link NetworkDeclaration}. It records
 * what is written, checking nothing, so every rule lives in the analysis stage.
 */
public final class DeclarationReader {
  static final String LAYER_TYPE = "dev.kiln.runtime.Layer";

  private final Elements elements;
  private final Types types;

  public DeclarationReader(Elements elements, Types types) {
    this.elements = elements;
    this.types = types;
  }

  public NetworkDeclaration read(TypeElement type, AnnotationMirror network)
      throws UnreadableDeclarationException {
    PackageElement pkg = elements.getPackageOf(type);
    Element enclosing = type.getEnclosingElement();
    boolean nested = enclosing.getKind() != ElementKind.PACKAGE;
    Set<Modifier> modifiers = type.getModifiers();

    AnnotationMirror input = (AnnotationMirror) value(network, "input", AnnotationMirror.class);
    List<FieldDeclaration> fields = new ArrayList<>();
    for (VariableElement field : ElementFilter.fieldsIn(type.getEnclosedElements())) {
      fields.add(readField(field));
    }
    return new NetworkDeclaration(
        pkg.isUnnamed() ? "" : pkg.getQualifiedName().toString(),
        type.getSimpleName().toString(),
        type.getQualifiedName().toString(),
        kindName(type.getKind()),
        modifiers.contains(Modifier.ABSTRACT),
        modifiers.contains(Modifier.PRIVATE),
        nested,
        nested && !modifiers.contains(Modifier.STATIC),
        !type.getTypeParameters().isEmpty(),
        hasUsableConstructor(type),
        abstractMethods(type),
        intValue(input, "height"),
        intValue(input, "width"),
        intValue(input, "channels"),
        fields,
        new ElementOrigin(type, network));
  }

  private FieldDeclaration readField(VariableElement field) throws UnreadableDeclarationException {
    List<LayerDeclaration> layers = new ArrayList<>();
    List<ActivationDeclaration> activations = new ArrayList<>();
    Optional<FromDeclaration> from = Optional.empty();
    for (AnnotationMirror mirror : field.getAnnotationMirrors()) {
      String name = annotationName(mirror);
      ElementOrigin origin = new ElementOrigin(field, mirror);
      if (Annotations.ACTIVATIONS.containsKey(name)) {
        double alpha = name.endsWith(".LeakyReLU") ? doubleValue(mirror, "alpha") : 0;
        activations.add(
            new ActivationDeclaration(Annotations.ACTIVATIONS.get(name), alpha, origin));
      } else if (name.equals(Annotations.CONV2D)) {
        layers.add(
            new LayerDeclaration.ConvDeclaration(
                intValue(mirror, "filters"),
                intArray(mirror, "kernel"),
                intArray(mirror, "stride"),
                enumValue(mirror, "padding", Padding.class),
                intArray(mirror, "pad"),
                booleanValue(mirror, "bias"),
                enumValue(mirror, "init", Init.class),
                enumValue(mirror, "biasInit", BiasInit.class),
                origin));
      } else if (name.equals(Annotations.DEPTHWISE_CONV2D)) {
        layers.add(
            new LayerDeclaration.DepthwiseConvDeclaration(
                intValue(mirror, "depthMultiplier"),
                intArray(mirror, "kernel"),
                intArray(mirror, "stride"),
                enumValue(mirror, "padding", Padding.class),
                intArray(mirror, "pad"),
                booleanValue(mirror, "bias"),
                enumValue(mirror, "init", Init.class),
                enumValue(mirror, "biasInit", BiasInit.class),
                origin));
      } else if (name.equals(Annotations.MAX_POOL) || name.equals(Annotations.AVG_POOL)) {
        layers.add(
            new LayerDeclaration.PoolDeclaration(
                name.equals(Annotations.MAX_POOL) ? Op.PoolKind.MAX : Op.PoolKind.AVG,
                intArray(mirror, "size"),
                intArray(mirror, "stride"),
                enumValue(mirror, "padding", Padding.class),
                intArray(mirror, "pad"),
                origin));
      } else if (name.equals(Annotations.GLOBAL_AVG_POOL)) {
        // The window is the whole input, known once shapes are inferred.
        layers.add(
            new LayerDeclaration.PoolDeclaration(
                Op.PoolKind.GLOBAL_AVG, new int[0], new int[0], Padding.VALID, new int[0], origin));
      } else if (name.equals(Annotations.DENSE)) {
        layers.add(
            new LayerDeclaration.DenseDeclaration(
                intValue(mirror, "units"),
                booleanValue(mirror, "bias"),
                enumValue(mirror, "init", Init.class),
                enumValue(mirror, "biasInit", BiasInit.class),
                origin));
      } else if (name.equals(Annotations.FLATTEN)) {
        layers.add(new LayerDeclaration.FlattenDeclaration(origin));
      } else if (name.equals(Annotations.DROPOUT)) {
        layers.add(new LayerDeclaration.DropoutDeclaration(doubleValue(mirror, "rate"), origin));
      } else if (name.equals(Annotations.BATCH_NORM)) {
        layers.add(
            new LayerDeclaration.BatchNormDeclaration(
                doubleValue(mirror, "momentum"), doubleValue(mirror, "epsilon"), origin));
      } else if (name.equals(Annotations.ADD) || name.equals(Annotations.CONCAT)) {
        layers.add(
            new LayerDeclaration.MergeDeclaration(
                name.equals(Annotations.ADD) ? Op.MergeKind.ADD : Op.MergeKind.CONCAT, origin));
      } else if (name.equals(Annotations.FROM)) {
        from = Optional.of(new FromDeclaration(stringArray(mirror, "value"), origin));
      }
    }
    TypeMirror type = field.asType();
    boolean layerTyped =
        type.getKind() == TypeKind.ERROR // javac reports the unknown type itself
            || types.erasure(type).toString().equals(LAYER_TYPE);
    Set<Modifier> modifiers = field.getModifiers();
    return new FieldDeclaration(
        field.getSimpleName().toString(),
        type.toString(),
        layerTyped,
        modifiers.contains(Modifier.STATIC),
        modifiers.contains(Modifier.PRIVATE),
        modifiers.contains(Modifier.FINAL),
        layers,
        activations,
        from,
        new ElementOrigin(field, null));
  }

  /**
   * Whether a no-argument constructor is not private. The implicit default constructor counts:
   * it is private only in a private class, which is reported on its own (private-class).
   */
  private boolean hasUsableConstructor(TypeElement type) {
    for (ExecutableElement constructor : ElementFilter.constructorsIn(type.getEnclosedElements())) {
      if (constructor.getParameters().isEmpty()
          && (!constructor.getModifiers().contains(Modifier.PRIVATE)
              || elements.getOrigin(constructor) == Elements.Origin.MANDATED)) {
        return true;
      }
    }
    return false;
  }

  private List<String> abstractMethods(TypeElement type) {
    List<String> names = new ArrayList<>();
    if (type.getKind() != ElementKind.CLASS) {
      return names;
    }
    for (ExecutableElement method : ElementFilter.methodsIn(elements.getAllMembers(type))) {
      if (method.getModifiers().contains(Modifier.ABSTRACT)) {
        List<String> parameters = new ArrayList<>();
        method.getParameters().forEach(p -> parameters.add(p.asType().toString()));
        names.add(method.getSimpleName() + "(" + String.join(", ", parameters) + ")");
      }
    }
    return names;
  }

  private static String kindName(ElementKind kind) {
    return switch (kind) {
      case CLASS -> "class";
      case INTERFACE -> "interface";
      case ENUM -> "enum";
      case ANNOTATION_TYPE -> "annotation type";
      default -> kind.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  static String annotationName(AnnotationMirror mirror) {
    return ((TypeElement) mirror.getAnnotationType().asElement()).getQualifiedName().toString();
  }

  // ---- annotation values, with defaults; anything javac could not resolve aborts the class ----

  private Object value(AnnotationMirror mirror, String name, Class<?> expected)
      throws UnreadableDeclarationException {
    for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> entry :
        elements.getElementValuesWithDefaults(mirror).entrySet()) {
      if (entry.getKey().getSimpleName().contentEquals(name)) {
        Object value = entry.getValue().getValue();
        if (expected.isInstance(value)) {
          return value;
        }
        throw new UnreadableDeclarationException(
            "@" + mirror.getAnnotationType().asElement().getSimpleName() + "(" + name + ")");
      }
    }
    throw new UnreadableDeclarationException(
        "@" + mirror.getAnnotationType().asElement().getSimpleName() + " has no " + name);
  }

  private int intValue(AnnotationMirror mirror, String name) throws UnreadableDeclarationException {
    return (Integer) value(mirror, name, Integer.class);
  }

  private double doubleValue(AnnotationMirror mirror, String name)
      throws UnreadableDeclarationException {
    return ((Number) value(mirror, name, Number.class)).doubleValue();
  }

  private boolean booleanValue(AnnotationMirror mirror, String name)
      throws UnreadableDeclarationException {
    return (Boolean) value(mirror, name, Boolean.class);
  }

  private int[] intArray(AnnotationMirror mirror, String name)
      throws UnreadableDeclarationException {
    List<?> list = (List<?>) value(mirror, name, List.class);
    int[] values = new int[list.size()];
    for (int i = 0; i < values.length; i++) {
      Object v = ((AnnotationValue) list.get(i)).getValue();
      if (!(v instanceof Integer integer)) {
        throw new UnreadableDeclarationException("@" + name + "[" + i + "]");
      }
      values[i] = integer;
    }
    return values;
  }

  private List<String> stringArray(AnnotationMirror mirror, String name)
      throws UnreadableDeclarationException {
    List<?> list = (List<?>) value(mirror, name, List.class);
    List<String> values = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      Object v = ((AnnotationValue) list.get(i)).getValue();
      if (!(v instanceof String string)) {
        throw new UnreadableDeclarationException("@" + name + "[" + i + "]");
      }
      values.add(string);
    }
    return values;
  }

  private <E extends Enum<E>> E enumValue(AnnotationMirror mirror, String name, Class<E> type)
      throws UnreadableDeclarationException {
    VariableElement constant = (VariableElement) value(mirror, name, VariableElement.class);
    return Enum.valueOf(type, constant.getSimpleName().toString());
  }
}
