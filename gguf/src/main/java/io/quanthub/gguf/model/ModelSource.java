package io.quanthub.gguf.model;

import io.quanthub.gguf.GgmlType;
import io.quanthub.gguf.format.GgufFile;
import io.quanthub.gguf.format.TensorInfo;
import io.quanthub.gguf.safetensors.Dtype;
import io.quanthub.gguf.safetensors.SafetensorsModel;
import io.quanthub.gguf.safetensors.SafetensorsTensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

/**
 * The converter's input: the tensors of a model, whatever it is stored in. {@link #open} accepts a
 * {@code .safetensors} file, a {@code *.safetensors.index.json}, a directory of shards, or a {@code .gguf} whose tensors
 * are F32/F16/BF16 (integer tensors are listed but not convertible). It refuses pickle checkpoints without reading
 * them, and quantized GGUF files (requantizing loses quality twice).
 */
public final class ModelSource implements AutoCloseable {
    public enum Format { SAFETENSORS, GGUF }

    /** Extensions of PyTorch pickle checkpoints. */
    private static final Set<String> PICKLE_EXTENSIONS = Set.of("ckpt", "pt", "pth", "bin", "pkl", "pickle");

    private final Path path;
    private final Format format;
    private final List<SourceTensor> tensors;
    private final Map<String, SourceTensor> byName;
    private final SequencedMap<String, String> metadata;
    private final long fileSize;
    /** Unmaps the underlying files. */
    private final Runnable closer;

    private ModelSource(Path path, Format format, List<SourceTensor> tensors, SequencedMap<String, String> metadata,
                        long fileSize, Runnable closer) {
        this.path = path;
        this.fileSize = fileSize;
        this.format = format;
        this.tensors = List.copyOf(tensors);
        Map<String, SourceTensor> index = new LinkedHashMap<>();
        for (SourceTensor t : tensors) index.put(t.name(), t);
        this.byName = index;
        this.metadata = Collections.unmodifiableSequencedMap(metadata);
        this.closer = closer;
    }

    /**
     * Opens a model for reading.
     *
     * @throws IOException with a one-line reason for pickle checkpoints, quantized GGUF files, unknown files and
     *                     malformed ones
     */
    public static ModelSource open(Path path) throws IOException {
        if (!Files.exists(path)) throw new IOException(path + " does not exist");
        if (Files.isDirectory(path)) {
            refusePickleDirectory(path);
            return openSafetensors(path);
        }
        String name = path.getFileName().toString();
        String extension = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        byte[] head = head(path);
        if (PICKLE_EXTENSIONS.contains(extension) || isPickleOrZip(head) || name.endsWith(".bin.index.json")) {
            throw new IOException(pickleRefusal(path));
        }
        if (extension.equals("gguf") || hasGgufMagic(head)) return openGguf(path);
        if (extension.equals("safetensors") || name.endsWith(SafetensorsModel.INDEX_SUFFIX)
                || (head.length > 8 && head[8] == '{')) {
            return openSafetensors(path);
        }
        throw new IOException("unrecognized model file " + path + ": expected a .safetensors file, a"
                + " *.safetensors.index.json, a directory of .safetensors shards, or a .gguf file");
    }

    /** The one-line reason why pickle checkpoints are refused, and how to convert them safely. */
    static String pickleRefusal(Path path) {
        return "refusing to load " + path.getFileName() + ": it is a PyTorch pickle checkpoint, and unpickling can"
                + " execute arbitrary code. Convert it to safetensors in a trusted, sandboxed environment: "
                + "sd = torch.load(path, map_location='cpu', weights_only=True);"
                + " safetensors.torch.save_file(sd, 'model.safetensors')";
    }

    private static void refusePickleDirectory(Path dir) throws IOException {
        boolean safetensors = false;
        Path pickle = null;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                if (n.endsWith(".safetensors") || n.endsWith(SafetensorsModel.INDEX_SUFFIX)) safetensors = true;
                String ext = n.contains(".") ? n.substring(n.lastIndexOf('.') + 1) : "";
                if (PICKLE_EXTENSIONS.contains(ext) && pickle == null) pickle = p;
            }
        }
        if (!safetensors && pickle != null) throw new IOException(pickleRefusal(pickle));
    }

    private static byte[] head(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return in.readNBytes(16);
        }
    }

    /** A pickle stream starts with the PROTO opcode 0x80 and a protocol 2..5; torch.save's zip with "PK\3\4". */
    private static boolean isPickleOrZip(byte[] head) {
        if (head.length >= 2 && (head[0] & 0xFF) == 0x80 && head[1] >= 2 && head[1] <= 5) return true;
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    }

    /** True for a regular file named *.gguf or starting with the GGUF magic. */
    public static boolean isGguf(Path path) throws IOException {
        if (!Files.isRegularFile(path)) return false;
        return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf") || hasGgufMagic(head(path));
    }

    private static boolean hasGgufMagic(byte[] head) {
        return head.length >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F';
    }

    private static ModelSource openSafetensors(Path path) throws IOException {
        SafetensorsModel model = SafetensorsModel.open(path);
        List<SourceTensor> tensors = new ArrayList<>(model.tensors().size());
        for (SafetensorsTensor t : model.tensors()) {
            tensors.add(new MappedTensor(t.name(), t.shape(), t.dtype(), model.data(t)));
        }
        return new ModelSource(path, Format.SAFETENSORS, tensors, new LinkedHashMap<>(model.metadata()),
                model.fileSize(), model::close);
    }

    private static ModelSource openGguf(Path path) throws IOException {
        GgufFile gguf = GgufFile.open(path);
        try {
            List<SourceTensor> tensors = new ArrayList<>(gguf.tensors().size());
            for (TensorInfo t : gguf.tensors()) {
                Dtype dtype = sourceDtype(t.type());
                if (dtype == null) {
                    throw new IOException("requantizing " + t.type() + " (tensor '" + t.name() + "' in "
                            + path.getFileName() + ") is not supported; convert from the F16/BF16 source");
                }
                tensors.add(new MappedTensor(t.name(), t.shape(), dtype, gguf.data(t)));
            }
            SequencedMap<String, String> metadata = new LinkedHashMap<>();
            gguf.metadata().forEach((k, v) -> metadata.put(k, v.toString()));
            return new ModelSource(path, Format.GGUF, tensors, metadata, gguf.fileSize(), gguf::close);
        } catch (IOException | RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    /** The source dtype of a GGUF tensor type, or null for quantized types. */
    private static Dtype sourceDtype(GgmlType type) {
        return switch (type) {
            case F32 -> Dtype.F32;
            case F16 -> Dtype.F16;
            case BF16 -> Dtype.BF16;
            case F64 -> Dtype.F64;
            case I8 -> Dtype.I8;
            case I16 -> Dtype.I16;
            case I32 -> Dtype.I32;
            case I64 -> Dtype.I64;
            default -> null;
        };
    }

    public Path path() {
        return path;
    }

    public Format format() {
        return format;
    }

    /** The tensors in file order (shard by shard for sharded safetensors). */
    public List<SourceTensor> tensors() {
        return tensors;
    }

    /** The tensor with this name, or null. */
    public SourceTensor tensor(String name) {
        return byName.get(name);
    }

    /** safetensors {@code __metadata__} (plus a shard index's metadata), or the GGUF KVs as text. */
    public SequencedMap<String, String> metadata() {
        return metadata;
    }

    /** Total bytes of the file(s) read. */
    public long fileSize() {
        return fileSize;
    }

    /** Unmaps the files; tensors of this source become unreadable. */
    @Override
    public void close() {
        closer.run();
    }
}
