package dev.kiln.processor.read;

/**
 * An annotation value javac could not resolve (a typo, a missing import). javac reports that
 * itself, so Kiln skips the class rather than adding a second, confusing error.
 */
public final class UnreadableDeclarationException extends Exception {
  private static final long serialVersionUID = 1L;

  public UnreadableDeclarationException(String message) {
    super(message);
  }
}
