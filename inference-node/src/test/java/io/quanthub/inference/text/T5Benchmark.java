package io.quanthub.inference.text;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.GgufWriter;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.gguf.quant.Quants;
import io.quanthub.gguf.tokenizer.UnigramTokenizer;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.model.ModelWeights;
import io.quanthub.inference.pipeline.GaussianNoise;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * T5 encoder time per prompt, ours vs llama.cpp's on the same GGUF and thread count (not a test: timings vary with
 * the machine). Prompts are padded to {@code tokens} as Flux does. Usage:
 * {@code T5Benchmark LIB_DIR OUT_DIR THREADS TOKENS REPEATS [d_model d_ff heads blocks TYPE]}; without the shape it
 * times the shared tiny t5.gguf, with it a random T5 of that shape written to OUT_DIR.
 */
public final class T5Benchmark {
    private T5Benchmark() {
    }

    public static void main(String[] args) throws Throwable {
        Path lib = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int threads = Integer.parseInt(args[2]);
        int tokens = Integer.parseInt(args[3]);
        int repeats = Integer.parseInt(args[4]);
        Path gguf = TextEncodersTiny.DIR.resolve("t5.gguf");
        if (args.length > 5) {
            gguf = synthetic(out.resolve("t5-bench.gguf"), Integer.parseInt(args[5]), Integer.parseInt(args[6]),
                    Integer.parseInt(args[7]), Integer.parseInt(args[8]), GgmlType.valueOf(args[9]));
        }
        System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", Integer.toString(threads));
        int[] ids = UnigramTokenizer.padded(UnigramTokenizer.t5().encode(
                "A close-up portrait of a young woman with freckles and curly auburn hair, standing in a sunlit green"
                        + " field"), tokens, 1, 0);
        try (ModelWeights weights = ModelWeights.open(gguf)) {
            T5Encoder ours = new T5Encoder(weights, new CpuBackend());
            int d = ours.dModel();
            try (LlamaT5 llama = new LlamaT5(lib, gguf, threads, Math.max(tokens, 512), d)) {
                float[] a = ours.encode(ids);
                float[] b = llama.encode(ids);
                double diff = 0;
                for (int i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
                long[] oursMs = new long[repeats];
                long[] llamaMs = new long[repeats];
                for (int r = 0; r < repeats; r++) {
                    long t0 = System.nanoTime();
                    ours.encode(ids);
                    long t1 = System.nanoTime();
                    llama.encode(ids);
                    long t2 = System.nanoTime();
                    oursMs[r] = (t1 - t0) / 1_000_000;
                    llamaMs[r] = (t2 - t1) / 1_000_000;
                }
                Arrays.sort(oursMs);
                Arrays.sort(llamaMs);
                long o = oursMs[repeats / 2];
                long l = llamaMs[repeats / 2];
                System.out.printf(Locale.ROOT, "%s: %d tokens, %d threads, median of %d: ours %d ms, llama.cpp %d ms,"
                                + " ratio %.2f; max |ours - llama.cpp| %.2g%n", gguf.getFileName(), tokens, threads,
                        repeats, o, l, (double) o / Math.max(1, l), diff);
            }
        }
    }

    /** A random T5 encoder GGUF of this shape, with the tiny file's metadata (tokenizer included) otherwise. */
    static Path synthetic(Path target, int dModel, int dFf, int heads, int blocks, GgmlType type) throws Exception {
        try (GgufFile tiny = GgufFile.open(TextEncodersTiny.DIR.resolve("t5.gguf"))) {
            Map<String, GgufValue> metadata = new LinkedHashMap<>(tiny.metadata());
            metadata.put("t5encoder.embedding_length", GgufValue.u32(dModel));
            metadata.put("t5encoder.feed_forward_length", GgufValue.u32(dFf));
            metadata.put("t5encoder.block_count", GgufValue.u32(blocks));
            metadata.put("t5encoder.attention.head_count", GgufValue.u32(heads));
            metadata.put("t5encoder.attention.key_length", GgufValue.u32(dModel / heads));
            metadata.put("t5encoder.attention.value_length", GgufValue.u32(dModel / heads));
            List<TensorSpec> specs = new ArrayList<>();
            List<float[]> values = new ArrayList<>();
            long seed = 1;
            specs.add(TensorSpec.ofTorchShape("token_embd.weight", type, 32128, dModel));
            values.add(GaussianNoise.sample(seed++, 32128 * dModel));
            for (int b = 0; b < blocks; b++) {
                String p = "enc.blk." + b + ".";
                for (String n : List.of("attn_q", "attn_k", "attn_v", "attn_o")) {
                    specs.add(TensorSpec.ofTorchShape(p + n + ".weight", type, dModel, dModel));
                    values.add(scaled(GaussianNoise.sample(seed++, dModel * dModel), dModel));
                }
                if (b == 0) {
                    specs.add(TensorSpec.ofTorchShape(p + "attn_rel_b.weight", GgmlType.F32, 32, heads));
                    values.add(GaussianNoise.sample(seed++, 32 * heads));
                }
                specs.add(TensorSpec.ofTorchShape(p + "attn_norm.weight", GgmlType.F32, dModel));
                values.add(ones(dModel));
                specs.add(TensorSpec.ofTorchShape(p + "ffn_gate.weight", type, dFf, dModel));
                values.add(scaled(GaussianNoise.sample(seed++, dFf * dModel), dModel));
                specs.add(TensorSpec.ofTorchShape(p + "ffn_up.weight", type, dFf, dModel));
                values.add(scaled(GaussianNoise.sample(seed++, dFf * dModel), dModel));
                specs.add(TensorSpec.ofTorchShape(p + "ffn_down.weight", type, dModel, dFf));
                values.add(scaled(GaussianNoise.sample(seed++, dModel * dFf), dFf));
                specs.add(TensorSpec.ofTorchShape(p + "ffn_norm.weight", GgmlType.F32, dModel));
                values.add(ones(dModel));
            }
            specs.add(TensorSpec.ofTorchShape("enc.output_norm.weight", GgmlType.F32, dModel));
            values.add(ones(dModel));
            try (GgufWriter w = GgufWriter.create(target, metadata, specs)) {
                for (int i = 0; i < specs.size(); i++) {
                    TensorSpec s = specs.get(i);
                    long[] dims = s.dims();
                    int cols = (int) dims[0];
                    int rows = values.get(i).length / cols;
                    byte[] bytes = new byte[Math.toIntExact(rows * s.type().rowBytes(cols))];
                    Quants.of(s.type()).quantize(values.get(i), 0, bytes, 0, rows, cols, null);
                    w.writeTensorData(bytes);
                }
            }
        }
        return target;
    }

    private static float[] scaled(float[] v, int fanIn) {
        float s = (float) (1 / Math.sqrt(fanIn));
        for (int i = 0; i < v.length; i++) v[i] *= s;
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }
}
