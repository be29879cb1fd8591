package io.fineas.pipeline;

import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * Starts the pipeline: Camel Main loads the routes of the roles in {@code pipeline.roles} (PIPELINE_ROLES, default
 * all).
 */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && "evaluate".equals(args[0])) {
            // a client of a running pipeline, no Camel context: a golden set as a quality gate, its defaults from the
            // caller's environment (rag/eval/EvaluateCommand)
            System.exit(io.fineas.pipeline.rag.eval.EvaluateCommand.run(args, System.getenv(), System.out));
        }
        Main main = new Main(Application.class);
        main.addMainListener(new RolesListener());
        int code;
        try {
            code = main.run(args);
        } catch (Exception failed) {
            Throwable cause = failed;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            System.err.println("Fineas pipeline failed to start: " + cause.getMessage());
            failed.printStackTrace();
            code = 1;
        }
        // a start that failed leaves the embedded servers' threads behind: the process ends with the failure's code
        System.exit(code);
    }

    /**
     * The roles read as every other setting is, through Camel's properties ({@code pipeline.roles}, from
     * PIPELINE_ROLES), once they are loaded and before Camel Main reads its own configuration: the route folders to
     * load, and whether the API port is opened.
     */
    static final class RolesListener extends MainListenerSupport {
        @Override
        public void beforeConfigure(BaseMainSupport main) {
            var properties = main.getCamelContext().getPropertiesComponent();
            PipelineRoles roles = PipelineRoles.parse(properties.resolveProperty("pipeline.roles").orElse("all"));
            main.configure().withRoutesIncludePattern(roles.routesIncludePattern());
            if (!roles.servesApi()) {
                // processors and infrastructure serve no API: only the management port (health, metrics) is open
                properties.addOverrideProperty("camel.server.enabled", "false");
            }
        }
    }
}
