package dev.kiln.processor;

import static com.google.testing.compile.Compiler.javac;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaFileObject;

/** Writes test networks as Java sources and compiles them through the real processor. */
final class Networks {
  private Networks() {}

  /** LeNet-5's layers as in DESIGN.md and the samples. */
  static final String[] LENET5 = {
    "@Conv2D(filters = 6, kernel = 5, padding = Padding.SAME) @ReLU Layer c1;",
    "@MaxPool(size = 2, stride = 2) Layer s2;",
    "@Conv2D(filters = 16, kernel = 5) @ReLU Layer c3;",
    "@MaxPool(size = 2, stride = 2) Layer s4;",
    "@Dense(units = 120) @ReLU Layer c5;",
    "@Dense(units = 84) @ReLU Layer f6;",
    "@Dense(units = 10) @Softmax Layer output;"
  };

  static final String IMPORTS =
      "import dev.kiln.annotations.*; import dev.kiln.runtime.Layer;";

  /**
   * A source file {@code test/<name>.java} holding {@code @Network(input = @Shape(<input>))
   * abstract class <name> { <body lines> }}, one line per body element, so tests can find the
   * line a diagnostic lands on.
   */
  static JavaFileObject network(String name, String input, String... body) {
    List<String> lines = new ArrayList<>();
    lines.add("package test;");
    lines.add(IMPORTS);
    lines.add("@Network(input = @Shape(" + input + "))");
    lines.add("abstract class " + name + " {");
    for (String line : body) {
      lines.add("  " + line);
    }
    lines.add("}");
    return JavaFileObjects.forSourceLines("test." + name, lines);
  }

  /** A source file with the given lines verbatim. */
  static JavaFileObject source(String qualifiedName, String... lines) {
    return JavaFileObjects.forSourceLines(qualifiedName, lines);
  }

  static Compilation compile(JavaFileObject... sources) {
    return javac().withProcessors(new KilnProcessor()).compile(sources);
  }
}
