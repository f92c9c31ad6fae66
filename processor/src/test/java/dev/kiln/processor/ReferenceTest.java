package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Random convolutions and poolings (kernel, stride, padding mode, channels, input size) against a
 * plain double-precision reference that follows TensorFlow's rules literally, with bounds checks
 * on every tap. This exercises the interior/border split of the generated code.
 */
class ReferenceTest {
  static final int NETWORKS = 60;

  record Case(String name, String kind, int h, int w, int c, int f, int kh, int kw, int sh, int sw,
      String padding, int pad) {

    String source() {
      String k = "{" + kh + ", " + kw + "}";
      String s = "{" + sh + ", " + sw + "}";
      String mode = padding.equals("PAD") ? "pad = " + pad : "padding = Padding." + padding;
      return switch (kind) {
        case "conv" -> "@Conv2D(filters = " + f + ", kernel = " + k + ", stride = " + s + ", " + mode + ") Layer l;";
        default -> "@" + kind + "(size = " + k + ", stride = " + s + ", " + mode + ") Layer l;";
      };
    }
  }

  @Test
  void generatedConvolutionsAndPoolingMatchTheReference() {
    SplittableRandom random = new SplittableRandom(20261129);
    List<Case> cases = new ArrayList<>();
    List<JavaFileObject> sources = new ArrayList<>();
    while (cases.size() < NETWORKS) {
      String kind = new String[] {"conv", "conv", "MaxPool", "AvgPool"}[random.nextInt(4)];
      String padding = new String[] {"VALID", "SAME", "PAD"}[random.nextInt(kind.equals("conv") ? 3 : 2)];
      Case c =
          new Case(
              "R" + cases.size(), kind, 1 + random.nextInt(9), 1 + random.nextInt(9), 1 + random.nextInt(4),
              (random.nextInt(4) == 0 ? 17 + random.nextInt(24) : 1 + random.nextInt(10)), 1 + random.nextInt(5), 1 + random.nextInt(5),
              1 + random.nextInt(3), 1 + random.nextInt(3), padding, random.nextInt(3));
      int padded = padding.equals("PAD") ? 2 * c.pad : 0;
      if (!padding.equals("SAME") && (c.kh > c.h + padded || c.kw > c.w + padded)) {
        continue; // would not compile: that is DiagnosticsTest's business
      }
      cases.add(c);
      sources.add(
          Networks.network(c.name, "height = " + c.h + ", width = " + c.w + ", channels = " + c.c,
              "@SuppressWarnings(\"kiln\")", c.source()));
    }
    Map<String, byte[]> classes =
        CompiledModels.classFiles(Networks.compile(sources.toArray(new JavaFileObject[0])));
    double worst = 0;
    for (Case c : cases) {
      Model model = CompiledModels.load(classes, c.name, 3);
      float[] p = model.parameters();
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) random.nextDouble(-1, 1);
      }
      float[] x = new float[c.h * c.w * c.c];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) random.nextDouble(-2, 2);
      }
      double[] expected = reference(c, x, p);
      float[] actual = model.predict(x);
      assertEquals(expected.length, actual.length, c.toString());
      for (int i = 0; i < expected.length; i++) {
        double error = Math.abs(expected[i] - actual[i]);
        worst = Math.max(worst, error);
        assertEquals(expected[i], actual[i], 1e-4, c + " output " + i);
      }
    }
    System.out.println(
        "ReferenceTest: " + NETWORKS + " random conv/pool layers, largest difference " + worst);
  }

  /** TensorFlow's arithmetic, written for clarity: output size, padding, then every tap. */
  static double[] reference(Case c, float[] x, float[] p) {
    int oh, ow, top, left;
    switch (c.padding) {
      case "SAME" -> {
        oh = (c.h + c.sh - 1) / c.sh;
        ow = (c.w + c.sw - 1) / c.sw;
        top = Math.max((oh - 1) * c.sh + c.kh - c.h, 0) / 2;
        left = Math.max((ow - 1) * c.sw + c.kw - c.w, 0) / 2;
      }
      case "PAD" -> {
        oh = (c.h - c.kh + 2 * c.pad) / c.sh + 1;
        ow = (c.w - c.kw + 2 * c.pad) / c.sw + 1;
        top = c.pad;
        left = c.pad;
      }
      default -> {
        oh = (c.h - c.kh) / c.sh + 1;
        ow = (c.w - c.kw) / c.sw + 1;
        top = 0;
        left = 0;
      }
    }
    int outChannels = c.kind.equals("conv") ? c.f : c.c;
    double[] y = new double[oh * ow * outChannels];
    for (int i = 0; i < oh; i++) {
      for (int j = 0; j < ow; j++) {
        for (int o = 0; o < outChannels; o++) {
          double sum = c.kind.equals("conv") ? p[c.kh * c.kw * c.c * c.f + o] : 0;
          double max = Double.NEGATIVE_INFINITY;
          int cells = 0;
          for (int a = 0; a < c.kh; a++) {
            for (int b = 0; b < c.kw; b++) {
              int r = i * c.sh - top + a;
              int s = j * c.sw - left + b;
              if (r < 0 || r >= c.h || s < 0 || s >= c.w) {
                continue; // padding: zero for conv, not a cell for pooling
              }
              cells++;
              if (c.kind.equals("conv")) {
                for (int ch = 0; ch < c.c; ch++) {
                  sum += x[(r * c.w + s) * c.c + ch] * (double) p[((a * c.kw + b) * c.c + ch) * c.f + o];
                }
              } else {
                double v = x[(r * c.w + s) * c.c + o];
                sum += v;
                max = Math.max(max, v);
              }
            }
          }
          y[(i * ow + j) * outChannels + o] =
              c.kind.equals("MaxPool") ? max : c.kind.equals("AvgPool") ? sum / cells : sum;
        }
      }
    }
    return y;
  }
}
