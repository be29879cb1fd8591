package io.fineas.pipeline.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What PIPELINE_ADMIN_KEY must be: long and not guessable, runs of the alphabet included. */
class AdminKeyStrengthTest {

    @ParameterizedTest
    @ValueSource(strings = {"change-me", "abcdefghijklmnopqrstuvwxyz012345", "zyxwvutsrqponmlkjihgfedcba9876543210",
            "aabbccddeeffgghhiijjkkllmmnnooppqqrrss", "0123456789012345678901234567890123456789",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"})
    void aShortRepeatedOrSequentialKeyIsRefused(String key) {
        assertThatThrownBy(() -> ApiKeys.requireStrong(key)).hasMessageContaining("too weak");
    }

    @Test
    void randomKeysPass() {
        java.security.SecureRandom random = new java.security.SecureRandom();
        for (int i = 0; i < 2_000; i++) {
            byte[] bytes = new byte[32];
            random.nextBytes(bytes);
            String hex = java.util.HexFormat.of().formatHex(bytes);
            assertThatCode(() -> ApiKeys.requireStrong(hex)).as(hex).doesNotThrowAnyException();
        }
        for (String shipped : new String[] {"b00715e5f1a2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c",
                "5e0c1f9a7b2d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e1f",
                "c7a4e1d8b5f2a9c6e3d0b7f4a1c8e5d2b9f6a3c0e7d4b1f8a5c2e9d6b3f0a7c4"}) {
            assertThatCode(() -> ApiKeys.requireStrong(shipped)).doesNotThrowAnyException();
        }
    }
}
