package io.quanthub.hub.api;

/**
 * The body of {@code POST /api/models/{org}/{name}/quants/{QUANT}/previews}; absent fields take the defaults (seed 0,
 * 4 steps, 256x256, T5 length 512). A preview takes either a prompt or a conditioning set.
 *
 * @param conditioning the name of a conditioning set of the repository
 * @param prompt       the text to render, encoded on the node by the repository's text encoders
 * @param t5Length     how many T5 tokens the prompt is padded or cut to
 */
public record PreviewBody(Long seed, Integer steps, Integer width, Integer height, String conditioning, String prompt,
                          Integer t5Length) {}
