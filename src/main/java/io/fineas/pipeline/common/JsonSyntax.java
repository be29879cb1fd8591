package io.fineas.pipeline.common;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Where a JSON or YAML text is malformed, without its content: Jackson's own messages quote the token they stopped at
 * ("Unrecognized token 'fpk_…'"), and a configuration or data collection file may hold a key there. Reports, logs and
 * API answers name the place only.
 */
public final class JsonSyntax {

    private JsonSyntax() {
    }

    /** "at line L, column C", or "" when Jackson knows no place. */
    public static String where(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        if (at == null || at.getLineNr() < 1) {
            return "";
        }
        return "at line " + at.getLineNr() + (at.getColumnNr() > 0 ? ", column " + at.getColumnNr() : "");
    }
}
