package io.fineas.pipeline.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.channel.Channel;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * A MongoDB wire-protocol server inside this JVM (mongo-java-server). With a data file it persists to an H2 MVStore,
 * so topics, segments and keys survive a restart; without one it keeps everything in memory.
 *
 * <p>Every write is committed to the file before it is acknowledged ({@link Backend}): H2's own background
 * commit runs once a second, so a process killed with SIGKILL lost up to a second of acknowledged writes (an inference
 * stored, its Kafka offset committed, the inference gone after the restart). Written, not fsynced: it survives a
 * killed process, not a power cut (a production deployment uses MongoDB with its journal).
 */
public final class EmbeddedMongoServer implements AutoCloseable {

    /**
     * The MongoDB Java driver 5.x refuses servers below wire version 8 (MongoDB 4.2); mongo-java-server 1.46 speaks
     * OP_MSG like 4.2 does but reports 4.0. (1.47 reports more but moved to Netty 4.2, which Vert.x 4.5 is not on.)
     */
    public static final MongoVersion DRIVER_COMPATIBLE = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 2, 0);
        }

        @Override
        public int getWireVersion() {
            return 8;
        }
    };

    /** One for every index map of the process: its cache of serialised keys is by identity. */
    private static final IndexKeyOrder INDEX_KEYS = new IndexKeyOrder();

    private final String host;
    private final int port;
    private final Path dataFile;
    private MongoServer server;
    private H2Backend backend;
    private InetSocketAddress address;

    public EmbeddedMongoServer(String host, int port, Path dataFile) {
        this.host = host;
        this.port = port;
        this.dataFile = dataFile;
    }

    public synchronized EmbeddedMongoServer start() {
        if (server == null) {
            try {
                if (dataFile != null) {
                    Files.createDirectories(dataFile.toAbsolutePath().getParent());
                    backend = new Backend(MVStore.open(dataFile.toAbsolutePath().toString()), true);
                } else {
                    backend = new Backend(MVStore.open(null), false);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server = new MongoServer(backend.version(DRIVER_COMPATIBLE));
            server.bind(host, port);
            address = server.getLocalAddress();
        }
        return this;
    }

    /**
     * mongo-java-server's H2 backend with cheap index lookups ({@link IndexKeyOrder}) and, over a data file, every
     * command that changed the store committed before it is answered.
     */
    static final class Backend extends H2Backend {

        private final boolean durable;

        Backend(MVStore store, boolean durable) {
            super(store);
            this.durable = durable;
        }

        @Override
        protected MongoDatabase openOrCreateDatabase(String name) {
            return new H2Database(name, getMvStore(), getCursorRegistry()) {
                @Override
                protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName,
                        List<IndexKey> keys, boolean sparse) {
                    // opened first with the cheaper key order, the backend's own openMap(name) finds it open
                    getMvStore().openMap(getFullCollectionNamespace(collectionName) + "._index_" + indexName,
                            new MVMap.Builder<KeyValue, Object>().keyType(INDEX_KEYS));
                    return super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse);
                }
            };
        }

        @Override
        public Document handleMessage(MongoMessage message) {
            try {
                return super.handleMessage(message);
            } finally {
                commitChanges();
            }
        }

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            try {
                return super.handleCommand(channel, database, command, query);
            } finally {
                commitChanges();
            }
        }

        private void commitChanges() {
            if (durable && getMvStore().hasUnsavedChanges()) {
                commit();
            }
        }
    }

    /**
     * The embedded MongoDB server alone, as a process of its own: {@code java -cp fineas-pipeline.jar
     * io.fineas.pipeline.infra.EmbeddedMongoServer [host [port [data file]]]} (defaults 0.0.0.0, 27017,
     * /data/db/pipeline.mv). The container tests' stand-in for the mongo image; it runs until the process is stopped.
     */
    public static void main(String[] args) throws InterruptedException {
        String host = args.length > 0 ? args[0] : "0.0.0.0";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 27017;
        Path file = Path.of(args.length > 2 ? args[2] : "/data/db/pipeline.mv");
        EmbeddedMongoServer server = new EmbeddedMongoServer(host, port, file).start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "embedded-mongodb-stop"));
        System.out.println("Embedded MongoDB wire server listening on " + server.connectionString() + ", data in "
                + file.toAbsolutePath());
        Thread.currentThread().join();
    }

    public String connectionString() {
        return "mongodb://" + address.getHostString() + ":" + address.getPort();
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.shutdown();
            backend.close();
            server = null;
        }
    }
}
