package io.quanthub.gguf.convert;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The state-dict prefix that ComfyUI-GGUF's convert.py ({@code strip_prefix}) removes before detecting the
 * architecture (spec comfyui-gguf-compat.md §1.1).
 *
 * <p>The rules are copied exactly, quirks included, because the output tensor names must match:
 * <ul>
 *   <li>{@code model.diffusion_model.} and then {@code model.} are used when <em>any</em> key starts with them; a full
 *       SD checkpoint thereby keeps only its UNet;</li>
 *   <li>otherwise {@code net.} (Cosmos) is used only when <em>all</em> keys start with it;</li>
 *   <li>keys that do not <em>contain</em> the prefix (anywhere) are dropped;</li>
 *   <li>the prefix is removed with Python's {@code str.replace}, i.e. every occurrence, not only the leading one.</li>
 * </ul>
 *
 * @param prefix the prefix, or "" when the keys have none
 */
public record KeyPrefix(String prefix) {
    /** Prefixes of "mixed" state dicts (checkpoint with VAE and text encoder), tried in this order. */
    private static final List<String> MIXED = List.of("model.diffusion_model.", "model.");
    /** Prefixes of "uniform" state dicts, used only when every key has them. */
    private static final List<String> UNIFORM = List.of("net.");

    public static final KeyPrefix NONE = new KeyPrefix("");

    /** The prefix convert.py would pick for these keys. */
    public static KeyPrefix detect(Collection<String> keys) {
        for (String p : MIXED) {
            if (keys.stream().anyMatch(k -> k.startsWith(p))) return new KeyPrefix(p);
        }
        for (String p : UNIFORM) {
            if (!keys.isEmpty() && keys.stream().allMatch(k -> k.startsWith(p))) return new KeyPrefix(p);
        }
        return NONE;
    }

    /** The key as convert.py names it, or empty when convert.py drops the key. */
    public Optional<String> strip(String key) {
        if (prefix.isEmpty()) return Optional.of(key);
        if (!key.contains(prefix)) return Optional.empty();
        return Optional.of(key.replace(prefix, ""));
    }
}
