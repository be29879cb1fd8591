package io.fineas.pipeline.infra;

import de.bwaldvogel.mongo.backend.KeyValue;
import org.h2.mvstore.type.ObjectDataType;

/**
 * The key type of the embedded MongoDB's index maps: H2's own {@link ObjectDataType}, with the same bytes on disk and
 * the same order, made cheap to compare.
 *
 * <p>mongo-java-server keys every index (the {@code _id} index among them) by {@link KeyValue}, which is not
 * {@link Comparable}, so H2 orders such keys by their Java-serialised bytes and serialises <em>both</em> keys on every
 * comparison: a lookup in an index of n entries wrote about 2 log2(n) object streams, the largest share of the
 * embedded database's CPU under {@code POST /collect} (docs/BENCHMARKS.md). Here a search serialises the key it looks
 * for once, and the keys it meets on its way are serialised once while they stay in a small cache (a page's keys are
 * the same objects from lookup to lookup). The bytes are compared as H2 compares them, so data files written before
 * keep their order and are read as they are.
 */
final class IndexKeyOrder extends ObjectDataType {

    /** Enough for the hot part of every index (each B-tree's upper pages are met by every lookup), a few MB at most. */
    private static final int SLOTS = 1 << 14;

    /** A key and its bytes; a slot is overwritten by whichever key hashes there next (a race only costs a rewrite). */
    private record Serialised(Object key, byte[] bytes) {
    }

    private final Serialised[] cache = new Serialised[SLOTS];

    @Override
    public int compare(Object a, Object b) {
        if (a instanceof KeyValue && b instanceof KeyValue) {
            return a == b ? 0 : compareNotNull(bytes(a), bytes(b));
        }
        return super.compare(a, b);
    }

    /** {@link org.h2.mvstore.type.BasicDataType#binarySearch}, with the key looked for serialised once. */
    @Override
    public int binarySearch(Object key, Object storage, int size, int initialGuess) {
        if (!(key instanceof KeyValue)) {
            return super.binarySearch(key, storage, size, initialGuess);
        }
        Object[] keys = (Object[]) storage;
        byte[] wanted = serialize(key);
        int low = 0;
        int high = size - 1;
        int x = initialGuess - 1;
        if (x < 0 || x > high) {
            x = high >>> 1;
        }
        while (low <= high) {
            Object other = keys[x];
            int c = other instanceof KeyValue ? compareNotNull(wanted, bytes(other)) : super.compare(key, other);
            if (c > 0) {
                low = x + 1;
            } else if (c < 0) {
                high = x - 1;
            } else {
                return x;
            }
            x = (low + high) >>> 1;
        }
        return -(low + 1);
    }

    private byte[] bytes(Object key) {
        int slot = System.identityHashCode(key) & (SLOTS - 1);
        Serialised s = cache[slot];
        if (s != null && s.key() == key) {
            return s.bytes();
        }
        byte[] bytes = serialize(key);
        cache[slot] = new Serialised(key, bytes);
        return bytes;
    }
}
