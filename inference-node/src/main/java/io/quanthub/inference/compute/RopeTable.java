package io.quanthub.inference.compute;

/**
 * Rotary position embedding angles per token: {@code cos[t * pairs + j]} and {@code sin[t * pairs + j]} rotate the
 * j-th pair of every head of token t.
 *
 * @param tokens tokens covered
 * @param pairs  rotated pairs per head (head size / 2)
 */
public record RopeTable(int tokens, int pairs, float[] cos, float[] sin) {
    public RopeTable {
        if (cos.length != tokens * pairs || sin.length != tokens * pairs) {
            throw new IllegalArgumentException("rope table of " + tokens + " tokens x " + pairs + " pairs needs "
                    + tokens * pairs + " angles, got " + cos.length + " cos and " + sin.length + " sin");
        }
    }
}
