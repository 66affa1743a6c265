package io.quanthub.cli;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.GgufWriter;
import io.quanthub.gguf.format.TensorSpec;
import io.quanthub.gguf.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InspectCommandTest {
    @TempDir
    Path dir;

    /** Runs the CLI in-process; returns {exit code, stdout, stderr}. */
    private static Object[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = QuantHubCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int rc = cli.execute(args);
        return new Object[] {rc, out.toString(), err.toString()};
    }

    private Path gguf() throws IOException {
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("general.architecture", GgufValue.of("flux"));
        metadata.put("general.file_type", GgufValue.u32(15));
        metadata.put("general.quantization_version", GgufValue.u32(2));
        metadata.put("comfy.gguf.orig_shape.x", GgufValue.ofInts(320, 320, 3, 3));
        metadata.put("big.u64", new GgufValue.U64(-1));
        List<TensorSpec> tensors = List.of(
                TensorSpec.ofTorchShape("double_blocks.0.img_attn.qkv.weight", GgmlType.Q4_K, 3, 512),
                TensorSpec.ofTorchShape("double_blocks.0.img_attn.qkv.bias", GgmlType.F32, 3),
                TensorSpec.ofTorchShape("img_in.weight", GgmlType.F16, 4, 64));
        Path file = dir.resolve("tiny-Q4_K_M.gguf");
        try (GgufWriter w = GgufWriter.create(file, metadata, tensors)) {
            for (TensorSpec t : tensors) w.writeTensorData(new byte[(int) t.byteSize()]);
        }
        return file;
    }

    @Test
    void humanOutputForGguf() throws IOException {
        Object[] r = run("inspect", gguf().toString());
        assertEquals(0, r[0], (String) r[2]);
        String out = (String) r[1];
        assertTrue(out.contains("format        GGUF v3, alignment 32"), out);
        assertTrue(out.contains("architecture  flux"), out);
        assertTrue(out.contains("  comfy.gguf.orig_shape.x       [320, 320, 3, 3] (4 x i32)\n"), out);
        assertTrue(out.contains("big.u64                       18446744073709551615"), out);
        // name, type, shape (PyTorch order), right-aligned bytes
        assertTrue(out.contains("  double_blocks.0.img_attn.qkv.weight  Q4_K  3 x 512  864 B\n"), out);
        assertTrue(out.contains("  img_in.weight                        F16   4 x 64   512 B\n"), out);
        assertTrue(out.contains("  Q4_K        1    1.5K  864 B         4.50\n"), out);
        // 864 + 12 + 512 bytes over 1536 + 3 + 256 weights
        assertTrue(out.contains(String.format(java.util.Locale.ROOT, "tensors       3, 1.8K params, 1.36 KiB, %.2f bits per weight",
                (864 + 12 + 512) * 8.0 / (1536 + 3 + 256))), out);
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonOutputForGguf() throws IOException {
        Object[] r = run("inspect", "--json", gguf().toString());
        assertEquals(0, r[0], (String) r[2]);
        Map<String, Object> o = Json.parseObject((String) r[1]);
        assertEquals("gguf", o.get("format"));
        assertEquals(3L, o.get("version"));
        assertEquals("flux", o.get("architecture"));
        assertEquals(3L, o.get("tensorCount"));
        assertEquals(1795L, o.get("params"));
        assertEquals(1388L, o.get("tensorBytes"));
        assertEquals(Files.size(dir.resolve("tiny-Q4_K_M.gguf")), o.get("fileSize"));
        Map<String, Object> metadata = (Map<String, Object>) o.get("metadata");
        assertEquals(15L, metadata.get("general.file_type"));
        assertEquals(List.of(320L, 320L, 3L, 3L), metadata.get("comfy.gguf.orig_shape.x"));
        assertEquals(1.8446744073709552E19, metadata.get("big.u64"));
        List<Map<String, Object>> tensors = (List<Map<String, Object>>) o.get("tensors");
        Map<String, Object> qkv = tensors.getFirst();
        assertEquals("Q4_K", qkv.get("type"));
        assertEquals(List.of(3L, 512L), qkv.get("shape"));
        assertEquals(List.of(512L, 3L), qkv.get("dims"));
        assertEquals(0L, qkv.get("offset"));
        assertEquals(864L, qkv.get("bytes"));
        Map<String, Object> types = (Map<String, Object>) o.get("types");
        assertEquals(Map.of("tensors", 1L, "params", 256L, "bytes", 512L), types.get("F16"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void safetensorsHumanAndJson() {
        Path model = Path.of(System.getProperty("quanthub.testdata", "/work/shared/testdata"), "flux-tiny",
                "model.safetensors");
        Object[] human = run("inspect", model.toString());
        assertEquals(0, human[0], (String) human[2]);
        String out = (String) human[1];
        assertTrue(out.contains("format        safetensors"), out);
        assertTrue(out.contains("architecture  flux"), out);
        assertTrue(out.contains("  img_in.weight "), out);
        assertTrue(out.contains("16.00 bits per weight"), out);

        Object[] json = run("inspect", "--json", model.toString());
        assertEquals(0, json[0], (String) json[2]);
        Map<String, Object> o = Json.parseObject((String) json[1]);
        assertEquals("safetensors", o.get("format"));
        assertEquals("flux", o.get("architecture"));
        assertEquals(84L, o.get("tensorCount"));
        assertEquals(16.0, o.get("bitsPerWeight"));
        assertEquals(Map.of("BF16", Map.of("tensors", 84L, "params", o.get("params"), "bytes", o.get("tensorBytes"))),
                o.get("types"));
        Map<String, Object> first = ((List<Map<String, Object>>) o.get("tensors")).getFirst();
        assertEquals("img_in.weight", first.get("name"));
        assertEquals(List.of(64L, 64L), first.get("shape"));
        assertEquals(8192L, first.get("bytes"));
    }

    @Test
    void unknownArchitectureAndRefusedFiles() throws IOException {
        Path ae = Path.of(System.getProperty("quanthub.testdata", "/work/shared/testdata"), "flux-tiny",
                "ae.safetensors");
        Object[] r = run("inspect", ae.toString());
        assertEquals(0, r[0]);
        assertTrue(((String) r[1]).contains("architecture  unknown (unknown model architecture"), (String) r[1]);

        Path pickle = Files.writeString(dir.resolve("model.ckpt"), "x");
        r = run("inspect", pickle.toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).startsWith("quanthub: refusing to load model.ckpt"), (String) r[2]);

        Path broken = Files.write(dir.resolve("broken.gguf"), new byte[] {'G', 'G', 'U', 'F', 1, 0, 0, 0});
        r = run("inspect", broken.toString());
        assertEquals(1, r[0]);
        assertEquals("quanthub: GGUF version 1 is not supported (only 2 and 3)", ((String) r[2]).strip());
    }
}
