package io.fineas.pipeline.network;

import java.io.Serializable;

/**
 * How a network processor's items are captured by nodes (the config's {@code network:}): each task goes to
 * {@code replicas} nodes of distinct operators, settles when {@code quorum} of them agree on its normalised content,
 * and otherwise, at {@code deadlineMs}, is captured by a trusted processor. A node holds a task for {@code leaseMs};
 * silent that long, the task goes to the next node. {@code canaryRate} of the tasks are canaries (the pipeline knows
 * their content), served from {@code canaryUrl} ({canary} replaced by the canary's id).
 */
public record NetworkSpec(int replicas, int quorum, double canaryRate, long deadlineMs, long leaseMs,
        String canaryUrl, Normaliser normaliser) implements Serializable {

    public NetworkSpec {
        if (quorum > replicas) {
            throw new IllegalArgumentException("network.quorum (" + quorum + ") is more than network.replicas ("
                    + replicas + "): no task could ever settle");
        }
        if (canaryUrl != null && !canaryUrl.contains("{canary}")) {
            throw new IllegalArgumentException("network.canary_url must hold {canary}, the canary's id");
        }
    }

    /** A majority of the replicas: with 3, 2 agreeing nodes settle a task and one liar cannot. */
    public static int majority(int replicas) {
        return replicas / 2 + 1;
    }
}
