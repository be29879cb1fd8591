package io.fineas.pipeline.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

import io.fineas.pipeline.common.ApiException;
import org.apache.camel.Variable;
import org.webjars.WebJarVersionLocator;

/**
 * The few files of a WebJar (front-end code from Maven Central) a page of the gateway uses, read from the class path
 * once and served by name: a name not on the list is a 404, so no path reaches anything else.
 */
public final class WebJarFiles {

    private final Map<String, byte[]> files = new HashMap<>();
    private final Map<String, String> types;

    /** @param types each file's name in the WebJar and its Content-Type */
    public WebJarFiles(String webJar, Map<String, String> types) {
        this.types = Map.copyOf(types);
        WebJarVersionLocator locator = new WebJarVersionLocator();
        for (String name : types.keySet()) {
            String path = locator.fullPath(webJar, name);
            if (path == null) {
                throw new IllegalStateException("the WebJar " + webJar + " has no " + name);
            }
            try (InputStream in = WebJarFiles.class.getClassLoader().getResourceAsStream(path)) {
                files.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public byte[] bytes(@Variable("file") String name) {
        byte[] content = files.get(name);
        if (content == null) {
            throw ApiException.notFound("no such file");
        }
        return content;
    }

    public String type(@Variable("file") String name) {
        return types.getOrDefault(name, "application/octet-stream");
    }
}
