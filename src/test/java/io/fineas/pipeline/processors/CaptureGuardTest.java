package io.fineas.pipeline.processors;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Which addresses a capture may reach without allow_private_network, IPv6 forms of private IPv4 hosts included. */
class CaptureGuardTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "10.1.2.3", "169.254.169.254", "100.64.0.1", "::1", "fe80::1", "fd00::1",
            "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
            // missed before: IPv4-compatible, 6to4, Teredo and the local-use NAT64 prefix
            "::a9fe:a9fe", "::10.0.0.1", "2002:a9fe:a9fe::1", "2002:0a00:0001::", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "64:ff9b:1::a9fe:a9fe", "64:ff9b:1::808:808"})
    void privateLinkLocalAndTunnelledPrivateAddressesAreRefused(String address) throws UnknownHostException {
        assertThat(CaptureGuard.isPublic(InetAddress.getByName(address))).as(address).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:0808:0808::1"})
    void publicAddressesAreAllowed(String address) throws UnknownHostException {
        assertThat(CaptureGuard.isPublic(InetAddress.getByName(address))).as(address).isTrue();
    }
}
