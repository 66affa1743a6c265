package io.quanthub.inference.preview;

import io.quanthub.inference.compute.ComputeBackend;
import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.pipeline.Conditioning;
import io.quanthub.inference.text.TextEncoders;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Prompts encoded into Flux conditioning on this node: {@code y} is CLIP-L's pooled state over the 77 EOS-padded
 * tokens, {@code txt} the T5 states over the tokens padded to the request's length (no mask), as BFL's sampling does.
 * The encoders stay loaded among the node's models ({@link LoadedModels}); encoded prompts are kept by (encoder
 * digests, prompt, length), so previews of every quant level of a model encode their prompt once.
 */
final class PromptConditioning implements AutoCloseable {
    /** Encoded prompts kept: a Flux {@code txt} is 512 x 4096 floats, 8 MiB. */
    static final int CACHED = 32;

    private record Key(String clip, String t5, String text, int length) {
    }

    private final LocalFiles files;
    private final Map<Key, Conditioning> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Conditioning> eldest) {
            return size() > CACHED;
        }
    };
    private final LoadedModels loaded;
    private final boolean ownsLoaded;
    private int encoded;

    private final Supplier<ComputeBackend> backends;

    PromptConditioning(LocalFiles files) {
        this(files, CpuBackend::new, new LoadedModels(files, Long.MAX_VALUE, loaded -> {}), true);
    }

    /**
     * Encoders opened on a backend from {@code backends}, kept among the node's {@code loaded} models (which evicts
     * them as it evicts a transformer).
     */
    PromptConditioning(LocalFiles files, Supplier<ComputeBackend> backends, LoadedModels loaded) {
        this(files, backends, loaded, false);
    }

    private PromptConditioning(LocalFiles files, Supplier<ComputeBackend> backends, LoadedModels loaded,
                               boolean ownsLoaded) {
        this.backends = backends;
        this.files = files;
        this.loaded = loaded;
        this.ownsLoaded = ownsLoaded;
    }

    /** The conditioning of {@code prompt}: from the cache, or encoded now. */
    synchronized Conditioning get(PreviewRequest.Prompt prompt) throws IOException {
        Key key = new Key(prompt.clip(), prompt.t5(), prompt.text(), prompt.t5Length());
        Conditioning cached = cache.get(key);
        if (cached != null) return cached;
        TextEncoders e = encoders(prompt.clip(), prompt.t5());
        float[] y = e.encodeClip(prompt.text()).pooled();
        int[] ids = e.t5IdsPadded(prompt.text(), prompt.t5Length());
        Conditioning c = new Conditioning(e.t5().encode(ids), ids.length, y);
        cache.put(key, c);
        encoded++;
        return c;
    }

    /** How many prompts this node has encoded (not served from the cache). */
    synchronized int encodedCount() {
        return encoded;
    }

    private TextEncoders encoders(String clip, String t5) throws IOException {
        return loaded.get(List.of(clip, t5), () -> {
            var clipFile = files.get(clip);
            var t5File = files.get(t5);
            try {
                // Cached files are named by digest: the tokenizers are the T5 GGUF's own or the shipped ones.
                return TextEncoders.open(clipFile, null, t5File, null, backends.get());
            } catch (IOException | RuntimeException e) {
                throw new IOException("the model's text encoders cannot be run: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public synchronized void close() {
        if (ownsLoaded) loaded.close();
    }
}
