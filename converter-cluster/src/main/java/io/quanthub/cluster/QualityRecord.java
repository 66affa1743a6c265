package io.quanthub.cluster;

import io.quanthub.gguf.convert.QuantError;
import io.quanthub.gguf.convert.TensorPlan;
import io.quanthub.storage.VariantQuality;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/** The variant's quality record from the error sums its parts measured. */
final class QualityRecord {
    private QualityRecord() {
    }

    /**
     * Adds up each tensor's error over the parts (in part order, so the result does not depend on which member
     * made which part) and the model's over the tensors.
     *
     * @throws IllegalStateException    when the parts did not measure every element exactly once
     * @throws IllegalArgumentException when a tensor's error is NaN or infinite (a NaN or infinity in a tensor kept
     *                                  in float, or a value its output type cannot hold): such a variant is broken,
     *                                  and its job must fail naming the tensor rather than end "done"
     */
    static VariantQuality of(List<TensorPlan> tensors, Collection<Job.PartResult> partsInOrder, double bitsPerWeight,
                             long sizeBytes) {
        QuantError[] sums = new QuantError[tensors.size()];
        Arrays.fill(sums, QuantError.NONE);
        for (Job.PartResult part : partsInOrder) part.errors().forEach((i, error) -> sums[i] = sums[i].plus(error));
        List<VariantQuality.TensorQuality> rows = new ArrayList<>(tensors.size());
        QuantError model = QuantError.NONE;
        for (int i = 0; i < sums.length; i++) {
            TensorPlan t = tensors.get(i);
            QuantError e = sums[i];
            if (e.elements() != t.elementCount()) {
                throw new IllegalStateException("the parts measured " + e.elements() + " of the " + t.elementCount()
                        + " values of tensor '" + t.name() + "'");
            }
            if (!Double.isFinite(e.relativeRmse()) || !Double.isFinite(e.cosine())) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' has a quantization error of "
                        + e.relativeRmse() + " (relative RMSE; cosine " + e.cosine() + "): its values or its "
                        + t.type().name() + " output hold NaN or infinity");
            }
            rows.add(new VariantQuality.TensorQuality(t.name(), t.type().name(), e.elements(), e.relativeRmse(),
                    e.cosine(), e.sourceSquares(), e.errorSquares(), e.dot(), e.outputSquares()));
            model = model.plus(e);
        }
        return new VariantQuality(model.relativeRmse(), model.cosine(), bitsPerWeight, sizeBytes, model.elements(),
                rows);
    }
}
