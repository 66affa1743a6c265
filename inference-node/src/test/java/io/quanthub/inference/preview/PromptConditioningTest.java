package io.quanthub.inference.preview;

import io.quanthub.inference.compute.CpuBackend;
import io.quanthub.inference.pipeline.Conditioning;
import io.quanthub.inference.text.TextEncoders;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node encodes a prompt once per (encoders, prompt, length) and keeps the encoders' files pinned while loaded; the
 * conditioning is Flux's: CLIP-L's pooled state and T5's states over the padded tokens.
 */
class PromptConditioningTest {
    private static final Path DIR = Path.of(System.getProperty("quanthub.testdata", "../../shared/testdata"),
            "text-encoders-tiny");
    // The files' sha256, from the set's config.json.
    private static final String CLIP = "sha256:98eca98adb03f19c3598f4dee68119e2a4c6fb589f7d412bf5a0f34cf4d55193";
    private static final String T5 = "sha256:320ac0f83166c8847d46470677fea128604c92e2b096cf36109700c0d1226957";

    /** The shared files under their digests, recording pins. */
    private static final class Files implements LocalFiles {
        final Map<String, Path> paths = Map.of(CLIP, DIR.resolve("clip_l.safetensors"), T5, DIR.resolve("t5.gguf"));
        final Set<String> pinned = new HashSet<>();

        @Override
        public Path get(String digest) {
            return paths.get(digest);
        }

        @Override
        public void pin(String... digests) {
            pinned.addAll(Set.of(digests));
        }

        @Override
        public void unpin(String... digests) {
            Set.of(digests).forEach(pinned::remove);
        }
    }

    @Test
    void encodesOncePerPromptAndLengthAsFluxConditioning() throws IOException {
        Files files = new Files();
        try (PromptConditioning prompts = new PromptConditioning(files);
             TextEncoders direct = TextEncoders.open(files.get(CLIP), null, files.get(T5), null, new CpuBackend())) {
            var cat = new PreviewRequest.Prompt("a photo of a cat", CLIP, T5, 256);
            Conditioning c = prompts.get(cat);
            assertEquals(Set.of(CLIP, T5), files.pinned);
            assertEquals(256, c.txtTokens());
            assertEquals(64, c.contextDim());
            assertArrayEquals(direct.encodeClip("a photo of a cat").pooled(), c.y());
            assertArrayEquals(direct.t5().encode(direct.t5IdsPadded("a photo of a cat", 256)), c.txt());

            assertSame(c, prompts.get(new PreviewRequest.Prompt("a photo of a cat", CLIP, T5, 256)));
            assertEquals(1, prompts.encodedCount());
            Conditioning longer = prompts.get(new PreviewRequest.Prompt("a photo of a cat", CLIP, T5, 512));
            assertEquals(512, longer.txtTokens());
            prompts.get(new PreviewRequest.Prompt("a photo of a dog", CLIP, T5, 256));
            assertEquals(3, prompts.encodedCount());
        }
        assertTrue(files.pinned.isEmpty(), "closing unpins the encoders");
    }
}
