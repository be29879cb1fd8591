package io.fineas.pipeline;

import org.apache.camel.main.Main;

/** Starts the pipeline: Camel Main loads the routes of the roles in PIPELINE_ROLES (default all). */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && "evaluate".equals(args[0])) {
            // a client of a running pipeline: a golden set as a quality gate (rag/eval/EvaluateCommand)
            System.exit(io.fineas.pipeline.rag.eval.EvaluateCommand.run(args, System.out));
        }
        Main main = new Main(Application.class);
        PipelineRoles roles = PipelineRoles.fromEnvironment();
        main.configure().withRoutesIncludePattern(roles.routesIncludePattern());
        if (!roles.servesApi()) {
            // processors and infrastructure serve no API: only the management port (health, metrics) is open
            main.addOverrideProperty("camel.server.enabled", "false");
        }
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
}
