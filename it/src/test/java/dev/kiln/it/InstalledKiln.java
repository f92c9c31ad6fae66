package dev.kiln.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Kiln's artifacts in the local Maven repository, checked against the ones this build packaged
 * (each module's {@code target/}), so that a test meets this build's Kiln and not an older one.
 * The reactor installs each module before the next builds and this module comes last, so under
 * {@code mvn install} (as {@code ./run-tests} runs it) they agree.
 */
final class InstalledKiln {
  static final Path ROOT = Path.of(System.getProperty("kiln.root", ".."));
  static final String VERSION = System.getProperty("kiln.version", "0.1.0-SNAPSHOT");
  static final Path REPOSITORY =
      Path.of(System.getProperty("kiln.localRepository", System.getProperty("user.home") + "/.m2/repository"));

  private InstalledKiln() {}

  /** {@code module/target/artifact-version[-classifier].jar}, as this build packaged it. */
  static Path built(String module, String artifact, String classifier) {
    return ROOT.resolve(module).resolve("target").resolve(file(artifact, classifier));
  }

  /** The same file in the local repository. */
  static Path installed(String artifact, String classifier) {
    return REPOSITORY.resolve("dev/kiln").resolve(artifact).resolve(VERSION).resolve(file(artifact, classifier));
  }

  private static String file(String artifact, String classifier) {
    return artifact + "-" + VERSION + (classifier.isEmpty() ? "" : "-" + classifier) + ".jar";
  }

  /**
   * Returns where the module's jar is installed as this build packaged it; otherwise fails under
   * CI and skips elsewhere, saying why.
   */
  static void requireThisBuilds(String module, String artifact) throws IOException {
    Path built = built(module, artifact, "");
    Path installed = installed(artifact, "");
    if (!Files.isRegularFile(built)) {
      unavailable("this build did not package " + built + " (run mvn install, not mvn test)");
    }
    if (!Files.isRegularFile(installed) || Files.mismatch(built, installed) != -1) {
      unavailable(installed + " is not this build's " + built + " (run mvn install)");
    }
  }

  /** Fails where CI is set, else skips the test; says why either way. */
  static <T> T unavailable(String reason) {
    if (ci()) {
      throw new AssertionError("CI is set, so this must be checked, but " + reason);
    }
    String skip = reason + "; set CI=true to require it";
    System.out.println("SKIPPED: " + skip); // Surefire prints only a count of skipped tests
    Assumptions.abort(skip);
    return null;
  }

  static boolean ci() {
    String ci = System.getenv("CI");
    return ci != null && !ci.isEmpty() && !ci.equalsIgnoreCase("false") && !ci.equals("0");
  }
}
