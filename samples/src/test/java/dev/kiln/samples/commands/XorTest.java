package dev.kiln.samples.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Model;
import dev.kiln.runtime.optim.Sgd;
import dev.kiln.runtime.train.Dataset;
import dev.kiln.runtime.train.Trainer;
import dev.kiln.samples.networks.XorDeepReluModel;
import dev.kiln.samples.networks.XorDeepSigmoidModel;
import dev.kiln.samples.networks.XorShallowModel;
import org.junit.jupiter.api.Test;

/** The lecture's vanishing-gradient story, with the XOR command's settings and seed. */
class XorTest {
  static Trainer.Evaluation train(Model model) {
    Dataset table = Dataset.of(XorCommand.INPUTS, 2, XorCommand.TARGETS, 1);
    Trainer trainer = Trainer.of(model).optimizer(Sgd.lr(0.1)).batchSize(4).epochs(10_000).threads(1).seed(1);
    trainer.fit(table, null);
    return trainer.evaluate(table);
  }

  @Test
  void twoLayersLearnXor() {
    Trainer.Evaluation e = train(XorShallowModel.create(1));
    assertEquals(1.0, e.accuracy());
    assertTrue(e.loss() < 0.05, "loss " + e.loss());
  }

  @Test
  void nineSigmoidLayersDoNotLearnButNineReluLayersDo() {
    Trainer.Evaluation sigmoid = train(XorDeepSigmoidModel.create(1));
    assertTrue(sigmoid.loss() > 0.69, "a deep sigmoid stack stays at chance: loss " + sigmoid.loss());
    Trainer.Evaluation relu = train(XorDeepReluModel.create(1));
    assertEquals(1.0, relu.accuracy());
    assertTrue(relu.loss() < 0.05, "loss " + relu.loss());
  }
}
