package io.quanthub.gguf.safetensors;

import io.quanthub.gguf.json.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes safetensors files by hand (8-byte length, JSON header padded with spaces, data), as the format says. */
public final class SafetensorsTestFiles {
    private final Map<String, Object> header = new LinkedHashMap<>();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    /** Adds a tensor; its data follows the previous one. */
    public SafetensorsTestFiles tensor(String name, String dtype, long[] shape, byte[] bytes) {
        List<Object> dims = new ArrayList<>();
        for (long d : shape) dims.add(d);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("dtype", dtype);
        entry.put("shape", dims);
        entry.put("data_offsets", List.of((long) data.size(), (long) data.size() + bytes.length));
        header.put(name, entry);
        data.writeBytes(bytes);
        return this;
    }

    public SafetensorsTestFiles metadata(Map<String, String> metadata) {
        header.put("__metadata__", new LinkedHashMap<>(metadata));
        return this;
    }

    public byte[] bytes() {
        return bytesWithHeader(Json.write(header));
    }

    /** A file with this exact header text (padded with spaces to a multiple of 8) and the data added so far. */
    public byte[] bytesWithHeader(String headerText) {
        byte[] json = headerText.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < 8; i++) out.write((int) ((long) padded >>> (8 * i)));
        out.writeBytes(json);
        for (int i = json.length; i < padded; i++) out.write(' ');
        out.writeBytes(data.toByteArray());
        return out.toByteArray();
    }

    public Path write(Path file) throws IOException {
        return Files.write(file, bytes());
    }
}
