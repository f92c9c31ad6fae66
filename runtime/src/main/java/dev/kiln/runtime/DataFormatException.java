package dev.kiln.runtime;

import java.io.IOException;
import java.nio.file.Path;

/** A data or checkpoint file that is not what it claims to be: the message says what and where. */
public final class DataFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public DataFormatException(Path file, String problem) {
    super(file + ": " + problem);
  }
}
