package io.quanthub.gguf.convert;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.reference.LlamaQuantizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * T5 encoders converted with llama.cpp's tool chain: at F32 byte-identical to the shared t5.gguf (written by llama.cpp's
 * gguf-py with its converter's calls), and at every quantized level byte-identical to libllama's own
 * {@code llama_model_quantize} run on that F32 file.
 */
class T5ConversionTest {
    private static final Path DATA = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "text-encoders-tiny");
    private static final Path SAFETENSORS = DATA.resolve("t5.safetensors");
    private static final Path REFERENCE_GGUF = DATA.resolve("t5.gguf");
    private static final String NAME = "t5-v1_1-tiny-random-shared";

    private static LlamaQuantizer llama;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        assumeTrue(Files.isRegularFile(SAFETENSORS), "test data not found at " + SAFETENSORS);
        llama = LlamaQuantizer.load();
    }

    private ConversionSummary convert(QuantLevel level, Path out) throws IOException {
        ConversionInputs inputs = ConversionInputs.besides(SAFETENSORS, null, NAME);
        try (ModelSource source = ModelSource.open(SAFETENSORS)) {
            ConversionPlan plan = ConversionPlan.of(source, level, inputs);
            return new Converter(2, true).write(plan, out, Converter.ProgressListener.NONE);
        }
    }

    @Test
    void f32IsByteIdenticalToLlamaCppsConverter() throws IOException {
        Path out = dir.resolve("t5-F32.gguf");
        ConversionSummary s = convert(QuantLevel.F32, out);
        assertEquals("t5encoder", s.architecture().ggufName);
        assertEquals(-1, Files.mismatch(REFERENCE_GGUF, out), "differs from llama.cpp's t5.gguf");
    }

    @ParameterizedTest
    @EnumSource(value = QuantLevel.class, names = {"Q8_0", "Q5_K_M", "Q4_K_M", "Q6_K", "Q5_K_S", "Q4_K_S",
            "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K", "Q5_1", "Q5_0", "Q4_1", "Q4_0", "IQ4_NL", "IQ4_XS"})
    void quantizedLevelsAreByteIdenticalToLlamaModelQuantize(QuantLevel level) throws IOException {
        Path ours = dir.resolve("ours-" + level + ".gguf");
        convert(level, ours);
        Path theirs = dir.resolve("llama-" + level + ".gguf");
        llama.quantize(REFERENCE_GGUF.toAbsolutePath(), theirs, level, 2);
        assertEquals(Files.size(theirs), Files.size(ours), "file size at " + level);
        assertEquals(-1, Files.mismatch(theirs, ours), "bytes differ from llama_model_quantize at " + level);
    }

    @Test
    void f16KeepsNormsInF32AndLlamaCppQuantizesItLikeTheF32File() throws IOException {
        Path f16 = dir.resolve("t5-F16.gguf");
        convert(QuantLevel.F16, f16);
        try (GgufFile f = GgufFile.open(f16)) {
            assertEquals(GgmlType.F16, f.tensor("token_embd.weight").type());
            assertEquals(GgmlType.F16, f.tensor("enc.blk.0.attn_rel_b.weight").type());
            assertEquals(GgmlType.F32, f.tensor("enc.blk.0.ffn_norm.weight").type());
            assertEquals(GgmlType.F32, f.tensor("enc.output_norm.weight").type());
            assertEquals(1L, f.metadata().get("general.file_type").asLong());
        }
        // Every weight of the tiny T5 is F16-representable, so llama.cpp quantizes this F16 file's weights exactly as
        // the F32 one's (which also shows libllama loads it); only the tensors it keeps stay F16.
        Path fromF16 = dir.resolve("llama-from-f16-Q4_K_M.gguf");
        llama.quantize(f16.toAbsolutePath(), fromF16, QuantLevel.Q4_K_M, 2);
        Path ours = dir.resolve("ours-Q4_K_M.gguf");
        convert(QuantLevel.Q4_K_M, ours);
        try (GgufFile theirs = GgufFile.open(fromF16); GgufFile mine = GgufFile.open(ours)) {
            assertEquals(mine.tensors().size(), theirs.tensors().size());
            for (var t : mine.tensors()) {
                var other = theirs.tensor(t.name());
                if (t.name().contains("attn_rel_b")) {
                    assertEquals(GgmlType.F16, other.type(), "kept as the input had it");
                    continue;
                }
                assertEquals(t.type(), other.type(), t.name());
                assertEquals(-1, mine.data(t).mismatch(theirs.data(other)), t.name());
            }
        }
    }

    @Test
    void mixtureRulesOfLlamaQuantizeApply() throws IOException {
        Path out = dir.resolve("t5-Q4_K_M.gguf");
        convert(QuantLevel.Q4_K_M, out);
        try (GgufFile f = GgufFile.open(out)) {
            // Relative position bias and norms are never quantized; rows of 64 cannot hold K-quant blocks, so
            // llama.cpp falls back (Q4_K -> Q5_0, Q6_K -> Q8_0); the tied token embedding gets the output's Q8_0.
            assertEquals(GgmlType.F32, f.tensor("enc.blk.0.attn_rel_b.weight").type());
            assertEquals(GgmlType.F32, f.tensor("enc.blk.0.attn_norm.weight").type());
            assertEquals(GgmlType.Q5_0, f.tensor("enc.blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q5_0, f.tensor("enc.blk.0.attn_v.weight").type());
            assertEquals(GgmlType.Q8_0, f.tensor("enc.blk.1.attn_v.weight").type());
            assertEquals(GgmlType.Q8_0, f.tensor("token_embd.weight").type());
        }
    }

    @Test
    void libllamaDefaultsMatchTheDeclaredParamsLayout() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = llama.defaults(arena);
            assertEquals(0, p.get(JAVA_INT, 0), "nthread");
            assertEquals(QuantLevel.Q8_0.ftypeId, p.get(JAVA_INT, 4), "ftype");
            assertTrue(p.get(JAVA_BOOLEAN, offset("quantize_output_tensor")));
            assertFalse(p.get(JAVA_BOOLEAN, offset("pure")));
            assertEquals(64, LlamaQuantizer.PARAMS.byteSize());
            assertEquals(2, p.get(JAVA_INT, offset("trailing_60")));
        }
    }

    @Test
    void aT5WithoutItsTokenizerIsRefusedWithAClearMessage() throws IOException {
        try (ModelSource source = ModelSource.open(SAFETENSORS)) {
            ConversionException e = assertThrows(ConversionException.class,
                    () -> ConversionPlan.of(source, QuantLevel.Q8_0, ConversionInputs.NONE));
            assertTrue(e.getMessage().contains("tokenizer"), e.getMessage());
        }
    }

    @Test
    void llamaQuantizeUseMoreBitsMatchesLlamaCpp() {
        // use_more_bits for T5-XXL's 24 blocks: the first and last 3, and every third between.
        List<Integer> more = java.util.stream.IntStream.range(0, 24).filter(i -> LlamaQuantRules.useMoreBits(i, 24))
                .boxed().toList();
        assertEquals(List.of(0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23), more);
    }

    /** Offset of a field in libllama's params struct. */
    private static long offset(String field) {
        return LlamaQuantizer.PARAMS.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }
}
