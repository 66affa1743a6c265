package io.quanthub.hub.api;

import java.time.Instant;
import java.util.List;

/**
 * The answer of {@code POST /api/models/{org}/{name}/commits/{branch}}: the new commit.
 *
 * @param files the number of files in the commit
 * @param ggufs the GGUF files the commit adds, with their quant levels
 */
public record Committed(String id, String parent, String branch, String author, String message, Instant time,
                        int files, List<PushedQuant> ggufs) {
    /**
     * A GGUF file a commit adds, with its quant level (null, with {@code error} saying why, when neither its file
     * type nor its tensors tell). It is a file of this repository alone: the quant table shows it as pushed.
     */
    public record PushedQuant(String path, String quant, String error) {}
}
