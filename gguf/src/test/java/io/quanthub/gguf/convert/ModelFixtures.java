package io.quanthub.gguf.convert;

import io.quanthub.gguf.json.Json;
import io.quanthub.gguf.model.SourceTensor;
import io.quanthub.gguf.quant.Numerics;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsTestFiles;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Synthetic diffusion models for converter tests: tensor lists shaped like real architectures, deterministic values,
 * and safetensors files written from them (small ones through {@link SafetensorsTestFiles}, large ones streamed).
 */
final class ModelFixtures {
    private ModelFixtures() {
    }

    /** A tensor to put in a model: name, dtype and PyTorch shape. */
    record Spec(String name, Dtype dtype, long... shape) {
        long elementCount() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape);
        }
    }

    /**
     * A tensor known only by name, shape and dtype, for the planning rules (which never read data). Reading it is an
     * error.
     */
    record Meta(String name, Dtype dtype, long[] shape) implements SourceTensor {
        static Meta of(Spec s) {
            return new Meta(s.name(), s.dtype(), s.shape());
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public void readFloats(long firstElement, float[] dst, int dstOff, int count) {
            throw new UnsupportedOperationException("planning-only tensor " + name);
        }
    }

    static List<SourceTensor> meta(List<Spec> specs) {
        return specs.stream().<SourceTensor>map(Meta::of).toList();
    }

    /**
     * Deterministic weights: per-row scales vary (so blocks get different scales), values are a cheap hash of the
     * index (splitmix64) mapped to roughly [-1, 1) times the scale.
     */
    static float value(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        float unit = ((z >>> 40) - (1 << 23)) * 0x1p-23f;
        float scale = 0.02f * (1 + ((index >>> 9) & 7));
        return unit * scale;
    }

    /** The values of one tensor, as they would be before storing in its dtype. */
    static float[] values(long seed, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = value(seed, i);
        return v;
    }

    /** Encodes floats in a safetensors dtype (F32, F16, BF16), little-endian, with ggml's rounding. */
    static void encode(Dtype dtype, float[] v, int off, int n, ByteBuffer out) {
        out.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = off; i < off + n; i++) {
            switch (dtype) {
                case F32 -> out.putFloat(v[i]);
                case F16 -> out.putShort(Numerics.fp32ToFp16(v[i]));
                case BF16 -> out.putShort(Numerics.fp32ToBf16(v[i]));
                default -> throw new IllegalArgumentException("cannot encode " + dtype);
            }
        }
    }

    /** A small model file; tensor {@code i} gets {@code values(seed + i, ...)}. */
    static Path write(Path file, List<Spec> specs, long seed) throws IOException {
        SafetensorsTestFiles f = new SafetensorsTestFiles();
        for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            int n = Math.toIntExact(s.elementCount());
            ByteBuffer bytes = ByteBuffer.allocate(n * s.dtype().bytes);
            encode(s.dtype(), values(seed + i, n), 0, n, bytes);
            f.tensor(s.name(), s.dtype().name(), s.shape(), bytes.array());
        }
        return f.write(file);
    }

    /** A model file of any size, streamed to disk (same values as {@link #write}). */
    static Path writeStreaming(Path file, List<Spec> specs, long seed) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (Spec s : specs) {
            long bytes = s.elementCount() * s.dtype().bytes;
            List<Object> shape = new ArrayList<>();
            for (long d : s.shape()) shape.add(d);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", s.dtype().name());
            entry.put("shape", shape);
            entry.put("data_offsets", List.of(offset, offset + bytes));
            header.put(s.name(), entry);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) head.put((byte) ' ');
            out.write(head.array());
            int chunk = 1 << 20;
            float[] v = new float[chunk];
            ByteBuffer buf = ByteBuffer.allocate(chunk * 4);
            for (int i = 0; i < specs.size(); i++) {
                Spec s = specs.get(i);
                long n = s.elementCount();
                for (long first = 0; first < n; first += chunk) {
                    int count = (int) Math.min(chunk, n - first);
                    for (int j = 0; j < count; j++) v[j] = value(seed + i, first + j);
                    buf.clear();
                    encode(s.dtype(), v, 0, count, buf);
                    out.write(buf.array(), 0, buf.position());
                }
            }
        }
        return file;
    }

    /**
     * Flux's tensor names and shapes (black-forest-labs reference layout) at hidden size {@code h}: embedders, double
     * blocks with fused QKV, single blocks, the final layer. Text context width and vector width are {@code h} too.
     */
    static List<Spec> flux(int h, int doubleBlocks, int singleBlocks, Dtype dtype) {
        List<Spec> s = new ArrayList<>();
        linear(s, "img_in", h, 64, dtype);
        linear(s, "time_in.in_layer", h, 256, dtype);
        linear(s, "time_in.out_layer", h, h, dtype);
        linear(s, "vector_in.in_layer", h, h, dtype);
        linear(s, "vector_in.out_layer", h, h, dtype);
        linear(s, "guidance_in.in_layer", h, 256, dtype);
        linear(s, "guidance_in.out_layer", h, h, dtype);
        linear(s, "txt_in", h, h, dtype);
        int headDim = 128;
        for (int i = 0; i < doubleBlocks; i++) {
            for (String stream : List.of("img", "txt")) {
                String p = "double_blocks." + i + "." + stream;
                linear(s, p + "_mod.lin", 6 * h, h, dtype);
                linear(s, p + "_attn.qkv", 3 * h, h, dtype);
                s.add(new Spec(p + "_attn.norm.query_norm.scale", dtype, headDim));
                s.add(new Spec(p + "_attn.norm.key_norm.scale", dtype, headDim));
                linear(s, p + "_attn.proj", h, h, dtype);
                linear(s, p + "_mlp.0", 4 * h, h, dtype);
                linear(s, p + "_mlp.2", h, 4 * h, dtype);
            }
        }
        for (int i = 0; i < singleBlocks; i++) {
            String p = "single_blocks." + i;
            linear(s, p + ".linear1", 7 * h, h, dtype);
            linear(s, p + ".linear2", h, 5 * h, dtype);
            s.add(new Spec(p + ".norm.query_norm.scale", dtype, headDim));
            s.add(new Spec(p + ".norm.key_norm.scale", dtype, headDim));
            linear(s, p + ".modulation.lin", 3 * h, h, dtype);
        }
        linear(s, "final_layer.linear", 64, h, dtype);
        linear(s, "final_layer.adaLN_modulation.1", 2 * h, h, dtype);
        return s;
    }

    /** A Linear layer: weight [out, in] and bias [out]. */
    static void linear(List<Spec> s, String prefix, long out, long in, Dtype dtype) {
        s.add(new Spec(prefix + ".weight", dtype, out, in));
        s.add(new Spec(prefix + ".bias", dtype, out));
    }

    /** Elements of a model. */
    static long elementCount(List<Spec> specs) {
        return specs.stream().mapToLong(Spec::elementCount).sum();
    }
}
