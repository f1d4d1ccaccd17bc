package org.medgraph.testserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * A Neo4j 5 Community server for medgraph's tests and benchmarks.
 *
 * <p>Usage: {@code java -cp target/classes:target/lib/* org.medgraph.testserver.Launcher RUN_DIR}.
 * The DBMS keeps its data under RUN_DIR/home and listens for Bolt on 127.0.0.1 on a port the
 * operating system picks, so that several servers never collide. Authentication is on, with a
 * random password for the user {@code neo4j}. When Bolt is listening the launcher writes
 * RUN_DIR/uri and RUN_DIR/password (readable by the owner only), then RUN_DIR/ready; it shuts the
 * DBMS down cleanly on SIGTERM or SIGINT.
 *
 * <p>The page cache size is the system property {@code medgraph.pagecache} (default 256m); the
 * heap is bounded by the JVM's own -Xmx, set by the script that starts the launcher.
 */
public final class Launcher {
    private static final String USER = "neo4j";

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Launcher RUN_DIR");
            System.exit(2);
        }
        Path run = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(run);
        long pageCache = bytes(System.getProperty("medgraph.pagecache", "256m"));

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(run.resolve("home"))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                // The settings a production operator is told to set (docs/neo4j.md): no
                // LOAD CSV from the server's files, a cap on the time of any transaction.
                .setConfig(GraphDatabaseSettings.allow_file_urls, false)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
                // A test server keeps no transaction logs beyond what recovery needs.
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }, "medgraph-neo4j-shutdown"));

        String password = randomPassword();
        // The embedded API runs as the DBMS itself, so it may set the first password; the
        // initial "neo4j" password (which must be changed on first login) is never usable.
        dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));

        GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        HostnamePort bolt = db.getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT);
        writePrivate(run.resolve("password"), password);
        writePrivate(run.resolve("uri"), "bolt://" + bolt.getHost() + ":" + bolt.getPort());
        writePrivate(run.resolve("ready"), Long.toString(ProcessHandle.current().pid()));
        System.out.println("neo4j ready at bolt://" + bolt.getHost() + ":" + bolt.getPort());
        stopped.await();
    }

    private static String randomPassword() {
        byte[] raw = new byte[18];
        new SecureRandom().nextBytes(raw);
        return HexFormat.of().formatHex(raw);
    }

    /** Write a file readable by its owner only, whole or not at all. */
    private static void writePrivate(Path target, String text) throws IOException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        Files.createFile(partial, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        Files.writeString(partial, text + "\n", StandardCharsets.UTF_8);
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** "512m", "1g", "1048576" as bytes. */
    static long bytes(String size) {
        String s = size.trim().toLowerCase();
        long unit = 1;
        char last = s.charAt(s.length() - 1);
        if (last == 'k' || last == 'm' || last == 'g') {
            unit = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : 1L << 30;
            s = s.substring(0, s.length() - 1);
        }
        return Long.parseLong(s) * unit;
    }
}
