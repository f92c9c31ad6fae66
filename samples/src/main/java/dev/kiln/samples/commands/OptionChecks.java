package dev.kiln.samples.commands;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checks a command runs on its options before it loads data or trains, so that a mistake
 * costs nothing: each throws a {@link UsageError} that names the option in the user's words.
 */
final class OptionChecks {
  private OptionChecks() {}

  static void atLeast(String option, long value, long least) {
    if (value < least) {
      throw new UsageError(option + " must be at least " + least + ", got " + value);
    }
  }

  /** An optional count: null (the default) or at least 1. */
  static void positiveOrAbsent(String option, Integer value) {
    if (value != null) {
      atLeast(option, value, 1);
    }
  }

  static void positive(String option, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new UsageError(option + " must be a positive number, got " + value);
    }
  }

  /** A file the command will write at the end: its directory exists and can be written. */
  static void writableFile(String option, Path file) {
    Path target = file.toAbsolutePath();
    if (Files.isDirectory(target)) {
      throw new UsageError(option + " " + file + " is a directory; give a file name");
    }
    Path dir = target.getParent();
    if (!Files.isDirectory(dir)) {
      throw new UsageError(
          option + " " + file + ": " + dir
              + (Files.exists(dir) ? " is not a directory" : " does not exist"));
    }
    if (!Files.isWritable(dir) || Files.exists(target) && !Files.isWritable(target)) {
      throw new UsageError(option + " " + file + " cannot be written here (permission denied)");
    }
  }

  /** A directory the command will create if needed and write into. */
  static void writableDirectory(String option, Path dir) {
    Path path = dir.toAbsolutePath();
    if (Files.exists(path) && !Files.isDirectory(path)) {
      throw new UsageError(option + " " + dir + " is a file, not a directory");
    }
    Path existing = path;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
      throw new UsageError(option + " " + dir + " cannot be created or written here");
    }
  }
}
