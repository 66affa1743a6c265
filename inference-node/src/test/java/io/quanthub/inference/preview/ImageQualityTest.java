package io.quanthub.inference.preview;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageQualityTest {
    private static final int W = 32;
    private static final int H = 24;

    @Test
    void identicalImagesHaveInfinitePsnrAndSsimOne() {
        byte[] a = pattern();
        assertEquals(Double.POSITIVE_INFINITY, ImageQuality.psnr(W, H, a, a.clone()));
        assertEquals(1.0, ImageQuality.ssim(W, H, a, a.clone()), 1e-12);
    }

    @Test
    void psnrOfAUniformErrorIsTheTextbookValue() {
        // Every channel of every pixel off by exactly 5: MSE 25, PSNR = 10 log10(65025 / 25) = 34.1514 dB.
        byte[] a = gray(100);
        byte[] b = gray(105);
        assertEquals(10 * Math.log10(65025.0 / 25), ImageQuality.psnr(W, H, a, b), 1e-12);
        assertEquals(34.1514, ImageQuality.psnr(W, H, a, b), 1e-4);
    }

    @Test
    void ssimOfTwoFlatImagesIsTheLuminanceTermAlone() {
        // Flat images have no variance: SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1) with C1 = (0.01 * 255)^2.
        double c1 = 6.5025;
        double expected = (2 * 100 * 110 + c1) / (100 * 100 + 110 * 110 + c1);
        assertEquals(expected, ImageQuality.ssim(W, H, gray(100), gray(110)), 1e-9);
        assertEquals(0.995477, expected, 1e-6);
    }

    @Test
    void knownNoiseMatchesAnIndependentNumpyComputation() {
        // Values from a direct numpy implementation of Wang et al.'s formula (2-D 11x11 window, 'valid' positions),
        // on the same pattern and the same deterministic noise (see pattern() and noisy()):
        // SSIM 0.9363212203440255, PSNR 31.531674605194603 dB (MSE 45.69965277777778).
        byte[] a = pattern();
        byte[] b = noisy(a);
        assertEquals(31.531674605194603, ImageQuality.psnr(W, H, a, b), 1e-9);
        assertEquals(0.9363212203440255, ImageQuality.ssim(W, H, a, b), 1e-9);
        // Symmetric in its arguments.
        assertEquals(ImageQuality.ssim(W, H, a, b), ImageQuality.ssim(W, H, b, a), 1e-12);
    }

    @Test
    void moreNoiseScoresLower() {
        byte[] a = pattern();
        byte[] little = noisy(a);
        byte[] more = noisy(little);
        assertTrue(ImageQuality.psnr(W, H, a, more) < ImageQuality.psnr(W, H, a, little));
        assertTrue(ImageQuality.ssim(W, H, a, more) < ImageQuality.ssim(W, H, a, little));
    }

    @Test
    void gaussianWindowIsNormalizedAndSymmetric() {
        double[] g = ImageQuality.gaussian(11, 1.5);
        double sum = 0;
        for (double v : g) sum += v;
        assertEquals(1.0, sum, 1e-12);
        for (int i = 0; i < 5; i++) assertEquals(g[i], g[10 - i], 0);
        // exp(-25 / 4.5) relative to the centre.
        assertEquals(Math.exp(-25 / 4.5), g[0] / g[5], 1e-12);
    }

    @Test
    void mismatchedOrTinyImagesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ImageQuality.psnr(W, H, pattern(), new byte[3]));
        byte[] tiny = new byte[3 * 8 * 8];
        assertThrows(IllegalArgumentException.class, () -> ImageQuality.ssim(8, 8, tiny, tiny));
    }

    @Test
    void heatmapIsBlackWhereEqualAndBrightestAtFullScale() {
        byte[] a = gray(100);
        byte[] b = gray(100);
        b[0] = (byte) (100 + DifferenceHeatmap.FULL_SCALE); // pixel 0, red channel only: max over channels
        b[3 * 5 + 2] = (byte) (100 - DifferenceHeatmap.FULL_SCALE / 2); // pixel 5, blue: the middle of the scale
        byte[] map = DifferenceHeatmap.of(W, H, a, b);
        assertArrayEquals(new int[] {252, 255, 164}, rgb(map, 0));
        assertArrayEquals(new int[] {188, 55, 84}, rgb(map, 5));
        assertArrayEquals(new int[] {0, 0, 4}, rgb(map, 1));
    }

    private static int[] rgb(byte[] image, int pixel) {
        return new int[] {image[3 * pixel] & 0xFF, image[3 * pixel + 1] & 0xFF, image[3 * pixel + 2] & 0xFF};
    }

    private static byte[] gray(int value) {
        byte[] image = new byte[3 * W * H];
        java.util.Arrays.fill(image, (byte) value);
        return image;
    }

    /** Channels r = (7i + 13j) mod 256, g = (3i + 5j + 40) mod 256, b = (11i + 2j + 90) mod 256 at row i, column j. */
    private static byte[] pattern() {
        byte[] image = new byte[3 * W * H];
        for (int i = 0; i < H; i++) {
            for (int j = 0; j < W; j++) {
                int p = 3 * (i * W + j);
                image[p] = (byte) ((i * 7 + j * 13) % 256);
                image[p + 1] = (byte) ((i * 3 + j * 5 + 40) % 256);
                image[p + 2] = (byte) ((i * 11 + j * 2 + 90) % 256);
            }
        }
        return image;
    }

    /** Adds n, 2n, 3n to r, g, b with n = ((31i + 17j) mod 11) - 5, clamped to 0..255. */
    private static byte[] noisy(byte[] image) {
        byte[] out = new byte[image.length];
        for (int i = 0; i < H; i++) {
            for (int j = 0; j < W; j++) {
                int n = (i * 31 + j * 17) % 11 - 5;
                for (int c = 0; c < 3; c++) {
                    int p = 3 * (i * W + j) + c;
                    out[p] = (byte) Math.clamp((image[p] & 0xFF) + n * (c + 1), 0, 255);
                }
            }
        }
        return out;
    }
}
