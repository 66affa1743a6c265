package io.quanthub.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StagedUploadsTest extends S3TestSupport {
    @Test
    void partsSentInAnyOrderMakeOneBlobAndTheUploadIsListedOnlyWhileOpen() throws Exception {
        StagedUploads staged = storage.staged();
        StagedUploads.Upload upload = staged.start();
        assertEquals(List.of(upload), staged.open().stream().map(StagedUploads.Open::upload).toList());

        byte[] data = randomBytes(3, PART + 10);
        String second = staged.uploadPart(upload, 2, java.util.Arrays.copyOfRange(data, PART, data.length));
        String first = staged.uploadPart(upload, 1, java.util.Arrays.copyOf(data, PART));
        Blob blob = staged.finish(upload, Map.of(1, first, 2, second), data.length);

        assertEquals(sha256Hex(data), blob.digest().hex());
        try (InputStream in = storage.blobs().open(blob.digest())) {
            assertEquals(data.length, in.readAllBytes().length);
        }
        assertEquals(List.of(), staged.open());
        assertEquals(List.of(), staged.pending(""));
    }

    @Test
    void anAbortedUploadLeavesNothing() {
        StagedUploads staged = storage.staged();
        StagedUploads.Upload upload = staged.start();
        staged.uploadPart(upload, 1, randomBytes(4, PART));

        staged.abort(upload);

        assertEquals(List.of(), staged.open());
        assertEquals(List.of(), staged.pending(""));
        assertEquals(List.of(), objects().list("leases/").toList());
    }
}
