package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.GgufValueType;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.synthetic.SyntheticTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.quanthub.gguf.GgmlType.BF16;
import static io.quanthub.gguf.GgmlType.F16;
import static io.quanthub.gguf.GgmlType.F32;
import static io.quanthub.gguf.GgmlType.IQ4_NL;
import static io.quanthub.gguf.GgmlType.IQ4_XS;
import static io.quanthub.gguf.GgmlType.Q2_K;
import static io.quanthub.gguf.GgmlType.Q3_K;
import static io.quanthub.gguf.GgmlType.Q4_0;
import static io.quanthub.gguf.GgmlType.Q4_1;
import static io.quanthub.gguf.GgmlType.Q4_K;
import static io.quanthub.gguf.GgmlType.Q5_0;
import static io.quanthub.gguf.GgmlType.Q5_1;
import static io.quanthub.gguf.GgmlType.Q5_K;
import static io.quanthub.gguf.GgmlType.Q6_K;
import static io.quanthub.gguf.GgmlType.Q8_0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-tensor decisions (name, dims, type) of ComfyUI-GGUF's convert.py + patched llama-quantize, table by table.
 * Expected values are worked out by hand from tools/convert.py and tools/lcpp.patch (spec comfyui-gguf-compat.md).
 */
class ConversionPlanTest {

    private static ConversionPlan plan(List<SyntheticTensor> specs, QuantLevel level) {
        return ConversionPlan.of(ModelFixtures.meta(specs), Map.of(), level);
    }

    private static Map<String, TensorPlan> byName(ConversionPlan plan) {
        Map<String, TensorPlan> m = new LinkedHashMap<>();
        for (TensorPlan t : plan.tensors()) m.put(t.name(), t);
        return m;
    }

    /** One expected row: output name, type, stored dims (ggml order). */
    private record Row(String name, GgmlType type, long... dims) {
    }

    private static void assertRows(ConversionPlan plan, Row... rows) {
        Map<String, TensorPlan> m = byName(plan);
        for (Row r : rows) {
            TensorPlan t = m.get(r.name());
            assertNotNull(t, "missing " + r.name());
            assertEquals(r.type(), t.type(), r.name() + ": " + t.reason());
            assertArrayEquals(r.dims(), t.output().dims(), r.name() + " dims " + Arrays.toString(t.output().dims()));
        }
    }

    // ---------------------------------------------------------------- flux

    @Test
    void fluxBf16AtQ4KS() {
        ConversionPlan p = plan(ModelFixtures.flux(3072, 2, 2, Dtype.BF16), QuantLevel.Q4_K_S);
        assertEquals(Architecture.FLUX, p.architecture());
        assertRows(p,
                new Row("img_in.weight", BF16, 64, 3072),                      // never quantized: img_in.
                new Row("img_in.bias", F32, 3072),                             // 1-D of a BF16 source
                new Row("time_in.in_layer.weight", BF16, 256, 3072),           // never: time_in.
                new Row("txt_in.weight", BF16, 3072, 3072),                    // never: txt_in.
                new Row("double_blocks.0.img_attn.qkv.weight", Q4_K, 3072, 9216),
                new Row("double_blocks.0.img_attn.norm.key_norm.scale", F32, 128),
                new Row("double_blocks.1.txt_mlp.2.weight", Q4_K, 12288, 3072),
                new Row("double_blocks.1.txt_mod.lin.weight", Q4_K, 3072, 18432),
                new Row("single_blocks.1.linear2.weight", Q4_K, 15360, 3072),
                new Row("single_blocks.0.modulation.lin.bias", F32, 9216),
                new Row("final_layer.linear.weight", BF16, 3072, 64),          // never: final_layer.
                new Row("final_layer.adaLN_modulation.1.weight", BF16, 3072, 6144));
        assertTrue(byName(p).get("img_in.weight").reason().contains("never quantized for flux ('img_in.')"));
        assertFalse(byName(p).get("img_in.weight").quantizable());
        assertTrue(byName(p).get("single_blocks.1.linear2.weight").quantizable());

        // Byte-wise name order, as llama-quantize writes: "double_blocks.1..." < "final_layer..." < "img_in...".
        List<String> names = p.tensors().stream().map(TensorPlan::name).toList();
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(TensorOrder::compareBytes);
        assertEquals(sorted, names);

        // llama-quantize's KVs: the architecture, then quantization version and file type (re-set, so last).
        assertEquals(List.of("general.architecture", "general.quantization_version", "general.file_type"),
                List.copyOf(p.metadata().keySet()));
        assertEquals(new GgufValue.Str("flux"), p.metadata().get("general.architecture"));
        assertEquals(new GgufValue.U32(2), p.metadata().get("general.quantization_version"));
        assertEquals(new GgufValue.U32(14), p.metadata().get("general.file_type"));
    }

    @Test
    void fluxFusedQkvOverridesOfTheMediumAndLargeLevels() {
        List<SyntheticTensor> flux = ModelFixtures.flux(3072, 1, 1, Dtype.BF16);
        Object[][] table = {
                {QuantLevel.Q3_K_S, Q3_K}, {QuantLevel.Q3_K_M, Q4_K}, {QuantLevel.Q3_K_L, Q4_K},
                {QuantLevel.Q4_K_S, Q4_K}, {QuantLevel.Q4_K_M, Q5_K}, {QuantLevel.Q5_K_S, Q5_K},
                {QuantLevel.Q5_K_M, Q6_K}, {QuantLevel.Q2_K, Q2_K}, {QuantLevel.Q8_0, Q8_0}};
        for (Object[] row : table) {
            ConversionPlan p = plan(flux, (QuantLevel) row[0]);
            assertEquals(row[1], byName(p).get("double_blocks.0.txt_attn.qkv.weight").type(), row[0].toString());
            // Flux's MLP names match no FFN rule and it has no V tensors: everything else is the base type.
            assertEquals(((QuantLevel) row[0]).baseType, byName(p).get("double_blocks.0.img_mlp.2.weight").type());
        }
    }

    // ---------------------------------------------------------------- every level

    /** A flux-detected model with one tensor of every pattern group, rows of 512, plus odd row lengths. */
    private static List<SyntheticTensor> roleModel(Dtype dtype) {
        List<SyntheticTensor> s = new ArrayList<>();
        s.add(new SyntheticTensor("double_blocks.0.img_attn.proj.weight", dtype, 512, 512));   // OTHER (detection key)
        for (int i = 0; i < 6; i++) s.add(new SyntheticTensor("a" + i + ".attn.to_v.weight", dtype, 512, 512)); // V
        s.add(new SyntheticTensor("q.attn.qkv.weight", dtype, 1536, 512));                     // QKV
        s.add(new SyntheticTensor("f.ffn_down.weight", dtype, 512, 512));                      // FFN down
        s.add(new SyntheticTensor("odd320.weight", dtype, 64, 320));                           // 320 % 256 != 0
        s.add(new SyntheticTensor("odd48.weight", dtype, 64, 48));                             // 48 % 32 != 0
        s.add(new SyntheticTensor("q.attn.qkv.bias", dtype, 1536));
        return s;
    }

    @ParameterizedTest
    @EnumSource(QuantLevel.class)
    void everyLevelGivesTheExpectedTypePerPatternGroup(QuantLevel level) {
        // Columns: other, V #0, V #1, V #2, V #4, fused QKV, FFN down, row 320, row 48.
        Map<QuantLevel, GgmlType[]> table = new LinkedHashMap<>();
        table.put(QuantLevel.F32, new GgmlType[] {F32, F32, F32, F32, F32, F32, F32, F32, F32});
        table.put(QuantLevel.F16, new GgmlType[] {F16, F16, F16, F16, F16, F16, F16, F16, F16});
        table.put(QuantLevel.BF16, new GgmlType[] {BF16, BF16, BF16, BF16, BF16, BF16, BF16, BF16, BF16});
        table.put(QuantLevel.Q8_0, new GgmlType[] {Q8_0, Q8_0, Q8_0, Q8_0, Q8_0, Q8_0, Q8_0, Q8_0, F16});
        table.put(QuantLevel.Q6_K, new GgmlType[] {Q6_K, Q6_K, Q6_K, Q6_K, Q6_K, Q6_K, Q6_K, F16, F16});
        table.put(QuantLevel.Q5_K_M, new GgmlType[] {Q5_K, Q6_K, Q6_K, Q6_K, Q6_K, Q6_K, Q6_K, F16, F16});
        table.put(QuantLevel.Q5_K_S, new GgmlType[] {Q5_K, Q5_K, Q5_K, Q5_K, Q5_K, Q5_K, Q5_K, F16, F16});
        table.put(QuantLevel.Q5_1, new GgmlType[] {Q5_1, Q5_1, Q5_1, Q5_1, Q5_1, Q5_1, Q5_1, Q5_1, F16});
        table.put(QuantLevel.Q5_0, new GgmlType[] {Q5_0, Q5_0, Q5_0, Q5_0, Q5_0, Q5_0, Q5_1, Q5_0, F16});
        table.put(QuantLevel.Q4_K_M, new GgmlType[] {Q4_K, Q6_K, Q6_K, Q6_K, Q6_K, Q5_K, Q6_K, F16, F16});
        table.put(QuantLevel.Q4_K_S, new GgmlType[] {Q4_K, Q5_K, Q5_K, Q5_K, Q4_K, Q4_K, Q5_K, F16, F16});
        table.put(QuantLevel.Q4_1, new GgmlType[] {Q4_1, Q4_1, Q4_1, Q4_1, Q4_1, Q4_1, Q4_1, Q4_1, F16});
        table.put(QuantLevel.Q4_0, new GgmlType[] {Q4_0, Q4_0, Q4_0, Q4_0, Q4_0, Q4_0, Q4_1, Q4_0, F16});
        table.put(QuantLevel.Q3_K_L, new GgmlType[] {Q3_K, Q5_K, Q5_K, Q5_K, Q5_K, Q4_K, Q5_K, F16, F16});
        table.put(QuantLevel.Q3_K_M, new GgmlType[] {Q3_K, Q5_K, Q5_K, Q4_K, Q4_K, Q4_K, Q4_K, F16, F16});
        table.put(QuantLevel.Q3_K_S, new GgmlType[] {Q3_K, Q3_K, Q3_K, Q3_K, Q3_K, Q3_K, Q3_K, F16, F16});
        table.put(QuantLevel.Q2_K, new GgmlType[] {Q2_K, Q3_K, Q3_K, Q3_K, Q3_K, Q2_K, Q2_K, F16, F16});
        table.put(QuantLevel.IQ4_NL, new GgmlType[] {IQ4_NL, IQ4_NL, IQ4_NL, IQ4_NL, IQ4_NL, IQ4_NL, IQ4_NL,
                IQ4_NL, F16});
        table.put(QuantLevel.IQ4_XS, new GgmlType[] {IQ4_XS, IQ4_XS, IQ4_XS, IQ4_XS, IQ4_XS, IQ4_XS, IQ4_XS,
                F16, F16});
        assertEquals(QuantLevel.values().length, table.size());

        GgmlType[] expected = table.get(level);
        // An F16 source: no F32 promotion of small tensors, so every level's own type shows.
        Map<String, TensorPlan> m = byName(plan(roleModel(Dtype.F16), level));
        String[] names = {"double_blocks.0.img_attn.proj.weight", "a0.attn.to_v.weight", "a1.attn.to_v.weight",
                "a2.attn.to_v.weight", "a4.attn.to_v.weight", "q.attn.qkv.weight", "f.ffn_down.weight",
                "odd320.weight", "odd48.weight"};
        for (int i = 0; i < names.length; i++) {
            assertEquals(expected[i], m.get(names[i]).type(), level + " " + names[i] + ": " + m.get(names[i]).reason());
        }
        assertEquals(level == QuantLevel.F32 ? F32 : level == QuantLevel.BF16 ? BF16 : F16,
                m.get("q.attn.qkv.bias").type(), "bias of an F16 source");
        if (!level.isUnquantized() && MixtureRules.isKQuant(level.baseType)) {
            assertTrue(m.get("odd320.weight").reason().contains("K-quant fallback"), m.get("odd320.weight").reason());
        }
    }

    // ---------------------------------------------------------------- F32 promotion by source dtype

    @Test
    void f32PromotionOnlyForF32AndBf16Sources() {
        for (Dtype dtype : List.of(Dtype.BF16, Dtype.F32, Dtype.F16, Dtype.F8_E4M3, Dtype.F8_E5M2)) {
            List<SyntheticTensor> s = List.of(
                    new SyntheticTensor("double_blocks.0.img_attn.proj.weight", dtype, 64, 512),
                    new SyntheticTensor("x.bias", dtype, 512),
                    new SyntheticTensor("small.weight", dtype, 32, 32),     // 1024 elements: the threshold itself
                    new SyntheticTensor("bigger.weight", dtype, 33, 32));  // 1056 elements
            boolean promotes = dtype == Dtype.BF16 || dtype == Dtype.F32;
            GgmlType big = dtype == Dtype.BF16 ? BF16 : F16;
            Map<String, TensorPlan> m = byName(plan(s, QuantLevel.Q8_0));
            assertEquals(promotes ? F32 : big, m.get("x.bias").type(), dtype + " 1-D");
            // The small 2-D weight is quantizable: it is quantized from convert.py's F32 (or F16) copy.
            assertEquals(Q8_0, m.get("small.weight").type());
            assertEquals(promotes ? F32 : big, m.get("small.weight").intermediate(), dtype + " <= 1024");
            assertEquals(big, m.get("bigger.weight").intermediate(), dtype + " > 1024");
            // An F32 source is stored (and so quantized) as F16 by convert.py's main branch.
            assertEquals(big, m.get("double_blocks.0.img_attn.proj.weight").intermediate());
        }
    }

    @Test
    void f32LevelKeepsEverythingF32() {
        ConversionPlan p = plan(ModelFixtures.flux(256, 1, 1, Dtype.BF16), QuantLevel.F32);
        assertTrue(p.tensors().stream().allMatch(t -> t.type() == F32 && t.intermediate() == F32));
        assertEquals(new GgufValue.U32(0), p.metadata().get("general.file_type"));
    }

    // ---------------------------------------------------------------- SDXL / SD1: shape fix

    private static List<SyntheticTensor> sdxl(Dtype dtype) {
        return List.of(
                new SyntheticTensor("input_blocks.0.0.weight", dtype, 320, 4, 3, 3),
                new SyntheticTensor("input_blocks.0.0.bias", dtype, 320),
                new SyntheticTensor("input_blocks.1.0.in_layers.2.weight", dtype, 320, 320, 3, 3),
                new SyntheticTensor("input_blocks.1.1.transformer_blocks.0.attn1.to_v.weight", dtype, 320, 320),
                new SyntheticTensor("input_blocks.1.1.transformer_blocks.0.attn2.to_v.weight", dtype, 320, 2048),
                new SyntheticTensor("input_blocks.1.1.transformer_blocks.0.ff.net.2.weight", dtype, 320, 1280),
                new SyntheticTensor("input_blocks.3.0.op.weight", dtype, 320, 320, 3, 3),
                new SyntheticTensor("input_blocks.4.1.proj_in.weight", dtype, 640, 640),
                new SyntheticTensor("input_blocks.4.1.transformer_blocks.0.attn1.to_v.weight", dtype, 640, 640),
                new SyntheticTensor("input_blocks.4.1.transformer_blocks.1.attn1.to_v.weight", dtype, 640, 640),
                new SyntheticTensor("input_blocks.4.1.transformer_blocks.2.attn1.to_v.weight", dtype, 640, 640),
                new SyntheticTensor("input_blocks.6.0.op.weight", dtype, 640, 640, 3, 3),
                new SyntheticTensor("label_emb.0.0.weight", dtype, 1280, 2816),
                new SyntheticTensor("time_embed.0.weight", dtype, 1280, 320),
                new SyntheticTensor("middle_block.1.norm.weight", dtype, 16, 32),
                new SyntheticTensor("out.2.weight", dtype, 4, 320, 3, 3),
                new SyntheticTensor("output_blocks.2.2.conv.weight", dtype, 1280, 1280, 3, 3),
                new SyntheticTensor("output_blocks.5.2.conv.weight", dtype, 640, 640, 3, 3));
    }

    @Test
    void sdxlShapeFixWithOrigShapeMetadata() {
        ConversionPlan p = plan(sdxl(Dtype.F16), QuantLevel.Q4_K_S);
        assertEquals(Architecture.SDXL, p.architecture());
        assertRows(p,
                // 11520 = 45 * 256 elements, last dim 3: reshaped; never quantized (exact name).
                new Row("input_blocks.0.0.weight", F16, 256, 45),
                new Row("input_blocks.0.0.bias", F16, 320),
                new Row("input_blocks.1.0.in_layers.2.weight", Q4_K, 256, 3600),
                // V tensors in output order: 1.1...attn1, 1.1...attn2, 4.1.tb0, 4.1.tb1 -> Q5_K; 4.1.tb2 -> Q4_K.
                new Row("input_blocks.1.1.transformer_blocks.0.attn1.to_v.weight", Q5_K, 256, 400),
                new Row("input_blocks.1.1.transformer_blocks.0.attn2.to_v.weight", Q5_K, 2048, 320),
                new Row("input_blocks.4.1.transformer_blocks.0.attn1.to_v.weight", Q5_K, 256, 1600),
                new Row("input_blocks.4.1.transformer_blocks.1.attn1.to_v.weight", Q5_K, 256, 1600),
                new Row("input_blocks.4.1.transformer_blocks.2.attn1.to_v.weight", Q4_K, 256, 1600),
                // FFN down, 1280 % 256 == 0: not reshaped; Q4_K_S upgrades it.
                new Row("input_blocks.1.1.transformer_blocks.0.ff.net.2.weight", Q5_K, 1280, 320),
                new Row("input_blocks.4.1.proj_in.weight", Q4_K, 256, 1600),
                new Row("label_emb.0.0.weight", F16, 2816, 1280),
                new Row("time_embed.0.weight", F16, 256, 1600),
                // 512 elements, last dim 32: reshaped to [2, 256]; "_norm.weight"? no: "norm.weight" -> quantized.
                new Row("middle_block.1.norm.weight", Q4_K, 256, 2),
                new Row("out.2.weight", F16, 256, 45),
                new Row("output_blocks.2.2.conv.weight", Q4_K, 256, 57600));

        // convert.py adds orig_shape keys in state-dict order; llama-quantize then re-appends version and type.
        List<String> keys = List.copyOf(p.metadata().keySet());
        assertEquals("general.architecture", keys.getFirst());
        assertEquals(List.of("general.quantization_version", "general.file_type"), keys.subList(keys.size() - 2,
                keys.size()));
        List<String> origKeys = keys.subList(1, keys.size() - 2);
        assertEquals(14, origKeys.size(), origKeys.toString());
        assertEquals("comfy.gguf.orig_shape.input_blocks.0.0.weight", origKeys.getFirst());
        GgufValue v = p.metadata().get("comfy.gguf.orig_shape.input_blocks.1.0.in_layers.2.weight");
        assertEquals(GgufValue.ofInts(320, 320, 3, 3), v);
        assertEquals(GgufValueType.INT32, ((GgufValue.Arr) v).elementType());
        assertFalse(p.metadata().containsKey("comfy.gguf.orig_shape.input_blocks.1.1.transformer_blocks.0.ff.net.2.weight"));
        assertFalse(p.metadata().containsKey("comfy.gguf.orig_shape.input_blocks.0.0.bias"));
    }

    @Test
    void sd1AtF16KeepsConvertPyKeyOrder() {
        List<SyntheticTensor> s = List.of(
                new SyntheticTensor("down_blocks.0.downsamplers.0.conv.weight", Dtype.F32, 320, 320, 3, 3),
                new SyntheticTensor("down_blocks.0.resnets.0.conv1.bias", Dtype.F32, 320),
                new SyntheticTensor("conv_in.weight", Dtype.F32, 320, 4, 3, 3));
        ConversionPlan p = plan(s, QuantLevel.F16);
        assertEquals(Architecture.SD1, p.architecture());
        // convert.py's own order: version and file type come right after the architecture.
        assertEquals(List.of("general.architecture", "general.quantization_version", "general.file_type",
                "comfy.gguf.orig_shape.conv_in.weight", "comfy.gguf.orig_shape.down_blocks.0.downsamplers.0.conv.weight"),
                List.copyOf(p.metadata().keySet()));
        assertEquals(new GgufValue.U32(1), p.metadata().get("general.file_type"));
        assertRows(p, new Row("down_blocks.0.resnets.0.conv1.bias", F32, 320),
                new Row("conv_in.weight", F16, 256, 45),
                new Row("down_blocks.0.downsamplers.0.conv.weight", F16, 256, 3600));
    }

    @Test
    void unquantizedLevelsKeepEveryDimLikeGgufPy() {
        List<SyntheticTensor> s = List.of(
                new SyntheticTensor("double_blocks.0.img_attn.proj.weight", Dtype.F16, 256, 256),
                new SyntheticTensor("proj.weight", Dtype.F16, 1, 512, 256));
        // gguf-py stores the numpy shape as is; ggml (llama-quantize) drops trailing 1-dims (leading in torch).
        assertRows(plan(s, QuantLevel.F16), new Row("proj.weight", F16, 256, 512, 1));
        assertRows(plan(s, QuantLevel.BF16), new Row("proj.weight", BF16, 256, 512, 1));
        assertRows(plan(s, QuantLevel.Q8_0), new Row("proj.weight", Q8_0, 256, 512));
        assertEquals(new GgufValue.U32(32), plan(s, QuantLevel.BF16).metadata().get("general.file_type"));
    }

    @Test
    void ggufSourceOrigShapeIsReapplied() {
        // A convert.py GGUF stores reshaped tensors; its comfy.gguf.orig_shape key gives the logical shape back.
        List<SyntheticTensor> stored = List.of(
                new SyntheticTensor("input_blocks.1.0.in_layers.2.weight", Dtype.F16, 3600, 256),
                new SyntheticTensor("label_emb.0.0.weight", Dtype.F16, 1280, 2816));
        ConversionPlan p = ConversionPlan.of(ModelFixtures.meta(stored),
                Map.of("input_blocks.1.0.in_layers.2.weight", new long[] {320, 320, 3, 3}), QuantLevel.Q4_K_S);
        assertEquals(GgufValue.ofInts(320, 320, 3, 3),
                p.metadata().get("comfy.gguf.orig_shape.input_blocks.1.0.in_layers.2.weight"));
        assertRows(p, new Row("input_blocks.1.0.in_layers.2.weight", Q4_K, 256, 3600));
    }

    // ---------------------------------------------------------------- Wan: 5-D, modulation, n_dims fixes

    private static List<SyntheticTensor> wan(Dtype dtype, boolean withBias) {
        List<SyntheticTensor> s = new ArrayList<>();
        s.add(new SyntheticTensor("patch_embedding.weight", dtype, 5120, 16, 1, 2, 2));
        if (withBias) s.add(new SyntheticTensor("patch_embedding.bias", dtype, 5120));
        s.add(new SyntheticTensor("text_embedding.0.weight", dtype, 5120, 4096));
        s.add(new SyntheticTensor("text_embedding.2.weight", dtype, 5120, 5120));
        s.add(new SyntheticTensor("time_projection.1.weight", dtype, 30720, 5120));
        s.add(new SyntheticTensor("head.head.weight", dtype, 64, 5120));
        s.add(new SyntheticTensor("head.modulation", dtype, 1, 2, 5120));
        s.add(new SyntheticTensor("img_emb.emb_pos", dtype, 1, 514, 1280));
        for (int b = 0; b < 3; b++) {
            String p = "blocks." + b + ".";
            s.add(new SyntheticTensor(p + "modulation", dtype, 1, 6, 5120));
            s.add(new SyntheticTensor(p + "self_attn.q.weight", dtype, 5120, 5120));
            s.add(new SyntheticTensor(p + "self_attn.v.weight", dtype, 5120, 5120));
            s.add(new SyntheticTensor(p + "self_attn.norm_q.weight", dtype, 5120));
            s.add(new SyntheticTensor(p + "cross_attn.v.weight", dtype, 5120, 5120));
            s.add(new SyntheticTensor(p + "ffn.0.weight", dtype, 13824, 5120));
            s.add(new SyntheticTensor(p + "ffn.2.weight", dtype, 5120, 13824));
            s.add(new SyntheticTensor(p + "ffn.2.bias", dtype, 5120));
        }
        return s;
    }

    @Test
    void wanModulationFiveDAndCounters() {
        ConversionPlan p = plan(wan(Dtype.BF16, true), QuantLevel.Q3_K_M);
        assertEquals(Architecture.WAN, p.architecture());
        assertRows(p,
                // hiprec ".modulation" -> F32; not a weight; n_dims forced to 3 ([1, 6, 5120] would lose its 1).
                new Row("blocks.0.modulation", F32, 5120, 6, 1),
                new Row("head.modulation", F32, 5120, 2, 1),
                // FLF2V position embedding: BF16 (no hiprec), n_dims forced to 3.
                new Row("img_emb.emb_pos", BF16, 1280, 514, 1),
                new Row("head.head.weight", BF16, 5120, 64),
                new Row("text_embedding.2.weight", BF16, 5120, 5120),
                new Row("time_projection.1.weight", BF16, 5120, 30720),
                new Row("blocks.0.self_attn.q.weight", Q3_K, 5120, 5120),
                // V order: blocks.0.cross, blocks.0.self -> Q5_K (first two), then Q4_K.
                new Row("blocks.0.cross_attn.v.weight", Q5_K, 5120, 5120),
                new Row("blocks.0.self_attn.v.weight", Q5_K, 5120, 5120),
                new Row("blocks.1.cross_attn.v.weight", Q4_K, 5120, 5120),
                new Row("blocks.2.self_attn.v.weight", Q4_K, 5120, 5120),
                new Row("blocks.1.ffn.2.weight", Q4_K, 13824, 5120),
                new Row("blocks.1.ffn.0.weight", Q3_K, 5120, 13824),
                new Row("blocks.0.self_attn.norm_q.weight", F32, 5120),
                // The 5-D Conv3d kernel: F32, all 5 dims, right after its bias (fix_5d_tensors.py).
                new Row("patch_embedding.weight", F32, 2, 2, 1, 16, 5120));
        List<String> names = p.tensors().stream().map(TensorPlan::name).toList();
        assertEquals(names.indexOf("patch_embedding.bias") + 1, names.indexOf("patch_embedding.weight"));
        assertEquals(F32, byName(p).get("patch_embedding.weight").intermediate());

        // Without the bias the 5-D tensor goes last.
        ConversionPlan noBias = plan(wan(Dtype.BF16, false), QuantLevel.Q8_0);
        assertEquals("patch_embedding.weight", noBias.tensors().getLast().name());

        // An F16 source keeps modulation in F16 (no promotion); Q4_0 turns FFN-down into Q4_1.
        ConversionPlan f16 = plan(wan(Dtype.F16, true), QuantLevel.Q4_0);
        assertRows(f16, new Row("blocks.0.modulation", F16, 5120, 6, 1),
                new Row("blocks.2.ffn.2.weight", Q4_1, 13824, 5120),
                new Row("blocks.2.ffn.0.weight", Q4_0, 5120, 13824),
                new Row("patch_embedding.weight", F32, 2, 2, 1, 16, 5120));
    }

    // ---------------------------------------------------------------- SD3

    @Test
    void sd3PosEmbedQkvAndExactNames() {
        List<SyntheticTensor> s = List.of(new SyntheticTensor("pos_embed", Dtype.F16, 1, 36864, 1536),
                new SyntheticTensor("joint_blocks.0.x_block.attn.qkv.weight", Dtype.F16, 4608, 1536),
                new SyntheticTensor("joint_blocks.0.x_block.attn.qkv.bias", Dtype.F16, 4608),
                new SyntheticTensor("joint_blocks.0.x_block.attn.ln_q.weight", Dtype.F16, 64),
                new SyntheticTensor("joint_blocks.0.x_block.mlp.fc2.weight", Dtype.F16, 1536, 6144),
                new SyntheticTensor("joint_blocks.0.context_block.attn.proj.weight", Dtype.F16, 1536, 1536),
                new SyntheticTensor("x_embedder.proj.weight", Dtype.F16, 1536, 16, 2, 2),
                new SyntheticTensor("context_embedder.weight", Dtype.F16, 1536, 4096),
                new SyntheticTensor("proj_out.weight", Dtype.F16, 64, 1536),
                new SyntheticTensor("final_layer.linear.weight", Dtype.F16, 64, 1536));
        ConversionPlan p = plan(s, QuantLevel.Q4_K_M);
        assertEquals(Architecture.SD3, p.architecture());
        assertRows(p,
                new Row("pos_embed", F16, 1536, 36864, 1),
                new Row("joint_blocks.0.x_block.attn.qkv.weight", Q5_K, 1536, 4608),
                new Row("joint_blocks.0.x_block.attn.qkv.bias", F16, 4608),
                new Row("joint_blocks.0.x_block.attn.ln_q.weight", F16, 64),
                new Row("joint_blocks.0.x_block.mlp.fc2.weight", Q4_K, 6144, 1536),
                new Row("joint_blocks.0.context_block.attn.proj.weight", Q4_K, 1536, 1536),
                new Row("x_embedder.proj.weight", F16, 2, 2, 16, 1536),
                new Row("context_embedder.weight", F16, 4096, 1536),
                new Row("proj_out.weight", F16, 1536, 64),
                new Row("final_layer.linear.weight", F16, 1536, 64));
    }

    // ---------------------------------------------------------------- prefixes, ignores, errors

    @Test
    void cosmosNetPrefixAndIgnoredKeys() {
        List<SyntheticTensor> s = List.of(new SyntheticTensor("net.blocks.0.mlp.layer1.weight", Dtype.BF16, 8192, 2048),
                new SyntheticTensor("net.blocks.0.mlp.layer2.weight", Dtype.BF16, 2048, 8192),
                new SyntheticTensor("net.blocks.0.adaln_modulation_cross_attn.1.weight", Dtype.BF16, 256, 2048),
                new SyntheticTensor("net.pos_embedder.seq", Dtype.BF16, 128, 64),
                new SyntheticTensor("net.blocks.0.self_attn._extra_state", Dtype.BF16, 16),
                new SyntheticTensor("net.accum_video_sample_counter", Dtype.BF16, 1));
        ConversionPlan p = plan(s, QuantLevel.Q4_K_M);
        assertEquals(Architecture.COSMOS, p.architecture());
        assertEquals("net.", p.prefix().prefix());
        assertEquals(4, p.tensors().size());
        assertEquals(java.util.Set.of("net.blocks.0.self_attn._extra_state", "net.accum_video_sample_counter"),
                p.skipped().stream().map(ConversionPlan.Skipped::sourceName).collect(java.util.stream.Collectors.toSet()));
        assertRows(p, new Row("blocks.0.mlp.layer2.weight", Q6_K, 8192, 2048),   // FFN down, Q4_K_M
                new Row("pos_embedder.seq", F32, 64, 128));                        // hiprec
    }

    @Test
    void checkpointPrefixDropsEverythingElse() {
        List<SyntheticTensor> s = List.of(
                new SyntheticTensor("model.diffusion_model.double_blocks.0.img_attn.proj.weight", Dtype.BF16, 256, 256),
                new SyntheticTensor("first_stage_model.decoder.conv_in.weight", Dtype.F32, 512, 4, 3, 3),
                new SyntheticTensor("text_encoders.t5xxl.transformer.shared.weight", Dtype.F16, 100, 64));
        ConversionPlan p = plan(s, QuantLevel.Q8_0);
        assertEquals(List.of("double_blocks.0.img_attn.proj.weight"), p.tensors().stream().map(TensorPlan::name).toList());
        assertEquals("model.diffusion_model.double_blocks.0.img_attn.proj.weight", p.tensors().getFirst().source().name());
        assertEquals(2, p.skipped().size());
    }

    @Test
    void badModelsFailWithOneLineReasons() {
        String longName = "double_blocks.0." + "x".repeat(112) + ".weight"; // 135 bytes
        ConversionException e = assertThrows(ConversionException.class, () -> plan(List.of(
                new SyntheticTensor("double_blocks.0.img_attn.proj.weight", Dtype.BF16, 64, 64),
                new SyntheticTensor(longName, Dtype.BF16, 4)), QuantLevel.Q8_0));
        assertTrue(e.getMessage().contains(longName + "' (" + longName.length() + ")"), e.getMessage());

        e = assertThrows(ConversionException.class, () -> plan(List.of(
                new SyntheticTensor("double_blocks.0.img_attn.proj.weight", Dtype.BF16, 64, 64),
                new SyntheticTensor("position_ids", Dtype.I64, 77)), QuantLevel.Q8_0));
        assertTrue(e.getMessage().contains("position_ids (I64)"), e.getMessage());

        e = assertThrows(ConversionException.class, () -> plan(List.of(
                new SyntheticTensor("double_blocks.0.img_attn.proj.weight", Dtype.BF16, 64, 64),
                new SyntheticTensor("img_in.proj.weight", Dtype.BF16, 64, 16, 1, 2, 2)), QuantLevel.Q8_0));
        assertTrue(e.getMessage().contains("'img_in.proj.weight' has 5 dims"), e.getMessage());

        assertThrows(ConversionException.class, () -> plan(List.of(new SyntheticTensor("unet.weight", Dtype.F16, 4, 4)),
                QuantLevel.Q8_0));

        // llama-quantize's image path refuses diffusers block names among the quantizable tensors.
        List<SyntheticTensor> mixed = List.of(
                new SyntheticTensor("double_blocks.0.img_attn.proj.weight", Dtype.BF16, 64, 64),
                new SyntheticTensor("single_transformer_blocks.0.proj_out.weight", Dtype.BF16, 64, 64),
                new SyntheticTensor("single_transformer_blocks.0.proj_out.bias", Dtype.BF16, 64));
        e = assertThrows(ConversionException.class, () -> plan(mixed, QuantLevel.Q8_0));
        assertTrue(e.getMessage().contains("'single_transformer_blocks.'"), e.getMessage());
        assertEquals(3, plan(mixed, QuantLevel.BF16).tensors().size()); // convert.py alone does not check
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void fiveByteNamesCountAsWeightsLikeLlamaQuantize() {
        // name.rfind("weight") == name.size() - 6 holds for size 5 through unsigned wrap-around.
        assertTrue(QuantizeStage.endsInWeight("w.abc"));
        assertFalse(QuantizeStage.endsInWeight("w.abcd"));
        assertTrue(QuantizeStage.endsInWeight("x.weight"));
        assertEquals(2, QuantizeStage.ggmlNDims(new long[] {64, 6, 1}));
        assertEquals(1, QuantizeStage.ggmlNDims(new long[] {1, 1}));
    }
}
