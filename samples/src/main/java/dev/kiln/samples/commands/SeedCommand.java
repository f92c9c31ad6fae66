package dev.kiln.samples.commands;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./kiln seed}: the lecture's first examples, checked against TensorFlow's values. */
@Command(
    name = "seed",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the lecture's first examples through generated networks: convolutions with VALID"
          + " and SAME padding, three filters, max pooling, output-size arithmetic, LeNet-5 and"
          + " AlexNet's first layer.",
      "Exits with 1 if any value differs from TensorFlow's."
    })
public final class SeedCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    List<SeedExamples.Check> checks = new SeedExamples(System.out).run();
    long passed = checks.stream().filter(SeedExamples.Check::ok).count();
    System.out.println();
    for (SeedExamples.Check check : checks) {
      System.out.println(
          "RESULT task=seed check=" + check.name() + " ok=" + check.ok()
              + " value=" + check.actual().replace(" ", ""));
    }
    System.out.println(
        "RESULT task=seed checks=" + checks.size() + " passed=" + passed
            + " failed=" + (checks.size() - passed));
    return passed == checks.size() ? 0 : 1;
  }
}
