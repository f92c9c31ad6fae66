package dev.kiln.samples.pictures;

import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.image.BufferedImage;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * A network's output for one input as a bar chart: one bar per class, labelled with the class's
 * name and its value, the predicted class's bar in its own colour. Rendered with JFreeChart.
 */
public final class OutputBars {
  static {
    LayerPictures.headless();
  }

  public static final int WIDTH = 760;
  public static final int HEIGHT = 480;
  /** The bars of the classes not predicted. */
  public static final Color BAR = new Color(0x1F, 0x77, 0xB4);
  /** The predicted class's bar. */
  public static final Color PREDICTED = new Color(0xFF, 0x7F, 0x0E);

  private OutputBars() {}

  /**
   * Draws {@code values} (one per class, in class order) with {@code classes} as the bars' labels.
   * Values that are probabilities (a softmax output: each in [0, 1]) get a 0 to 1 axis.
   */
  public static BufferedImage draw(
      float[] values, List<String> classes, int label, int predicted, List<String> header) {
    if (values.length != classes.size()) {
      throw new IllegalArgumentException(values.length + " values for " + classes.size() + " classes");
    }
    boolean probabilities = true;
    for (float v : values) {
      probabilities &= v >= 0 && v <= 1;
    }
    DefaultCategoryDataset data = dataset(values, classes);
    NumberAxis axis = new NumberAxis(probabilities ? "probability" : "output value");
    if (probabilities) {
      axis.setRange(0, 1.08); // room for the value above a bar of 1
    }
    BarRenderer renderer =
        new BarRenderer() {
          @Override
          public Paint getItemPaint(int row, int column) {
            return column == predicted ? PREDICTED : BAR;
          }
        };
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    renderer.setDrawBarOutline(false);
    renderer.setItemMargin(0);
    renderer.setDefaultItemLabelGenerator(
        new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("0.000", DecimalFormatSymbols.getInstance(Locale.ROOT))));
    renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    renderer.setDefaultItemLabelsVisible(true);
    CategoryAxis classAxis = new CategoryAxis("class (label " + classes.get(label) + ")");
    CategoryPlot plot = new CategoryPlot(data, classAxis, axis, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(header.get(0), new Font(Font.SANS_SERIF, Font.BOLD, 14), plot, false);
    for (String line : header.subList(1, header.size())) {
      chart.addSubtitle(new TextTitle(line, new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    }
    chart.addSubtitle(
        new TextTitle(
            "orange: the predicted class, " + classes.get(predicted) + "; blue: the others",
            new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    chart.setBackgroundPaint(Color.WHITE);
    return chart.createBufferedImage(WIDTH, HEIGHT);
  }

  /** One series, one category per class, in class order. */
  static DefaultCategoryDataset dataset(float[] values, List<String> classes) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (int c = 0; c < values.length; c++) {
      data.addValue(values[c], "output", classes.get(c));
    }
    return data;
  }
}
