package io.quanthub.hub.api;

import java.util.List;

/**
 * Every error answer of the hub: {@code {"error": "<one line naming the problem>"}}, with the status saying what kind.
 *
 * @param valid the accepted values, when the problem is a value outside them (an unknown quant level); else null
 */
public record ApiError(String error, List<String> valid) {
    public static ApiError of(String error) {
        return new ApiError(error, null);
    }
}
