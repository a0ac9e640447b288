package ai.cove.job;

import static org.apache.flink.util.ExceptionUtils.findThrowable;
import static org.apache.flink.util.ExceptionUtils.findThrowableWithMessage;

import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.resource.PatternType;

/**
 * One actionable line for each way a Kafka connection is refused: login, TLS trust, expiry, host
 * name, permissions. Never repeats a secret: only the user name is taken from the JAAS settings.
 */
public final class KafkaErrors {
    private static final Pattern USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    private KafkaErrors() {
    }

    /** What went wrong talking to Kafka and what to do about it. */
    public static String explain(Throwable error, String bootstrap, Properties kafka) {
        String at = "Kafka at " + bootstrap;
        if (findThrowable(error, SaslAuthenticationException.class).isPresent()) {
            return at + " rejected the login of " + principal(kafka) + " ("
                    + kafka.getProperty(SaslConfigs.SASL_MECHANISM, "SASL") + "): check the user name and "
                    + "password in the kafka: sasl.jaas.config setting";
        }
        if (findThrowable(error, SslAuthenticationException.class).isPresent()
                || findThrowable(error, javax.net.ssl.SSLException.class).isPresent()) {
            return at + ": " + tlsProblem(error, kafka);
        }
        if (error instanceof AuthorizationException) {
            return at + ": " + principal(kafka) + " is not authorized: " + error.getMessage()
                    + " (grant the ACLs listed in README, Security)";
        }
        if (error instanceof UnknownTopicOrPartitionException) {
            return at + ": " + error.getMessage() + " Create cove's topics first (cove broker start creates them).";
        }
        return at + ": " + error.getMessage();
    }

    private static String tlsProblem(Throwable error, Properties kafka) {
        String truststore = kafka.getProperty(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, "the JVM's default CAs");
        boolean expired = findThrowable(error, CertificateExpiredException.class).isPresent();
        if (expired || findThrowable(error, CertificateNotYetValidException.class).isPresent()) {
            return "the broker's TLS certificate is " + (expired ? "expired" : "not yet valid") + " ("
                    + root(error).getMessage() + "): renew the broker's certificate";
        }
        if (findThrowableWithMessage(error, "No subject alternative").isPresent()
                || findThrowableWithMessage(error, "No name matching").isPresent()) {
            return "the broker's TLS certificate does not name the host you connected to (" + root(error).getMessage()
                    + "): connect by a name the certificate holds, or reissue it with this host name";
        }
        if (findThrowableWithMessage(error, "PKIX path").isPresent()) {
            return "the broker's TLS certificate is not signed by a CA in the truststore (" + truststore
                    + "): add the CA that signed the broker's certificate to it";
        }
        return "the TLS handshake failed (" + root(error).getMessage() + "): check security.protocol and the ssl.* settings";
    }

    /** The line for a permission the principal lacks, with the command that grants it. */
    static String missing(KafkaAccess.Need need, JobConfig c) {
        String user = principal(c.kafkaProperties());
        String resource = switch (need.type()) {
            case TOPIC -> "--topic " + need.name();
            case GROUP -> "--group " + need.name();
            case TRANSACTIONAL_ID -> "--transactional-id " + need.name();
            default -> need.type() + " " + need.name();
        };
        String op = need.operation().name().charAt(0) + need.operation().name().substring(1).toLowerCase(Locale.ROOT);
        return "Kafka at " + c.bootstrap() + ": " + user + " lacks " + need + ". Grant it: kafka-acls.sh --bootstrap-server "
                + c.bootstrap() + " --add --allow-principal User:" + user + " --operation " + op + " " + resource
                + (need.pattern() == PatternType.PREFIXED ? " --resource-pattern-type prefixed" : "");
    }

    /** The SASL user name of the settings, or a description when there is none (TLS client certificates). */
    static String principal(Properties kafka) {
        Matcher m = USERNAME.matcher(kafka.getProperty(SaslConfigs.SASL_JAAS_CONFIG, ""));
        if (m.find()) {
            return m.group(1);
        }
        return "the client (security.protocol " + kafka.getProperty(
                CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT") + ")";
    }

    private static Throwable root(Throwable t) {
        Throwable e = t;
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
