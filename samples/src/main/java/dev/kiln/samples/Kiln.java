package dev.kiln.samples;

import dev.kiln.samples.commands.BenchCommand;
import dev.kiln.samples.commands.DevicesCommand;
import dev.kiln.samples.commands.ExportCommand;
import dev.kiln.samples.commands.ImportCommand;
import dev.kiln.samples.commands.LadderCommand;
import dev.kiln.samples.commands.MnistCommand;
import dev.kiln.samples.commands.SeedCommand;
import dev.kiln.samples.commands.ShowCommand;
import dev.kiln.samples.commands.SummaryCommand;
import dev.kiln.samples.commands.UsageError;
import dev.kiln.samples.commands.XorCommand;
import dev.kiln.samples.pictures.LayerPictures;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./kiln} command line: one subcommand per job. */
@Command(
    name = "kiln",
    mixinStandardHelpOptions = true,
    version = "kiln 0.1.0",
    description = {
      "Compile-time generated convolutional networks for Java.",
      "Add --verbose to any command for the stack trace of an error."
    },
    subcommands = {
      SeedCommand.class,
      MnistCommand.class,
      LadderCommand.class,
      XorCommand.class,
      SummaryCommand.class,
      ShowCommand.class,
      ExportCommand.class,
      ImportCommand.class,
      BenchCommand.class,
      DevicesCommand.class
    })
public final class Kiln implements Runnable {

  public static void main(String[] args) {
    LayerPictures.headless();
    System.exit(run(args));
  }

  /**
   * Runs the command line and returns its exit code (for tests): 0 when it did its job, 2 for a
   * usage error (a bad option, an output that cannot be written), 1 for a failure on the way
   * (corrupt data, a device that failed). Errors are one line on standard error; {@code
   * --verbose} adds the stack trace.
   */
  public static int run(String... args) {
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    String[] rest = java.util.Arrays.stream(args).filter(a -> !a.equals("--verbose")).toArray(String[]::new);
    CommandLine cli = new CommandLine(new Kiln()).setCaseInsensitiveEnumValuesAllowed(true);
    cli.setParameterExceptionHandler(
        (e, arguments) -> {
          CommandLine command = e.getCommandLine();
          command.getErr().println(prefix(command) + e.getMessage());
          if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
            CommandLine.UnmatchedArgumentException.printSuggestions(unmatched, command.getErr());
          }
          command.getErr().println("Try '" + usage(command) + " --help'.");
          return 2;
        });
    cli.setExecutionExceptionHandler(
        (e, command, parseResult) -> {
          command.getErr().println(prefix(command) + message(e));
          if (verbose) {
            e.printStackTrace(command.getErr());
          }
          return e instanceof UsageError ? 2 : 1;
        });
    return cli.execute(rest);
  }

  private static String prefix(CommandLine command) {
    return usage(command).substring(2) + ": ";
  }

  /** E.g. {@code ./kiln mnist}. */
  private static String usage(CommandLine command) {
    return command.getParent() == null ? "./kiln" : "./kiln " + command.getCommandName();
  }

  /** The exception's own words, and its cause's where it only wraps one. */
  private static String message(Exception e) {
    Throwable t = e;
    while (t.getMessage() == null && t.getCause() != null) {
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
