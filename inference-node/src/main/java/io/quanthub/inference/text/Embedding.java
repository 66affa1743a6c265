package io.quanthub.inference.text;

import io.quanthub.inference.compute.Weight;

/** Rows of an embedding table [vocabulary, dim] (any stored type) looked up by token id. */
final class Embedding {
    private Embedding() {
    }

    /** {@code [ids.length x dim]}: row {@code ids[t]} of {@code table} for each token. */
    static float[] lookup(Weight table, int[] ids) {
        int dim = table.cols();
        float[] out = new float[ids.length * dim];
        float[] row = new float[dim];
        for (int t = 0; t < ids.length; t++) {
            int id = ids[t];
            if (id < 0 || id >= table.rows()) {
                throw new IllegalArgumentException("token id " + id + " is outside " + table.name() + "'s "
                        + table.rows() + " rows");
            }
            table.dequantizeRows(id, 1, row);
            System.arraycopy(row, 0, out, t * dim, dim);
        }
        return out;
    }
}
