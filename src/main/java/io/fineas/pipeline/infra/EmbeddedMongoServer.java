package io.fineas.pipeline.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/**
 * A MongoDB wire-protocol server inside this JVM (mongo-java-server). With a data file it persists to an H2 MVStore,
 * so topics, segments and keys survive a restart; without one it keeps everything in memory.
 */
public final class EmbeddedMongoServer implements AutoCloseable {

    /**
     * The MongoDB Java driver 5.x refuses servers below wire version 8 (MongoDB 4.2); mongo-java-server 1.46 speaks
     * OP_MSG like 4.2 does but reports 4.0. (1.47 reports more but moved to Netty 4.2, which Vert.x 4.5 is not on.)
     */
    private static final MongoVersion DRIVER_COMPATIBLE = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 2, 0);
        }

        @Override
        public int getWireVersion() {
            return 8;
        }
    };

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
                    backend = new H2Backend(dataFile.toAbsolutePath().toString());
                } else {
                    backend = H2Backend.inMemory();
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
