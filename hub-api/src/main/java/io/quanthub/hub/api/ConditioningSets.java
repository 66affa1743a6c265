package io.quanthub.hub.api;

import java.util.List;

/**
 * The answer of {@code GET /api/models/{org}/{name}/conditioning}: the conditioning sets a preview may use, whether
 * the revision has the VAE decoder, whether this hub can render previews at all, and whether the revision has the
 * text encoders a prompt needs.
 */
public record ConditioningSets(List<String> conditioning, boolean vae, boolean previews, boolean prompts) {}
