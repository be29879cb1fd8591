package io.fineas.pipeline;

import org.apache.camel.main.Main;

/** Starts the pipeline: Camel Main loads the routes of the roles in PIPELINE_ROLES (default all). */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main(Application.class);
        main.configure().withRoutesIncludePattern(PipelineRoles.fromEnvironment().routesIncludePattern());
        main.run(args);
    }
}
