package dev.kiln.samples.pictures;

import dev.kiln.runtime.AtomicFiles;
import dev.kiln.runtime.Layer;
import dev.kiln.runtime.TensorShape;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Grids of image tiles as PNG: an input image, a layer's activation maps (one tile per channel),
 * a convolution's kernels (one tile per filter). Values map to gray (black = low, white = high),
 * or to RGB for an RGB image and the kernels that read one; the scale is written in the picture.
 * Every position follows from {@link Layout} alone, so a test can find each tile in the PNG.
 */
public final class LayerPictures {
  static {
    headless();
  }

  /** How values map to gray: one range for the whole picture, or each tile its own. */
  public enum Scale {
    COMMON,
    TILE
  }

  static final Color BACKGROUND = Color.WHITE;
  /** The one-pixel frame around every tile (never a gray, so a test can tell it from a tile). */
  static final Color FRAME = new Color(0x30, 0x70, 0xC0);
  /** Cells of a vector's tile that hold no unit. */
  static final Color EMPTY = new Color(0xE8, 0xD8, 0xB0);

  static final Color TEXT = new Color(0x20, 0x20, 0x20);
  private static final Font HEADER_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
  private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

  private LayerPictures() {}

  /** Renders without a display (and with one: pictures are files, never windows). */
  public static void headless() {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /**
   * One tile: {@code height x width} pixels, gray or RGB, values already mapped to [0, 1] (HWC);
   * NaN marks a cell without a value.
   */
  record Tile(String label, int height, int width, boolean rgb, float[] unit) {}

  /** A finished picture and where its tiles are. */
  public record Picture(BufferedImage image, Layout layout) {}

  /**
   * The geometry of a picture: a header of text lines, then the tiles row by row, each under a
   * label area, each magnified by {@code zoom} and framed.
   */
  public record Layout(int tiles, int columns, int height, int width, int zoom, int headerLines) {
    static final int MARGIN = 12;
    static final int GAP = 10;
    static final int LINE = 16;
    static final int LABEL = 30;
    static final int MIN_WIDTH = 560;
    /** Small images are magnified until a tile is at least this many pixels across. */
    static final int MIN_TILE = 96;

    public static Layout of(int tiles, int columns, int height, int width, int headerLines) {
      int zoom = Math.max(1, -Math.floorDiv(-MIN_TILE, Math.max(height, width)));
      return new Layout(tiles, Math.min(columns, tiles), height, width, zoom, headerLines);
    }

    int rows() {
      return -Math.floorDiv(-tiles, columns);
    }

    int tileWidth() {
      return width * zoom;
    }

    int tileHeight() {
      return height * zoom;
    }

    int headerHeight() {
      return MARGIN + headerLines * LINE + GAP;
    }

    int imageWidth() {
      return Math.max(MIN_WIDTH, 2 * MARGIN + columns * tileWidth() + (columns - 1) * GAP);
    }

    int imageHeight() {
      return headerHeight() + rows() * (LABEL + tileHeight()) + (rows() - 1) * GAP + MARGIN;
    }

    /** Tile {@code i}'s pixels (inside its frame); may be an empty cell past the last tile. */
    Rectangle tile(int i) {
      int x = MARGIN + (i % columns) * (tileWidth() + GAP);
      int y = headerHeight() + (i / columns) * (LABEL + tileHeight() + GAP) + LABEL;
      return new Rectangle(x, y, tileWidth(), tileHeight());
    }
  }

  /** Columns for {@code n} tiles: all in one row up to 8, else a near-square grid. */
  static int columnsFor(int n) {
    return n <= 8 ? n : (int) Math.ceil(Math.sqrt(n));
  }

  /** An input image: gray, or RGB with 3 channels; [0, 1] as it is, other ranges stretched. */
  public static Picture image(float[] pixels, TensorShape shape, List<String> header) {
    boolean rgb = shape.channels() == 3;
    if (shape.flat() || (shape.channels() != 1 && !rgb)) {
      return activations(pixels, shape, header, Scale.COMMON);
    }
    Range range = Range.of(pixels, 0, pixels.length);
    if (range.lo() >= 0 && range.hi() <= 1) {
      range = new Range(0, 1);
    }
    List<String> lines = new ArrayList<>(header);
    lines.add(shape + (rgb ? ", RGB" : "") + "; scale: " + range.describe(rgb ? "0" : "black", rgb ? "full" : "white"));
    Tile tile = new Tile(shape.toString(), shape.height(), shape.width(), rgb, range.map(pixels));
    return render(lines, List.of(tile), 1);
  }

  /**
   * A layer's output: one tile per channel of a spatial shape ({@code #c}), or one tile for a
   * vector, its units row by row in a near-square grid.
   */
  public static Picture activations(float[] values, TensorShape shape, List<String> header, Scale scale) {
    List<String> lines = new ArrayList<>(header);
    if (shape.flat()) {
      int n = shape.size();
      int columns = (int) Math.ceil(Math.sqrt(n));
      int rows = -Math.floorDiv(-n, columns);
      Range range = Range.of(values, 0, n);
      float[] unit = new float[rows * columns];
      java.util.Arrays.fill(unit, Float.NaN);
      System.arraycopy(range.map(values), 0, unit, 0, n);
      lines.add(
          n + " units, row by row, " + columns + " per row; scale: " + range.describe("black", "white"));
      int empty = rows * columns - n;
      String label = "units 0.." + (n - 1) + (empty == 0 ? "" : "\nthe last " + (empty == 1 ? "cell (tan) is" : empty + " cells (tan) are") + " empty");
      return render(lines, List.of(new Tile(label, rows, columns, false, unit)), 1);
    }
    int h = shape.height();
    int w = shape.width();
    int channels = shape.channels();
    float[][] planes = new float[channels][h * w];
    for (int i = 0; i < h * w; i++) {
      for (int c = 0; c < channels; c++) {
        planes[c][i] = values[i * channels + c];
      }
    }
    Range common = Range.of(values, 0, values.length);
    lines.add(
        scale == Scale.COMMON
            ? "scale: common, " + common.describe("black", "white")
            : "scale: per tile, black = the tile's minimum, white = its maximum (under each #)");
    List<Tile> tiles = new ArrayList<>();
    for (int c = 0; c < channels; c++) {
      Range range = scale == Scale.COMMON ? common : Range.of(planes[c], 0, planes[c].length);
      String label = "#" + c + (scale == Scale.TILE ? "\n" + range.span() : "");
      tiles.add(new Tile(label, h, w, false, range.map(planes[c])));
    }
    return render(lines, tiles, columnsFor(channels));
  }

  /**
   * A convolution's kernels (HWIO {@code [kh, kw, in, out]}): one RGB tile per filter when
   * {@code rgb} (the first layer of an RGB network), one gray tile per filter for a single input
   * channel, otherwise one row per filter with a tile per input channel. Gray is symmetric around
   * zero: mid-gray is 0.
   */
  public static Picture filters(Layer layer, float[] weights, boolean rgb, List<String> header, Scale scale) {
    int[] hwio = layer.weightShape();
    if (hwio.length != 4) {
      throw new IllegalArgumentException(layer.name() + " is not a convolution: weights " + java.util.Arrays.toString(hwio));
    }
    int kh = hwio[0];
    int kw = hwio[1];
    int in = hwio[2];
    int out = hwio[3];
    boolean colour = rgb && in == 3;
    List<String> lines = new ArrayList<>(header);
    lines.add(
        colour
            ? out + " filters " + kh + "x" + kw + "x3 in RGB, one tile each"
            : in == 1
                ? out + " filters " + kh + "x" + kw + ", one tile each"
                : out + " filters x " + in + " input channels: a row per filter, tile f/c = filter f, channel c");
    Range all = Range.of(weights, 0, weights.length);
    lines.add(
        "scale: "
            + (scale == Scale.TILE
                ? "per tile, " + (colour ? "its minimum to its maximum" : "mid-gray = 0, black/white = -/+ its largest |w|")
                : colour
                    ? "common, " + all.describe("0", "full")
                    : "common, mid-gray = 0, " + all.symmetric().describe("black", "white")));
    List<Tile> tiles = new ArrayList<>();
    for (int f = 0; f < out; f++) {
      if (colour) {
        float[] rgbValues = new float[kh * kw * 3];
        for (int tap = 0; tap < kh * kw; tap++) {
          for (int c = 0; c < 3; c++) {
            rgbValues[tap * 3 + c] = weights[(tap * 3 + c) * out + f];
          }
        }
        Range range = scale == Scale.TILE ? Range.of(rgbValues, 0, rgbValues.length) : all;
        tiles.add(new Tile("#" + f, kh, kw, true, range.map(rgbValues)));
        continue;
      }
      for (int c = 0; c < in; c++) {
        float[] plane = new float[kh * kw];
        for (int tap = 0; tap < kh * kw; tap++) {
          plane[tap] = weights[(tap * in + c) * out + f];
        }
        Range range = (scale == Scale.TILE ? Range.of(plane, 0, plane.length) : all).symmetric();
        tiles.add(new Tile(in == 1 ? "#" + f : f + "/" + c, kh, kw, false, range.map(plane)));
      }
    }
    return render(lines, tiles, colour || in == 1 ? columnsFor(out) : in);
  }

  /** Draws the header, then each tile magnified under its label, in a frame. */
  static Picture render(List<String> header, List<Tile> tiles, int columns) {
    Tile first = tiles.get(0);
    Layout layout = Layout.of(tiles.size(), columns, first.height(), first.width(), header.size());
    BufferedImage image =
        new BufferedImage(layout.imageWidth(), layout.imageHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(BACKGROUND);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      g.setColor(TEXT);
      g.setFont(HEADER_FONT);
      for (int i = 0; i < header.size(); i++) {
        g.drawString(header.get(i), Layout.MARGIN, Layout.MARGIN + (i + 1) * Layout.LINE - 4);
      }
      g.setFont(LABEL_FONT);
      for (int i = 0; i < tiles.size(); i++) {
        Tile tile = tiles.get(i);
        Rectangle r = layout.tile(i);
        g.setColor(TEXT);
        String[] label = tile.label().split("\n");
        for (int l = 0; l < label.length; l++) {
          g.drawString(label[l], r.x, r.y - Layout.LABEL + 12 + l * 13);
        }
        g.setColor(FRAME);
        g.drawRect(r.x - 1, r.y - 1, r.width + 1, r.height + 1);
        draw(image, tile, r, layout.zoom());
      }
    } finally {
      g.dispose();
    }
    return new Picture(image, layout);
  }

  private static void draw(BufferedImage image, Tile tile, Rectangle r, int zoom) {
    int channels = tile.rgb() ? 3 : 1;
    for (int y = 0; y < tile.height(); y++) {
      for (int x = 0; x < tile.width(); x++) {
        int i = (y * tile.width() + x) * channels;
        int rgb;
        if (Float.isNaN(tile.unit()[i])) {
          rgb = EMPTY.getRGB();
        } else if (tile.rgb()) {
          rgb = level(tile.unit()[i]) << 16 | level(tile.unit()[i + 1]) << 8 | level(tile.unit()[i + 2]);
        } else {
          int v = level(tile.unit()[i]);
          rgb = v << 16 | v << 8 | v;
        }
        for (int dy = 0; dy < zoom; dy++) {
          for (int dx = 0; dx < zoom; dx++) {
            image.setRGB(r.x + x * zoom + dx, r.y + y * zoom + dy, rgb);
          }
        }
      }
    }
  }

  private static int level(float unit) {
    return Math.max(0, Math.min(255, Math.round(unit * 255)));
  }

  /** Writes a PNG, creating its directory; replaces the file only once it is complete. */
  public static Path write(BufferedImage image, Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    AtomicFiles.write(
        file,
        "picture",
        channel -> {
          if (!ImageIO.write(image, "png", java.nio.channels.Channels.newOutputStream(channel))) {
            throw new IOException("no PNG writer in this JDK");
          }
        });
    return file;
  }

  /** A value range mapped to [0, 1]; a constant range maps everything to 0. */
  record Range(float lo, float hi) {
    static Range of(float[] values, int from, int to) {
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int i = from; i < to; i++) {
        lo = Math.min(lo, values[i]);
        hi = Math.max(hi, values[i]);
      }
      return from == to ? new Range(0, 0) : new Range(lo, hi);
    }

    /** The range {@code [-m, m]} with {@code m} the largest magnitude, so that 0 is the middle. */
    Range symmetric() {
      float m = Math.max(Math.abs(lo), Math.abs(hi));
      return new Range(-m, m);
    }

    float[] map(float[] values) {
      float[] unit = new float[values.length];
      float span = hi - lo;
      for (int i = 0; i < values.length; i++) {
        unit[i] = span > 0 ? (values[i] - lo) / span : 0;
      }
      return unit;
    }

    String span() {
      return hi > lo ? number(lo) + " .. " + number(hi) : "all " + number(lo);
    }

    String describe(String low, String high) {
      return hi > lo ? low + " = " + number(lo) + ", " + high + " = " + number(hi) : "every value " + number(lo);
    }
  }

  static String number(float v) {
    return v == 0 ? "0" : String.format(Locale.ROOT, "%.3g", v);
  }
}
