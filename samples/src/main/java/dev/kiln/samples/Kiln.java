package dev.kiln.samples;

import dev.kiln.samples.commands.BenchCommand;
import dev.kiln.samples.commands.DevicesCommand;
import dev.kiln.samples.commands.LadderCommand;
import dev.kiln.samples.commands.MnistCommand;
import dev.kiln.samples.commands.SeedCommand;
import dev.kiln.samples.commands.ShowCommand;
import dev.kiln.samples.commands.SummaryCommand;
import dev.kiln.samples.commands.XorCommand;
import dev.kiln.samples.pictures.LayerPictures;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./kiln} command line: one subcommand per job. */
@Command(
    name = "kiln",
    mixinStandardHelpOptions = true,
    version = "kiln 0.1.0",
    description = "Compile-time generated convolutional networks for Java.",
    subcommands = {
      SeedCommand.class,
      MnistCommand.class,
      LadderCommand.class,
      XorCommand.class,
      SummaryCommand.class,
      ShowCommand.class,
      BenchCommand.class,
      DevicesCommand.class
    })
public final class Kiln implements Runnable {

  public static void main(String[] args) {
    LayerPictures.headless();
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (for tests). */
  public static int run(String... args) {
    return new CommandLine(new Kiln()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
