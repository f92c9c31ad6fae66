package dev.kiln.samples.pictures;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;

/** Decodes written PNG files and finds what is in them, for the picture tests. */
public final class Png {
  private Png() {}

  public static BufferedImage read(Path file) throws IOException {
    assertTrue(Files.isRegularFile(file), file + " was not written");
    BufferedImage image = ImageIO.read(file.toFile());
    assertNotNull(image, file + " is not a PNG ImageIO can read");
    return image;
  }

  /**
   * The tiles of a {@link LayerPictures} grid, found from their frames alone: a frame's top-left
   * corner is a frame pixel with frame to its right and below and none to its left and above.
   */
  static List<Rectangle> tiles(BufferedImage image) {
    int frame = LayerPictures.FRAME.getRGB();
    List<Rectangle> tiles = new ArrayList<>();
    for (int y = 1; y < image.getHeight() - 1; y++) {
      for (int x = 1; x < image.getWidth() - 1; x++) {
        if (image.getRGB(x, y) == frame
            && image.getRGB(x + 1, y) == frame
            && image.getRGB(x, y + 1) == frame
            && image.getRGB(x - 1, y) != frame
            && image.getRGB(x, y - 1) != frame) {
          int right = x;
          while (right + 1 < image.getWidth() && image.getRGB(right + 1, y) == frame) {
            right++;
          }
          int bottom = y;
          while (bottom + 1 < image.getHeight() && image.getRGB(x, bottom + 1) == frame) {
            bottom++;
          }
          tiles.add(new Rectangle(x + 1, y + 1, right - x - 1, bottom - y - 1));
        }
      }
    }
    return tiles;
  }

  static int distinctColours(BufferedImage image, Rectangle r) {
    Set<Integer> colours = new HashSet<>();
    for (int y = r.y; y < r.y + r.height; y++) {
      for (int x = r.x; x < r.x + r.width; x++) {
        colours.add(image.getRGB(x, y));
      }
    }
    return colours.size();
  }

  /** Checks a grid picture against its layout: size, tile count, and frames where the layout says. */
  public static List<Rectangle> assertGrid(Path file, LayerPictures.Layout layout) throws IOException {
    BufferedImage image = read(file);
    assertEquals(layout.imageWidth(), image.getWidth(), file + " width");
    assertEquals(layout.imageHeight(), image.getHeight(), file + " height");
    List<Rectangle> tiles = tiles(image);
    assertEquals(layout.tiles(), tiles.size(), file + " tiles");
    for (int i = 0; i < tiles.size(); i++) {
      assertEquals(layout.tile(i), tiles.get(i), file + " tile " + i);
    }
    return tiles;
  }

  /** Not blank: the picture has text and tiles, and at least {@code varied} tiles are not flat. */
  public static void assertNotBlank(Path file, int varied) throws IOException {
    BufferedImage image = read(file);
    Rectangle whole = new Rectangle(0, 0, image.getWidth(), image.getHeight());
    assertTrue(distinctColours(image, whole) > 8, file + " is nearly blank");
    int notFlat = 0;
    for (Rectangle tile : tiles(image)) {
      notFlat += distinctColours(image, tile) > 1 ? 1 : 0;
    }
    assertTrue(notFlat >= varied, file + ": only " + notFlat + " tiles show more than one value");
  }
}
