package dev.kiln.samples.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.opencl.OpenCl;
import dev.kiln.opencl.OpenClTestDevice;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ./kiln devices --check}: every device listed, numbered as --device counts them, and checked. */
class DevicesCommandTest {
  @Test
  void listsAndChecksEveryDevice() {
    OpenClTestDevice.require();
    KilnCommandLine.Run run = KilnCommandLine.kiln("devices", "--check");
    assertEquals(0, run.exit(), run.out() + run.err());
    List<String> results = run.results();
    int count = OpenCl.devices().size();
    assertEquals(count + 1, results.size(), run.out());
    for (int i = 0; i < count; i++) {
      String line = results.get(i);
      assertTrue(line.startsWith("RESULT task=devices device=opencl:" + i + " type="), line);
      assertTrue(line.contains(" check=ok build_s="), line);
    }
    assertEquals(
        "RESULT task=devices count=" + count + " default=opencl:" + OpenCl.find("").index(),
        results.get(count));
    assertTrue(run.out().contains("<- --device opencl"), run.out());
  }
}
