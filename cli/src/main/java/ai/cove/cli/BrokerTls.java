package ai.cove.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A local certificate authority and a broker certificate it signed, made with the JDK's keytool
 * on first start (never committed): {@code ca.pem} for clients' truststores, {@code broker.p12}
 * for the broker's listeners (its key and the chain to the CA).
 */
public record BrokerTls(Path dir, String keystorePassword) {
    /** Names the broker certificate holds, and its validity: {@code startDays} may be negative (tests of expiry). */
    public record Spec(List<String> subjectAltNames, int startDays, int validityDays) {
        public static Spec localhost() {
            return new Spec(List.of("dns:localhost"), 0, 365);
        }
    }

    public static final String BROKER_DN = "CN=cove-broker";

    public Path caPem() {
        return caPemIn(dir);
    }

    /** Where the CA certificate of the material in {@code dir} is, made or not. */
    static Path caPemIn(Path dir) {
        return dir.resolve("ca.pem");
    }

    public Path keystore() {
        return dir.resolve("broker.p12");
    }

    /** The material in {@code dir}, made now if it is not there yet. */
    public static BrokerTls ensure(Path dir, Spec spec) throws IOException, InterruptedException {
        Path password = dir.resolve("keystore.password");
        if (Files.exists(dir.resolve("broker.crt"))) { // written last: the material is complete
            return new BrokerTls(dir, Files.readString(password).trim());
        }
        Secrets.createPrivateDir(dir);
        for (String f : List.of("ca.p12", "ca.pem", "broker.p12", "broker.csr")) {
            Files.deleteIfExists(dir.resolve(f)); // a generation cut short
        }
        Secrets.writePrivate(password, Secrets.random());
        BrokerTls tls = new BrokerTls(dir, Files.readString(password).trim());
        tls.generate(spec);
        return tls;
    }

    private void generate(Spec spec) throws IOException, InterruptedException {
        // passwords from a file, so that they never show in a process list
        String pw = dir.resolve("keystore.password").toString();
        Path ca = dir.resolve("ca.p12");
        Path csr = dir.resolve("broker.csr");
        Path crt = dir.resolve("broker.signed.crt");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=cove local CA",
                "-ext", "bc:c", "-validity", "3650", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass:file", pw);
        keytool("-exportcert", "-alias", "ca", "-rfc", "-keystore", ca.toString(), "-storepass:file", pw, "-file", caPem().toString());
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", BROKER_DN,
                "-validity", "3650", "-keystore", keystore().toString(), "-storetype", "PKCS12", "-storepass:file", pw);
        keytool("-certreq", "-alias", "broker", "-keystore", keystore().toString(), "-storepass:file", pw, "-file", csr.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass:file", pw,
                "-infile", csr.toString(), "-outfile", crt.toString(), "-rfc", "-validity", String.valueOf(spec.validityDays()),
                "-ext", "SAN=" + String.join(",", spec.subjectAltNames()), "-ext", "KU=digitalSignature,keyEncipherment",
                "-ext", "EKU=serverAuth,clientAuth"));
        if (spec.startDays() != 0) {
            sign.addAll(List.of("-startdate", (spec.startDays() > 0 ? "+" : "") + spec.startDays() + "d"));
        }
        keytool(sign.toArray(String[]::new));
        keytool("-importcert", "-alias", "ca", "-file", caPem().toString(), "-keystore", keystore().toString(),
                "-storepass:file", pw, "-noprompt");
        keytool("-importcert", "-alias", "broker", "-file", crt.toString(), "-keystore", keystore().toString(), "-storepass:file", pw);
        Files.delete(csr);
        Files.move(crt, dir.resolve("broker.crt"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("keytool.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("keytool " + args[0] + " failed; see " + log);
        }
    }
}
