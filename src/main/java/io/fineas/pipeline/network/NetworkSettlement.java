package io.fineas.pipeline.network;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.fineas.pipeline.messages.CapturedRecord;
import io.fineas.pipeline.messages.NodeDispute;
import io.fineas.pipeline.messages.NodeSubmission;
import io.fineas.pipeline.messages.NodeTask;
import io.fineas.pipeline.processors.CaptureRecords;
import io.fineas.pipeline.processors.ProcessorRun;
import io.fineas.pipeline.processors.ProcessorRuns;
import org.apache.camel.Body;
import org.apache.camel.Variable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a completed tally means (routes/processors/network: network-settle). Agreed: the first agreeing submission's
 * content is the record, with the agreeing nodes in its lineage, published once (CaptureLedger); the agreeing nodes
 * gain, the others lose credibility. A canary: each node's content is checked against the page the pipeline knows; a
 * node that does not match is flagged. Neither: a trusted processor captures the item itself, the nodes are judged by
 * what it found, and the task with every submission goes to node.disputes.
 */
public final class NetworkSettlement {

    private static final Logger LOG = LoggerFactory.getLogger(NetworkSettlement.class);

    /** A completed tally, judged. */
    public record Verdict(NodeTask task, String agreedHash, List<NodeSubmission> agreeing,
            List<NodeSubmission> dissenting, List<String> silent, String owner) {

        public boolean isCanary() {
            return task.canary();
        }

        public boolean isAgreed() {
            return !task.canary() && agreedHash != null;
        }

        public String getTaskId() {
            return task.taskId();
        }

        public Map<String, Object> getItem() {
            return task.item();
        }

        public List<String> agreeingNodes() {
            return agreeing.stream().map(NodeSubmission::nodeId).toList();
        }
    }

    private final ProcessorRuns runs;
    private final TaskBoard board;
    private final NodeRegistry registry;
    private final Canaries canaries;
    private final CaptureRecords records = new CaptureRecords();

    public NetworkSettlement(ProcessorRuns runs, TaskBoard board, NodeRegistry registry, Canaries canaries) {
        this.runs = runs;
        this.board = board;
        this.registry = registry;
        this.canaries = canaries;
    }

    /** @param owner the completed tally's exchange id: who may settle the task (TaskBoard.claim) */
    public Verdict verdict(Tally tally, String owner) {
        NodeTask task = tally.task();
        String agreed = tally.agreedHash().orElse(null);
        List<NodeSubmission> agreeing = new ArrayList<>();
        List<NodeSubmission> dissenting = new ArrayList<>();
        for (NodeSubmission s : tally.submissions()) {
            (s.contentHash().equals(agreed) ? agreeing : dissenting).add(s);
        }
        return new Verdict(task, agreed, agreeing, dissenting, board.silent(task.taskId()), owner);
    }

    /** Whether this tally settles its task (the first to complete it, or the same one sent again after a crash). */
    public boolean claim(@Variable("verdict") Verdict verdict) {
        boolean mine = board.claim(verdict.getTaskId(), verdict.owner());
        if (!mine) {
            LOG.info("Task {} was settled by an earlier tally; this one ({} submissions) is left", verdict.getTaskId(),
                    verdict.agreeing().size() + verdict.dissenting().size());
        }
        return mine;
    }

    /** The run a task belongs to, as a processor run of its processor (for the capture and publish routes). */
    public ProcessorRun run(@Variable("verdict") Verdict verdict) {
        NodeTask t = verdict.task();
        return runs.forTask(t.processorId(), t.runId(), t.requestedBy(), t.generation());
    }

    /** The agreed record: the first agreeing capture's content, captured by the agreeing nodes. */
    public List<CapturedRecord> record(@Variable("run") ProcessorRun run, @Variable("verdict") Verdict verdict) {
        NodeSubmission first = verdict.agreeing().get(0);
        return List.of(records.record(run, verdict.task().item(), verdict.task().url(), first.content(),
                first.contentType(), CapturedRecord.Extra.NONE).withCapturedBy(verdict.agreeingNodes()));
    }

    /**
     * After the agreed record was published: the task settled and every node's outcome counted, once each (also when
     * the processors were killed between the two and the aggregator's recovery sends the settlement again).
     */
    public void agreed(@Variable("verdict") Verdict verdict) {
        if (board.settle(verdict.getTaskId(), verdict.owner(), "agreed", verdict.agreeingNodes())
                && !verdict.dissenting().isEmpty()) {
            LOG.warn("Task {}: {} agreed, {} disagreed", verdict.getTaskId(), verdict.agreeingNodes(),
                    verdict.dissenting().stream().map(NodeSubmission::nodeId).toList());
        }
        verdict.agreeing().forEach(s -> count(verdict, s.nodeId(), NodeRegistry.Outcome.AGREED, bytes(s)));
        verdict.dissenting().forEach(s -> count(verdict, s.nodeId(), NodeRegistry.Outcome.DISPUTED, bytes(s)));
        countSilent(verdict);
    }

    /** A node's outcome of the verdict's task, counted once whatever is sent again; whether this call counted it. */
    private boolean count(Verdict verdict, String nodeId, NodeRegistry.Outcome outcome, long bytes) {
        if (!board.countOnce(verdict.getTaskId(), nodeId)) {
            return false;
        }
        registry.record(nodeId, outcome, bytes);
        return true;
    }

    private void countSilent(Verdict verdict) {
        verdict.silent().forEach(n -> count(verdict, n, NodeRegistry.Outcome.SILENT, 0));
    }

    /**
     * A canary judged: each submission against the page only the pipeline could know. A node caught is flagged and
     * gets no more tasks; the dispute (null when every node passed) names it.
     */
    public NodeDispute canary(@Variable("verdict") Verdict verdict) {
        String expected = verdict.task().normaliser().hash(canaries.page(verdict.getTaskId()), "text/html");
        List<NodeSubmission> all = new ArrayList<>(verdict.agreeing());
        all.addAll(verdict.dissenting());
        List<NodeSubmission> caught = all.stream().filter(s -> !s.contentHash().equals(expected)).toList();
        board.settle(verdict.getTaskId(), verdict.owner(), "canary", all.stream()
                .filter(s -> s.contentHash().equals(expected)).map(NodeSubmission::nodeId).toList());
        for (NodeSubmission s : all) {
            boolean passed = s.contentHash().equals(expected);
            if (count(verdict, s.nodeId(), passed ? NodeRegistry.Outcome.CANARY_PASSED
                    : NodeRegistry.Outcome.CANARY_FAILED, bytes(s)) && !passed) {
                LOG.warn("Node {} submitted content for canary {} that is not the canary's: flagged", s.nodeId(),
                        verdict.getTaskId());
            }
        }
        countSilent(verdict);
        return caught.isEmpty() ? null : dispute(verdict, "canary content not matched by "
                + caught.stream().map(NodeSubmission::nodeId).toList());
    }

    /** The dispute of a task without quorum: every submission, the silent nodes, the reason. */
    public NodeDispute dispute(Verdict verdict, String reason) {
        List<NodeSubmission> all = new ArrayList<>(verdict.agreeing());
        all.addAll(verdict.dissenting());
        return new NodeDispute(verdict.task(), reason, all, verdict.silent(), Instant.now().toString());
    }

    public NodeDispute noQuorum(@Variable("verdict") Verdict verdict) {
        LOG.warn("Task {} has no quorum ({} of {} submitted); a trusted processor captures {}", verdict.getTaskId(),
                verdict.dissenting().size(), verdict.task().replicas(), verdict.task().url());
        return dispute(verdict, "no quorum of " + verdict.task().quorum() + " by the deadline: "
                + verdict.dissenting().size() + " submissions, " + verdict.silent().size() + " silent");
    }

    /**
     * After a trusted processor captured a task the network did not settle: the nodes whose normalised content
     * matches the trusted capture agreed, the others disputed (a trusted capture that failed judges no one).
     */
    public void trusted(@Variable("verdict") Verdict verdict, @Variable("records") List<CapturedRecord> captured) {
        String trusted = captured == null || captured.isEmpty() ? null
                : verdict.task().normaliser().hash(captured.get(0).content(), captured.get(0).contentType());
        List<NodeSubmission> all = new ArrayList<>(verdict.dissenting());
        List<String> matching = all.stream().filter(s -> s.contentHash().equals(trusted)).map(NodeSubmission::nodeId)
                .toList();
        board.settle(verdict.getTaskId(), verdict.owner(), trusted == null ? "unsettled" : "trusted", matching);
        if (trusted != null) {
            all.forEach(s -> count(verdict, s.nodeId(), s.contentHash().equals(trusted)
                    ? NodeRegistry.Outcome.AGREED : NodeRegistry.Outcome.DISPUTED, bytes(s)));
        }
        countSilent(verdict);
    }

    /** A tally whose settlement failed every recovery attempt: its dispute. */
    public NodeDispute unsettled(@Body Tally tally) {
        return dispute(verdict(tally, "dead-letter"), "the settlement failed after every recovery attempt (see the "
                + "processors' log)");
    }

    private static long bytes(NodeSubmission s) {
        return s.content() == null ? 0 : s.content().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
