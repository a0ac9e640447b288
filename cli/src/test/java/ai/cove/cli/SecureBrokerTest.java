package ai.cove.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.cove.job.ConfigFile;
import ai.cove.job.JobConfig;
import ai.cove.job.KafkaAccess;
import ai.cove.job.KafkaAccess.Role;
import ai.cove.job.KafkaClients;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cove against a real secured broker ({@code cove broker start --secure}): SASL_SSL with SCRAM-SHA-512
 * users, a certificate from a CA made at start, the standard ACL authorizer. Every cove command runs
 * in its own JVM, as a user runs it, so its whole output can be searched for secrets.
 */
class SecureBrokerTest {
    static final String BUNDLE = StreamJobTest.BUNDLE;

    @TempDir
    static Path tmp;
    static LocalBroker broker;
    static JobConfig names;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = LocalBroker.secured(tmp.resolve("broker"), freePortPair(), BrokerTls.Spec.localhost());
        names = JobConfig.defaults(broker.bootstrap()).toBuilder().topics("sec-in", "sec-out", "sec-dead").groupId("sec").build();
        broker.start(names);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        broker.stop();
    }

    @Test
    void eachClientWithItsOwnLeastPrivilegeRunsExactlyOnce() throws Exception {
        Result ingest = cove("ingest", "ingest", "--config", config(Role.INGEST), "--generate", "96x64x6", "--videos", "2",
                "--video-id", "s");
        assertThat(ingest.exit()).as(ingest.output()).isZero();
        Result run = cove("run", "run", "--config", config(Role.JOB), "--style", BUNDLE, "--until-idle", "4",
                "--checkpoint-interval-ms", "500", "--checkpoints", tmp.resolve("cp").toString());
        assertThat(run.exit()).as(run.output()).isZero();
        for (String video : List.of("s-0", "s-1")) {
            Result export = cove("export-" + video, "export", "--config", config(Role.EXPORT), "--video-id", video,
                    "--frames", tmp.resolve("out-" + video).toString());
            assertThat(export.exit()).as(export.output()).isZero();
            assertThat(export.output()).contains("exported 6 frames of " + video + " (seq 0..5, 0 missing, 0 duplicate");
        }
        Result check = cove("check", "check", "--config", broker.adminConfig().toString());
        assertThat(check.output()).contains("CHECK PASSED");

        // the ACLs are enforced, not allow-all: the ingest principal may not read the output
        Result denied = cove("export-as-ingest", "export", "--config", config(Role.INGEST), "--video-id", "s-0",
                "--frames", tmp.resolve("denied").toString());
        assertThat(denied.exit()).isEqualTo(1);
        assertThat(denied.lastLine()).contains("cove-ingest lacks READ on topic sec-out");
        assertNoPasswordIn(run.output());
    }

    @Test
    void eachMissingPermissionOfTheJobFailsFastAndIsNamed() throws Exception {
        for (AclBinding acl : KafkaAccess.acls(Role.JOB, names, "User:" + BrokerUsers.user(Role.JOB))) {
            try (Admin admin = Admin.create(KafkaClients.admin(broker.bootstrap(), adminSettings()))) {
                assertThat(admin.deleteAcls(List.of(acl.toFilter())).all().get(30, TimeUnit.SECONDS)).hasSize(1);
                Result run = cove("run-without-" + acl.pattern().name(), "run", "--config", config(Role.JOB), "--style", BUNDLE,
                        "--checkpoints", tmp.resolve("cp-denied").toString());
                admin.createAcls(List.of(acl)).all().get(30, TimeUnit.SECONDS);
                KafkaAccess.Need need = KafkaAccess.needs(Role.JOB, names).stream()
                        .filter(n -> n.grantTo(acl.entry().principal()).equals(acl)).findFirst().orElseThrow();
                assertThat(run.exit()).as(run.output()).isEqualTo(1);
                assertThat(run.lastLine()).startsWith("cove: Kafka at " + broker.bootstrap() + ": cove-job lacks " + need)
                        .contains("kafka-acls.sh").doesNotContain("\n");
                assertThat(run.output()).doesNotContain(" running: "); // the job was never started
            }
        }
    }

    @Test
    void refusedLoginsAndCertificatesGiveOneActionableLineAndNoSecret() throws Exception {
        String job = Files.readString(Path.of(config(Role.JOB)));
        Path wrongPassword = tmp.resolve("wrong.properties");
        Files.writeString(wrongPassword, "password=not-the-password-4711\n");
        Path otherCa = BrokerTls.ensure(tmp.resolve("other-ca"), BrokerTls.Spec.localhost()).caPem();
        Map<String, String> cases = Map.of(
                job.replace(passwordFile(Role.JOB), wrongPassword.toString()),
                "rejected the login of cove-job (SCRAM-SHA-512): check the user name and password",
                job.replace(caPem(), otherCa.toString()),
                "the broker's TLS certificate is not signed by a CA in the truststore (" + otherCa,
                job.replace(broker.bootstrap(), broker.bootstrap().replace("localhost", "127.0.0.1")),
                "the broker's TLS certificate does not name the host you connected to");
        int i = 0;
        for (var c : cases.entrySet()) {
            Path file = tmp.resolve("refused-" + i + ".yaml");
            Files.writeString(file, c.getKey());
            Result run = cove("refused-" + i++, "run", "--config", file.toString(), "--style", BUNDLE,
                    "--checkpoints", tmp.resolve("cp-refused").toString());
            assertThat(run.exit()).as(run.output()).isEqualTo(1);
            assertThat(run.lastLine()).startsWith("cove: Kafka at ").contains(c.getValue());
            assertThat(run.output()).doesNotContain("not-the-password-4711");
            assertNoPasswordIn(run.output());
        }
    }

    /**
     * An expired broker certificate, presented by a TLS endpoint that serves it (a broker cannot run on
     * one: its own inter-broker connections would refuse it); the client's handshake is the real one.
     */
    @Test
    void anExpiredCertificateIsNamed() throws Exception {
        BrokerTls expired = BrokerTls.ensure(tmp.resolve("expired"), new BrokerTls.Spec(List.of("dns:localhost"), -10, 5));
        try (SSLServerSocket server = tlsEndpoint(expired)) {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try (SSLSocket s = (SSLSocket) server.accept()) {
                        s.startHandshake();
                    } catch (IOException e) {
                        // the client refuses the certificate: that is the point
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String job = Files.readString(Path.of(config(Role.JOB)))
                    .replace(broker.bootstrap(), "localhost:" + server.getLocalPort())
                    .replace(caPem(), expired.caPem().toString());
            Path file = tmp.resolve("expired.yaml");
            Files.writeString(file, job);
            Result run = cove("expired", "run", "--config", file.toString(), "--style", BUNDLE,
                    "--checkpoints", tmp.resolve("cp-expired").toString());
            assertThat(run.exit()).as(run.output()).isEqualTo(1);
            assertThat(run.lastLine()).contains("the broker's TLS certificate is expired").contains("renew");
        }
    }

    private static SSLServerSocket tlsEndpoint(BrokerTls tls) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        char[] pw = tls.keystorePassword().toCharArray();
        try (var in = Files.newInputStream(tls.keystore())) {
            ks.load(in, pw);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0);
    }

    private static java.util.Properties adminSettings() {
        return ConfigFile.load(broker.adminConfig()).kafkaProperties();
    }

    private static String config(Role role) {
        return broker.clientConfig(role).toString();
    }

    private static String passwordFile(Role role) {
        return broker.users().passwordFile(BrokerUsers.user(role)).toAbsolutePath().toString();
    }

    private static String caPem() {
        return broker.caPem().toAbsolutePath().toString();
    }

    /** None of the broker's passwords appears in {@code text}. */
    private static void assertNoPasswordIn(String text) throws IOException {
        BrokerUsers users = broker.users();
        for (String u : users.all()) {
            assertThat(text).doesNotContain(users.password(u));
        }
    }

    record Result(int exit, String output) {
        String lastLine() {
            String[] lines = output.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    /** {@code cove <args>} in its own JVM with the CLI's logging; all its output in logs/<name>.log. */
    private static Result cove(String name, String... args) throws Exception {
        Path log = tmp.resolve("logs").resolve(name + ".log");
        Files.createDirectories(log.getParent());
        List<String> main = new ArrayList<>(List.of(Main.class.getName()));
        main.addAll(List.of(args));
        Process p = JavaProcesses.start(List.of("-Xmx2g", "-Dlog4j2.configurationFile=classpath:cove-log4j2.xml"), main, log, Map.of());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("cove " + String.join(" ", args) + " did not end").isTrue();
        return new Result(p.exitValue(), Files.readString(log));
    }

    /** A free port whose successor is free too (the broker's controller listens there). */
    private static int freePortPair() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(a.getLocalPort() + 1)) {
                return a.getLocalPort();
            } catch (IOException taken) {
                // the successor is in use: try another pair
            }
        }
        throw new IOException("no two consecutive free ports");
    }
}
