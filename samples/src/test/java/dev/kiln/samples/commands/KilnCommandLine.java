package dev.kiln.samples.commands;

import dev.kiln.samples.Kiln;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs one {@code ./kiln} command line in this JVM, for the command tests, and keeps what it printed. */
final class KilnCommandLine {
  private KilnCommandLine() {}

  /** Exit code, standard output and standard error of one command line. */
  record Run(int exit, String out, String err) {
    List<String> results() {
      return out.lines().filter(l -> l.startsWith("RESULT ")).toList();
    }
  }

  static Run kiln(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      exit = Kiln.run(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
  }
}
