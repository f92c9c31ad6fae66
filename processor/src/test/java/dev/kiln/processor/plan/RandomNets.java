package dev.kiln.processor.plan;

import static dev.kiln.processor.plan.Nets.add;
import static dev.kiln.processor.plan.Nets.batchNorm;
import static dev.kiln.processor.plan.Nets.concat;
import static dev.kiln.processor.plan.Nets.conv;
import static dev.kiln.processor.plan.Nets.dense;
import static dev.kiln.processor.plan.Nets.dropout;
import static dev.kiln.processor.plan.Nets.field;
import static dev.kiln.processor.plan.Nets.from;
import static dev.kiln.processor.plan.Nets.maxPool;
import static dev.kiln.processor.plan.Nets.network;

import dev.kiln.annotations.From;
import dev.kiln.annotations.Padding;
import dev.kiln.processor.model.Activation;
import dev.kiln.processor.model.FieldDeclaration;
import dev.kiln.processor.model.NetworkDeclaration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random acyclic networks for the property tests: convolutions, pools, activations, Dropout,
 * BatchNorm, Add and Concat of earlier layers of matching shapes, Dense, each reading a random
 * earlier layer (or the input), with dead branches where nothing happens to read a layer.
 */
final class RandomNets {
  private RandomNets() {}

  /** A layer's name and shape as the generator tracks it ({@code h == 0}: a vector). */
  private record Shape(String name, int h, int w, int c) {
    boolean flat() {
      return h == 0;
    }

    boolean sameAs(Shape o) {
      return h == o.h && w == o.w && c == o.c;
    }
  }

  static NetworkDeclaration generate(Random random) {
    List<Shape> layers = new ArrayList<>();
    layers.add(new Shape(From.INPUT, 8, 8, 2));
    List<FieldDeclaration> fields = new ArrayList<>();
    int count = 2 + random.nextInt(10);
    for (int i = 0; i < count; i++) {
      String name = "l" + i;
      boolean last = i == count - 1;
      // Mostly the layer just before, sometimes any earlier one.
      Shape source =
          random.nextInt(3) == 0
              ? layers.get(random.nextInt(layers.size()))
              : layers.get(layers.size() - 1);
      Activation.Kind[] act = activation(random, last);
      FieldDeclaration field;
      Shape out;
      int kind = last ? 8 : random.nextInt(9);
      if (source.flat() && (kind == 0 || kind == 1 || kind == 6)) {
        kind = 8; // no convolution, pool or concat of vectors here: a Dense
      }
      switch (kind) {
        case 0 -> {
          int filters = 1 + random.nextInt(6);
          boolean wide = random.nextBoolean();
          Padding padding = wide ? Padding.SAME : Padding.VALID;
          field = field(name, conv(filters, wide ? 3 : 1, padding), act);
          out = new Shape(name, source.h, source.w, filters);
        }
        case 1 -> {
          if (source.h % 2 != 0 || source.h < 2) {
            field = field(name, null, Activation.Kind.RELU);
            out = new Shape(name, source.h, source.w, source.c);
          } else {
            field = field(name, maxPool(2), act);
            out = new Shape(name, source.h / 2, source.w / 2, source.c);
          }
        }
        case 2 -> {
          Activation.Kind kindOfActivation =
              random.nextBoolean() ? Activation.Kind.RELU : Activation.Kind.TANH;
          field = field(name, null, kindOfActivation);
          out = new Shape(name, source.h, source.w, source.c);
        }
        case 3 -> {
          field = field(name, dropout(0.25), act);
          out = new Shape(name, source.h, source.w, source.c);
        }
        case 4 -> {
          field = field(name, batchNorm(), act);
          out = new Shape(name, source.h, source.w, source.c);
        }
        case 5 -> {
          List<String> names = new ArrayList<>(List.of(source.name));
          for (Shape other : layers) {
            if (other.sameAs(source) && random.nextInt(3) == 0) {
              names.add(random.nextInt(names.size() + 1), other.name);
            }
          }
          if (names.size() < 2) {
            names.add(source.name); // Add(x, x)
          }
          fields.add(from(field(name, add(), act), names.toArray(String[]::new)));
          layers.add(new Shape(name, source.h, source.w, source.c));
          continue;
        }
        case 6 -> {
          List<String> names = new ArrayList<>(List.of(source.name));
          int channels = source.c;
          for (Shape other : layers) {
            if (!other.flat() && other.h == source.h && other.w == source.w
                && random.nextInt(3) == 0) {
              names.add(random.nextInt(names.size() + 1), other.name);
              channels += other.c;
            }
          }
          if (names.size() < 2) {
            names.add(source.name);
            channels += source.c;
          }
          fields.add(from(field(name, concat(), act), names.toArray(String[]::new)));
          layers.add(new Shape(name, source.h, source.w, channels));
          continue;
        }
        default -> {
          int units = 1 + random.nextInt(12);
          field = field(name, dense(units), act);
          out = new Shape(name, 0, 0, units);
        }
      }
      fields.add(from(field, source.name));
      layers.add(out);
    }
    return network(8, 8, 2, fields.toArray(FieldDeclaration[]::new));
  }

  private static Activation.Kind[] activation(Random random, boolean last) {
    return switch (random.nextInt(last ? 5 : 3)) {
      case 0 -> new Activation.Kind[0];
      case 1 -> new Activation.Kind[] {Activation.Kind.RELU};
      case 2 -> new Activation.Kind[] {Activation.Kind.TANH};
      case 3 -> new Activation.Kind[] {Activation.Kind.SOFTMAX};
      default -> new Activation.Kind[] {Activation.Kind.SIGMOID};
    };
  }
}
