package dev.kiln.samples.pictures;

import dev.kiln.runtime.train.EpochResult;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Training charts with JFreeChart, rendered off-screen and written as PNG with ImageIO: learning
 * curves (loss and accuracy per epoch, train and test) and a confusion matrix.
 */
public final class TrainingCharts {
  static {
    LayerPictures.headless();
  }

  public static final int CURVES_WIDTH = 900;
  public static final int CURVES_HEIGHT = 700;
  public static final int CONFUSION_WIDTH = 760;
  public static final int CONFUSION_HEIGHT = 700;

  private static final Color TRAIN = new Color(0x1F, 0x77, 0xB4);
  private static final Color TEST = new Color(0xFF, 0x7F, 0x0E);
  private static final Color DARK = new Color(0x08, 0x30, 0x6B);
  private static final Color[] PALETTE = {
    TRAIN, TEST, new Color(0x2C, 0xA0, 0x2C), new Color(0xD6, 0x27, 0x28), new Color(0x94, 0x67, 0xBD),
    new Color(0x8C, 0x56, 0x4B), new Color(0xE3, 0x77, 0xC2), new Color(0x7F, 0x7F, 0x7F)
  };

  private TrainingCharts() {}

  /** One training run's history, labelled (an ensemble member) or not ({@code ""}). */
  public record Run(String label, List<EpochResult> history) {}

  /** What {@link #writeTrainingPlots} wrote; {@link #NONE} when nothing could be drawn. */
  public record Written(Path curves, Path confusion) {
    public static final Written NONE = new Written(null, null);

    /** For RESULT lines: the curves' path, or {@code none}. */
    public String curvesField() {
      return curves == null ? "none" : curves.toString();
    }

    /** For RESULT lines: the confusion matrix's path, or {@code none}. */
    public String confusionField() {
      return confusion == null ? "none" : confusion.toString();
    }
  }

  /**
   * {@link #writeTrainingPlots}, where a failure costs only the plots: a headless machine without
   * fonts (AWT's "Fontconfig head is null"), or a directory that cannot be written, must not take
   * a finished training run's results with it. The failure is reported on {@code err}, and the
   * caller prints its RESULT line with {@code curves=none confusion=none}.
   */
  public static Written writeTrainingPlotsOrWarn(
      Path dir, String prefix, String title, List<Run> runs, ConfusionMatrix confusion, PrintStream err) {
    try {
      return writeTrainingPlots(dir, prefix, title, runs, confusion);
    } catch (IOException | RuntimeException e) {
      warn(err, e);
    } catch (Error e) { // AWT may report a machine without fonts as an Error
      if (e instanceof VirtualMachineError) {
        throw e; // out of memory is not a plotting problem
      }
      warn(err, e);
    }
    return Written.NONE;
  }

  private static void warn(PrintStream err, Throwable e) {
    err.println(
        "kiln: the plots were not written (" + e + "). On a machine without fonts, install"
            + " fontconfig and a font (Debian: apt-get install fontconfig fonts-dejavu-core).");
  }

  /** Writes {@code <dir>/<prefix>-curves.png} and {@code <dir>/<prefix>-confusion.png}. */
  static Written writeTrainingPlots(
      Path dir, String prefix, String title, List<Run> runs, ConfusionMatrix confusion) throws IOException {
    Path curves = LayerPictures.write(learningCurves(title, runs), dir.resolve(prefix + "-curves.png"));
    Path matrix =
        LayerPictures.write(confusionMatrix(title, confusion), dir.resolve(prefix + "-confusion.png"));
    return new Written(curves, matrix);
  }

  /** Loss above, accuracy in percent below, over a shared epoch axis. */
  static BufferedImage learningCurves(String title, List<Run> runs) {
    XYSeriesCollection loss = new XYSeriesCollection();
    XYSeriesCollection accuracy = new XYSeriesCollection();
    for (Run run : runs) {
      String prefix = run.label().isEmpty() ? "" : run.label() + " ";
      XYSeries trainLoss = new XYSeries(prefix + "train");
      XYSeries testLoss = new XYSeries(prefix + "test");
      XYSeries trainAccuracy = new XYSeries(prefix + "train");
      XYSeries testAccuracy = new XYSeries(prefix + "test");
      for (EpochResult e : run.history()) {
        add(trainLoss, e.epoch(), e.trainLoss());
        add(testLoss, e.epoch(), e.testLoss());
        add(trainAccuracy, e.epoch(), 100 * e.trainAccuracy());
        add(testAccuracy, e.epoch(), 100 * e.testAccuracy());
      }
      loss.addSeries(trainLoss);
      loss.addSeries(testLoss);
      accuracy.addSeries(trainAccuracy);
      accuracy.addSeries(testAccuracy);
    }
    NumberAxis epochs = new NumberAxis("epoch");
    epochs.setStandardTickUnits(NumberAxis.createIntegerTickUnits(Locale.ROOT));
    epochs.setAutoRangeIncludesZero(false);
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(epochs);
    plot.setGap(12);
    plot.add(curvePlot(loss, "loss", runs.size(), true), 1);
    plot.add(curvePlot(accuracy, "accuracy %", runs.size(), false), 1);
    JFreeChart chart = new JFreeChart(title + ": learning curves", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    return chart.createBufferedImage(CURVES_WIDTH, CURVES_HEIGHT);
  }

  private static void add(XYSeries series, int epoch, double value) {
    if (Double.isFinite(value)) {
      series.add(epoch, value);
    }
  }

  /**
   * Train dashed with squares, test solid with circles; one colour each for a single run, one
   * colour per run otherwise. Only the upper plot lists the series in the legend.
   */
  private static XYPlot curvePlot(XYSeriesCollection data, String label, int runs, boolean legend) {
    NumberAxis axis = new NumberAxis(label);
    axis.setAutoRangeIncludesZero(false);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    renderer.setDefaultSeriesVisibleInLegend(legend);
    for (int s = 0; s < data.getSeriesCount(); s++) {
      boolean train = s % 2 == 0;
      renderer.setSeriesPaint(s, runs == 1 ? (train ? TRAIN : TEST) : PALETTE[(s / 2) % PALETTE.length]);
      renderer.setSeriesShape(
          s, train ? new Rectangle2D.Double(-3, -3, 6, 6) : new Ellipse2D.Double(-3.5, -3.5, 7, 7));
      renderer.setSeriesStroke(
          s,
          train
              ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f)
              : new BasicStroke(2f));
    }
    XYPlot plot = new XYPlot(data, null, axis, renderer);
    styleGrid(plot);
    return plot;
  }

  /**
   * Rows are true classes, columns predictions; each cell holds its count and is shaded by its
   * share of the true class, so errors stand out whatever the class sizes.
   */
  static BufferedImage confusionMatrix(String title, ConfusionMatrix confusion) {
    int k = confusion.classes();
    double[][] series = new double[3][k * k];
    XYPlot plot =
        new XYPlot(
            new DefaultXYZDataset(), classAxis("predicted class", k), classAxis("true class", k), null);
    for (int t = 0; t < k; t++) {
      int row = confusion.rowTotal(t);
      for (int p = 0; p < k; p++) {
        int i = t * k + p;
        int count = confusion.counts()[t][p];
        double share = row == 0 ? 0 : (double) count / row;
        series[0][i] = p;
        series[1][i] = t;
        series[2][i] = share;
        if (count > 0) {
          XYTextAnnotation text = new XYTextAnnotation(String.format(Locale.ROOT, "%,d", count), p, t);
          text.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, k <= 10 ? 12 : 9));
          text.setPaint(share > 0.5 ? Color.WHITE : Color.BLACK);
          plot.addAnnotation(text);
        }
      }
    }
    ((DefaultXYZDataset) plot.getDataset()).addSeries("share of the true class", series);
    plot.getRangeAxis().setInverted(true);
    XYBlockRenderer renderer = new XYBlockRenderer();
    PaintScale scale = new Shades();
    renderer.setPaintScale(scale);
    plot.setRenderer(renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    plot.setAxisOffset(RectangleInsets.ZERO_INSETS);

    JFreeChart chart =
        new JFreeChart(
            String.format(
                Locale.ROOT, "%s: confusion matrix, %.2f%% of %,d correct", title,
                100 * confusion.accuracy(), confusion.total()),
            JFreeChart.DEFAULT_TITLE_FONT,
            plot,
            false);
    NumberAxis legendAxis = new NumberAxis("share of the true class");
    legendAxis.setRange(0, 1);
    PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
    legend.setStripWidth(14);
    legend.setMargin(new RectangleInsets(8, 8, 8, 8));
    legend.setSubdivisionCount(64);
    chart.addSubtitle(legend);
    chart.setBackgroundPaint(Color.WHITE);
    return chart.createBufferedImage(CONFUSION_WIDTH, CONFUSION_HEIGHT);
  }

  private static NumberAxis classAxis(String label, int classes) {
    NumberAxis axis = new NumberAxis(label);
    axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits(Locale.ROOT));
    axis.setRange(-0.5, classes - 0.5);
    axis.setAutoRange(false);
    return axis;
  }

  private static void styleGrid(XYPlot plot) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
  }

  /** White (0) to dark blue (1). */
  private static final class Shades implements PaintScale {
    @Override
    public double getLowerBound() {
      return 0;
    }

    @Override
    public double getUpperBound() {
      return 1;
    }

    @Override
    public Paint getPaint(double value) {
      double v = Double.isNaN(value) ? 0 : Math.max(0, Math.min(1, value));
      return new Color(
          mix(255, DARK.getRed(), v), mix(255, DARK.getGreen(), v), mix(255, DARK.getBlue(), v));
    }

    private static int mix(int from, int to, double v) {
      return (int) Math.round(from + (to - from) * v);
    }
  }
}
