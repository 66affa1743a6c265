package io.quanthub.inference.flux;

import io.quanthub.inference.model.FloatTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The inputs of one Flux transformer call, batch size 1.
 *
 * @param img       packed latent [imgTokens x inChannels]
 * @param imgIds    position ids [imgTokens x 3]: (0, row, column)
 * @param txt       T5 hidden states [txtTokens x contextInDim]
 * @param txtIds    position ids [txtTokens x 3], zeros for text-to-image
 * @param y         pooled CLIP vector [vecInDim]
 * @param timestep  t in [0, 1]
 * @param guidance  distilled guidance strength; NaN when not given (models without guidance_in ignore it)
 */
public record FluxInputs(float[] img, int imgTokens, float[] imgIds, float[] txt, int txtTokens, float[] txtIds,
                         float[] y, float timestep, float guidance) {
    public FluxInputs {
        if (imgIds.length != imgTokens * 3 || txtIds.length != txtTokens * 3) {
            throw new IllegalArgumentException("position ids must be [tokens x 3]: got " + imgIds.length + " img ids for "
                    + imgTokens + " tokens and " + txtIds.length + " txt ids for " + txtTokens + " tokens");
        }
    }

    /**
     * Reads the inputs BFL's {@code Flux.forward} takes, saved under their argument names {@code img, img_ids, txt,
     * txt_ids, y, timesteps, guidance} (batch 1; guidance may be absent for models without guidance_in).
     */
    public static FluxInputs readSafetensors(Path path) throws IOException {
        Map<String, FloatTensor> t = FloatTensor.readSafetensors(path);
        String source = path.getFileName().toString();
        FloatTensor img = FloatTensor.require(t, "img", source);
        FloatTensor txt = FloatTensor.require(t, "txt", source);
        long[] imgShape = img.shape();
        long[] txtShape = txt.shape();
        if (imgShape.length != 3 || txtShape.length != 3 || imgShape[0] != 1 || txtShape[0] != 1) {
            throw new IllegalArgumentException(source + ": img and txt must be [1, tokens, channels] (batch 1)");
        }
        FloatTensor guidance = t.get("guidance");
        return new FluxInputs(img.values(), (int) imgShape[1], FloatTensor.require(t, "img_ids", source).values(),
                txt.values(), (int) txtShape[1], FloatTensor.require(t, "txt_ids", source).values(),
                FloatTensor.require(t, "y", source).values(),
                FloatTensor.require(t, "timesteps", source).values()[0],
                guidance == null ? Float.NaN : guidance.values()[0]);
    }
}
