package dev.kiln.samples.commands;

import static dev.kiln.samples.commands.KilnCommandLine.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.samples.commands.KilnCommandLine.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordinary bad input as a new user types it: one line on standard error in the user's words, no
 * stack trace (but with --verbose), exit status 2 for a usage error and 1 for a failure, and
 * nothing loaded, fetched or trained before the options are checked.
 */
class CommandLineErrorsTest {
  @TempDir Path dir;

  /** A --data directory that does not exist: any attempt to load or fetch would say so first. */
  private String[] mnist(String... options) {
    String[] args = new String[options.length + 3];
    args[0] = "mnist";
    args[1] = "--data";
    args[2] = dir.resolve("no-such-data").toString();
    System.arraycopy(options, 0, args, 3, options.length);
    return args;
  }

  private static void assertUsageError(Run run, String message) {
    assertEquals(2, run.exit(), run.err());
    assertOneLine(run, message);
  }

  private static void assertOneLine(Run run, String message) {
    String err = run.err().strip();
    assertTrue(err.contains(message), err);
    assertFalse(err.contains("Exception"), "no exception class names: " + err);
    assertFalse(err.contains("\tat "), "no stack trace: " + err);
    assertTrue(run.results().isEmpty(), "nothing done: " + run.out());
  }

  @Test
  void badOptionValuesAreUsageErrorsBeforeAnythingIsLoaded() {
    assertUsageError(kiln(mnist("--epochs", "-1")), "kiln mnist: --epochs must be at least 1, got -1");
    assertUsageError(kiln(mnist("--epochs", "0")), "--epochs must be at least 1, got 0");
    assertUsageError(kiln(mnist("--batch", "0")), "--batch must be at least 1, got 0");
    assertUsageError(kiln(mnist("--threads", "0")), "--threads must be at least 1, got 0");
    assertUsageError(kiln(mnist("--lr", "-1")), "--lr must be a positive number, got -1.0");
    assertUsageError(kiln(mnist("--limit", "0")), "--limit must be at least 1, got 0");
    assertUsageError(kiln(mnist("--test-limit", "0")), "--test-limit must be at least 1, got 0");
    assertFalse(Files.exists(dir.resolve("no-such-data")), "nothing fetched");
  }

  @Test
  void outputsThatCannotBeWrittenAreRefusedBeforeTraining() throws IOException {
    Path missing = dir.resolve("missing/lenet5.safetensors");
    assertUsageError(
        kiln(mnist("--out", missing.toString())), "--out " + missing + ": " + missing.getParent() + " does not exist");
    Files.createDirectory(dir.resolve("taken"));
    assertUsageError(kiln(mnist("--out", dir.resolve("taken").toString())), "is a directory; give a file name");
    Path file = Files.writeString(dir.resolve("plots-file"), "x");
    assertUsageError(kiln(mnist("--plots", file.toString())), "is a file, not a directory");
  }

  @Test
  void aGivenDataDirectoryIsNeverFilledWithADownload() throws IOException {
    Path typo = dir.resolve("dta/mnist");
    assertUsageError(kiln("mnist", "--data", typo.toString()), "--data " + typo + " does not exist");
    assertFalse(Files.exists(typo), "the mistyped directory is not created");
    Path empty = Files.createDirectory(dir.resolve("empty"));
    assertUsageError(
        kiln("mnist", "--data", empty.toString()),
        "lacks train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,"
            + " t10k-labels-idx1-ubyte");
    try (var files = Files.list(empty)) {
      assertEquals(0, files.count(), "nothing fetched into it");
    }
  }

  @Test
  void corruptDataIsAFailureInOneLineAndVerboseShowsTheTrace() throws IOException {
    Path corrupt = Files.createDirectory(dir.resolve("corrupt"));
    for (String name :
        new String[] {
          "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
          "t10k-labels-idx1-ubyte"
        }) {
      Files.write(corrupt.resolve(name), new byte[] {1, 2, 3});
    }
    Run run = kiln("mnist", "--data", corrupt.toString(), "--out", dir.resolve("x.safetensors").toString());
    assertEquals(1, run.exit(), run.err());
    assertOneLine(run, "kiln mnist: ");
    assertEquals(1, run.err().strip().lines().count(), run.err());
    Run verbose = kiln("mnist", "--verbose", "--data", corrupt.toString(), "--out", dir.resolve("x.safetensors").toString());
    assertEquals(1, verbose.exit());
    assertTrue(verbose.err().contains("\tat "), "the trace with --verbose: " + verbose.err());
  }

  /** A device the user named that is not there is an error listing the devices, not a fallback. */
  @Test
  void aNamedDeviceThatIsNotThereIsAUsageError() {
    Run run = kiln(mnist("--device", "opencl:99"));
    assertUsageError(run, "kiln mnist: --device opencl:99: ");
    assertUsageError(kiln(mnist("--device", "gpu")), "--device must be cpu, opencl or opencl:<index|gpu|cpu|name>, got 'gpu'");
  }

  /** bench, xor and show check their options first too: nothing measured, trained or loaded. */
  @Test
  void benchXorAndShowOptionsAreUsageErrorsBeforeAnythingRuns() {
    String data = dir.resolve("no-such-data").toString();
    assertUsageError(kiln("bench", "--data", data, "--limit", "0"), "kiln bench: --limit must be at least 1, got 0");
    assertUsageError(kiln("bench", "--data", data, "--threads", "0"), "--threads must be at least 1, got 0");
    assertUsageError(kiln("bench", "--data", data, "--calls", "0"), "--calls must be at least 1, got 0");
    assertUsageError(kiln("bench", "--data", data, "--rounds", "-2"), "--rounds must be at least 1, got -2");
    assertUsageError(kiln("bench", "--data", data, "--warmup-seconds", "-1"), "--warmup-seconds must not be negative, got -1.0");
    assertUsageError(kiln("bench", "--data", data, "--clock-ghz", "0"), "--clock-ghz must be a positive number, got 0.0");
    assertUsageError(kiln("xor", "--steps", "0"), "kiln xor: --steps must be at least 1, got 0");
    assertUsageError(kiln("xor", "--lr", "-0.5"), "--lr must be a positive number, got -0.5");
    assertUsageError(kiln("xor", "--device", "opencl:99"), "kiln xor: --device opencl:99: ");
    assertUsageError(kiln("show", "--index", "-1"), "--index -1 is negative");
    assertFalse(Files.exists(dir.resolve("no-such-data")), "nothing fetched");
  }

  @Test
  void ladderRungsOutsideTheLadderAreUsageErrors() {
    assertUsageError(
        kiln("ladder", "--data", dir.resolve("none").toString(), "--rungs", "9"),
        "kiln ladder: --rungs takes rungs 1 to 7, got 9");
    assertUsageError(
        kiln("ladder", "--data", dir.resolve("none").toString(), "--rungs", "2,0"),
        "--rungs takes rungs 1 to 7, got 0");
  }

  @Test
  void anUnknownOptionSaysWhereToLook() {
    Run run = kiln("mnist", "--epoch", "3");
    assertEquals(2, run.exit(), run.err());
    assertTrue(run.err().contains("kiln mnist: Unknown options: '--epoch', '3'"), run.err());
    assertTrue(run.err().contains("--epochs"), "a suggestion: " + run.err());
    assertTrue(run.err().contains("Try './kiln mnist --help'."), run.err());
    assertFalse(run.err().contains("Usage:"), "the message, not the whole usage: " + run.err());
  }
}
