package io.quanthub.gguf.convert;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensor names llama.cpp's converter ({@code convert_hf_to_gguf.py} with gguf-py's {@code TensorNameMap}) gives
 * the Hugging Face names of an architecture, and the order it writes them in: the model's module order (embeddings,
 * then block by block, then the final norm), which is the order {@code state_dict()} lists them.
 *
 * <p>Each table row is a Hugging Face name, with {@code {bid}} standing for a block number, and its GGUF name.
 */
public final class LlamaTensorNames {
    /** llama.cpp's T5 encoder ({@code MODEL_ARCH.T5ENCODER}); the rows of a block in T5's module order. */
    public static final LlamaTensorNames T5_ENCODER = new LlamaTensorNames(
            // T5 checkpoints store the shared embedding as any of these (some several times); the converter takes the
            // first it meets, in the sorted order it reads safetensors keys, and skips the rest.
            List.of("decoder.embed_tokens.weight", "encoder.embed_tokens.weight", "shared.weight"),
            "token_embd.weight",
            List.of(
                    row("encoder.block.{bid}.layer.0.SelfAttention.q.weight", "enc.blk.{bid}.attn_q.weight"),
                    row("encoder.block.{bid}.layer.0.SelfAttention.k.weight", "enc.blk.{bid}.attn_k.weight"),
                    row("encoder.block.{bid}.layer.0.SelfAttention.v.weight", "enc.blk.{bid}.attn_v.weight"),
                    row("encoder.block.{bid}.layer.0.SelfAttention.o.weight", "enc.blk.{bid}.attn_o.weight"),
                    row("encoder.block.{bid}.layer.0.SelfAttention.relative_attention_bias.weight",
                            "enc.blk.{bid}.attn_rel_b.weight"),
                    row("encoder.block.{bid}.layer.0.layer_norm.weight", "enc.blk.{bid}.attn_norm.weight"),
                    row("encoder.block.{bid}.layer.1.DenseReluDense.wi_0.weight", "enc.blk.{bid}.ffn_gate.weight"),
                    row("encoder.block.{bid}.layer.1.DenseReluDense.wi_1.weight", "enc.blk.{bid}.ffn_up.weight"),
                    // T5 v1.0 has one un-gated input projection.
                    row("encoder.block.{bid}.layer.1.DenseReluDense.wi.weight", "enc.blk.{bid}.ffn_up.weight"),
                    row("encoder.block.{bid}.layer.1.DenseReluDense.wo.weight", "enc.blk.{bid}.ffn_down.weight"),
                    row("encoder.block.{bid}.layer.1.layer_norm.weight", "enc.blk.{bid}.ffn_norm.weight")),
            List.of(row("encoder.final_layer_norm.weight", "enc.output_norm.weight")),
            // A full T5 (encoder-decoder) checkpoint: the decoder is not part of the text encoder.
            List.of("decoder.", "lm_head."));

    /** One row: a Hugging Face name (with {@code {bid}}) and its GGUF name. */
    record Row(String source, String gguf, Pattern pattern) {
    }

    /**
     * A mapped tensor: its GGUF name and where the converter writes it.
     *
     * @param embedding one of the shared-embedding aliases
     */
    public record Mapped(String gguf, int section, int block, int row, boolean embedding) {
        /** The converter's write order. */
        public static final Comparator<Mapped> WRITE_ORDER = Comparator.comparingInt(Mapped::section)
                .thenComparingInt(Mapped::block).thenComparingInt(Mapped::row);
    }

    private final List<String> embeddingAliases;
    private final String embeddingName;
    private final List<Row> blockRows;
    private final List<Row> finalRows;
    private final List<String> ignoredPrefixes;

    private LlamaTensorNames(List<String> embeddingAliases, String embeddingName, List<Row> blockRows,
                             List<Row> finalRows, List<String> ignoredPrefixes) {
        this.embeddingAliases = embeddingAliases;
        this.embeddingName = embeddingName;
        this.blockRows = blockRows;
        this.finalRows = finalRows;
        this.ignoredPrefixes = ignoredPrefixes;
    }

    private static Row row(String source, String gguf) {
        String[] parts = source.split("\\{bid}", -1);
        StringBuilder regex = new StringBuilder(Pattern.quote(parts[0]));
        for (int i = 1; i < parts.length; i++) regex.append("(\\d{1,6})").append(Pattern.quote(parts[i]));
        return new Row(source, gguf, Pattern.compile(regex.toString()));
    }

    /** True for tensors of the checkpoint that are not part of this model (a T5's decoder). */
    public boolean ignores(String sourceName) {
        return ignoredPrefixes.stream().anyMatch(sourceName::startsWith);
    }

    /** The GGUF name and write position of a Hugging Face tensor name, or empty when no row matches. */
    public Optional<Mapped> map(String sourceName) {
        if (embeddingAliases.contains(sourceName)) return Optional.of(new Mapped(embeddingName, 0, 0, 0, true));
        for (int i = 0; i < blockRows.size(); i++) {
            Matcher m = blockRows.get(i).pattern().matcher(sourceName);
            if (m.matches()) {
                String bid = m.group(1);
                int block = Integer.parseInt(bid);
                return Optional.of(new Mapped(blockRows.get(i).gguf().replace("{bid}", Integer.toString(block)), 1,
                        block, i, false));
            }
        }
        for (int i = 0; i < finalRows.size(); i++) {
            if (finalRows.get(i).pattern().matcher(sourceName).matches()) {
                return Optional.of(new Mapped(finalRows.get(i).gguf(), 2, 0, i, false));
            }
        }
        return Optional.empty();
    }
}
