package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.kiln.processor.Networks.compile;
import static dev.kiln.processor.Networks.network;
import static dev.kiln.processor.Networks.source;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * One test per diagnostic: the message (tag, layer, shapes, fix), the count, and the line it
 * lands on. Where a rule points at an annotation value, the column is checked too.
 *
 * <p>{@link Networks#network} writes line 3 as {@code @Network(input = @Shape(...))} and one body
 * element per line after the class header, so class-level diagnostics land on the
 * {@code @Network} line and field diagnostics on the field's own line.
 */
class DiagnosticsTest {

  /** Column of the {@code @Shape} value on the {@code @Network(input = @Shape(...))} line. */
  private static final long INPUT_COLUMN = "@Network(input = ".length() + 1;

  /**
   * The column javac's caret is on for {@code attribute}'s value in a body line of {@link
   * Networks#network}, which indents body lines by two spaces.
   */
  private static long valueColumn(String bodyLine, String attribute) {
    int at = bodyLine.indexOf(attribute + " = ");
    assertTrue(at >= 0, attribute + " not in " + bodyLine);
    return 2 + at + (attribute + " = ").length() + 1;
  }

  /** Column of {@code text} in a body line of {@link Networks#network}. */
  private static long column(String bodyLine, String text) {
    int at = bodyLine.indexOf(text);
    assertTrue(at >= 0, text + " not in " + bodyLine);
    return 2 + at + 1;
  }

  /** The column of the one diagnostic whose message contains {@code text}. */
  private static long columnOf(Compilation compilation, String text) {
    List<Diagnostic<? extends JavaFileObject>> found =
        compilation.diagnostics().stream()
            .filter(d -> d.getMessage(Locale.ROOT).contains(text))
            .collect(Collectors.toList());
    assertEquals(1, found.size(), () -> text + " in " + messages(compilation));
    return found.get(0).getColumnNumber();
  }

  private static List<String> messages(Compilation compilation) {
    return compilation.diagnostics().stream()
        .map(d -> d.getMessage(Locale.ROOT))
        .collect(Collectors.toList());
  }

  // ---------------------------------------------------------------- the class

  @Test
  void notAClassInterface() {
    // Only one error: an interface cannot declare layer fields, so no "no layers" follow-on.
    JavaFileObject source =
        source(
            "test.Detector",
            "package test;",
            Networks.IMPORTS,
            "@Network(input = @Shape(height = 4, width = 4))",
            "interface Detector {}");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:not-a-class] @Network goes on an abstract class, but Detector is an interface;"
                + " declare it as 'abstract class Detector'")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void notAClassEnum() {
    JavaFileObject source =
        source(
            "test.Kind",
            "package test;",
            Networks.IMPORTS,
            "@Network(input = @Shape(height = 4, width = 4))",
            "enum Kind {",
            "  A;",
            "  @Dense(units = 10) Layer d;",
            "}");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:not-a-class] @Network goes on an abstract class, but Kind is an enum; declare"
                + " it as 'abstract class Kind'")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void notAbstract() {
    JavaFileObject source =
        source(
            "test.Concrete",
            "package test;",
            Networks.IMPORTS,
            "@Network(input = @Shape(height = 4, width = 4))",
            "class Concrete {",
            "  @Dense(units = 10) Layer d;",
            "}");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:not-abstract] @Network class Concrete must be abstract: Kiln generates"
                + " ConcreteModel as its subclass; declare it as 'abstract class Concrete'")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void privateClass() {
    // Only one error: the implicit constructor is private just because the class is.
    JavaFileObject source =
        source(
            "test.Outer",
            "package test;",
            Networks.IMPORTS,
            "class Outer {",
            "  @Network(input = @Shape(height = 4, width = 4))",
            "  private static abstract class Hidden {",
            "    @Dense(units = 10) Layer d;",
            "  }",
            "}");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:private-class] @Network class Hidden must not be private: the generated"
                + " HiddenModel extends it from the same package; make it package-private or"
                + " public")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void innerClass() {
    JavaFileObject source =
        source(
            "test.Outer",
            "package test;",
            Networks.IMPORTS,
            "class Outer {",
            "  @Network(input = @Shape(height = 4, width = 4))",
            "  abstract class Inner {",
            "    @Dense(units = 10) Layer d;",
            "  }",
            "}");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:inner-class] @Network class Inner is an inner class, which the generated"
                + " InnerModel cannot extend on its own; declare it 'static abstract class"
                + " Inner'")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void genericClass() {
    JavaFileObject source =
        source(
            "test.Generic",
            "package test;",
            Networks.IMPORTS,
            "@Network(input = @Shape(height = 4, width = 4))",
            "abstract class Generic<T> {",
            "  @Dense(units = 10) Layer d;",
            "}");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:generic-class] @Network class Generic must not have type parameters; remove"
                + " them")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void noConstructorOnlyPrivate() {
    JavaFileObject source =
        network(
            "Sealed",
            "height = 4, width = 4",
            "private Sealed() {}",
            "@Dense(units = 10) Layer d;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:no-constructor] @Network class Sealed needs a constructor without parameters"
                + " that is not private, which the generated SealedModel calls; add 'protected"
                + " Sealed() {}'")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void noConstructorOnlyParameterized() {
    JavaFileObject source =
        network(
            "Sized",
            "height = 4, width = 4",
            "Sized(int size) {}",
            "@Dense(units = 10) Layer d;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:no-constructor] @Network class Sized needs a constructor without parameters"
                + " that is not private, which the generated SizedModel calls; add 'protected"
                + " Sized() {}'")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void abstractMethod() {
    JavaFileObject source =
        network(
            "Unfinished",
            "height = 4, width = 4",
            "@Dense(units = 10) Layer d;",
            "abstract float loss(float[] x, int n);");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:abstract-method] @Network class Unfinished has the abstract method"
                + " loss(float[], int), which Kiln does not implement; give it a body or remove"
                + " it")
        .inFile(source)
        .onLineContaining("@Network");
  }

  // ---------------------------------------------------------------- the input

  @Test
  void badInputShapeZeroHeight() {
    JavaFileObject source =
        network("Flat", "height = 0, width = 28", "@Dense(units = 10) Layer d;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-input-shape] network Flat: every input dimension must be at least 1, but"
                + " height = 0; e.g. @Shape(height = 28, width = 28, channels = 1) for MNIST")
        .inFile(source)
        .onLineContaining("@Network");
    assertEquals(INPUT_COLUMN, columnOf(compilation, "[kiln:bad-input-shape]"));
  }

  @Test
  void badInputShapeNegativeChannels() {
    JavaFileObject source =
        network(
            "Negative", "height = 28, width = 28, channels = -1", "@Dense(units = 10) Layer d;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-input-shape] network Negative: every input dimension must be at least 1,"
                + " but channels = -1; e.g. @Shape(height = 28, width = 28, channels = 1) for"
                + " MNIST")
        .inFile(source)
        .onLineContaining("@Network");
    assertEquals(INPUT_COLUMN, columnOf(compilation, "[kiln:bad-input-shape]"));
  }

  @Test
  void inputTooLarge() {
    JavaFileObject source =
        network("Panorama", "height = 100000, width = 100000", "@Dense(units = 10) Layer d;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:input-too-large] network Panorama: input 100000x100000x1 has 10000000000"
                + " values, more than one Java array can hold; use a smaller input")
        .inFile(source)
        .onLineContaining("@Network");
    assertEquals(INPUT_COLUMN, columnOf(compilation, "[kiln:input-too-large]"));
  }

  @Test
  void noLayers() {
    JavaFileObject source = network("Empty", "height = 4, width = 4", "int notALayer;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:no-layers] network Empty declares no layers; add fields such as"
                + " '@Conv2D(filters = 6, kernel = 5) Layer c1;' or '@Dense(units = 10) @Softmax"
                + " Layer output;'")
        .inFile(source)
        .onLineContaining("@Network");
  }

  // ---------------------------------------------------------------- the fields

  @Test
  void fieldModifierStatic() {
    String line = "@Dense(units = 10) static Layer d;";
    JavaFileObject source = network("Shared", "height = 4, width = 4", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:field-modifiers] layer field d must not be static: the generated SharedModel"
                + " assigns it in its constructor; remove 'static'")
        .inFile(source)
        .onLineContaining("Layer d;");
    assertEquals(column(line, "d;"), columnOf(compilation, "[kiln:field-modifiers]"));
  }

  @Test
  void fieldModifierPrivate() {
    JavaFileObject source =
        network("Closed", "height = 4, width = 4", "@Dense(units = 10) private Layer d;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:field-modifiers] layer field d must not be private: the generated ClosedModel"
                + " assigns it in its constructor; remove 'private'")
        .inFile(source)
        .onLineContaining("Layer d;");
  }

  @Test
  void fieldModifierFinal() {
    // Not initialized: javac's own "not initialized" check never runs, as Kiln's error stops it.
    JavaFileObject source =
        network("Fixed", "height = 4, width = 4", "@Dense(units = 10) final Layer d;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:field-modifiers] layer field d must not be final: the generated FixedModel"
                + " assigns it in its constructor; remove 'final'")
        .inFile(source)
        .onLineContaining("Layer d;");
  }

  @Test
  void fieldModifiersAllThree() {
    // One error for the field, naming the modifiers in the order Java style writes them.
    JavaFileObject source =
        network(
            "Constant",
            "height = 4, width = 4",
            "@Dense(units = 10) private static final Layer d = null;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:field-modifiers] layer field d must not be private or static or final: the"
                + " generated ConstantModel assigns it in its constructor; remove 'private static"
                + " final'")
        .inFile(source)
        .onLineContaining("Layer d = null;");
  }

  @Test
  void fieldType() {
    String line = "@Conv2D(filters = 2, kernel = 3) int c1;";
    JavaFileObject source = network("Typed", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:field-type] layer field c1 has type int; declare it as dev.kiln.runtime.Layer"
                + " (the generated model assigns the layer's shapes and parameter offsets to it)")
        .inFile(source)
        .onLineContaining("int c1;");
    assertEquals(column(line, "c1;"), columnOf(compilation, "[kiln:field-type]"));
  }

  @Test
  void twoLayersOnOneField() {
    String line = "@Conv2D(filters = 2, kernel = 3) @MaxPool(size = 2) Layer c1;";
    JavaFileObject source = network("Crowded", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:two-layers] c1: one field declares one layer, but it has @Conv2D and @MaxPool;"
                + " move @MaxPool to a field of its own")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(column(line, "@MaxPool"), columnOf(compilation, "[kiln:two-layers]"));
  }

  @Test
  void twoActivationsOnOneField() {
    String line = "@Dense(units = 10) @ReLU @Tanh Layer d1;";
    JavaFileObject source = network("Undecided", "height = 4, width = 4", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:two-activations] d1: a layer takes one activation, but it has @ReLU and @Tanh;"
                + " keep one, or put @Tanh on a field of its own after it")
        .inFile(source)
        .onLineContaining("Layer d1;");
    assertEquals(column(line, "@Tanh"), columnOf(compilation, "[kiln:two-activations]"));
  }

  @Test
  void layerOutsideNetwork() {
    // One error per field, even with two Kiln annotations on it, on the first of them.
    JavaFileObject source =
        source(
            "test.Plain",
            "package test;",
            Networks.IMPORTS,
            "class Plain {",
            "  @Dense(units = 10) @ReLU Layer hidden;",
            "  @Conv2D(filters = 2, kernel = 3) Layer c1;",
            "}");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(2);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:outside-network] hidden: @Dense declares a layer, but Plain is not annotated"
                + " @Network; add @Network(input = @Shape(...)) to the class")
        .inFile(source)
        .onLineContaining("Layer hidden;");
    assertEquals(3, columnOf(compilation, "[kiln:outside-network] hidden:"));
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:outside-network] c1: @Conv2D declares a layer, but Plain is not annotated"
                + " @Network; add @Network(input = @Shape(...)) to the class")
        .inFile(source)
        .onLineContaining("Layer c1;");
  }

  // ---------------------------------------------------------------- Conv2D values

  @Test
  void badFilters() {
    String line = "@Conv2D(filters = 0, kernel = 3) Layer c1;";
    JavaFileObject source = network("NoFilters", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-filters] c1: Conv2D filters must be at least 1, got 0; e.g. 32")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(valueColumn(line, "filters"), columnOf(compilation, "[kiln:bad-filters]"));
  }

  // ---------------------------------------------------------------- DepthwiseConv2D values

  @Test
  void badDepthMultiplier() {
    String line = "@DepthwiseConv2D(kernel = 3, depthMultiplier = 0) Layer dw;";
    JavaFileObject source = network("NoMultiplier", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-depth-multiplier] dw: DepthwiseConv2D depthMultiplier must be at least 1,"
                + " got 0; e.g. 1")
        .inFile(source)
        .onLineContaining("Layer dw;");
    assertEquals(
        valueColumn(line, "depthMultiplier"), columnOf(compilation, "[kiln:bad-depth-multiplier]"));
  }

  /** The window rules are the convolution's, named after the depthwise layer. */
  @Test
  void depthwiseKernelLargerThanItsInput() {
    String line = "@DepthwiseConv2D(kernel = 5) Layer dw;";
    JavaFileObject source = network("BigDepthwise", "height = 3, width = 3, channels = 2", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:kernel-too-large] dw: DepthwiseConv2D kernel 5x5 does not fit its input 3x3x2")
        .inFile(source)
        .onLineContaining("Layer dw;");
    assertEquals(valueColumn(line, "kernel"), columnOf(compilation, "[kiln:kernel-too-large]"));
  }

  @Test
  void depthwiseAfterDenseNeedsSpatialInput() {
    JavaFileObject source =
        network("FlatDepthwise", "height = 4, width = 4",
            "@Dense(units = 8) Layer d;",
            "@DepthwiseConv2D(kernel = 1) Layer dw;",
            "@Dense(units = 2) Layer out;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining("[kiln:needs-spatial-input] dw: DepthwiseConv2D needs a height x width x"
            + " channels input, but gets the vector [8]")
        .inFile(source)
        .onLineContaining("Layer dw;");
  }

  @Test
  void badKernelZero() {
    String line = "@Conv2D(filters = 2, kernel = 0) Layer c1;";
    JavaFileObject source = network("NoKernel", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-kernel] c1: Conv2D kernel must be at least 1 in each direction, got 0;"
                + " e.g. 3 or {3, 5}")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(valueColumn(line, "kernel"), columnOf(compilation, "[kiln:bad-kernel]"));
  }

  @Test
  void badKernelThreeValues() {
    String line = "@Conv2D(filters = 2, kernel = {1, 2, 3}) Layer c1;";
    JavaFileObject source = network("Cube", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-kernel] c1: Conv2D kernel takes one value (square) or two {height, width},"
                + " got {1, 2, 3}; e.g. 3 or {3, 5}")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(valueColumn(line, "kernel"), columnOf(compilation, "[kiln:bad-kernel]"));
  }

  @Test
  void badStrideConv() {
    String line = "@Conv2D(filters = 2, kernel = 3, stride = 0) Layer c1;";
    JavaFileObject source = network("Standstill", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-stride] c1: Conv2D stride must be at least 1 in each direction, got 0;"
                + " e.g. 1 or {2, 2}")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(valueColumn(line, "stride"), columnOf(compilation, "[kiln:bad-stride]"));
  }

  @Test
  void badStridePool() {
    String line = "@MaxPool(size = 2, stride = 0) Layer s1;";
    JavaFileObject source = network("PoolStandstill", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-stride] s1: MaxPool stride must be at least 1 in each direction, got 0;"
                + " e.g. 2 or {2, 2}")
        .inFile(source)
        .onLineContaining("Layer s1;");
    assertEquals(valueColumn(line, "stride"), columnOf(compilation, "[kiln:bad-stride]"));
  }

  @Test
  void badPadNegative() {
    String line = "@Conv2D(filters = 2, kernel = 3, pad = -1) Layer c1;";
    JavaFileObject source = network("Shrink", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-pad] c1: Conv2D pad adds zeros on each side and cannot be negative, got -1;"
                + " use 0 or more, or a larger stride or pooling to shrink the output")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(valueColumn(line, "pad"), columnOf(compilation, "[kiln:bad-pad]"));
  }

  @Test
  void badPadThreeValues() {
    String line = "@Conv2D(filters = 2, kernel = 3, pad = {1, 1, 1}) Layer c1;";
    JavaFileObject source = network("PadCube", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-pad] c1: Conv2D pad takes one value, two {rows, columns} or four {top, bottom,"
                + " left, right}, got {1, 1, 1};"
                + " e.g. 1")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(valueColumn(line, "pad"), columnOf(compilation, "[kiln:bad-pad]"));
  }

  @Test
  void padAndSame() {
    String line = "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAME, pad = 1) Layer c1;";
    JavaFileObject source = network("DoublePadded", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:pad-and-same] c1: Conv2D sets both padding = SAME and pad = 1; use one: SAME"
                + " pads to keep ceil(input / stride), pad adds that many zeros on each side")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(valueColumn(line, "pad"), columnOf(compilation, "[kiln:pad-and-same]"));
  }

  @Test
  void kernelLargerThanInput() {
    String line = "@Conv2D(filters = 2, kernel = 5) Layer c1;";
    JavaFileObject source = network("TooSmall", "height = 4, width = 4", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:kernel-too-large] c1: Conv2D kernel 5x5 does not fit its input 4x4x1 from the"
                + " input with VALID padding; use a smaller kernel, padding = SAME, or pad = 1")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(valueColumn(line, "kernel"), columnOf(compilation, "[kiln:kernel-too-large]"));
  }

  @Test
  void kernelLargerThanPaddedInput() {
    // Padded 4 + 2 * 1 = 6 is still less than 7; pad = 2 would make it 8.
    String line = "@Conv2D(filters = 2, kernel = 7, pad = 1) Layer c2;";
    JavaFileObject source =
        network(
            "StillTooSmall",
            "height = 6, width = 6",
            "@Conv2D(filters = 2, kernel = 3) Layer c1;",
            line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:kernel-too-large] c2: Conv2D kernel 7x7 does not fit its input 4x4x2 from c1"
                + " (padded: 6x6) with pad 1 padding; use a smaller kernel, padding = SAME, or"
                + " pad = 2")
        .inFile(source)
        .onLineContaining("Layer c2;");
    assertEquals(valueColumn(line, "kernel"), columnOf(compilation, "[kiln:kernel-too-large]"));
  }

  // ---------------------------------------------------------------- pooling values

  @Test
  void windowLargerThanInput() {
    String line = "@AvgPool(size = 5) Layer s1;";
    JavaFileObject source = network("TinyPool", "height = 4, width = 4", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:window-too-large] s1: AvgPool window 5x5 does not fit its input 4x4x1 from the"
                + " input with VALID padding; use a smaller window or padding = SAME")
        .inFile(source)
        .onLineContaining("Layer s1;");
    assertEquals(valueColumn(line, "size"), columnOf(compilation, "[kiln:window-too-large]"));
  }

  @Test
  void badPoolSize() {
    String line = "@MaxPool(size = 0) Layer s1;";
    JavaFileObject source = network("NoWindow", "height = 4, width = 4", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-pool-size] s1: MaxPool size must be at least 1 in each direction, got 0;"
                + " e.g. 2 or {2, 2}")
        .inFile(source)
        .onLineContaining("Layer s1;");
    assertEquals(valueColumn(line, "size"), columnOf(compilation, "[kiln:bad-pool-size]"));
  }

  // ---------------------------------------------------------------- order of layers

  @Test
  void convAfterDenseNeedsSpatialInput() {
    JavaFileObject source =
        network(
            "DenseFirst",
            "height = 8, width = 8",
            "@Dense(units = 10) Layer d1;",
            "@Conv2D(filters = 2, kernel = 1) Layer c2;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:needs-spatial-input] c2: Conv2D needs a height x width x channels input, but"
                + " gets the vector [10] from d1; move it before the first @Dense or @Flatten")
        .inFile(source)
        .onLineContaining("Layer c2;");
    assertEquals(3, columnOf(compilation, "[kiln:needs-spatial-input]"));
  }

  @Test
  void poolAfterFlattenNeedsSpatialInput() {
    JavaFileObject source =
        network(
            "FlattenFirst",
            "height = 4, width = 4, channels = 3",
            "@Flatten Layer f1;",
            "@MaxPool(size = 2) Layer s2;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:needs-spatial-input] s2: MaxPool needs a height x width x channels input, but"
                + " gets the vector [48] from f1; move it before the first @Dense or @Flatten")
        .inFile(source)
        .onLineContaining("Layer s2;");
  }

  @Test
  void globalPoolAfterDenseNeedsSpatialInput() {
    JavaFileObject source =
        network(
            "GlobalAfterDense",
            "height = 4, width = 4, channels = 3",
            "@Dense(units = 8) Layer d1;",
            "@GlobalAvgPool Layer g;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:needs-spatial-input] g: GlobalAvgPool needs a height x width x channels input,"
                + " but gets the vector [8] from d1; move it before the first @Dense or @Flatten")
        .inFile(source)
        .onLineContaining("Layer g;");
  }

  @Test
  void flattenAfterDenseIsAlreadyFlat() {
    JavaFileObject source =
        network(
            "FlatTwice",
            "height = 8, width = 8",
            "@Dense(units = 10) Layer d1;",
            "@Flatten Layer f2;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:already-flat] f2: Flatten gets the vector [10] from d1, which is already flat;"
                + " remove the @Flatten (or move it before the first Dense)")
        .inFile(source)
        .onLineContaining("Layer f2;");
  }

  // ---------------------------------------------------------------- Dense and Dropout values

  @Test
  void badUnits() {
    String line = "@Dense(units = 0) Layer d1;";
    JavaFileObject source = network("NoUnits", "height = 4, width = 4", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-units] d1: Dense units must be at least 1, got 0; e.g. 10 for ten classes")
        .inFile(source)
        .onLineContaining("Layer d1;");
    assertEquals(valueColumn(line, "units"), columnOf(compilation, "[kiln:bad-units]"));
  }

  @Test
  void badDropoutRateOne() {
    String line = "@Dropout(rate = 1.0) Layer drop;";
    JavaFileObject source =
        network("DropAll", "height = 4, width = 4", line, "@Dense(units = 10) Layer out;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-dropout-rate] drop: Dropout rate is the probability of dropping a value and"
                + " must be in [0, 1), got 1.0; the lecture uses 0.3 to 0.5")
        .inFile(source)
        .onLineContaining("Layer drop;");
    assertEquals(valueColumn(line, "rate"), columnOf(compilation, "[kiln:bad-dropout-rate]"));
  }

  @Test
  void biasInitWithoutBias() {
    String line = "@Dense(units = 10, bias = false, biasInit = BiasInit.STANDARD_NORMAL) Layer out;";
    JavaFileObject source = network("NoBiasToInit", "height = 4, width = 4", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bias-init-without-bias] out: Dense sets biasInit = STANDARD_NORMAL but bias ="
                + " false, so there is no bias to initialize; remove one of them")
        .inFile(source)
        .onLineContaining("Layer out;");
    // javac places a qualified enum constant (BiasInit.STANDARD_NORMAL) at its dot.
    assertEquals(
        column(line, ".STANDARD_NORMAL"), columnOf(compilation, "[kiln:bias-init-without-bias]"));
  }

  @Test
  void badDropoutRateNegative() {
    String line = "@Dropout(rate = -0.1) Layer drop;";
    JavaFileObject source =
        network("DropNegative", "height = 4, width = 4", line, "@Dense(units = 10) Layer out;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-dropout-rate] drop: Dropout rate is the probability of dropping a value and"
                + " must be in [0, 1), got -0.1; the lecture uses 0.3 to 0.5")
        .inFile(source)
        .onLineContaining("Layer drop;");
    assertEquals(valueColumn(line, "rate"), columnOf(compilation, "[kiln:bad-dropout-rate]"));
  }

  // ---------------------------------------------------------------- activations

  @Test
  void softmaxNotLast() {
    String line = "@Dense(units = 10) @Softmax Layer d1;";
    JavaFileObject source =
        network("EarlySoftmax", "height = 4, width = 4", line, "@Dense(units = 2) Layer d2;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:softmax-not-last] d1: Softmax turns the network's output logits into"
                + " probabilities, so it must be on the last layer; use @ReLU here, or move"
                + " @Softmax to the last field")
        .inFile(source)
        .onLineContaining("Layer d1;");
    assertEquals(column(line, "@Softmax"), columnOf(compilation, "[kiln:softmax-not-last]"));
  }

  @Test
  void softmaxNeedsVector() {
    String line = "@Conv2D(filters = 2, kernel = 3) @Softmax Layer c1;";
    JavaFileObject source = network("SpatialSoftmax", "height = 4, width = 4", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:softmax-needs-vector] c1: Softmax turns a vector of logits into probabilities,"
                + " but it gets 2x2x2; put a @Dense layer (or @Flatten) before it")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(column(line, "@Softmax"), columnOf(compilation, "[kiln:softmax-needs-vector]"));
  }

  @Test
  void badAlpha() {
    String line = "@Dense(units = 10) @LeakyReLU(alpha = -1) Layer d1;";
    JavaFileObject source = network("Backwards", "height = 4, width = 4", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-alpha] d1: LeakyReLU alpha is the slope for negative inputs and must be a"
                + " finite number >= 0, got -1.0; TensorFlow's default is 0.2")
        .inFile(source)
        .onLineContaining("Layer d1;");
    assertEquals(valueColumn(line, "alpha"), columnOf(compilation, "[kiln:bad-alpha]"));
  }

  // ---------------------------------------------------------------- sizes

  @Test
  void tooManyParameters() {
    // 1000 * 1000 * 3 inputs * 1000 units + 1000 biases. Fails fast: nothing is planned or
    // generated, so there is no multi-gigabyte model source to write or compile.
    JavaFileObject source =
        network(
            "Gigantic",
            "height = 1000, width = 1000, channels = 3",
            "@Dense(units = 1000) @ReLU Layer d1;");
    Compilation compilation =
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> compile(source));
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:too-many-parameters] network Gigantic has 3000001000 parameters, more than one"
                + " Java float[] can hold (2147483631); use fewer filters or units, or pool before"
                + " the first Dense")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void activationTooLarge() {
    // 40000 * 40000 * 2 = 3.2e9 floats: the input fits an array, the first activation does not.
    JavaFileObject source =
        network(
            "Blowup",
            "height = 40000, width = 40000",
            "@Conv2D(filters = 2, kernel = 1) Layer c1;",
            "@Dense(units = 1) Layer d2;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:activation-too-large] c1: its output 40000x40000x2 has 3200000000 values, but"
                + " the generated model keeps two activations in one Java float[], so each may"
                + " have at most 1073741815; use fewer filters, a larger stride, or pool earlier")
        .inFile(source)
        .onLineContaining("Layer c1;");
  }

  @Test
  void trainingWorkspaceTooLarge() {
    // Found by FuzzTest: each 22001x22001x2 activation fits half an array, but training keeps
    // all three plus their gradients, and planning it failed with [kiln:internal].
    JavaFileObject source =
        network(
            "Hoarder",
            "height = 1, width = 1",
            "@Conv2D(filters = 2, kernel = 1, pad = 11000) Layer c;",
            "@ReLU Layer r;",
            "@Tanh Layer t;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:workspace-too-large] network Hoarder: training keeps every layer's output, each"
                + " dropout mask and the gradients still to be used, up to 6776616014 floats, more"
                + " than one Java float[] can hold (2147483631); use fewer filters, a larger"
                + " stride, or pool earlier")
        .inFile(source)
        .onLineContaining("@Network");
  }

  @Test
  void poolPadAsLargeAsTheWindow() {
    String line = "@MaxPool(size = 2, pad = {2, 0, 0, 0}) Layer p;";
    JavaFileObject source = network("PaddedOnly", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-pad] p: MaxPool pad {2, 0, 0, 0} must be smaller than the window 2x2 on each"
                + " side, or a window could hold padding only; use a smaller pad or a larger window")
        .inFile(source)
        .onLineContaining("Layer p;");
    assertEquals(valueColumn(line, "pad"), columnOf(compilation, "[kiln:bad-pad]"));
  }

  @Test
  void poolPadAndSame() {
    String line = "@AvgPool(size = 3, padding = Padding.SAME, pad = 1) Layer p;";
    JavaFileObject source = network("DoublePaddedPool", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining("[kiln:pad-and-same] p: AvgPool sets both padding = SAME and pad = 1")
        .inFile(source)
        .onLineContaining("Layer p;");
    assertEquals(valueColumn(line, "pad"), columnOf(compilation, "[kiln:pad-and-same]"));
  }

  @Test
  void padBeyondAnInt() {
    // Found by FuzzTest: the padded size overflowed an int, and the processor generated code
    // that did not compile ("integer number too large").
    String line =
        "@Conv2D(filters = 1, kernel = 1, stride = 2147483647, pad = 2147483647) Layer c;";
    JavaFileObject source = network("Padded", "height = 28, width = 28", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:bad-pad] c: Conv2D kernel 1x1 with pad 2147483647 padding makes its input"
                + " 28x28x1 a padded 4294967322x4294967322, more rows or columns than a Java int"
                + " can count; use a pad smaller than the kernel")
        .inFile(source)
        .onLineContaining("Layer c;");
    assertEquals(valueColumn(line, "pad"), columnOf(compilation, "[kiln:bad-pad]"));
  }

  // ---------------------------------------------------------------- graphs

  @Test
  void fromUnknownLayer() {
    String line = "@Dense(units = 3) @From(\"hiden\") Layer out;";
    JavaFileObject source =
        network("Typo", "height = 4, width = 4", "@Dense(units = 8) Layer hidden;", line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:unknown-layer] out: @From names 'hiden', but there is no layer field of that"
                + " name; did you mean 'hidden'? The layers before it are hidden, and"
                + " @From(From.INPUT) reads the network's input")
        .inFile(source)
        .onLineContaining("Layer out;");
    assertEquals(column(line, "\"hiden\""), columnOf(compilation, "[kiln:unknown-layer]"));
  }

  /** The layers listed in declaration order; no suggestion for a name near none of them. */
  @Test
  void fromUnknownLayerListsTheLayersInOrder() {
    JavaFileObject source =
        network("Order", "height = 4, width = 4",
            "@Dense(units = 8) Layer zeta;",
            "@Dense(units = 8) Layer alpha;",
            "@Dense(units = 8) Layer mid;",
            "@Dense(units = 3) @From(\"output\") Layer out;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:unknown-layer] out: @From names 'output', but there is no layer field of that"
                + " name; the layers before it are zeta, alpha, mid, and @From(From.INPUT) reads"
                + " the network's input")
        .inFile(source)
        .onLineContaining("Layer out;");
  }

  /** A name that differs in case only is still a typo of that name. */
  @Test
  void fromUnknownLayerSuggestsTheNameInAnotherCase() {
    JavaFileObject source =
        network("Case", "height = 4, width = 4",
            "@Dense(units = 8) Layer convBlock2;",
            "@Dense(units = 3) @From(\"ConvBlock2\") Layer out;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation).hadErrorContaining("did you mean 'convBlock2'?");
  }

  @Test
  void fromLaterLayerWouldBeACycle() {
    String line = "@Conv2D(filters = 2, kernel = 1) @From(\"b\") Layer a;";
    JavaFileObject source =
        network("Loop", "height = 4, width = 4", line,
            "@Conv2D(filters = 2, kernel = 1) Layer b;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:reads-later-layer] a: @From names 'b', which is declared after it; a layer"
                + " reads earlier layers only (a network has no cycles), so move 'b' above it")
        .inFile(source)
        .onLineContaining("Layer a;");
  }

  @Test
  void fromItself() {
    JavaFileObject source =
        network("Ouroboros", "height = 4, width = 4",
            "@Conv2D(filters = 2, kernel = 1) Layer a;",
            "@Add @From({\"a\", \"b\"}) Layer b;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:reads-itself] b: @From names the layer itself, which would be a cycle; a"
                + " layer reads earlier layers")
        .inFile(source)
        .onLineContaining("Layer b;");
  }

  @Test
  void addOfDifferentShapesNamesBothAndAProjection() {
    String line = "@Add @From({\"block\", \"stem\"}) Layer sum;";
    JavaFileObject source =
        network("Mismatch", "height = 8, width = 8",
            "@Conv2D(filters = 8, kernel = 3, padding = Padding.SAME) Layer stem;",
            "@Conv2D(filters = 16, kernel = 3, stride = 2, padding = Padding.SAME) Layer block;",
            line);
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:add-shapes] sum: @Add sums layers of one shape, but block gives 4x4x16 and"
                + " stem gives 8x8x8; project stem with a 1x1 convolution, @Conv2D(filters = 16,"
                + " kernel = 1, stride = 2, padding = Padding.SAME) @From(\"stem\"), and add that"
                + " instead, as ResNet does where a block changes the shape")
        .inFile(source)
        .onLineContaining("Layer sum;");
    assertEquals(column(line, "@Add"), columnOf(compilation, "[kiln:add-shapes]"));
  }

  /** Following the projection the message suggests compiles. */
  @Test
  void theSuggestedProjectionCompiles() {
    JavaFileObject source =
        network("Projected", "height = 8, width = 8",
            "@Conv2D(filters = 8, kernel = 3, padding = Padding.SAME) Layer stem;",
            "@Conv2D(filters = 16, kernel = 3, stride = 2, padding = Padding.SAME) Layer block;",
            "@Conv2D(filters = 16, kernel = 1, stride = 2, padding = Padding.SAME) @From(\"stem\")"
                + " Layer projection;",
            "@Add @From({\"block\", \"projection\"}) Layer sum;");
    assertThat(compile(source)).succeededWithoutWarnings();
  }

  /**
   * Branches that VALID padding shrank by different amounts (15x15 against 13x13): no strided 1x1
   * projection maps one onto the other, so the message says to pad instead of suggesting a
   * projection that would fail again; following that compiles.
   */
  @Test
  void addOfMapsThatPaddingShrankSuggestsPaddingNotAProjection() {
    String[] branches = {
      "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) Layer wide;",
      "@Conv2D(filters = 4, kernel = 3) @From(From.INPUT) Layer narrow;",
      "@Add @From({\"wide\", \"narrow\"}) Layer sum;"
    };
    Compilation compilation = compile(network("Shrunk", "height = 15, width = 15", branches));
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:add-shapes] sum: @Add sums layers of one shape, but wide gives 15x15x4 and"
                + " narrow gives 13x13x4; no 1x1 convolution maps 15x15 onto 13x13: the branches"
                + " lost different numbers of rows and columns to VALID padding, so give the"
                + " convolutions and pools of the branch that shrank padding = Padding.SAME");
    branches[1] = "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) @From(From.INPUT) Layer narrow;";
    assertThat(compile(network("Padded", "height = 15, width = 15", branches))).succeededWithoutWarnings();
  }

  @Test
  void concatOfDifferentSizes() {
    JavaFileObject source =
        network("Ragged", "height = 8, width = 8",
            "@Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) Layer same;",
            "@Conv2D(filters = 4, kernel = 3) @From(From.INPUT) Layer valid;",
            "@Concat @From({\"same\", \"valid\"}) Layer merged;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:concat-sizes] merged: @Concat stacks channels of layers of one height and"
                + " width, but same gives 8x8x4 and valid gives 6x6x4; give the branches the same"
                + " strides and SAME padding (or pool the larger)")
        .inFile(source)
        .onLineContaining("Layer merged;");
  }

  @Test
  void mergeWithoutFrom() {
    JavaFileObject source =
        network("Lonely", "height = 4, width = 4",
            "@Conv2D(filters = 2, kernel = 1) Layer a;", "@Add Layer sum;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:merge-without-from] sum: @Add merges two or more layers; name them, e.g. @Add"
                + " @From({\"a\", \"shortcut\"})")
        .inFile(source)
        .onLineContaining("Layer sum;");
  }

  @Test
  void mergeOfOne() {
    JavaFileObject source =
        network("Single", "height = 4, width = 4",
            "@Conv2D(filters = 2, kernel = 1) Layer a;", "@Concat @From(\"a\") Layer merged;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:merge-needs-two] merged: @Concat merges two or more layers, but @From names 1;"
                + " name every layer it merges")
        .inFile(source)
        .onLineContaining("Layer merged;");
  }

  @Test
  void twoInputsToAConvolution() {
    JavaFileObject source =
        network("Greedy", "height = 4, width = 4",
            "@Conv2D(filters = 2, kernel = 1) Layer a;",
            "@Conv2D(filters = 2, kernel = 1) @From({\"a\", From.INPUT}) Layer b;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:one-input] b: @Conv2D reads one layer, but @From names 2; merge them first with"
                + " @Add (same shapes) or @Concat (along channels)")
        .inFile(source)
        .onLineContaining("Layer b;");
  }

  @Test
  void fromWithoutALayer() {
    JavaFileObject source =
        network("Pointer", "height = 4, width = 4",
            "@Conv2D(filters = 2, kernel = 1) Layer a;", "@From(\"a\") Layer b;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:from-without-layer] b: @From says what a layer reads, but the field declares"
                + " no layer; add one (e.g. @Add) or remove the field")
        .inFile(source)
        .onLineContaining("Layer b;");
  }

  @Test
  void aShapeErrorInOneBranchDoesNotCascade() {
    // branch a is wrong; b and the Add that reads a are not reported again.
    JavaFileObject source =
        network("OneMistake", "height = 4, width = 4",
            "@Conv2D(filters = 2, kernel = 9) Layer a;",
            "@Conv2D(filters = 2, kernel = 1) @From(From.INPUT) Layer b;",
            "@Add @From({\"a\", \"b\"}) Layer sum;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation).hadErrorContaining("[kiln:kernel-too-large] a:");
  }

  // ---------------------------------------------------------------- warnings

  @Test
  void deadBranch() {
    String line = "@Conv2D(filters = 2, kernel = 1) @From(From.INPUT) Layer forgotten;";
    JavaFileObject source =
        network("Dangling", "height = 4, width = 4",
            "@Conv2D(filters = 2, kernel = 1) Layer a;", line,
            "@Dense(units = 3) @From(\"a\") @Softmax Layer out;");
    Compilation compilation = compile(source);
    assertThat(compilation).succeeded();
    assertThat(compilation).hadWarningCount(1);
    assertThat(compilation)
        .hadWarningContaining(
            "[kiln:dead-branch] forgotten: no layer reads its output, and it is not the network's"
                + " output (the last field), so it only costs time; read it with @From in a merge,"
                + " or remove it")
        .inFile(source)
        .onLineContaining("Layer forgotten;");
  }


  @Test
  void strideDropsInput() {
    // VALID 3x3 stride 2 on 8 rows reads rows 0..6: out = 3, the last row is never read.
    String line = "@Conv2D(filters = 2, kernel = 3, stride = 2) Layer c1;";
    JavaFileObject source = network("Skipping", "height = 8, width = 8", line);
    Compilation compilation = compile(source);
    assertThat(compilation).succeeded();
    assertThat(compilation).hadWarningCount(1);
    assertThat(compilation)
        .hadWarningContaining(
            "[kiln:stride-drops-input] c1: Conv2D with VALID padding and stride 2x2 never reads"
                + " the last 1 row(s) and 1 column(s) of its input 8x8x1; use padding = SAME, or a"
                + " stride that divides the input minus the window")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertEquals(valueColumn(line, "stride"), columnOf(compilation, "[kiln:stride-drops-input]"));
  }

  @Test
  void sigmoidStack() {
    JavaFileObject source =
        network(
            "Vanishing",
            "height = 8, width = 8",
            "@Dense(units = 16) @Sigmoid Layer h1;",
            "@Dense(units = 16) @Sigmoid Layer h2;",
            "@Dense(units = 16) @Sigmoid Layer h3;",
            "@Dense(units = 10) @Softmax Layer out;");
    Compilation compilation = compile(source);
    assertThat(compilation).succeeded();
    assertThat(compilation).hadWarningCount(1);
    assertThat(compilation)
        .hadWarningContaining(
            "[kiln:sigmoid-stack] h3: 3 hidden Sigmoid layers in a row; a sigmoid's slope is at"
                + " most 0.25, so gradients shrink at every layer and the first layers barely"
                + " learn (vanishing gradients); use @ReLU for hidden layers")
        .inFile(source)
        .onLineContaining("Layer h3;");
  }

  @Test
  void dropoutLast() {
    JavaFileObject source =
        network(
            "DropOutput",
            "height = 8, width = 8",
            "@Dense(units = 10) @ReLU Layer d1;",
            "@Dropout(rate = 0.5) Layer drop;");
    Compilation compilation = compile(source);
    assertThat(compilation).succeeded();
    assertThat(compilation).hadWarningCount(1);
    assertThat(compilation)
        .hadWarningContaining(
            "[kiln:dropout-last] drop: Dropout on the output drops predictions during training;"
                + " put it before the last layer")
        .inFile(source)
        .onLineContaining("Layer drop;");
  }

  @Test
  void unannotatedLayer() {
    String line = "Layer forgotten;";
    JavaFileObject source =
        network("Forgetful", "height = 8, width = 8", "@Dense(units = 10) Layer d1;", line);
    Compilation compilation = compile(source);
    assertThat(compilation).succeeded();
    assertThat(compilation).hadWarningCount(1);
    assertThat(compilation)
        .hadWarningContaining(
            "[kiln:unannotated-layer] field forgotten has type Layer but no layer annotation, so"
                + " it is not part of the network and stays null; annotate it (e.g. @Dense(units ="
                + " 10)) or change its type")
        .inFile(source)
        .onLineContaining("Layer forgotten;");
    assertEquals(column(line, "forgotten"), columnOf(compilation, "[kiln:unannotated-layer]"));
  }

  @Test
  void suppressWarningsKilnOnField() {
    JavaFileObject source =
        network(
            "QuietField",
            "height = 8, width = 8",
            "@SuppressWarnings(\"kiln\")",
            "@Conv2D(filters = 2, kernel = 3, stride = 2) Layer c1;");
    assertThat(compile(source)).succeededWithoutWarnings();
  }

  @Test
  void suppressWarningsTagOnClass() {
    JavaFileObject source =
        source(
            "test.QuietClass",
            "package test;",
            Networks.IMPORTS,
            "@SuppressWarnings(\"kiln:stride-drops-input\")",
            "@Network(input = @Shape(height = 8, width = 8))",
            "abstract class QuietClass {",
            "  @Conv2D(filters = 2, kernel = 3, stride = 2) Layer c1;",
            "}");
    assertThat(compile(source)).succeededWithoutWarnings();
  }

  @Test
  void suppressWarningsOtherTagKeepsWarning() {
    JavaFileObject source =
        network(
            "WrongTag",
            "height = 8, width = 8",
            "@SuppressWarnings(\"kiln:sigmoid-stack\")",
            "@Conv2D(filters = 2, kernel = 3, stride = 2) Layer c1;");
    Compilation compilation = compile(source);
    assertThat(compilation).succeeded();
    assertThat(compilation).hadWarningCount(1);
    assertThat(compilation)
        .hadWarningContaining("[kiln:stride-drops-input] c1:")
        .inFile(source)
        .onLineContaining("Layer c1;");
  }

  // ---------------------------------------------------------------- several diagnostics

  @Test
  void errorInOneLayerCausesNoFollowOnErrors() {
    // c1's output shape is unknown, so s2 and out are not checked against it.
    JavaFileObject source =
        network(
            "FirstWrong",
            "height = 28, width = 28",
            "@Conv2D(filters = 0, kernel = 5) @ReLU Layer c1;",
            "@MaxPool(size = 2) Layer s2;",
            "@Conv2D(filters = 16, kernel = 5) @ReLU Layer c3;",
            "@Dense(units = 10) @Softmax Layer out;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation).hadWarningCount(0);
    assertThat(compilation)
        .hadErrorContaining("[kiln:bad-filters] c1: Conv2D filters must be at least 1, got 0")
        .inFile(source)
        .onLineContaining("Layer c1;");
  }

  @Test
  void errorInLastLayerCausesNoFollowOnWarning() {
    // With out missing, drop would look like the last layer; it is not, so no dropout-last.
    JavaFileObject source =
        network(
            "LastWrong",
            "height = 8, width = 8",
            "@Dense(units = 32) @ReLU Layer d1;",
            "@Dropout(rate = 0.5) Layer drop;",
            "@Dense(units = 0) @Softmax Layer out;");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation).hadWarningCount(0);
    assertThat(compilation)
        .hadErrorContaining("[kiln:bad-units] out: Dense units must be at least 1, got 0")
        .inFile(source)
        .onLineContaining("Layer out;");
  }

  @Test
  void independentMistakesAreAllReported() {
    JavaFileObject source =
        source(
            "test.Sloppy",
            "package test;",
            Networks.IMPORTS,
            "@Network(input = @Shape(height = 28, width = 28))",
            "class Sloppy {",
            "  @Conv2D(filters = 0, kernel = 5) Layer c1;",
            "  @MaxPool(size = 0) Layer s2;",
            "  @Dense(units = 120) private Layer f3;",
            "  @Dropout(rate = 2) Layer drop;",
            "  @Dense(units = 10) @Softmax @ReLU Layer out;",
            "}");
    Compilation compilation = compile(source);
    assertThat(compilation).hadErrorCount(6);
    assertThat(compilation)
        .hadErrorContaining("[kiln:not-abstract] @Network class Sloppy must be abstract")
        .inFile(source)
        .onLineContaining("@Network");
    assertThat(compilation)
        .hadErrorContaining("[kiln:bad-filters] c1:")
        .inFile(source)
        .onLineContaining("Layer c1;");
    assertThat(compilation)
        .hadErrorContaining("[kiln:bad-pool-size] s2:")
        .inFile(source)
        .onLineContaining("Layer s2;");
    assertThat(compilation)
        .hadErrorContaining("[kiln:field-modifiers] layer field f3 must not be private")
        .inFile(source)
        .onLineContaining("Layer f3;");
    assertThat(compilation)
        .hadErrorContaining("[kiln:bad-dropout-rate] drop: ")
        .inFile(source)
        .onLineContaining("Layer drop;");
    assertThat(compilation)
        .hadErrorContaining("[kiln:two-activations] out: a layer takes one activation")
        .inFile(source)
        .onLineContaining("Layer out;");
  }

  // ---------------------------------------------------------------- no diagnostics

  @Test
  void leNet5CompilesWithoutWarnings() {
    JavaFileObject source =
        network(
            "LeNet",
            "height = 28, width = 28",
            "@Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @ReLU Layer c1;",
            "@MaxPool(size = 2) Layer s2;",
            "@Conv2D(filters = 16, kernel = 5) @ReLU Layer c3;",
            "@MaxPool(size = 2) Layer s4;",
            "@Dense(units = 120) @ReLU Layer f5;",
            "@Dense(units = 84) @ReLU Layer f6;",
            "@Dense(units = 10) @Softmax Layer output;");
    Compilation compilation = compile(source);
    assertThat(compilation).succeededWithoutWarnings();
    assertThat(compilation).generatedSourceFile("test.LeNetModel");
  }

  @Test
  void typoInAnnotationValueGivesOnlyJavacsError() {
    JavaFileObject source =
        network(
            "Typo",
            "height = 8, width = 8",
            "@Conv2D(filters = 2, kernel = 3, padding = Padding.SAMEE) Layer c1;",
            "@Dense(units = 10) Layer out;");
    Compilation compilation = compile(source);
    // javac's own wording differs between JDKs ("cannot find symbol" on 17, "an enum annotation
    // value must be an enum constant" on 25): check the count, the line and the absence of Kiln.
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation).hadErrorContaining("").inFile(source).onLineContaining("SAMEE");
    assertTrue(
        messages(compilation).stream().noneMatch(m -> m.contains("[kiln:")),
        () -> "unexpected Kiln diagnostics: " + messages(compilation));
  }

  // ---------------------------------------------------------------- writing

  @Test
  void writeFailedForTwoNetworksWithTheSameGeneratedName() {
    // Both nested networks would generate test.NetModel; the second cannot be written.
    JavaFileObject a =
        source(
            "test.A",
            "package test;",
            Networks.IMPORTS,
            "class A {",
            "  @Network(input = @Shape(height = 4, width = 4))",
            "  static abstract class Net {",
            "    @Dense(units = 10) Layer d;",
            "  }",
            "}");
    JavaFileObject b =
        source(
            "test.B",
            "package test;",
            Networks.IMPORTS,
            "class B {",
            "  @Network(input = @Shape(height = 4, width = 4))",
            "  static abstract class Net {",
            "    @Dense(units = 10) Layer d;",
            "  }",
            "}");
    Compilation compilation = compile(a, b);
    assertThat(compilation).hadErrorCount(1);
    assertThat(compilation)
        .hadErrorContaining(
            "[kiln:write-failed] could not write the generated model for Net: Attempt to recreate"
                + " a file for type test.NetModel")
        .inFile(b)
        .onLineContaining("static abstract class Net");
  }
}
