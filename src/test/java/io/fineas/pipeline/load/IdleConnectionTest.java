package io.fineas.pipeline.load;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A kept-alive connection without a request for the idle timeout is closed, one in use is not; a new connection that
 * does not get its first request's headers in within the header timeout (silent, or dripping them) is closed.
 */
class IdleConnectionTest extends PipelineTestSupport {

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.gateway.idle-timeout-ms", "1000");
        p.put("pipeline.gateway.header-timeout-ms", "1500");
    }

    @Test
    void aConnectionDrippingItsHeadersIsClosedAfterTheHeaderTimeout() throws Exception {
        try (Socket silent = new Socket("127.0.0.1", ids().port());
                Socket dripping = new Socket("127.0.0.1", ids().port())) {
            silent.setSoTimeout(10_000);
            long opened = System.nanoTime();
            byte[] request = ("GET /topics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + ADMIN_KEY + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            // one byte every 200 ms: well within the idle timeout between bytes, never a whole request in 1.5 s
            OutputStream out = dripping.getOutputStream();
            boolean closed = false;
            for (int i = 0; i < request.length - 2 && !closed; i++) {
                try {
                    out.write(request[i]);
                    out.flush();
                    Thread.sleep(200);
                } catch (IOException e) {
                    closed = true;
                }
            }
            long drippedFor = System.nanoTime() - opened;
            assertThat(closed).as("the server closed the dripping connection").isTrue();
            assertThat(Duration.ofNanos(drippedFor)).isBetween(Duration.ofMillis(1400), Duration.ofSeconds(5));
            // the silent one is closed too: reading ends (no answer) rather than timing out
            assertThat(silent.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - opened)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void anIdleConnectionIsClosedAndABusyOneIsNot() throws Exception {
        try (Socket busy = new Socket("127.0.0.1", ids().port()); Socket idle = new Socket("127.0.0.1", ids().port())) {
            busy.setSoTimeout(10_000);
            idle.setSoTimeout(10_000);
            assertThat(request(idle)).startsWith("HTTP/1.1 200");
            long started = System.nanoTime();
            // the busy one asks every 400 ms for 3 s, on the same connection
            while (System.nanoTime() - started < Duration.ofSeconds(3).toNanos()) {
                assertThat(request(busy)).startsWith("HTTP/1.1 200");
                Thread.sleep(400);
            }
            // the idle one was closed by the server meanwhile: reading ends at once
            long t = System.nanoTime();
            assertThat(idle.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(1));
        }
    }

    /** One keep-alive GET /topics on the connection, its whole answer read (by its length, or its chunks). */
    private String request(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET /topics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + ADMIN_KEY + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed while reading the answer");
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        int length = 0;
        boolean chunked = false;
        for (String line : headers.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
            chunked |= line.toLowerCase().startsWith("transfer-encoding:") && line.toLowerCase().contains("chunked");
        }
        if (chunked) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (!body.toString(StandardCharsets.US_ASCII).endsWith("0\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed while reading the answer");
                }
                body.write(b);
            }
        } else {
            in.readNBytes(length);
        }
        return headers;
    }
}
