package io.quanthub.inference.pipeline;

/**
 * An RGB image as the VAE produces it: three planes of floats, nominally in [-1, 1] but not clamped.
 *
 * @param planes [3 x height x width]: all of R, then G, then B, rows top to bottom
 */
public record Image(int width, int height, float[] planes) {
    public Image {
        if ((long) width * height * 3 != planes.length) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs " + 3L * width * height
                    + " values, got " + planes.length);
        }
    }

    /**
     * Interleaved 8-bit RGB, rows top to bottom, exactly as BFL's {@code cli.py} makes them: clamp to [-1, 1], then
     * {@code 127.5 * (x + 1)} truncated toward zero (torch's {@code .byte()}).
     */
    public byte[] toRgbBytes() {
        int pixels = width * height;
        byte[] rgb = new byte[pixels * 3];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < pixels; p++) {
                float x = Math.clamp(planes[c * pixels + p], -1f, 1f);
                rgb[p * 3 + c] = (byte) (int) (127.5f * (x + 1f));
            }
        }
        return rgb;
    }
}
