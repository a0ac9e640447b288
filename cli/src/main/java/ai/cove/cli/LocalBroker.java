package ai.cove.cli;

import ai.cove.job.JobConfig;
import ai.cove.job.KafkaAccess;
import ai.cove.job.KafkaAccess.Role;
import ai.cove.job.KafkaClients;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;

/**
 * A standalone single-node KRaft Kafka broker process for local use ({@code cove broker}). Secured,
 * it listens with SASL_SSL only (SCRAM-SHA-512 users, a certificate from its own local CA), runs
 * the standard ACL authorizer, creates cove's topics and grants each cove client its least
 * privilege ({@link KafkaAccess}); {@code clients/<role>.yaml} are the clients' configs.
 */
public final class LocalBroker {
    private static final List<String> JVM = List.of("-Xmx1g", "-Dlog4j2.configurationFile=classpath:cove-log4j2.xml");
    private final Path dir;
    private final int port;
    private final BrokerTls.Spec tls; // null: plaintext

    public LocalBroker(Path dir, int port) {
        this(dir, port, null);
    }

    private LocalBroker(Path dir, int port, BrokerTls.Spec tls) {
        this.dir = dir;
        this.port = port;
        this.tls = tls;
    }

    /** A broker that only accepts SASL_SSL logins, with a certificate made to {@code tls}. */
    public static LocalBroker secured(Path dir, int port, BrokerTls.Spec tls) {
        return new LocalBroker(dir, port, tls);
    }

    public String bootstrap() {
        return "localhost:" + port;
    }

    public boolean isSecured() {
        return tls != null;
    }

    private Path pidFile() {
        return dir.resolve("broker.pid");
    }

    public Optional<ProcessHandle> running() {
        return JavaProcesses.running(pidFile());
    }

    /** Where a role's client config is written (secured brokers): pass it to cove with {@code --config}. */
    public Path clientConfig(Role role) {
        return dir.resolve("clients").resolve(role.name().toLowerCase(java.util.Locale.ROOT) + ".yaml");
    }

    /** The super user's config: set-up and admin work only. */
    public Path adminConfig() {
        return dir.resolve("clients").resolve("admin.yaml");
    }

    /**
     * Formats storage on first use, starts the broker in the background and waits until it answers.
     * Secured, it then creates the topics of {@code names} and grants each role's principal its ACLs.
     */
    public void start(JobConfig names) throws IOException, InterruptedException {
        if (running().isPresent()) {
            throw new IllegalStateException("a broker is already running from " + dir + " (pid "
                    + running().get().pid() + "): cove broker stop --dir " + dir);
        }
        Secrets.createPrivateDir(dir); // a secured broker's properties hold its keystore password
        BrokerTls certs = tls == null ? null : BrokerTls.ensure(tlsDir(), tls);
        BrokerUsers users = tls == null ? null : BrokerUsers.ensure(users().dir());
        Path props = dir.resolve("server.properties");
        Secrets.writePrivate(props, String.join("\n", serverProperties(certs, users)) + "\n");
        if (!Files.exists(dir.resolve("data").resolve("meta.properties"))) {
            List<String> format = new ArrayList<>(List.of("kafka.tools.StorageTool", "format", "-t",
                    org.apache.kafka.common.Uuid.randomUuid().toString(), "-c", props.toString()));
            if (users != null) { // KRaft: the broker's own SCRAM user exists before the first start
                format.addAll(List.of("--add-scram", BrokerUsers.MECHANISM + "=[name=" + BrokerUsers.ADMIN + ",password="
                        + users.password(BrokerUsers.ADMIN) + "]"));
            }
            JavaProcesses.runToEnd(JVM, format, dir.resolve("format.log"));
            Files.delete(dir.resolve("format.log")); // it lists the users' salted SCRAM keys
        }
        Process p = JavaProcesses.start(JVM, List.of("kafka.Kafka", props.toString()), dir.resolve("broker.log"), Map.of());
        JavaProcesses.writePid(pidFile(), p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!answers()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker did not start; see " + dir.resolve("broker.log"));
            }
            Thread.sleep(250); // polling a starting process; the condition is checked, not assumed
        }
        if (users != null) {
            provision(names, users);
        }
    }

    private List<String> serverProperties(BrokerTls certs, BrokerUsers users) throws IOException {
        List<String> common = List.of("process.roles=broker,controller", "node.id=1",
                "controller.quorum.voters=1@localhost:" + (port + 1), "controller.listener.names=CONTROLLER",
                "log.dirs=" + dir.resolve("data").toAbsolutePath(),
                "offsets.topic.replication.factor=1", "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1", "group.initial.rebalance.delay.ms=0",
                "transaction.max.timeout.ms=900000", "message.max.bytes=" + KafkaClients.MAX_MESSAGE_BYTES, "num.partitions=2");
        List<String> out = new ArrayList<>(common);
        if (certs == null) {
            out.addAll(List.of("listeners=PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + (port + 1),
                    "advertised.listeners=PLAINTEXT://localhost:" + port, "inter.broker.listener.name=PLAINTEXT"));
            return out;
        }
        out.addAll(List.of(
                "listeners=SASL_SSL://localhost:" + port + ",CONTROLLER://localhost:" + (port + 1),
                "advertised.listeners=SASL_SSL://localhost:" + port,
                // the controller listener takes mutual TLS: only the broker's own certificate gets in
                "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL",
                "listener.name.controller.ssl.client.auth=required",
                "inter.broker.listener.name=SASL_SSL",
                "sasl.enabled.mechanisms=" + BrokerUsers.MECHANISM,
                "sasl.mechanism.inter.broker.protocol=" + BrokerUsers.MECHANISM,
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule"
                        + " required username=\"" + BrokerUsers.ADMIN + "\" password=\"" + users.password(BrokerUsers.ADMIN) + "\";",
                "ssl.keystore.type=PKCS12", "ssl.keystore.location=" + certs.keystore().toAbsolutePath(),
                "ssl.keystore.password=" + certs.keystorePassword(),
                "ssl.truststore.type=PEM", "ssl.truststore.location=" + certs.caPem().toAbsolutePath(),
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users=User:" + BrokerUsers.ADMIN + ";User:" + BrokerTls.BROKER_DN,
                "allow.everyone.if.no.acl.found=false"));
        return out;
    }

    /** As the super user: each role's user and ACLs, cove's topics, and each role's client config file. */
    private void provision(JobConfig names, BrokerUsers users) throws IOException, InterruptedException {
        Properties admin = adminSettings();
        Topics.ensure(bootstrap(), admin, 2, names.inputTopic(), names.outputTopic(), names.audioTopic());
        Topics.ensure(bootstrap(), admin, 1, names.deadLetterTopic(), names.controlTopic());
        List<AclBinding> acls = new ArrayList<>();
        List<UserScramCredentialAlteration> logins = new ArrayList<>();
        for (Role role : Role.values()) {
            String user = BrokerUsers.user(role);
            acls.addAll(KafkaAccess.acls(role, names, "User:" + user));
            logins.add(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                    users.password(user)));
        }
        try (Admin a = Admin.create(KafkaClients.admin(bootstrap(), admin))) {
            a.alterUserScramCredentials(logins).all().get(30, TimeUnit.SECONDS);
            a.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not create cove's users and ACLs on " + bootstrap() + ": " + e.getMessage(), e);
        }
        Files.createDirectories(adminConfig().getParent());
        writeClientConfig(adminConfig(), names, admin);
        for (Role role : Role.values()) {
            writeClientConfig(clientConfig(role), names, users.clientSettings(BrokerUsers.user(role), caPem()));
        }
    }

    private void writeClientConfig(Path file, JobConfig names, Properties kafka) throws IOException {
        Map<String, Object> yaml = new LinkedHashMap<>();
        yaml.put("bootstrap", bootstrap());
        yaml.put("topics", Map.of("input", names.inputTopic(), "output", names.outputTopic(),
                "dead_letters", names.deadLetterTopic(), "audio", names.audioTopic(), "control", names.controlTopic()));
        yaml.put("group_id", names.groupId());
        Map<String, String> k = new TreeMap<>();
        kafka.stringPropertyNames().forEach(n -> k.put(n, kafka.getProperty(n)));
        yaml.put("kafka", k);
        Files.writeString(file, "# cove client settings for " + file.getFileName() + " on the secured local broker; "
                + "passwords stay in " + users().dir() + "\n" + new ObjectMapper(new YAMLFactory()).writeValueAsString(yaml));
    }

    public void stop() throws InterruptedException {
        ProcessHandle h = running().orElseThrow(() -> new IllegalStateException("no broker running from " + dir));
        JavaProcesses.stop(h, 30);
    }

    private Path tlsDir() {
        return dir.resolve("tls");
    }

    /** The CA certificate clients trust (secured brokers). */
    Path caPem() {
        return BrokerTls.caPemIn(tlsDir());
    }

    /** The SCRAM users and their password files (secured brokers). */
    BrokerUsers users() {
        return new BrokerUsers(dir.resolve("secrets"));
    }

    /** The super user's client settings; none for a plaintext broker. */
    private Properties adminSettings() {
        return tls == null ? new Properties() : users().clientSettings(BrokerUsers.ADMIN, caPem());
    }

    /** Whether the broker answers a metadata request (secured: as the super user). */
    public boolean answers() {
        Properties p = KafkaClients.admin(bootstrap(), adminSettings());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
