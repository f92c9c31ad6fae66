package dev.kiln.onnx;

import javax.lang.model.SourceVersion;

/** ONNX names made Java identifiers, for the fields of an imported declaration. */
final class Identifiers {
  private Identifiers() {}

  /** Whether {@code name} is a Java identifier and not a keyword or literal. */
  static boolean isIdentifier(String name) {
    return SourceVersion.isName(name) && !name.contains(".");
  }

  /**
   * {@code name} as a field name: each run of characters a Java identifier cannot hold becomes
   * one {@code _}, leading and trailing ones dropped; the first letter lower case; {@code n}
   * before a leading digit, {@code _} after a keyword ({@code "/layer1/0/conv1"} becomes {@code
   * layer1_0_conv1}, {@code "Conv_0"} {@code conv_0}, {@code "class"} {@code class_}).
   */
  static String javaName(String name) {
    StringBuilder b = new StringBuilder();
    boolean gap = false;
    for (int i = 0; i < name.length(); ) {
      int c = name.codePointAt(i);
      i += Character.charCount(c);
      if (Character.isJavaIdentifierPart(c) && c != '$' && !Character.isIdentifierIgnorable(c)) {
        if (gap && b.length() > 0) {
          b.append('_');
        }
        gap = false;
        b.appendCodePoint(c);
      } else {
        gap = true;
      }
    }
    String s = b.toString().replaceAll("^_+|_+$", "");
    if (s.isEmpty()) {
      return "layer";
    }
    if (Character.isUpperCase(s.charAt(0)) && (s.length() == 1 || !Character.isUpperCase(s.charAt(1)))) {
      s = Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
    if (!Character.isJavaIdentifierStart(s.codePointAt(0))) {
      s = "n" + s;
    }
    return SourceVersion.isKeyword(s) ? s + "_" : s;
  }
}
