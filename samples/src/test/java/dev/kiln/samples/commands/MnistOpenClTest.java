package dev.kiln.samples.commands;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.opencl.OpenCl;
import dev.kiln.opencl.OpenClDevice;
import dev.kiln.opencl.OpenClModel;
import dev.kiln.opencl.OpenClTestDevice;
import dev.kiln.opencl.OpenClTrainer;
import dev.kiln.runtime.LabeledImages;
import dev.kiln.runtime.Mnist;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Schedule;
import dev.kiln.runtime.train.EpochResult;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.networks.LeNet5Model;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * LeNet-5 trained on OpenCL on the subset and with the settings of {@link MnistEndToEndTest}
 * reaches the accuracy the CPU reaches, within half a point; the weights come back into the Java
 * model, which then predicts what the device predicts. OpenCL must be there where CI is set.
 */
class MnistOpenClTest {

  @Test
  void lenet5OnOpenClMatchesTheCpuAccuracy() throws Exception {
    OpenClTestDevice.require();
    Mnist.Split mnist = MnistEndToEndTest.mnist();
    LabeledImages train = mnist.train().first(6000);
    LabeledImages test = mnist.test().first(1000);

    LeNet5Model cpu = LeNet5Model.create(1);
    EpochResult onCpu =
        Trainer.of(cpu)
            .optimizer(Adam.lr(3e-3).schedule(Schedule.oneCycle(1500, 3e-3)))
            .batchSize(4).epochs(1).threads(2).seed(1)
            .fit(train, test).get(0);

    LeNet5Model net = LeNet5Model.create(1);
    try (OpenClDevice device = OpenCl.open("");
        OpenClModel bound = OpenClModel.bind(device, net, 4)) {
      EpochResult onDevice =
          OpenClTrainer.of(bound)
              .optimizer(Adam.lr(3e-3).schedule(Schedule.oneCycle(1500, 3e-3)))
              .epochs(1).seed(1)
              .fit(train, test).get(0);
      System.out.printf(
          "MnistOpenClTest on %s (build %.2f s): CPU %s%n  OpenCL %s%n",
          device.info(), bound.buildSeconds(), TrainingProgress.line(onCpu), TrainingProgress.line(onDevice));
      assertTrue(
          Math.abs(onDevice.testAccuracy() - onCpu.testAccuracy()) <= 0.005,
          "OpenCL " + onDevice.testAccuracy() + " against CPU " + onCpu.testAccuracy());

      float[] images = Arrays.copyOf(test.images(), 16 * 784);
      float[] fromDevice = new float[16 * 10];
      bound.predictBatch(images, fromDevice);
      float[] fromJava = new float[16 * 10];
      net.predictBatch(images, fromJava, 1);
      for (int i = 0; i < fromJava.length; i++) {
        assertTrue(Math.abs(fromJava[i] - fromDevice[i]) < 1e-4, "prediction " + i);
      }
    }
  }
}
