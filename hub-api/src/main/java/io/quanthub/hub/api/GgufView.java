package io.quanthub.hub.api;

import io.quanthub.storage.Digest;
import java.util.List;
import java.util.Map;

/**
 * What a GGUF file holds ({@code GET /api/models/{org}/{name}/gguf/{revision}/{path}}): its metadata (arrays of more
 * than 1024 elements summarized as {@code {elementType, length}}), totals per tensor type, and its tensors.
 */
public record GgufView(String path, Digest digest, long size, String commit, int version, int alignment,
                       String architecture, String quant, int tensorCount, long parameters, long tensorBytes,
                       double bitsPerWeight, long dataOffset, Map<String, Object> metadata,
                       Map<String, TypeTotal> types, List<Tensor> tensors) {
    /** One tensor; {@code shape} in PyTorch order, {@code dims} as stored (ggml order). */
    public record Tensor(String name, String type, long[] shape, long[] dims, long offset, long bytes,
                         long parameters) {}

    public record TypeTotal(long tensors, long parameters, long bytes) {}
}
