package io.quanthub.inference.compute;

/**
 * How attention scores are formed beyond {@code q . k}: a scale (1/sqrt(headDim) in most models, 1 in T5), a causal
 * mask (CLIP's text tower: a token sees itself and the tokens before it) and a relative-position bias added per head
 * (T5: one learned value per head and distance bucket, the same in every block).
 *
 * @param scale    multiplies {@code q . k}
 * @param causal   mask keys after the query
 * @param relative null, or [heads x (2 tokens - 1)]: the value added for key j and query i is
 *                 {@code relative[h * (2 tokens - 1) + j - i + tokens - 1]}
 */
public record AttentionBias(float scale, boolean causal, float[] relative) {
    public static final AttentionBias NONE = new AttentionBias(1f, false, null);

    /** Causal attention scaled by 1/sqrt(headDim) (CLIP). */
    public static AttentionBias causal(int headDim) {
        return new AttentionBias((float) (1.0 / Math.sqrt(headDim)), true, null);
    }

    /** Unscaled attention plus a relative-position bias (T5). */
    public static AttentionBias relative(float[] relative) {
        return new AttentionBias(1f, false, relative);
    }

    public AttentionBias withScale(float scale) {
        return new AttentionBias(scale, causal, relative);
    }
}
