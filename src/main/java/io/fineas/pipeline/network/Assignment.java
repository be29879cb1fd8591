package io.fineas.pipeline.network;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.fineas.pipeline.common.Hashes;

/**
 * Which nodes a task goes to: the eligible nodes ranked by the hash of the task id and the node id (rendezvous
 * hashing), taken in that order with at most one node per operator, until there are {@code replicas}. Every gateway
 * replica computes the same choice from the same nodes, with no coordination; a node that joins or leaves moves only
 * the tasks it ranks first for; an operator cannot place two of its nodes on one task.
 */
public final class Assignment {

    /** A node that may be given tasks. */
    public record Candidate(String nodeId, String operator) {
    }

    private Assignment() {
    }

    public static List<Candidate> choose(String taskId, List<Candidate> eligible, int replicas) {
        List<Candidate> ranked = new ArrayList<>(eligible);
        ranked.sort(Comparator.comparing((Candidate c) -> Hashes.sha256Hex(taskId + "/" + c.nodeId()))
                .thenComparing(Candidate::nodeId));
        List<Candidate> out = new ArrayList<>();
        Set<String> operators = new HashSet<>();
        for (Candidate c : ranked) {
            if (out.size() == replicas) {
                break;
            }
            if (operators.add(operatorKey(c.operator()))) {
                out.add(c);
            }
        }
        return out;
    }

    /** Operators are told apart by name, case and spacing aside ("ACME Ltd" and "acme  ltd" are one). */
    static String operatorKey(String operator) {
        return operator == null ? "" : operator.strip().replaceAll("\\s+", " ").toLowerCase(java.util.Locale.ROOT);
    }
}
