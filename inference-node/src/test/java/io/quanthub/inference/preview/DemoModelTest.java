package io.quanthub.inference.preview;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quanthub.gguf.convert.Converter;
import io.quanthub.gguf.convert.QuantLevel;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.pipeline.Conditioning;
import io.quanthub.inference.pipeline.FluxPipeline;
import io.quanthub.inference.pipeline.GenerationParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo model is a working Flux model whose quant levels render measurably different previews. */
class DemoModelTest {
    @TempDir
    Path dir;

    @Test
    void sameSeedWritesTheSameBytes() throws Exception {
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        DemoModel.write(a, 7);
        DemoModel.write(b, 7);
        for (String file : DemoModel.write(b, 7)) {
            assertArrayEquals(Files.readAllBytes(a.resolve(file)), Files.readAllBytes(b.resolve(file)), file);
        }
    }

    @Test
    void rendersAPictureAndLowerQuantsDriftFurther() throws Exception {
        DemoModel.write(dir, 42);
        Path source = dir.resolve(DemoModel.MODEL_FILE);
        Conditioning cond = Conditioning.readSafetensors(dir.resolve(DemoModel.conditioningPath("random-a")));
        GenerationParams params = new GenerationParams(1, 4, 64, 48, PreviewRequest.GUIDANCE);

        byte[] reference = render(source, cond, params);
        Set<Integer> colours = new HashSet<>();
        for (int p = 0; p < reference.length; p += 3) {
            colours.add((reference[p] & 0xFF) << 16 | (reference[p + 1] & 0xFF) << 8 | reference[p + 2] & 0xFF);
        }
        assertTrue(colours.size() > 500, "a picture, not a flat image: " + colours.size() + " colours");

        double q8 = psnr(reference, quantized(source, QuantLevel.Q8_0, cond, params), params);
        double q2 = psnr(reference, quantized(source, QuantLevel.Q2_K, cond, params), params);
        assertTrue(Double.isFinite(q8) && q8 > q2, "Q8_0 " + q8 + " dB should beat Q2_K " + q2 + " dB");
        assertEquals(Double.POSITIVE_INFINITY, psnr(reference, render(source, cond, params), params),
                "rendering is deterministic");
    }

    private byte[] quantized(Path source, QuantLevel level, Conditioning cond, GenerationParams params)
            throws Exception {
        Path gguf = dir.resolve("demo-" + level + ".gguf");
        new Converter(2, false).convert(source, level, gguf, Converter.ProgressListener.NONE);
        return render(gguf, cond, params);
    }

    private byte[] render(Path model, Conditioning cond, GenerationParams params) throws Exception {
        try (FluxPipeline p = FluxPipeline.open(model, dir.resolve(DemoModel.VAE_FILE), new CpuBackend())) {
            assertEquals(16, p.pixelMultiple());
            return p.generate(cond, params, io.quanthub.inference.pipeline.StepListener.NONE).image().toRgbBytes();
        }
    }

    private static double psnr(byte[] a, byte[] b, GenerationParams params) {
        return ImageQuality.psnr(params.width(), params.height(), a, b);
    }
}
