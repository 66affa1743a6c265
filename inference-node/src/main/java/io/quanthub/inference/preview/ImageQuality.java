package io.quanthub.inference.preview;

/**
 * How close a quant's preview is to the reference preview of the same seed and conditioning, both 8-bit RGB images
 * of the same size (interleaved {@code r, g, b} bytes, row-major).
 *
 * <ul>
 *   <li><b>PSNR</b> over all three channels: {@code 10 log10(255^2 / MSE)} dB, where MSE is the mean of the squared
 *       differences of every channel of every pixel. Identical images give {@code +Infinity}.</li>
 *   <li><b>SSIM</b> as Wang, Bovik, Sheikh and Simoncelli (2004) define it and their reference {@code ssim.m}
 *       computes it, on <b>8-bit luma</b> (ITU-R BT.601: {@code Y = 0.299 R + 0.587 G + 0.114 B}, not rounded):
 *       an 11x11 Gaussian window with sigma 1.5 (normalized to sum 1), {@code K1 = 0.01}, {@code K2 = 0.03},
 *       dynamic range {@code L = 255}, local statistics with population (biased) variance, and the mean of the SSIM
 *       map over the "valid" positions only (windows that lie wholly inside the image), so the result is
 *       {@code skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 *       data_range=255)} up to its border handling. Identical images give exactly 1.</li>
 * </ul>
 */
public final class ImageQuality {
    static final int WINDOW = 11;
    static final double SIGMA = 1.5;
    static final double K1 = 0.01;
    static final double K2 = 0.03;
    static final double L = 255;
    private static final double C1 = (K1 * L) * (K1 * L);
    private static final double C2 = (K2 * L) * (K2 * L);
    private static final double[] GAUSSIAN = gaussian(WINDOW, SIGMA);

    /** PSNR in dB and SSIM of one image against a reference. */
    public record Comparison(double psnr, double ssim) {}

    private ImageQuality() {
    }

    public static Comparison compare(int width, int height, byte[] rgb, byte[] referenceRgb) {
        return new Comparison(psnr(width, height, rgb, referenceRgb), ssim(width, height, rgb, referenceRgb));
    }

    /** Peak signal-to-noise ratio in dB over every channel; {@code +Infinity} for identical images. */
    public static double psnr(int width, int height, byte[] a, byte[] b) {
        checkSizes(width, height, a, b);
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            int d = (a[i] & 0xFF) - (b[i] & 0xFF);
            sum += d * d;
        }
        double mse = sum / a.length;
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(L * L / mse);
    }

    /** Mean SSIM of the luma of two images (see the class comment for the exact definition). */
    public static double ssim(int width, int height, byte[] a, byte[] b) {
        checkSizes(width, height, a, b);
        if (width < WINDOW || height < WINDOW) {
            throw new IllegalArgumentException("SSIM needs images of at least " + WINDOW + "x" + WINDOW + " pixels, not "
                    + width + "x" + height);
        }
        double[] x = luma(width, height, a);
        double[] y = luma(width, height, b);
        double[] xx = new double[x.length];
        double[] yy = new double[x.length];
        double[] xy = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        int outW = width - WINDOW + 1;
        int outH = height - WINDOW + 1;
        double[] muX = filterValid(x, width, height);
        double[] muY = filterValid(y, width, height);
        double[] eXX = filterValid(xx, width, height);
        double[] eYY = filterValid(yy, width, height);
        double[] eXY = filterValid(xy, width, height);
        double total = 0;
        for (int i = 0; i < outW * outH; i++) {
            double mx = muX[i];
            double my = muY[i];
            double varX = eXX[i] - mx * mx;
            double varY = eYY[i] - my * my;
            double cov = eXY[i] - mx * my;
            total += ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (varX + varY + C2));
        }
        return total / (outW * outH);
    }

    /** BT.601 luma of every pixel, in 0..255. */
    static double[] luma(int width, int height, byte[] rgb) {
        double[] y = new double[width * height];
        for (int p = 0; p < y.length; p++) {
            y[p] = 0.299 * (rgb[3 * p] & 0xFF) + 0.587 * (rgb[3 * p + 1] & 0xFF) + 0.114 * (rgb[3 * p + 2] & 0xFF);
        }
        return y;
    }

    /**
     * The Gaussian-weighted mean of every full 11x11 window ({@code filter2(w, v, 'valid')}): the window is separable,
     * so rows are filtered first, then columns.
     */
    private static double[] filterValid(double[] v, int width, int height) {
        int outW = width - WINDOW + 1;
        int outH = height - WINDOW + 1;
        double[] rows = new double[outW * height];
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < outW; c++) {
                double s = 0;
                for (int k = 0; k < WINDOW; k++) s += GAUSSIAN[k] * v[r * width + c + k];
                rows[r * outW + c] = s;
            }
        }
        double[] out = new double[outW * outH];
        for (int r = 0; r < outH; r++) {
            for (int c = 0; c < outW; c++) {
                double s = 0;
                for (int k = 0; k < WINDOW; k++) s += GAUSSIAN[k] * rows[(r + k) * outW + c];
                out[r * outW + c] = s;
            }
        }
        return out;
    }

    /** A 1-D Gaussian of {@code size} taps, normalized to sum 1 (its outer product is MATLAB's fspecial kernel). */
    static double[] gaussian(int size, double sigma) {
        double[] g = new double[size];
        double sum = 0;
        int half = size / 2;
        for (int i = 0; i < size; i++) {
            double d = i - half;
            g[i] = Math.exp(-d * d / (2 * sigma * sigma));
            sum += g[i];
        }
        for (int i = 0; i < size; i++) g[i] /= sum;
        return g;
    }

    private static void checkSizes(int width, int height, byte[] a, byte[] b) {
        long expected = 3L * width * height;
        if (width <= 0 || height <= 0 || a.length != expected || b.length != expected) {
            throw new IllegalArgumentException("images must both be " + width + "x" + height + " RGB (" + expected
                    + " bytes), got " + a.length + " and " + b.length + " bytes");
        }
    }
}
