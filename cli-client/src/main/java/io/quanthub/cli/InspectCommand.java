package io.quanthub.cli;

import io.quanthub.gguf.convert.Architecture;
import io.quanthub.gguf.convert.ConversionException;
import io.quanthub.gguf.convert.KeyPrefix;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.GgufValue;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.json.Json;
import io.quanthub.gguf.model.ModelSource;
import io.quanthub.gguf.model.SourceTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code quanthub inspect FILE}: what a GGUF or safetensors model holds (architecture, metadata, tensors, totals per
 * type, bits per weight), for people or, with {@code --json}, for scripts.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's architecture, metadata and tensors: a .gguf, a .safetensors file, a"
                + " *.safetensors.index.json or a directory of shards.")
public final class InspectCommand implements Callable<Integer> {
    /** Arrays longer than this are summarized in --json output as {"elementType": ..., "length": ...}. */
    static final int MAX_JSON_ARRAY = 1024;
    /** Elements of an array shown in the human output. */
    private static final int ARRAY_PREVIEW = 8;
    private static final int MAX_DISPLAY_CHARS = 120;

    @Parameters(index = "0", paramLabel = "FILE", description = "The model to inspect.")
    Path file;

    @Option(names = "--json", description = "Print one JSON object instead of tables (arrays longer than "
            + MAX_JSON_ARRAY + " elements are summarized as {\"elementType\", \"length\"}).")
    boolean json;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** A metadata value: what --json prints and what people read. */
    record Meta(Object json, String display) {
    }

    /** One tensor; {@code shape} is in PyTorch order; {@code dims} and {@code offset} only for GGUF. */
    record Row(String name, String type, long[] shape, long bytes, long params, long[] dims, Long offset) {
    }

    /** Everything printed about a model. */
    record Report(Path file, String format, long fileSize, Integer version, Integer alignment, String architecture,
                  String architectureProblem, Map<String, Meta> metadata, List<Row> tensors) {
        long params() {
            return tensors.stream().mapToLong(Row::params).sum();
        }

        long tensorBytes() {
            return tensors.stream().mapToLong(Row::bytes).sum();
        }

        double bitsPerWeight() {
            return params() == 0 ? 0 : tensorBytes() * 8.0 / params();
        }

        /** Count, params and bytes per type, by type name. */
        Map<String, long[]> totals() {
            Map<String, long[]> totals = new TreeMap<>();
            for (Row r : tensors) {
                long[] t = totals.computeIfAbsent(r.type(), k -> new long[3]);
                t[0]++;
                t[1] += r.params();
                t[2] += r.bytes();
            }
            return totals;
        }
    }

    @Override
    public Integer call() throws IOException {
        Report report = ModelSource.isGguf(file) ? inspectGguf(file) : inspectSource(file);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? Json.writePretty(toJson(report)) + "\n" : human(report));
        out.flush();
        return 0;
    }

    static Report inspectGguf(Path path) throws IOException {
        try (GgufFile gguf = GgufFile.open(path)) {
            Map<String, Meta> metadata = new LinkedHashMap<>();
            gguf.metadata().forEach((k, v) -> metadata.put(k, new Meta(v.toJsonValue(MAX_JSON_ARRAY), display(v))));
            List<Row> rows = new ArrayList<>();
            for (TensorInfo t : gguf.tensors()) {
                rows.add(new Row(t.name(), t.type().name(), t.shape(), t.byteSize(), t.elementCount(), t.dims(),
                        t.offset()));
            }
            GgufValue arch = gguf.metadata().get("general.architecture");
            String architecture = arch instanceof GgufValue.Str s ? s.value() : "unknown";
            String problem = arch == null ? "no general.architecture key" : null;
            return new Report(path, "gguf", gguf.fileSize(), gguf.version(), gguf.alignment(), architecture, problem,
                    metadata, rows);
        }
    }

    static Report inspectSource(Path path) throws IOException {
        try (ModelSource source = ModelSource.open(path)) {
            Map<String, Meta> metadata = new LinkedHashMap<>();
            source.metadata().forEach((k, v) -> metadata.put(k, new Meta(v, oneLine(v))));
            List<Row> rows = new ArrayList<>();
            for (SourceTensor t : source.tensors()) {
                rows.add(new Row(t.name(), t.dtype().name(), t.shape(), t.elementCount() * t.dtype().bytes,
                        t.elementCount(), null, null));
            }
            String architecture = "unknown";
            String problem = null;
            try {
                // The converter's own detection: strip the checkpoint prefix, then match key groups.
                List<String> names = rows.stream().map(Row::name).toList();
                KeyPrefix prefix = KeyPrefix.detect(names);
                architecture = Architecture.detect(names.stream().map(prefix::strip)
                        .flatMap(java.util.Optional::stream).collect(Collectors.toSet())).ggufName;
            } catch (ConversionException e) {
                problem = e.getMessage();
            }
            return new Report(path, source.format().name().toLowerCase(Locale.ROOT), source.fileSize(), null, null,
                    architecture, problem, metadata, rows);
        }
    }

    // ---- JSON -----------------------------------------------------------------------------------------------------

    static Map<String, Object> toJson(Report r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("file", r.file().toString());
        o.put("format", r.format());
        o.put("fileSize", r.fileSize());
        if (r.version() != null) o.put("version", r.version());
        if (r.alignment() != null) o.put("alignment", r.alignment());
        o.put("architecture", r.architecture());
        if (r.architectureProblem() != null) o.put("architectureProblem", r.architectureProblem());
        o.put("tensorCount", r.tensors().size());
        o.put("params", r.params());
        o.put("tensorBytes", r.tensorBytes());
        o.put("bitsPerWeight", r.bitsPerWeight());
        Map<String, Object> metadata = new LinkedHashMap<>();
        r.metadata().forEach((k, v) -> metadata.put(k, v.json()));
        o.put("metadata", metadata);
        Map<String, Object> types = new LinkedHashMap<>();
        r.totals().forEach((type, t) -> types.put(type, Map.of("tensors", t[0], "params", t[1], "bytes", t[2])));
        o.put("types", types);
        List<Object> tensors = new ArrayList<>();
        for (Row row : r.tensors()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("name", row.name());
            t.put("type", row.type());
            t.put("shape", Arrays.stream(row.shape()).boxed().toList());
            if (row.dims() != null) t.put("dims", Arrays.stream(row.dims()).boxed().toList());
            if (row.offset() != null) t.put("offset", row.offset());
            t.put("bytes", row.bytes());
            t.put("params", row.params());
            tensors.add(t);
        }
        o.put("tensors", tensors);
        return o;
    }

    // ---- human output ---------------------------------------------------------------------------------------------

    private static String display(GgufValue v) {
        if (v instanceof GgufValue.Arr a) {
            String preview = a.values().stream().limit(ARRAY_PREVIEW)
                    .map(e -> e instanceof GgufValue.Str s ? '"' + oneLine(s.value()) + '"' : e.toString())
                    .collect(Collectors.joining(", "));
            String more = a.values().size() > ARRAY_PREVIEW ? ", ..." : "";
            return "[" + preview + more + "] (" + a.values().size() + " x " + a.elementType().shortName + ")";
        }
        return oneLine(v.toString());
    }

    /** A value on one line, cut to a readable length. */
    private static String oneLine(String s) {
        String flat = s.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
        return flat.length() <= MAX_DISPLAY_CHARS ? flat : flat.substring(0, MAX_DISPLAY_CHARS) + "...";
    }

    static String human(Report r) {
        StringBuilder sb = new StringBuilder();
        String format = r.format().equals("gguf")
                ? "GGUF v" + r.version() + ", alignment " + r.alignment()
                : r.format();
        String architecture = r.architecture()
                + (r.architectureProblem() != null ? " (" + r.architectureProblem() + ")" : "");
        table(sb, "", List.of(
                List.of("file", r.file().toString()),
                List.of("size", ProgressBar.bytes(r.fileSize()) + " (" + String.format(Locale.ROOT, "%,d", r.fileSize()) + " bytes)"),
                List.of("format", format),
                List.of("architecture", architecture),
                List.of("tensors", r.tensors().size() + ", " + count(r.params()) + " params, "
                        + ProgressBar.bytes(r.tensorBytes()) + String.format(Locale.ROOT, ", %.2f bits per weight",
                        r.bitsPerWeight()))), 0);

        sb.append("\nmetadata (").append(r.metadata().size()).append(")\n");
        List<List<String>> meta = new ArrayList<>();
        r.metadata().forEach((k, v) -> meta.add(List.of(k, v.display())));
        if (meta.isEmpty()) sb.append("  (none)\n");
        table(sb, "  ", meta, 0);

        sb.append("\ntensors (shape in PyTorch order)\n");
        List<List<String>> tensors = new ArrayList<>();
        tensors.add(List.of("name", "type", "shape", "bytes"));
        for (Row row : r.tensors()) {
            tensors.add(List.of(row.name(), row.type(), shape(row.shape()), ProgressBar.bytes(row.bytes())));
        }
        table(sb, "  ", tensors, 0b1000); // bytes right-aligned

        sb.append("\ntotals by type\n");
        List<List<String>> totals = new ArrayList<>();
        totals.add(List.of("type", "tensors", "params", "bytes", "bits/weight"));
        r.totals().forEach((type, t) -> totals.add(List.of(type, Long.toString(t[0]), count(t[1]), ProgressBar.bytes(t[2]),
                String.format(Locale.ROOT, "%.2f", t[1] == 0 ? 0 : t[2] * 8.0 / t[1]))));
        table(sb, "  ", totals, 0b11110); // numbers right-aligned
        return sb.toString();
    }

    /**
     * Appends rows as aligned columns separated by two spaces; columns whose bit is set in {@code rightAligned}
     * (bit i for column i) are right-aligned. The last column is not padded.
     */
    private static void table(StringBuilder sb, String indent, List<List<String>> rows, int rightAligned) {
        if (rows.isEmpty()) return;
        int columns = rows.getFirst().size();
        int[] width = new int[columns];
        for (List<String> row : rows) {
            for (int c = 0; c < columns; c++) width[c] = Math.max(width[c], row.get(c).length());
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder(indent);
            for (int c = 0; c < columns; c++) {
                String cell = row.get(c);
                boolean right = (rightAligned & (1 << c)) != 0;
                if (c > 0) line.append("  ");
                if (right) line.repeat(' ', width[c] - cell.length());
                line.append(cell);
                if (!right && c < columns - 1) line.repeat(' ', width[c] - cell.length());
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
    }

    private static String shape(long[] shape) {
        return shape.length == 0 ? "scalar"
                : Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(" x "));
    }

    /** A count in decimal units: 950, 12.3K, 11.9B. */
    static String count(long n) {
        if (n < 1000) return Long.toString(n);
        String[] units = {"K", "M", "B", "T"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f%s", v, units[u]);
    }
}
