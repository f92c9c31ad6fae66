package dev.kiln.samples.pictures;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Layer;
import dev.kiln.runtime.TensorShape;
import dev.kiln.samples.networks.AlexNetFirstLayerModel;
import dev.kiln.samples.networks.LeNet5Model;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Grids of tiles as PNG: sizes, tile counts and contents, decoded from the written files. */
class LayerPicturesTest {
  @TempDir Path dir;

  static float[] random(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextDouble();
    }
    return v;
  }

  @Test
  void layoutMagnifiesSmallImagesAndWrapsLongRows() {
    LayerPictures.Layout c1 = LayerPictures.Layout.of(6, LayerPictures.columnsFor(6), 28, 28, 3);
    assertEquals(4, c1.zoom());
    assertEquals(112, c1.tileWidth());
    assertEquals(1, c1.rows());
    assertEquals(12 + 6 * 112 + 5 * 10 + 12, c1.imageWidth());
    assertEquals(12 + 3 * 16 + 10 + 30 + 112 + 12, c1.imageHeight());
    LayerPictures.Layout c3 = LayerPictures.Layout.of(16, LayerPictures.columnsFor(16), 10, 10, 3);
    assertEquals(4, c3.columns());
    assertEquals(4, c3.rows());
    assertEquals(LayerPictures.Layout.MIN_WIDTH, c3.imageWidth(), "narrow grids keep room for the text");
    assertEquals(new Rectangle(12 + 100 + 10, 12 + 48 + 10 + (30 + 100 + 10) + 30, 100, 100), c3.tile(5));
    assertEquals(1, LayerPictures.Layout.of(1, 1, 227, 227, 2).zoom());
  }

  @Test
  void activationMapsHaveOneTilePerChannel() throws Exception {
    TensorShape shape = TensorShape.of(10, 10, 16);
    float[] values = random(shape.size(), 1);
    for (int i = 0; i < 100; i++) {
      values[i * 16 + 3] = 0; // a dead channel: flat, still a tile
    }
    for (LayerPictures.Scale scale : LayerPictures.Scale.values()) {
      LayerPictures.Picture p = LayerPictures.activations(values, shape, List.of("c3: test", "input"), scale);
      Path file = LayerPictures.write(p.image(), dir.resolve("c3-" + scale + ".png"));
      List<Rectangle> tiles = Png.assertGrid(file, LayerPictures.Layout.of(16, 4, 10, 10, 3));
      Png.assertNotBlank(file, 15);
      BufferedImage image = Png.read(file);
      assertEquals(1, Png.distinctColours(image, tiles.get(3)), "the dead channel is flat");
      assertEquals(0xff000000, image.getRGB(tiles.get(3).x, tiles.get(3).y), "and black");
    }
  }

  @Test
  void perTileScaleStretchesEachChannelAndCommonScaleDoesNot() throws Exception {
    TensorShape shape = TensorShape.of(2, 2, 2);
    // Channel 0 holds 0..3, channel 1 holds 0..0.3 (NHWC).
    float[] values = {0, 0, 1, 0.1f, 2, 0.2f, 3, 0.3f};
    BufferedImage tile = LayerPictures.activations(values, shape, List.of("t"), LayerPictures.Scale.TILE).image();
    BufferedImage common = LayerPictures.activations(values, shape, List.of("t"), LayerPictures.Scale.COMMON).image();
    LayerPictures.Layout layout = LayerPictures.Layout.of(2, 2, 2, 2, 2);
    Rectangle second = layout.tile(1);
    int lastPixel = second.width - 1;
    // The bottom-right cell of channel 1: white on its own scale, 10% gray on the common one.
    assertEquals(0xffffffff, tile.getRGB(second.x + lastPixel, second.y + lastPixel));
    assertEquals(0xff1a1a1a, common.getRGB(second.x + lastPixel, second.y + lastPixel));
  }

  @Test
  void aVectorIsOneTileOfItsUnits() throws Exception {
    LayerPictures.Picture p = LayerPictures.activations(random(120, 2), TensorShape.vector(120), List.of("c5", "x"), LayerPictures.Scale.TILE);
    Path file = LayerPictures.write(p.image(), dir.resolve("c5.png"));
    // 120 units in rows of 11: an 11x11 tile with one empty cell.
    List<Rectangle> tiles = Png.assertGrid(file, LayerPictures.Layout.of(1, 1, 11, 11, 3));
    Png.assertNotBlank(file, 1);
    Rectangle t = tiles.get(0);
    assertEquals(LayerPictures.EMPTY.getRGB(), Png.read(file).getRGB(t.x + t.width - 1, t.y + t.height - 1));
  }

  @Test
  void grayInputImage() throws Exception {
    LayerPictures.Picture p = LayerPictures.image(random(784, 3), TensorShape.of(28, 28, 1), List.of("test #0"));
    Path file = LayerPictures.write(p.image(), dir.resolve("input.png"));
    Png.assertGrid(file, LayerPictures.Layout.of(1, 1, 28, 28, 2));
    Png.assertNotBlank(file, 1);
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      // The permissions any new file gets (the umask's), not owner-only.
      Path probe = java.nio.file.Files.createFile(dir.resolve("probe"));
      assertEquals(
          java.nio.file.Files.getPosixFilePermissions(probe),
          java.nio.file.Files.getPosixFilePermissions(file));
    }
  }

  @Test
  void firstLayerKernelsOfAnRgbNetworkAreInColour() throws Exception {
    AlexNetFirstLayerModel net = AlexNetFirstLayerModel.create(1);
    // The network's layer fields are package-private to dev.kiln.samples.networks: by name here.
    Layer conv1 = net.layer("conv1");
    LayerPictures.Picture p = LayerPictures.filters(conv1, net.weights(conv1), true, List.of("conv1"), LayerPictures.Scale.COMMON);
    Path file = LayerPictures.write(p.image(), dir.resolve("conv1-filters.png"));
    // 96 filters of 11x11x3, 10 per row, magnified 9 times.
    List<Rectangle> tiles = Png.assertGrid(file, LayerPictures.Layout.of(96, 10, 11, 11, 3));
    assertEquals(99, tiles.get(0).width);
    Png.assertNotBlank(file, 96);
    BufferedImage image = Png.read(file);
    long coloured = 0;
    Rectangle t = tiles.get(0);
    for (int y = t.y; y < t.y + t.height; y++) {
      for (int x = t.x; x < t.x + t.width; x++) {
        int rgb = image.getRGB(x, y);
        coloured += ((rgb >> 16) & 0xff) != (rgb & 0xff) ? 1 : 0;
      }
    }
    assertTrue(coloured > t.width * t.height / 2, "RGB tiles are not gray: " + coloured);

    LayerPictures.Picture input = LayerPictures.image(random(227 * 227 * 3, 4), net.inputShape(), List.of("rgb"));
    Png.assertGrid(LayerPictures.write(input.image(), dir.resolve("rgb.png")), LayerPictures.Layout.of(1, 1, 227, 227, 2));
  }

  @Test
  void laterKernelsAreARowPerFilterAndATilePerInputChannel() throws Exception {
    LeNet5Model net = LeNet5Model.create(1);
    Layer c3 = net.layer("c3");
    LayerPictures.Picture p = LayerPictures.filters(c3, net.weights(c3), false, List.of("c3"), LayerPictures.Scale.TILE);
    Path file = LayerPictures.write(p.image(), dir.resolve("c3-filters.png"));
    Png.assertGrid(file, LayerPictures.Layout.of(16 * 6, 6, 5, 5, 3));
    Png.assertNotBlank(file, 96);
    // The kernel tap (0, 0) of filter 2, input channel 1 is mid-gray at 0 and ordered by sign.
    float[] w = net.weights(c3);
    float tap = w[(0 * 6 + 1) * 16 + 2];
    Rectangle t = LayerPictures.Layout.of(96, 6, 5, 5, 3).tile(2 * 6 + 1);
    int level = Png.read(file).getRGB(t.x, t.y) & 0xff;
    assertTrue(tap > 0 ? level > 128 : level < 128, "tap " + tap + " drawn at level " + level);
  }
}
