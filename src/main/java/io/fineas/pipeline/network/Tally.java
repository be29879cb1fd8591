package io.fineas.pipeline.network;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.fineas.pipeline.messages.NodeSubmission;
import io.fineas.pipeline.messages.NodeTask;

/**
 * The submissions of one task so far, grouped by content hash: the aggregate the agreement's aggregator keeps per
 * task id (persisted between submissions in MongoDB, MongoAggregationRepository). Complete when one hash has the
 * quorum's votes, or when the votes still to come could no longer make one: then waiting for the deadline is pointless.
 */
public final class Tally implements Serializable {

    private static final long serialVersionUID = 1L;

    private NodeTask task;
    private final List<NodeSubmission> submissions = new ArrayList<>();

    /** Adds a task (opening the tally) or a submission; a second submission of the same node is ignored. */
    public Tally add(Object message) {
        if (message instanceof NodeTask t) {
            task = t;
        } else if (message instanceof NodeSubmission s) {
            if (task == null) {
                task = s.task();
            }
            if (submissions.stream().noneMatch(o -> o.nodeId().equals(s.nodeId()))) {
                submissions.add(s);
            }
        } else {
            throw new IllegalArgumentException("neither a task nor a submission: " + message);
        }
        return this;
    }

    public NodeTask task() {
        return task;
    }

    public List<NodeSubmission> submissions() {
        return List.copyOf(submissions);
    }

    /** Votes per normalised content hash, in the order the hashes were first submitted. */
    public Map<String, List<NodeSubmission>> byHash() {
        Map<String, List<NodeSubmission>> out = new LinkedHashMap<>();
        for (NodeSubmission s : submissions) {
            out.computeIfAbsent(s.contentHash(), h -> new ArrayList<>()).add(s);
        }
        return out;
    }

    /** The content hash at least a quorum of nodes submitted, if any. */
    public Optional<String> agreedHash() {
        if (task == null) {
            return Optional.empty();
        }
        return byHash().entrySet().stream().filter(e -> e.getValue().size() >= task.quorum()).map(Map.Entry::getKey)
                .findFirst();
    }

    /**
     * Whether nothing more can change the outcome: a quorum agrees (a canary waits for every replica, to judge each),
     * or the submissions still possible cannot give any hash a quorum.
     */
    public boolean isComplete() {
        if (task == null) {
            return false;
        }
        if (task.canary()) {
            return submissions.size() >= task.replicas();
        }
        if (agreedHash().isPresent()) {
            return true;
        }
        int best = byHash().values().stream().mapToInt(List::size).max().orElse(0);
        int stillToCome = Math.max(0, task.replicas() - submissions.size());
        return best + stillToCome < task.quorum();
    }
}
