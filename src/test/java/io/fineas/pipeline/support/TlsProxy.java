package io.fineas.pipeline.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A TLS endpoint in front of a plain TCP server (the embedded MongoDB wire server speaks no TLS): it terminates TLS
 * with the key store's certificate and pipes each connection's bytes to the target, as a MongoDB with TLS on would
 * answer. Counts the connections whose handshake succeeded.
 */
public final class TlsProxy implements AutoCloseable {

    private final SSLServerSocket server;
    private final AtomicInteger handshakes = new AtomicInteger();
    private volatile boolean closed;

    public TlsProxy(Path keystore, String password, String targetHost, int targetPort) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, password.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50,
                InetAddress.getLoopbackAddress());
        Thread accept = new Thread(() -> {
            while (!closed) {
                try {
                    Socket client = server.accept();
                    Thread t = new Thread(() -> serve(client, targetHost, targetPort), "tls-proxy-connection");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    if (!closed) {
                        continue;
                    }
                }
            }
        }, "tls-proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    private void serve(Socket client, String host, int port) {
        try (client; Socket target = new Socket(host, port)) {
            ((javax.net.ssl.SSLSocket) client).startHandshake();
            handshakes.incrementAndGet();
            Thread back = new Thread(() -> pipe(target, client), "tls-proxy-back");
            back.setDaemon(true);
            back.start();
            pipe(client, target);
            back.join();
        } catch (Exception ignored) {
            // a refused handshake or a closed connection ends this connection only
        }
    }

    private static void pipe(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[16 * 1024];
            for (int n; (n = in.read(buffer)) >= 0;) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // the other side closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException | UnsupportedOperationException ignored) {
                // already closed
            }
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public int handshakes() {
        return handshakes.get();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
    }
}
