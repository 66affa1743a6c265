package io.quanthub.inference.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PngTest {
    @Test
    void bytesFollowTheAuthorsMapping() {
        // One row of 5 pixels; R carries the test values, G and B are 0 (-> 127).
        float[] planes = new float[15];
        float[] red = {-3f, -1f, 0f, 0.999f, 2f};
        System.arraycopy(red, 0, planes, 0, 5);
        byte[] rgb = new Image(5, 1, planes).toRgbBytes();
        // clamp, 127.5 * (x + 1), truncated: 0, 0, 127, 254, 255.
        int[] expected = {0, 0, 127, 254, 255};
        for (int p = 0; p < 5; p++) {
            assertEquals(expected[p], rgb[p * 3] & 0xff, "pixel " + p);
            assertEquals(127, rgb[p * 3 + 1] & 0xff);
        }
    }

    /** A reader that is not ours (ImageIO) decodes the file to the same pixels. */
    @Test
    void imageIoReadsWhatWeWrite(@TempDir Path dir) throws IOException {
        int width = 7;
        int height = 3;
        float[] planes = new float[3 * width * height];
        for (int i = 0; i < planes.length; i++) planes[i] = (float) Math.sin(i * 0.7);
        Image image = new Image(width, height, planes);
        Path file = dir.resolve("image.png");

        Png.write(image, file);

        BufferedImage read = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(file)));
        assertEquals(width, read.getWidth());
        assertEquals(height, read.getHeight());
        byte[] expected = image.toRgbBytes();
        byte[] actual = new byte[expected.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int argb = read.getRGB(x, y);
                int p = (y * width + x) * 3;
                actual[p] = (byte) (argb >> 16);
                actual[p + 1] = (byte) (argb >> 8);
                actual[p + 2] = (byte) argb;
            }
        }
        assertArrayEquals(expected, actual);
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }
}
