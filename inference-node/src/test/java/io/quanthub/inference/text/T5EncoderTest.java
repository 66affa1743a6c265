package io.quanthub.inference.text;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.GgufWriter;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsWriter;
import io.quanthub.gguf.tokenizer.UnigramTokenizer;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.compute.Weight;
import io.quanthub.inference.model.ModelWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.quanthub.inference.text.TextEncodersTiny.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The T5 encoder against ComfyUI's torch T5 (exact F32 math, 1e-4) and llama.cpp's (whose GELU reads an F16 table,
 * 3e-3) on the shared tiny model, unpadded and padded to 512 without a mask, for every prompt and every weight form.
 */
class T5EncoderTest {
    private static final double TORCH_TOLERANCE = 1e-4;
    private static final double LLAMA_TOLERANCE = 3e-3;
    private static List<TextEncodersTiny.Prompt> prompts;
    private static TextEncodersTiny.Reference reference;

    @BeforeAll
    static void load() throws IOException {
        prompts = TextEncodersTiny.prompts();
        reference = TextEncodersTiny.reference("t5_reference.safetensors");
    }

    @Test
    void f32SafetensorsMatchTorchAndLlamaCpp() throws IOException {
        checkAgainstReference(TextEncodersTiny.DIR.resolve("t5.safetensors"));
    }

    @Test
    void f16SafetensorsMatchTorchAndLlamaCpp(@TempDir Path dir) throws IOException {
        checkAgainstReference(TextEncodersTiny.retyped(TextEncodersTiny.DIR.resolve("t5.safetensors"),
                dir.resolve("t5_f16.safetensors"), Dtype.F16));
    }

    @Test
    void f32GgufWithLlamaCppNamesMatchesToo() throws IOException {
        checkAgainstReference(TextEncodersTiny.DIR.resolve("t5.gguf"));
    }

    @Test
    void float8SafetensorsEncodeAsTheirDequantizedValues(@TempDir Path dir) throws IOException {
        Path source = TextEncodersTiny.DIR.resolve("t5.safetensors");
        for (Dtype dtype : List.of(Dtype.F8_E4M3, Dtype.F8_E5M2)) {
            Path fp8 = TextEncodersTiny.retyped(source, dir.resolve(dtype + ".safetensors"), dtype);
            assertSameStates(fp8, TextEncodersTiny.widened(fp8, dir.resolve(dtype + "-f32.safetensors")));
        }
    }

    @Test
    void quantizedGgufEncodesAsItsDequantizedValues(@TempDir Path dir) throws IOException {
        for (GgmlType type : List.of(GgmlType.Q8_0, GgmlType.Q4_0)) {
            Path quantized = quantize(TextEncodersTiny.DIR.resolve("t5.gguf"), dir.resolve(type + ".gguf"), type);
            Path dequantized = dir.resolve(type + "-f32.safetensors");
            try (ModelWeights q = ModelWeights.open(quantized)) {
                assertEquals(type, q.weight("enc.blk.0.attn_q.weight").type());
                SafetensorsWriter out = new SafetensorsWriter();
                for (Weight w : q.tensors().values()) out.addF32(w.name(), w.shape(), w.toFloats());
                out.write(dequantized);
            }
            assertSameStates(quantized, dequantized);
        }
    }

    @Test
    void relativeBucketsFollowHfsFormula() {
        // HF's formula at a few distances (32 buckets, max distance 128): exact below 8, log bins to 15, +16 after.
        assertEquals(0, T5Encoder.bucket(0, 32, 128));
        assertEquals(7, T5Encoder.bucket(-7, 32, 128));
        assertEquals(8, T5Encoder.bucket(-8, 32, 128));
        assertEquals(16 + 1, T5Encoder.bucket(1, 32, 128));
        assertEquals(10, T5Encoder.bucket(-20, 32, 128)); // 8 + floor(8 ln(2.5) / ln(16)) = 8 + 2
        assertEquals(15, T5Encoder.bucket(-1000, 32, 128));
        assertEquals(31, T5Encoder.bucket(1000, 32, 128));
    }

    /** Every 2-D weight of a GGUF quantized to {@code type} with the project's quantizer (norms, bias table F32). */
    static Path quantize(Path source, Path target, GgmlType type) throws IOException {
        try (GgufFile in = GgufFile.open(source); ModelWeights weights = ModelWeights.open(source)) {
            List<TensorSpec> specs = new ArrayList<>();
            List<byte[]> data = new ArrayList<>();
            for (Weight w : weights.tensors().values()) {
                boolean quantize = w.shape().length == 2 && w.cols() % type.blockSize == 0
                        && !w.name().contains("attn_rel_b");
                GgmlType t = quantize ? type : GgmlType.F32;
                float[] values = w.toFloats();
                byte[] bytes = new byte[Math.toIntExact(w.rows() * t.rowBytes(w.cols()))];
                Quants.of(t).quantize(values, 0, bytes, 0, w.rows(), w.cols(), null);
                specs.add(TensorSpec.ofTorchShape(w.name(), t, w.shape()));
                data.add(bytes);
            }
            try (GgufWriter out = GgufWriter.create(target, in.metadata(), specs)) {
                for (byte[] bytes : data) out.writeTensorData(bytes);
            }
        }
        return target;
    }

    private static void assertSameStates(Path model, Path dequantized) throws IOException {
        UnigramTokenizer tokenizer = UnigramTokenizer.t5();
        try (ModelWeights a = ModelWeights.open(model); ModelWeights b = ModelWeights.open(dequantized)) {
            T5Encoder x = new T5Encoder(a, new CpuBackend());
            T5Encoder y = new T5Encoder(b, new CpuBackend());
            for (var p : prompts.subList(0, 5)) {
                int[] ids = tokenizer.encode(p.text());
                float[] states = x.encode(ids);
                assertClose(y.encode(ids), states, 1e-6, model.getFileName() + " " + p.key());
                // Quantization moves the states, but not far from the F32 model's.
                assertClose(reference.state(p.key() + ".hidden.comfy_torch"), states, 1.0,
                        model.getFileName() + " sanity");
            }
        }
    }

    private static void checkAgainstReference(Path model) throws IOException {
        UnigramTokenizer tokenizer;
        if (model.toString().endsWith(".gguf")) {
            try (GgufFile gguf = GgufFile.open(model)) {
                tokenizer = UnigramTokenizer.fromGguf(gguf.metadata());
            }
        } else {
            tokenizer = UnigramTokenizer.t5();
        }
        try (ModelWeights weights = ModelWeights.open(model)) {
            T5Encoder t5 = new T5Encoder(weights, new CpuBackend());
            for (var p : prompts) {
                int[] ids = tokenizer.encode(p.text());
                int[] padded = UnigramTokenizer.padded(ids, 512, 1, 0);
                String what = model.getFileName() + " " + p.key();
                assertArrayEquals(reference.ids().get(p.key() + ".ids"), ids, what);
                float[] states = t5.encode(ids);
                assertClose(reference.state(p.key() + ".hidden.comfy_torch"), states, TORCH_TOLERANCE, what);
                assertClose(reference.state(p.key() + ".hidden.llamacpp"), states, LLAMA_TOLERANCE, what);
                float[] paddedStates = t5.encode(padded);
                assertClose(reference.state(p.key() + ".hidden_pad512.comfy_torch"), paddedStates, TORCH_TOLERANCE,
                        what + " pad512");
                assertClose(reference.state(p.key() + ".hidden_pad512.llamacpp"), paddedStates, LLAMA_TOLERANCE,
                        what + " pad512");
            }
        }
    }
}
