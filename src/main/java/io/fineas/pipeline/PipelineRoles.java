package io.fineas.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which stages this process runs: PIPELINE_ROLES=gateway,scheduler,processors,rag (or "all"). Each role is a folder
 * of routes under routes/; error configurations (routes/errors/) and what every role shares (routes/shared/:
 * the REST configuration) are always loaded. The role "infra" runs no stage: only the embedded Kafka broker and
 * MongoDB server, for the other roles' processes to share (the embedded default split into processes).
 */
public record PipelineRoles(Set<String> roles) {

    public static final List<String> ALL = List.of("gateway", "scheduler", "processors", "rag");
    /** The embedded infrastructure alone: no routes. */
    public static final String INFRA = "infra";
    /** A capture node of an open capture network: it speaks to a gateway only, and runs alone. */
    public static final String NODE = "node";

    /** @param value {@code pipeline.roles} (PIPELINE_ROLES): a comma-separated list; blank means all */
    public static PipelineRoles parse(String value) {
        if (value == null || value.isBlank()) {
            value = "all";
        }
        Set<String> roles = new LinkedHashSet<>();
        for (String r : value.split(",")) {
            String role = r.trim().toLowerCase();
            if (role.equals("all")) {
                roles.addAll(ALL);
            } else if (ALL.contains(role) || role.equals(INFRA) || role.equals(NODE)) {
                roles.add(role);
            } else if (!role.isEmpty()) {
                throw new IllegalArgumentException("Unknown role '" + role + "' in PIPELINE_ROLES; known roles: "
                        + String.join(", ", ALL) + ", " + INFRA + ", " + NODE + ", all");
            }
        }
        if (roles.contains(NODE) && roles.size() > 1) {
            throw new IllegalArgumentException("PIPELINE_ROLES=node runs alone: a node holds none of the pipeline's "
                    + "stores or keys");
        }
        return new PipelineRoles(roles);
    }

    public String routesIncludePattern() {
        if (isNodeOnly()) {
            return "classpath:routes/node/*.camel.yaml";
        }
        List<String> patterns = new ArrayList<>(List.of("classpath:routes/errors/*.camel.yaml",
                "classpath:routes/shared/*.camel.yaml"));
        roles.stream().filter(r -> !r.equals(INFRA)).forEach(r -> patterns.add("classpath:routes/" + r + "/*.camel.yaml"));
        if (roles.contains("gateway") && !roles.contains("rag")) {
            // the RAG service's /search and /lineage at the gateway's origin, forwarded to RAG_URL
            patterns.add("classpath:routes/gateway-rag/*.camel.yaml");
        }
        return String.join(",", patterns);
    }

    /** Whether this process is a capture node (nothing else: checked by {@link #parse}). */
    public boolean isNodeOnly() {
        return roles.contains(NODE);
    }

    /** Whether this process serves HTTP on the API port: the gateway's API, the RAG service's /search, /schedule. */
    public boolean servesApi() {
        return roles.contains("gateway") || roles.contains("rag") || roles.contains("scheduler");
    }

    @Override
    public String toString() {
        return String.join(",", roles.isEmpty() ? Arrays.asList("none") : roles);
    }
}
