package dev.kiln.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's first build: a fresh Maven project whose pom holds exactly the README's snippet
 * (read from README.md, not copied here) and whose sources are the README's classes (the LeNet-5
 * declaration and the "your own data" program), built with {@code mvn package} on the Kiln
 * artifacts this build installed in the local repository.
 *
 * <p>It needs Maven on the PATH and the installed artifacts to be this build's ({@link
 * InstalledKiln}). Where CI is set, a missing Maven or stale artifacts fail the test; elsewhere they
 * skip it and say why.
 */
class ReadmeSnippetBuildTest {
  static final Path README = InstalledKiln.ROOT.resolve("README.md");

  @TempDir Path project;

  @Test
  void aFreshProjectFromTheReadmesSnippetBuildsWithMaven() throws Exception {
    String readme = Files.readString(README);
    Snippet snippet = Snippet.of(readme);
    Path mvn = mavenOnPath();
    InstalledKiln.requireThisBuilds("annotations", "kiln-annotations");
    InstalledKiln.requireThisBuilds("runtime", "kiln-runtime");
    InstalledKiln.requireThisBuilds("processor", "kiln-processor");

    Files.writeString(
        project.resolve("pom.xml"),
        String.join(
            "\n",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">",
            "<modelVersion>4.0.0</modelVersion>",
            "<groupId>example</groupId><artifactId>readme-snippet</artifactId><version>1.0</version>",
            "<properties><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>",
            "<dependencies>",
            snippet.dependencies(),
            "</dependencies>",
            "<build><plugins>",
            snippet.plugins(),
            "</plugins></build>",
            "</project>",
            ""));
    List<String> classes = new ArrayList<>();
    Pattern type = Pattern.compile("(?m)^public (?:abstract )?class (\\w+)");
    Matcher blocks = Pattern.compile("(?ms)^```java\\n(.*?)^```").matcher(readme);
    while (blocks.find()) {
      Matcher m = type.matcher(blocks.group(1));
      if (m.find()) {
        Path file = project.resolve("src/main/java/" + m.group(1) + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, blocks.group(1));
        classes.add(m.group(1));
      }
    }
    assertTrue(classes.containsAll(List.of("LeNet5", "TrainOnMyData")), "the README's classes: " + classes);

    List<String> command = new ArrayList<>(List.of(mvn.toString(), "-B", "-q"));
    if (!InstalledKiln.ci()) {
      command.add("-o"); // here everything is in the local repository; a fresh CI machine downloads
    }
    command.addAll(List.of("-Dmaven.repo.local=" + InstalledKiln.REPOSITORY, "package"));
    ProcessBuilder builder = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true);
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    long start = System.nanoTime();
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(300, TimeUnit.SECONDS), "mvn package did not finish");
    String log = new String(output, StandardCharsets.UTF_8);
    System.out.printf("ReadmeSnippetBuildTest: %s in %.1f s%n", String.join(" ", command), (System.nanoTime() - start) / 1e9);
    assertEquals(0, process.exitValue(), "the README's snippet does not build:\n" + log + "\npom.xml:\n"
        + Files.readString(project.resolve("pom.xml")));
    for (String built : List.of("LeNet5Model.class", "LeNet5Model.cl", "TrainOnMyData.class")) {
      assertTrue(Files.isRegularFile(project.resolve("target/classes/" + built)), built + " was not generated and compiled");
    }
    assertTrue(Files.isRegularFile(project.resolve("target/readme-snippet-1.0.jar")), "no jar");
  }

  /** The README's Maven block: its dependencies, then (after a line of "...") its plugin. */
  record Snippet(String dependencies, String plugins) {
    static Snippet of(String readme) {
      int section = readme.indexOf("\n## Using Kiln in your build");
      assertTrue(section >= 0, "README.md has no 'Using Kiln in your build' section");
      Matcher xml = Pattern.compile("(?ms)^```xml\\n(.*?)^```").matcher(readme);
      assertTrue(xml.find(section), "no xml block in 'Using Kiln in your build'");
      String[] parts = xml.group(1).split("(?m)^\\.\\.\\.\\n", -1);
      assertEquals(2, parts.length, "the snippet: dependencies, a line '...', the plugin:\n" + xml.group(1));
      assertTrue(parts[0].strip().startsWith("<dependency>") && parts[0].strip().endsWith("</dependency>"), parts[0]);
      assertTrue(parts[1].strip().startsWith("<plugin>") && parts[1].strip().endsWith("</plugin>"), parts[1]);
      return new Snippet(parts[0], parts[1]);
    }
  }

  /** Maven's launcher on the PATH. */
  static Path mavenOnPath() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path mvn = Path.of(dir.isEmpty() ? "." : dir, "mvn");
      if (Files.isExecutable(mvn)) {
        return mvn;
      }
    }
    return InstalledKiln.unavailable("the README's snippet is not built: mvn is not on the PATH");
  }
}
