package dev.kiln.samples.commands;

/**
 * A command line that cannot run as given: a bad option value, an output that cannot be
 * written, a data directory that is not there. {@code ./kiln} prints its message on one line and
 * exits with status 2, before any data is loaded or any training starts.
 */
public final class UsageError extends RuntimeException {
  public UsageError(String message) {
    super(message);
  }
}
