package io.quanthub.hub.api;

/**
 * The body of {@code POST /api/models/{org}/{name}/quants/{QUANT}/previews}; absent fields take the defaults (seed 0,
 * 4 steps, 256x256).
 *
 * @param conditioning the name of a conditioning set of the repository
 */
public record PreviewBody(Long seed, Integer steps, Integer width, Integer height, String conditioning) {}
