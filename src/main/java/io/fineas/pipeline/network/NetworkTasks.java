package io.fineas.pipeline.network;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import io.fineas.pipeline.common.Hashes;
import io.fineas.pipeline.messages.NodeTask;
import io.fineas.pipeline.processors.CaptureRecords;
import io.fineas.pipeline.processors.ProcessorConfig;
import io.fineas.pipeline.processors.ProcessorRun;
import org.apache.camel.Variable;

/**
 * A network processor's run as tasks for nodes (Kafka node.tasks): one per data list item, with an id made from the
 * processor, run and item (the same run dispatched again after a crash gives the same tasks), plus its share of
 * canaries, mixed among them in an order only the canary secret decides.
 */
public final class NetworkTasks {

    private final Canaries canaries;
    private final String defaultCanaryUrl;
    private final CaptureRecords urls = new CaptureRecords();

    public NetworkTasks(Canaries canaries, String defaultCanaryUrl) {
        this.canaries = canaries;
        this.defaultCanaryUrl = defaultCanaryUrl;
    }

    public List<NodeTask> tasks(@Variable("run") ProcessorRun run) {
        ProcessorConfig config = run.getConfig();
        NetworkSpec spec = config.network();
        long now = System.currentTimeMillis();
        String dispatched = Instant.ofEpochMilli(now).toString();
        List<Map<String, Object>> items = run.getItems();
        List<NodeTask> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String id = Hashes.sha256Hex(config.id() + "/" + run.getRunId() + "/" + i).substring(0, 32);
            out.add(task(run, id, items.get(i), urls.url(run, items.get(i)), dispatched, now, false));
        }
        int count = canaryCount(items.size(), spec.canaryRate());
        String template = spec.canaryUrl() != null ? spec.canaryUrl() : defaultCanaryUrl;
        for (int k = 0; k < count; k++) {
            String id = canaries.id(config.id(), run.getRunId(), k);
            // a canary carries a real item's parameters, so that its item alone does not give it away
            Map<String, Object> item = items.get(Math.floorMod(id.hashCode(), items.size()));
            out.add(task(run, id, item, template.replace("{canary}", id), dispatched, now, true));
        }
        // dispatched in the order of the task ids: canaries fall anywhere among the items
        out.sort(Comparator.comparing(NodeTask::taskId));
        return out;
    }

    /** The canaries of a run: the rate's share of its items, at least one when the rate is above 0. */
    static int canaryCount(int items, double rate) {
        if (rate <= 0 || items == 0) {
            return 0;
        }
        return Math.max(1, (int) Math.round(items * rate));
    }

    private static NodeTask task(ProcessorRun run, String id, Map<String, Object> item, String url, String dispatched,
            long now, boolean canary) {
        ProcessorConfig config = run.getConfig();
        NetworkSpec spec = config.network();
        return new NodeTask(id, config.id(), config.topic(), config.segment(), run.getRunId(), run.getRequestedBy(),
                run.getGeneration(), item, url, spec.replicas(), spec.quorum(), dispatched, now + spec.deadlineMs(),
                spec.leaseMs(), config.guard().maxResponseBytes(), spec.normaliser(), canary);
    }
}
