package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Architecture detection, prefix stripping, quant level parsing and tensor order. */
class ArchitectureTest {

    /** Minimal key sets (ComfyUI-GGUF convert.py's detection groups) and the architecture each must give. */
    static Stream<Arguments> minimalKeySets() {
        return Stream.of(
                Arguments.of(Architecture.FLUX, List.of("double_blocks.0.img_attn.proj.weight")),
                Arguments.of(Architecture.SD3, List.of("joint_blocks.0.x_block.attn.qkv.weight")),
                Arguments.of(Architecture.AURA, List.of("double_layers.3.modX.1.weight")),
                Arguments.of(Architecture.HIDREAM, List.of("caption_projection.0.linear.weight",
                        "double_stream_blocks.0.block.ff_i.shared_experts.w3.weight")),
                Arguments.of(Architecture.COSMOS, List.of("blocks.0.mlp.layer1.weight",
                        "blocks.0.adaln_modulation_cross_attn.1.weight")),
                Arguments.of(Architecture.LTXV, List.of("adaln_single.emb.timestep_embedder.linear_2.weight",
                        "transformer_blocks.27.scale_shift_table", "caption_projection.linear_2.weight")),
                Arguments.of(Architecture.HYVID, List.of("double_blocks.0.img_attn_proj.weight",
                        "txt_in.individual_token_refiner.blocks.1.self_attn_qkv.weight")),
                Arguments.of(Architecture.WAN, List.of("blocks.0.self_attn.norm_q.weight", "text_embedding.2.weight",
                        "head.modulation")),
                Arguments.of(Architecture.SDXL, List.of("down_blocks.0.downsamplers.0.conv.weight",
                        "add_embedding.linear_1.weight")),
                Arguments.of(Architecture.SDXL, List.of("input_blocks.3.0.op.weight", "input_blocks.6.0.op.weight",
                        "output_blocks.2.2.conv.weight", "output_blocks.5.2.conv.weight")),
                Arguments.of(Architecture.SDXL, List.of("label_emb.0.0.weight")),
                Arguments.of(Architecture.SD1, List.of("down_blocks.0.downsamplers.0.conv.weight")),
                Arguments.of(Architecture.SD1, List.of("input_blocks.3.0.op.weight", "input_blocks.6.0.op.weight",
                        "input_blocks.9.0.op.weight", "output_blocks.2.1.conv.weight",
                        "output_blocks.5.2.conv.weight", "output_blocks.8.2.conv.weight")),
                Arguments.of(Architecture.LUMINA2, List.of("cap_embedder.1.weight",
                        "context_refiner.0.attention.qkv.weight")));
    }

    @ParameterizedTest(name = "{0} from {1}")
    @MethodSource("minimalKeySets")
    void detectsEveryArchitectureFromItsMinimalKeys(Architecture expected, List<String> keys) {
        Set<String> withNoise = new HashSet<>(keys);
        withNoise.add("some.unrelated.weight");
        assertEquals(expected, Architecture.detect(withNoise));
        // Every key of the group is needed.
        if (keys.size() > 1) {
            for (String missing : keys) {
                Set<String> partial = new HashSet<>(keys);
                partial.remove(missing);
                Architecture other;
                try {
                    other = Architecture.detect(partial);
                } catch (ConversionException e) {
                    other = null;
                }
                assertNotEquals(expected, other, expected + " detected without " + missing);
            }
        }
    }

    @Test
    void detectionOrderPutsFluxFirstAndSdxlBeforeSd1() {
        // Both Flux and HyVid-like keys: Flux is tested first.
        assertEquals(Architecture.FLUX, Architecture.detect(Set.of("double_blocks.0.img_attn.proj.weight",
                "double_blocks.0.img_attn_proj.weight", "txt_in.individual_token_refiner.blocks.1.self_attn_qkv.weight")));
        // SD1's diffusers key exists in SDXL too; SDXL is tested first.
        assertEquals(Architecture.SDXL, Architecture.detect(Set.of("down_blocks.0.downsamplers.0.conv.weight",
                "add_embedding.linear_1.weight")));
        // Wan has hiprec .modulation and the 5-D handler, HyVid only the handler.
        assertEquals(List.of(".modulation"), Architecture.WAN.hiprecKeys);
        assertTrue(Architecture.WAN.keepsNdTensors && Architecture.HYVID.keepsNdTensors);
        assertTrue(Architecture.SD1.shapeFix && Architecture.SDXL.shapeFix && !Architecture.FLUX.shapeFix);
    }

    @Test
    void diffusersLayoutsAreRejectedWithTheReason() {
        for (String key : List.of("transformer_blocks.0.attn.norm_added_k.weight",
                "transformer_blocks.0.attn.add_q_proj.weight",
                "joint_transformer_blocks.3.ff_context.out_projection.weight")) {
            ConversionException e = assertThrows(ConversionException.class,
                    () -> Architecture.detect(Set.of(key, "x.weight")));
            assertTrue(e.getMessage().contains("diffusers") && e.getMessage().contains(key), e.getMessage());
        }
    }

    @Test
    void unknownArchitectureNamesTheSupportedOnes() {
        ConversionException e = assertThrows(ConversionException.class,
                () -> Architecture.detect(Set.of("encoder.layers.0.weight")));
        assertTrue(e.getMessage().startsWith("unknown model architecture"), e.getMessage());
        for (Architecture a : Architecture.values()) assertTrue(e.getMessage().contains(a.ggufName), a.ggufName);
    }

    @Test
    void prefixStrippingFollowsConvertPy() {
        // A full checkpoint: the UNet keeps its names, VAE and text encoder are dropped.
        List<String> checkpoint = List.of("model.diffusion_model.input_blocks.0.0.weight",
                "first_stage_model.decoder.conv_in.weight", "cond_stage_model.transformer.text_model.x.weight");
        KeyPrefix p = KeyPrefix.detect(checkpoint);
        assertEquals("model.diffusion_model.", p.prefix());
        assertEquals(Optional.of("input_blocks.0.0.weight"), p.strip(checkpoint.get(0)));
        assertEquals(Optional.empty(), p.strip(checkpoint.get(1)));
        assertEquals(Optional.empty(), p.strip(checkpoint.get(2)));

        // "model." when any key starts with it; keys merely containing it are kept, with every occurrence removed.
        KeyPrefix m = KeyPrefix.detect(List.of("model.a.weight", "b.weight"));
        assertEquals("model.", m.prefix());
        assertEquals(Optional.empty(), m.strip("b.weight"));
        assertEquals(Optional.of("cond_stage_x.weight"), m.strip("cond_stage_model.x.weight"));
        assertEquals(Optional.of("a.b.weight"), m.strip("model.a.model.b.weight"));

        // "net." only when every key has it.
        assertEquals("net.", KeyPrefix.detect(List.of("net.blocks.0.mlp.layer1.weight", "net.x.weight")).prefix());
        assertEquals("", KeyPrefix.detect(List.of("net.blocks.0.weight", "x.weight")).prefix());
        assertEquals(Optional.of("x.weight"), KeyPrefix.NONE.strip("x.weight"));
    }

    @Test
    void quantLevelsParseCaseInsensitivelyWithLlamaFileTypes() {
        assertEquals(QuantLevel.Q4_K_M, QuantLevel.parse("q4_k_m"));
        assertEquals(QuantLevel.BF16, QuantLevel.parse(" bf16 "));
        ConversionException e = assertThrows(ConversionException.class, () -> QuantLevel.parse("Q4_K"));
        assertTrue(e.getMessage().contains("'Q4_K'") && e.getMessage().contains("Q4_K_S, Q4_1"), e.getMessage());
        assertTrue(Arrays.stream(QuantLevel.values()).allMatch(l -> e.getMessage().contains(l.name())));

        // llama_ftype ids (general.file_type) and base types, spec gguf-and-quants.md §9.1.
        Object[][] table = {
                {QuantLevel.F32, 0, GgmlType.F32}, {QuantLevel.F16, 1, GgmlType.F16},
                {QuantLevel.BF16, 32, GgmlType.BF16}, {QuantLevel.Q8_0, 7, GgmlType.Q8_0},
                {QuantLevel.Q6_K, 18, GgmlType.Q6_K}, {QuantLevel.Q5_K_M, 17, GgmlType.Q5_K},
                {QuantLevel.Q5_K_S, 16, GgmlType.Q5_K}, {QuantLevel.Q5_1, 9, GgmlType.Q5_1},
                {QuantLevel.Q5_0, 8, GgmlType.Q5_0}, {QuantLevel.Q4_K_M, 15, GgmlType.Q4_K},
                {QuantLevel.Q4_K_S, 14, GgmlType.Q4_K}, {QuantLevel.Q4_1, 3, GgmlType.Q4_1},
                {QuantLevel.Q4_0, 2, GgmlType.Q4_0}, {QuantLevel.Q3_K_L, 13, GgmlType.Q3_K},
                {QuantLevel.Q3_K_M, 12, GgmlType.Q3_K}, {QuantLevel.Q3_K_S, 11, GgmlType.Q3_K},
                {QuantLevel.Q2_K, 10, GgmlType.Q2_K}, {QuantLevel.IQ4_NL, 25, GgmlType.IQ4_NL},
                {QuantLevel.IQ4_XS, 30, GgmlType.IQ4_XS}};
        assertEquals(QuantLevel.values().length, table.length);
        for (Object[] row : table) {
            QuantLevel l = (QuantLevel) row[0];
            assertEquals(row[1], l.ftypeId, l.name());
            assertEquals(row[2], l.baseType, l.name());
        }
    }

    @Test
    void tensorOrderIsLlamaQuantizesMapOrder() {
        List<String> names = new ArrayList<>(List.of("single_blocks.0.linear1.weight", "double_blocks.10.x.weight",
                "double_blocks.2.x.weight", "blk.10.attn_q.weight", "blk.2.attn_q.weight", "Z.weight",
                "double_blocks.2.x.bias", "\u00e9.weight", "blk.x.weight"));
        names.sort(TensorOrder.LLAMA_QUANTIZE);
        // Names without a parsable blk.N. (layer -1) first, byte-wise ('Z' < 'b' < 'd' < 's' < UTF-8 0xC3); then by layer.
        assertEquals(List.of("Z.weight", "blk.x.weight", "double_blocks.10.x.weight", "double_blocks.2.x.bias",
                "double_blocks.2.x.weight", "single_blocks.0.linear1.weight", "\u00e9.weight",
                "blk.2.attn_q.weight", "blk.10.attn_q.weight"), names);
        assertEquals(-1, TensorOrder.layerOf("blk.weight"));
        assertEquals(-3, TensorOrder.layerOf("blk.-3.x"));
    }
}
