package ai.cove.cli;

import ai.cove.job.KafkaAccess.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.provider.FileConfigProvider;

/**
 * The SCRAM users of a secured local broker: a super user for set-up only, and one principal per
 * cove client ({@link Role}). Passwords are random, in owner-only files, and reach the clients through
 * Kafka's file config provider, so that no config file or log line holds one.
 */
record BrokerUsers(Path dir) {
    static final String ADMIN = "admin";
    static final String MECHANISM = "SCRAM-SHA-512";

    static String user(Role role) {
        return "cove-" + role.name().toLowerCase(Locale.ROOT);
    }

    /** The users' password files in {@code dir}, each made on first use. */
    static BrokerUsers ensure(Path dir) throws IOException {
        Secrets.createPrivateDir(dir);
        BrokerUsers users = new BrokerUsers(dir);
        for (String u : users.all()) {
            if (!Files.exists(users.passwordFile(u))) {
                Secrets.writePrivate(users.passwordFile(u), "password=" + Secrets.random() + "\n");
            }
        }
        return users;
    }

    java.util.List<String> all() {
        java.util.List<String> out = new java.util.ArrayList<>(java.util.List.of(ADMIN));
        for (Role r : Role.values()) {
            out.add(user(r));
        }
        return out;
    }

    Path passwordFile(String user) {
        return dir.resolve(user + ".properties");
    }

    String password(String user) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(passwordFile(user))) {
            p.load(in);
        }
        return p.getProperty("password");
    }

    /** SASL_SSL client settings for {@code user}, trusting {@code caPem}; the password stays in its file. */
    Properties clientSettings(String user, Path caPem) {
        Properties p = new Properties();
        p.setProperty(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        p.setProperty(SaslConfigs.SASL_MECHANISM, MECHANISM);
        p.setProperty(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        p.setProperty(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, caPem.toAbsolutePath().toString());
        p.setProperty("config.providers", "file");
        p.setProperty("config.providers.file.class", FileConfigProvider.class.getName());
        p.setProperty(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + user + "\" password=\"${file:" + passwordFile(user).toAbsolutePath() + ":password}\";");
        return p;
    }
}
