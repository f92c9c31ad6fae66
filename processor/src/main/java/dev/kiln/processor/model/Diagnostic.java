package dev.kiln.processor.model;

/**
 * One problem found in a declaration. {@code tag} is stable (tests and users can match on it);
 * {@code attribute} names the annotation value at fault, or is null for the whole annotation or
 * element.
 */
public record Diagnostic(Kind kind, String tag, String message, Origin origin, String attribute) {

  public enum Kind {
    ERROR,
    WARNING
  }

  /** The message as the user sees it: {@code [kiln:tag] message}. */
  public String formatted() {
    return "[kiln:" + tag + "] " + message;
  }

  @Override
  public String toString() {
    return kind + " " + formatted() + " at " + origin.describe()
        + (attribute == null ? "" : " (" + attribute + ")");
  }
}
