package io.fineas.pipeline.network;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.spi.RecoverableAggregationRepository;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.DefaultExchangeHolder;
import org.bson.Document;
import org.bson.types.Binary;

/**
 * An aggregation repository in the pipeline's MongoDB, so that what an aggregator holds survives a restart of its
 * process and is there for whichever processors replica takes over its Kafka partitions. Camel ships JDBC, LevelDB,
 * Cassandra and Infinispan repositories, none for MongoDB, which is the store every role already has.
 * <p>
 * As Camel's JDBC repository does: the exchange (body, headers and properties, through {@link DefaultExchangeHolder})
 * is kept per correlation key in one collection while it aggregates; a completed one moves to a second collection
 * until the route that received it confirms it, and is recovered (sent again) when it is not confirmed in time, so a
 * crash between completion and its effect loses nothing. Bodies are Java-serialised; reading back accepts only the
 * pipeline's own classes and the JDK's collections and values.
 */
public final class MongoAggregationRepository implements RecoverableAggregationRepository {

    private static final ObjectInputFilter ALLOWED = ObjectInputFilter.Config.createFilter(
            "maxdepth=30;maxrefs=100000;maxbytes=33554432;java.lang.*;java.util.*;java.math.*;java.time.*;"
                    + "io.fineas.pipeline.**;org.apache.camel.support.DefaultExchangeHolder;!*");

    private final MongoCollection<Document> open;
    private final MongoCollection<Document> completed;
    private boolean useRecovery = true;
    private long recoveryInterval = 5000;
    private int maximumRedeliveries;
    private String deadLetterUri;

    /** @param open the collection of aggregations in progress; completed ones go to {@code <name>_completed} */
    public MongoAggregationRepository(MongoCollection<Document> open, MongoCollection<Document> completed) {
        this.open = open;
        this.completed = completed;
    }

    @Override
    public Exchange add(CamelContext context, String key, Exchange exchange) {
        Exchange previous = get(context, key);
        open.replaceOne(Filters.eq("_id", key), new Document("_id", key).append("exchange", encode(exchange))
                .append("exchange_id", exchange.getExchangeId()).append("updated_at", Instant.now().toString()),
                new ReplaceOptions().upsert(true));
        return previous;
    }

    @Override
    public Exchange get(CamelContext context, String key) {
        Document d = open.find(Filters.eq("_id", key)).first();
        return d == null ? null : decode(context, d);
    }

    @Override
    public void remove(CamelContext context, String key, Exchange exchange) {
        // completed: kept until confirmed, so that a crash before its effect recovers it
        completed.replaceOne(Filters.eq("_id", exchange.getExchangeId()), new Document("_id", exchange.getExchangeId())
                .append("key", key).append("exchange", encode(exchange))
                .append("completed_at", Instant.now().toString()), new ReplaceOptions().upsert(true));
        open.deleteOne(Filters.eq("_id", key));
    }

    @Override
    public void confirm(CamelContext context, String exchangeId) {
        completed.deleteOne(Filters.eq("_id", exchangeId));
    }

    @Override
    public boolean confirmWithResult(CamelContext context, String exchangeId) {
        return completed.deleteOne(Filters.eq("_id", exchangeId)).getDeletedCount() > 0;
    }

    @Override
    public Set<String> getKeys() {
        Set<String> keys = new HashSet<>();
        open.find().projection(new Document("_id", 1)).forEach(d -> keys.add(d.getString("_id")));
        return keys;
    }

    @Override
    public Set<String> scan(CamelContext context) {
        Set<String> ids = new HashSet<>();
        completed.find().projection(new Document("_id", 1)).forEach(d -> ids.add(d.getString("_id")));
        return ids;
    }

    @Override
    public Exchange recover(CamelContext context, String exchangeId) {
        Document d = completed.find(Filters.eq("_id", exchangeId)).first();
        return d == null ? null : decode(context, d);
    }

    private static Binary encode(Exchange exchange) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(DefaultExchangeHolder.marshal(exchange, true, false));
        } catch (IOException e) {
            throw new IllegalStateException("the aggregated exchange cannot be kept: " + e.getMessage(), e);
        }
        return new Binary(bytes.toByteArray());
    }

    private static Exchange decode(CamelContext context, Document d) {
        byte[] data = d.get("exchange", Binary.class).getData();
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(data))) {
            in.setObjectInputFilter(ALLOWED);
            Exchange exchange = new DefaultExchange(context);
            DefaultExchangeHolder.unmarshal(exchange, (DefaultExchangeHolder) in.readObject());
            return exchange;
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("a kept aggregation cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public void setRecoveryInterval(long interval, TimeUnit unit) {
        this.recoveryInterval = unit.toMillis(interval);
    }

    @Override
    public void setRecoveryInterval(long interval) {
        this.recoveryInterval = interval;
    }

    @Override
    public long getRecoveryInterval() {
        return recoveryInterval;
    }

    @Override
    public void setUseRecovery(boolean useRecovery) {
        this.useRecovery = useRecovery;
    }

    @Override
    public boolean isUseRecovery() {
        return useRecovery;
    }

    @Override
    public void setDeadLetterUri(String deadLetterUri) {
        this.deadLetterUri = deadLetterUri;
    }

    @Override
    public String getDeadLetterUri() {
        return deadLetterUri;
    }

    @Override
    public void setMaximumRedeliveries(int maximumRedeliveries) {
        this.maximumRedeliveries = maximumRedeliveries;
    }

    @Override
    public int getMaximumRedeliveries() {
        return maximumRedeliveries;
    }
}
