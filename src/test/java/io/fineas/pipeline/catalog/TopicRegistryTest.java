package io.fineas.pipeline.catalog;


import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.support.SharedStores;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Topics and segments against the test JVM's shared Kafka broker and MongoDB wire server, without an application:
 * what a create and a delete leave in Kafka, the registry and the data collection; a crash half way finished at the
 * next start; segment generations; the cache /collect asks forgotten with its topic.
 */
@ExtendWith(SharedStores.class)
class TopicRegistryTest {

    private static final KafkaTopicAdmin kafka = SharedStores.topicAdmin();
    private MongoCollection<Document> registryCollection;
    private MongoDatabase data;
    private TopicRegistry topics;
    private Segments segments;
    private String prefix;

    @BeforeEach
    void freshRegistry() {
        SharedStores.Catalog catalog = SharedStores.freshCatalog("reg");
        registryCollection = catalog.system().getCollection("topics");
        data = catalog.data();
        prefix = catalog.prefix();
        topics = catalog.topics();
        segments = catalog.segments();
    }

    @Test
    void aTopicIsAKafkaTopicAndACollectionAndIsRefusedTwiceOrUnderAReservedName() {
        TopicRegistry.Topic created = topics.createTopic("finance");

        assertThat(created).isEqualTo(new TopicRegistry.Topic("finance", prefix + "finance", "finance", true, null,
                null, null, null, null, null, null));
        assertThat(kafka.list()).contains(prefix + "finance");
        assertThat(data.listCollectionNames()).contains("finance");
        assertThat(data.getCollection("finance").listIndexes().map(i -> i.get("key").toString()))
                .anySatisfy(k -> assertThat(k).contains("segment").contains("kind").contains("created_at"));
        assertThat(topics.topicExists("finance")).isTrue();
        assertThat(catchThrowableOfType(ApiException.class, () -> topics.createTopic("finance")).getStatus())
                .isEqualTo(409);
        for (String reserved : Names.RESERVED_TOPICS) {
            assertThat(catchThrowableOfType(ApiException.class, () -> topics.createTopic(reserved)).getStatus())
                    .isEqualTo(400);
        }
        assertThat(catchThrowableOfType(ApiException.class, () -> topics.createTopic("Bad.Name")).getStatus())
                .isEqualTo(400);
        assertThat(registryCollection.countDocuments()).isEqualTo(1);
    }

    @Test
    void aDeleteRemovesItsDataAtOnceAndLeavesTheRegistryOnlyOnceItsEventIsOut() {
        topics.createTopic("energy");
        segments.createSegment("energy", "news");
        data.getCollection("energy").insertOne(new Document("_id", "inference:1").append("kind", "inference")
                .append("segment", "news"));

        TopicRegistry.Deleted deleted = topics.deleteTopic("energy");

        assertThat(deleted).isEqualTo(new TopicRegistry.Deleted("energy", null, true, 1L, 2L, null));
        assertThat(deleted.event().topic()).isEqualTo("energy");
        assertThat(deleted.event().segment()).isNull();
        assertThat(kafka.list()).doesNotContain(prefix + "energy");
        assertThat(data.listCollectionNames()).doesNotContain("energy");
        assertThat(topics.topicExists("energy")).isFalse();
        // until the deletion event is published, the entry stays, so a crash now is finished at the next start
        assertThat(registryCollection.find(Filters.eq("_id", "energy")).first().getString("status"))
                .isEqualTo("deleting");
        assertThat(catchThrowableOfType(ApiException.class, () -> topics.createTopic("energy")).getStatus())
                .isEqualTo(409);
        topics.forget("energy");
        assertThat(registryCollection.countDocuments()).isZero();
        assertThat(catchThrowableOfType(ApiException.class, () -> topics.deleteTopic("energy")).getStatus())
                .isEqualTo(404);
    }

    /**
     * A segment's delete whose deletion event Kafka refused (the API answered 500; a retry finds no segment, 404) is
     * written down before anything is deleted and published again later, with the deleted generation, until it is
     * acknowledged; a topic left deleting likewise. Before, no event was ever published and its vectors stayed.
     */
    @Test
    void aDeleteWhoseEventWasNotPublishedIsPublishedAgainWithItsGeneration() throws Exception {
        topics.createTopic("metals");
        segments.createSegment("metals", "news");
        String generation = segments.segmentGeneration("metals", "news");

        TopicRegistry.Deleted deleted = segments.deleteSegment("metals", "news");

        assertThat(deleted.event().generation()).isEqualTo(generation);
        assertThat(catchThrowableOfType(ApiException.class, () -> segments.deleteSegment("metals", "news"))
                .getStatus()).isEqualTo(404);
        // not published yet: listed once it is older than the wait, with its generation
        assertThat(topics.unpublishedDeletions(60_000)).isEmpty();
        Thread.sleep(5);
        assertThat(topics.unpublishedDeletions(1)).singleElement().satisfies(d -> {
            assertThat(d.segment()).isEqualTo("news");
            assertThat(d.event().generation()).isEqualTo(generation);
        });
        topics.deletionPublished(deleted);
        assertThat(topics.unpublishedDeletions(1)).isEmpty();

        // a topic whose delete was not announced is listed too, and leaves once it is
        topics.deleteTopic("metals");
        Thread.sleep(5);
        assertThat(topics.unpublishedDeletions(1)).singleElement()
                .satisfies(d -> assertThat(d.segment()).isNull());
        topics.deletionPublished(new TopicRegistry.Deleted("metals", null, true, null, null, null));
        assertThat(topics.unpublishedDeletions(1)).isEmpty();
        assertThat(registryCollection.countDocuments(Filters.eq("_id", "metals"))).isZero();
    }

    /** A record's Kafka topic is its data topic as it exists now only while that was created before the record. */
    @Test
    void aRecordOfADeletedOrRecreatedDataTopicIsNotOfTheCurrentOne() throws Exception {
        long before = System.currentTimeMillis() - 60_000;
        topics.createTopic("tin");
        long written = System.currentTimeMillis() + 1;
        assertThat(topics.isCurrentDataTopic(prefix + "tin", written)).isTrue();
        assertThat(topics.isCurrentDataTopic(prefix + "tin", before)).as("written before the topic").isFalse();
        assertThat(topics.isCurrentDataTopic(prefix + "tin", null)).isTrue();
        assertThat(topics.isCurrentDataTopic("alert", before)).as("not a data topic").isTrue();
        topics.deleteTopic("tin");
        assertThat(topics.isCurrentDataTopic(prefix + "tin", written)).as("deleted").isFalse();
    }

    @Test
    void aStartFinishesWhatACrashInterrupted() {
        topics.createTopic("half-created");
        registryCollection.updateOne(Filters.eq("_id", "half-created"),
                new Document("$set", new Document("status", "creating")));
        topics.createTopic("half-deleted");
        registryCollection.updateOne(Filters.eq("_id", "half-deleted"),
                new Document("$set", new Document("status", "deleting")));
        topics.createTopic("untouched");

        var toAnnounce = topics.recover();

        // the half-deleted one is deleted and its event is still to publish; the half-created one is rolled back
        assertThat(toAnnounce).extracting(TopicRegistry.Deleted::topic).containsExactly("half-deleted");
        assertThat(kafka.list()).doesNotContain(prefix + "half-created", prefix + "half-deleted")
                .contains(prefix + "untouched");
        assertThat(registryCollection.find(Filters.eq("_id", "half-created")).first()).isNull();
        assertThat(topics.listTopics(null).topics()).extracting(TopicRegistry.Topic::topic)
                .containsExactly("untouched");
    }

    @Test
    void theListShowsOnlyWhatTheCallerMayReadWithItsSegmentCount() {
        topics.createTopic("alpha");
        topics.createTopic("beta");
        segments.createSegment("beta", "one");
        segments.createSegment("beta", "two");

        assertThat(topics.listTopics(t -> t.equals("beta")).topics()).singleElement().satisfies(t -> {
            assertThat(t.topic()).isEqualTo("beta");
            assertThat(t.segments()).isEqualTo(2);
            assertThat(t.createdAt()).isNotNull();
            assertThat(t.created()).isNull();
        });
        assertThat(topics.activeTopics()).containsExactlyInAnyOrder("alpha", "beta");
    }

    @Test
    void aSegmentRecreatedIsANewGenerationAndWhatWasCapturedForTheOldOneIsStale() {
        topics.createTopic("news");
        segments.createSegment("news", "daily");
        String first = segments.segmentGeneration("news", "daily");
        data.getCollection("news").insertOne(new Document("_id", "inference:x").append("kind", "inference")
                .append("segment", "daily"));
        assertThat(segments.isLive("news", "daily", first)).isTrue();
        assertThat(segments.isLive("news", "daily", null)).isTrue();
        assertThat(catchThrowableOfType(ApiException.class, () -> segments.createSegment("news", "daily"))
                .getStatus()).isEqualTo(409);

        TopicRegistry.Deleted deleted = segments.deleteSegment("news", "daily");
        assertThat(deleted.recordsDeleted()).isEqualTo(1);
        assertThat(deleted.event().segment()).isEqualTo("daily");
        assertThat(segments.isLive("news", "daily", first)).isFalse();

        segments.createSegment("news", "daily");
        String second = segments.segmentGeneration("news", "daily");
        assertThat(second).isNotEqualTo(first);
        assertThat(segments.isLive("news", "daily", first)).isFalse();
        assertThat(segments.isLive("news", "daily", second)).isTrue();
        assertThat(segments.listSegments("news").segments()).extracting(Segments.Segment::segment)
                .containsExactly("daily");
        assertThat(segments.topicsWithSegment("daily")).containsExactly("news");
        assertThat(catchThrowableOfType(ApiException.class, () -> segments.listSegments("absent")).getStatus())
                .isEqualTo(404);
    }

    @Test
    void theRecentExistenceCacheForgetsASegmentWithItsTopic() {
        topics.createTopic("cached");
        segments.createSegment("cached", "s");
        assertThat(segments.segmentExistsRecently("cached", "s")).isTrue();

        topics.deleteTopic("cached");

        // the cache would have answered yes for two seconds: the delete on this instance forgot it at once
        assertThat(segments.segmentExistsRecently("cached", "s")).isFalse();
    }
}
