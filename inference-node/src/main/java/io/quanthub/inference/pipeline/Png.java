package io.quanthub.inference.pipeline;

import io.quanthub.inference.io.AtomicFile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

/**
 * A minimal PNG encoder: 8-bit RGB, no interlace, filter 0 (none) on every row, one zlib IDAT chunk. Enough for
 * previews; any PNG reader opens it.
 */
public final class Png {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private Png() {
    }

    /** The PNG file of {@code image}, clamped and scaled to bytes as {@link Image#toRgbBytes()} does. */
    public static byte[] encode(Image image) {
        return encodeRgb(image.width(), image.height(), image.toRgbBytes());
    }

    /** The PNG file of interleaved 8-bit RGB pixels, rows top to bottom. */
    public static byte[] encodeRgb(int width, int height, byte[] rgb) {
        if ((long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException(width + "x" + height + " RGB needs " + 3L * width * height
                    + " bytes, got " + rgb.length);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(SIGNATURE);
        byte[] header = new byte[13];
        putInt(header, 0, width);
        putInt(header, 4, height);
        header[8] = 8;  // bits per sample
        header[9] = 2;  // colour type: truecolour RGB
        chunk(png, "IHDR", header);
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        try (DeflaterOutputStream zlib = new DeflaterOutputStream(pixels)) {
            for (int row = 0; row < height; row++) {
                zlib.write(0);  // filter type: none
                zlib.write(rgb, row * width * 3, width * 3);
            }
        } catch (IOException e) {
            throw new IllegalStateException("deflating into memory failed", e);
        }
        chunk(png, "IDAT", pixels.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    /** Writes {@code image} as PNG to {@code file} through a temporary file renamed into place. */
    public static void write(Image image, Path file) throws IOException {
        AtomicFile.write(file, encode(image));
    }

    /** Length, type, data, CRC-32 over type and data. */
    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        byte[] length = new byte[4];
        putInt(length, 0, data.length);
        out.writeBytes(length);
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        byte[] sum = new byte[4];
        putInt(sum, 0, (int) crc.getValue());
        out.writeBytes(sum);
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
