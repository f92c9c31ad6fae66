package dev.kiln.spark;

import dev.kiln.samples.commands.UsageError;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./kiln spark}: scoring and training on Apache Spark. The launcher runs this class (not
 * the samples' command line) on this module's class path, which holds Spark; under {@code
 * spark-submit} it is the main class of the kiln-spark jar.
 */
@Command(
    name = "spark",
    mixinStandardHelpOptions = true,
    description = {
      "Scores and trains Kiln networks on Apache Spark (local mode with --master local[N], or a cluster under spark-submit).",
      "Add --verbose to any command for the stack trace of an error."
    },
    subcommands = {ScoreCommand.class, TrainCommand.class, BenchCommand.class})
public final class SparkMain implements Runnable {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the command line and returns its exit code: 0 when it did its job, 2 for a usage error,
   * 1 for a failure on the way (a bad row, a checkpoint of another network, a failed job).
   */
  public static int run(String... args) {
    boolean verbose = Arrays.asList(args).contains("--verbose");
    String[] rest = Arrays.stream(args).filter(a -> !a.equals("--verbose")).toArray(String[]::new);
    CommandLine cli = new CommandLine(new SparkMain()).setCaseInsensitiveEnumValuesAllowed(true);
    cli.setParameterExceptionHandler(
        (e, arguments) -> {
          CommandLine command = e.getCommandLine();
          command.getErr().println(usage(command) + ": " + e.getMessage());
          command.getErr().println("Try '" + usage(command) + " --help'.");
          return 2;
        });
    cli.setExecutionExceptionHandler(
        (e, command, parseResult) -> {
          command.getErr().println(usage(command) + ": " + message(e));
          if (verbose) {
            e.printStackTrace(command.getErr());
          }
          return e instanceof UsageError ? 2 : 1;
        });
    return cli.execute(rest);
  }

  private static String usage(CommandLine command) {
    return command.getParent() == null ? "./kiln spark" : "./kiln spark " + command.getCommandName();
  }

  /**
   * The innermost message: Spark wraps a task's exception in a SparkException whose first line
   * says which stage failed; the row's problem is the cause's message.
   */
  static String message(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && (t.getMessage() == null || t instanceof org.apache.spark.SparkException)) {
      t = t.getCause();
    }
    String text = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    return text.lines().findFirst().orElse(text);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
