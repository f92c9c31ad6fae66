package dev.kiln.runtime;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files written so that a crash never leaves half of one in place of a good one: the content goes
 * to a temporary file beside the target, is forced to disk, then renamed over the target. The
 * file gets the permissions the umask gives any new file (not {@code Files.createTempFile}'s
 * owner-only ones), so a service running as another user can read a trained model.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes a file's content to a channel. */
  @FunctionalInterface
  public interface Content {
    void writeTo(FileChannel channel) throws IOException;
  }

  /**
   * Writes {@code file} whole or not at all; {@code what} names it in errors ("checkpoint"). The
   * directory must exist.
   */
  public static void write(Path file, String what, Content content) throws IOException {
    Path target = file.toAbsolutePath();
    if (Files.isDirectory(target)) {
      throw new IOException(file + " is a directory; give a file name for the " + what);
    }
    Path dir = target.getParent();
    if (!Files.isDirectory(dir)) {
      throw new IOException(
          "cannot save " + file + ": " + dir
              + (Files.exists(dir) ? " is not a directory" : " does not exist"));
    }
    Path temporary;
    FileChannel open;
    while (true) {
      temporary =
          dir.resolve(
              "." + target.getFileName() + "."
                  + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
      try {
        open = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        break;
      } catch (FileAlreadyExistsException e) {
        // another writer's temporary file: draw another name
      }
    }
    try {
      try (FileChannel channel = open) {
        content.writeTo(channel);
        channel.force(true);
      }
      try {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temporary);
    }
  }
}
